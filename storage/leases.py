"""Claiming rows with a lease, safely across processes.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``, so any
number of workers can claim side by side without taking the same row. SQLite
has one writer at a time; the readiness test is repeated in the ``UPDATE`` so a
row claimed meanwhile is not taken twice there either. A claim that is never
finished (a crash) becomes ready again when its lease ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import DueWork, InboundBatch, OutboxItem

Leased = type[OutboxItem] | type[DueWork] | type[InboundBatch]


def lease_expired(model: Leased, now: datetime) -> ColumnElement[bool]:
    return and_(model.status == "claimed", model.lease_until < now)


async def claim(
    session: AsyncSession,
    model: Leased,
    *,
    ready: ColumnElement[bool],
    scope: ColumnElement[bool] | None = None,
    order_by: Sequence[InstrumentedAttribute[Any]],
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    also: Mapping[str, Any] | None = None,
) -> list[int]:
    """Lease up to ``limit`` rows (within ``scope``) to ``owner``; return their ids.

    Rows whose lease ran out come first, then ready rows in ``order_by``. Two
    statements, not one with an OR: ``ready`` and ``order_by`` should follow an
    index, so picking the first rows of a backlog of thousands reads those rows
    alone instead of sorting the backlog on every claim.

    ``also``: more columns to set, from the row as it was before the claim."""
    values = {
        "status": "claimed",
        "lease_owner": owner,
        "lease_until": now + lease,
        "attempts": model.attempts + 1,
        **(also or {}),
    }
    ids: list[int] = []
    for wanted, order in ((lease_expired(model, now), ()), (ready, order_by)):
        if len(ids) >= limit:
            break
        if scope is not None:
            wanted = and_(scope, wanted)
        ids += await _claim(session, model, wanted, order, limit - len(ids), values)
    return ids


async def _claim(
    session: AsyncSession,
    model: Leased,
    wanted: ColumnElement[bool],
    order_by: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    values: Mapping[str, Any],
) -> list[int]:
    pick = select(model.id).where(wanted).order_by(*order_by).limit(limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # A materialised CTE runs the locking SELECT exactly once. As an IN
        # subquery it may be re-run while the UPDATE locks rows, and SKIP LOCKED
        # would then hand back more rows than the limit.
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        stmt = update(model).where(model.id == picked.c.id).values(values)
    else:
        stmt = update(model).where(model.id.in_(pick.scalar_subquery()), wanted).values(values)
    stmt = stmt.returning(model.id).execution_options(synchronize_session=False)
    return list((await session.execute(stmt)).scalars())


async def settle(
    session: AsyncSession, model: Leased, row_id: int, owner: str, **values: Any
) -> bool:
    """Finish a claim this owner still holds; False if the lease was lost meanwhile."""
    stmt = (
        update(model)
        .where(model.id == row_id, model.lease_owner == owner, model.status == "claimed")
        .values(lease_owner="", lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))
