"""Inbound event ids already handled (idempotency for platform retries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, platform: str, event_id: str, now: datetime) -> bool:
        """Record the event; False if it was handled before.

        Two processes racing on one id both get True here, and the second one's
        commit fails on the primary key: the caller treats that as a duplicate.
        """
        seen = await self._session.scalar(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.platform == platform, ProcessedEvent.event_id == event_id
            )
        )
        if seen is not None:
            return False
        self._session.add(ProcessedEvent(platform=platform, event_id=event_id, processed_at=now))
        return True

    async def purge_before(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.processed_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0))
