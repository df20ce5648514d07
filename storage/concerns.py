"""Concerns supporters report to the program office: who and what, sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import Concern

OPEN, HANDLED = "open", "handled"


class ConcernRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    def _key(self, person_id: int) -> str:
        return self._cipher.fingerprint(f"concern|{person_id}")

    async def add(self, reporter_id: int, category: str, text: str, now: datetime) -> Concern:
        found = Concern(category=category, status=OPEN, created_at=now,
                        sealed=self._cipher.encrypt({"reporter": reporter_id, "text": text}),
                        reporter_key=self._key(reporter_id))
        self._session.add(found)
        await self._session.flush()
        return found

    async def get(self, concern_id: int) -> Concern | None:
        return await self._session.get(Concern, concern_id)

    def unseal(self, found: Concern) -> dict[str, Any]:
        """``{"reporter": id or None, "text": str}``; the reporter is None once forgotten."""
        return dict(self._cipher.decrypt(found.sealed)) if found.sealed else \
            {"reporter": None, "text": ""}

    async def open(self, limit: int = 20) -> list[Concern]:
        return list(await self._session.scalars(
            select(Concern).where(Concern.status == OPEN).order_by(Concern.id).limit(limit)))

    async def handle(self, concern_id: int, by: int, now: datetime) -> bool:
        result = await self._session.execute(
            update(Concern).where(Concern.id == concern_id, Concern.status == OPEN)
            .values(status=HANDLED, handled_at=now, handled_by=by)
            .execution_options(synchronize_session="fetch"))
        return int(getattr(result, "rowcount", 0)) == 1

    async def forget_reporter(self, person_id: int) -> int:
        """The category and dates stay; who reported and what they wrote go."""
        result = await self._session.execute(
            update(Concern).where(Concern.reporter_key.in_(
                self._cipher.fingerprints(f"concern|{person_id}")))
            .values(sealed=None, reporter_key=None))
        return int(getattr(result, "rowcount", 0))
