"""Program content saved from /admin, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ContentVersion


class ContentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest_id(self) -> int:
        """The newest version's id (0: none saved, the file rules)."""
        found = await self._session.scalar(
            select(ContentVersion.id).order_by(ContentVersion.id.desc()).limit(1))
        return int(found or 0)

    async def latest(self) -> ContentVersion | None:
        return await self._session.scalar(
            select(ContentVersion).order_by(ContentVersion.id.desc()).limit(1))

    async def save(self, yaml: str, by: int, now: datetime) -> int:
        found = ContentVersion(yaml=yaml, saved_at=now, saved_by=by)
        self._session.add(found)
        await self._session.flush()
        return found.id
