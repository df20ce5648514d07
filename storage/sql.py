"""Small dialect helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, model: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database.

    One round trip where a select-then-insert would need two, and safe when two
    transactions insert the same key at once.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing()
