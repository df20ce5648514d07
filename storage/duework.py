"""Durable due work: rows with a due time, claimed with a lease by any process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.leases import claim, settle
from storage.models import DueWork
from storage.sql import insert_ignoring_conflicts


@dataclass(frozen=True)
class ClaimedWork:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int


class DueWorkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> bool:
        """Schedule once per key; returns False when that key is already scheduled."""
        stmt = (
            insert_ignoring_conflicts(self._session, DueWork)
            .values(kind=kind, key=key, due_at=due_at, payload=payload or {}, status="pending",
                    attempts=0, lease_owner="", last_error="")
            .returning(DueWork.id)
        )
        return (await self._session.execute(stmt)).scalar() is not None

    async def reschedule(self, key: str, due_at: datetime) -> None:
        """Move pending work; work being run right now is left to finish."""
        row = await self._session.scalar(
            select(DueWork).where(DueWork.key == key, DueWork.status != "claimed")
        )
        if row is not None:
            row.due_at, row.status, row.attempts = due_at, "pending", 0

    async def cancel(self, key: str) -> None:
        await self._session.execute(
            delete(DueWork).where(DueWork.key == key, DueWork.status == "pending")
        )

    async def claim(
        self, owner: str, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedWork]:
        ready = (DueWork.status == "pending") & (DueWork.due_at <= now)
        ids = await claim(
            self._session, DueWork, ready=ready, order_by=(DueWork.due_at, DueWork.id),
            owner=owner, now=now, lease=lease, limit=limit,
        )
        if not ids:
            return []
        rows = await self._session.scalars(
            select(DueWork).where(DueWork.id.in_(ids)).order_by(DueWork.due_at, DueWork.id)
        )
        return [ClaimedWork(r.id, r.kind, r.key, dict(r.payload), r.attempts) for r in rows]

    async def complete(self, work_id: int, owner: str, now: datetime) -> bool:
        return await settle(self._session, DueWork, work_id, owner, status="done", done_at=now)

    async def retry_at(self, work_id: int, owner: str, when: datetime, error: str) -> bool:
        return await settle(
            self._session, DueWork, work_id, owner,
            status="pending", due_at=when, last_error=error[:64],
        )

    async def dead_letter(self, work_id: int, owner: str, error: str) -> bool:
        return await settle(
            self._session, DueWork, work_id, owner, status="dead", last_error=error[:64]
        )

    async def purge_done(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(DueWork).where(DueWork.status == "done", DueWork.done_at < before)
        )
        return int(getattr(result, "rowcount", 0))
