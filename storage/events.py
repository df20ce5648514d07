"""Inbound event ids already handled (idempotency for platform retries)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent
from storage.sql import insert_ignoring_conflicts

_MAX_EVENT_ID = 200


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(
        self, platform: str, tenant: str, event_id: str, now: datetime
    ) -> bool:
        """Record the event; False if it was handled before (or is being handled now)."""
        if len(event_id) > _MAX_EVENT_ID:  # some platforms' ids are long: keep a digest
            event_id = "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()
        stmt = (
            insert_ignoring_conflicts(self._session, ProcessedEvent)
            .values(platform=platform, tenant=tenant, event_id=event_id, processed_at=now)
            .returning(ProcessedEvent.event_id)
        )
        return (await self._session.execute(stmt)).scalar() is not None

    async def purge_before(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.processed_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0))
