"""Platform app installations (Slack workspaces) and OAuth state, for multi-workspace mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import OAuthState, SlackInstallation
from storage.sql import insert_ignoring_conflicts


class InstallationRepository:
    """One encrypted record per (enterprise, team); the caller owns its shape."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def save(
        self, enterprise_id: str, team_id: str, data: dict[str, Any], now: datetime
    ) -> None:
        row = await self._row(enterprise_id, team_id)
        if row is None:
            row = SlackInstallation(enterprise_id=enterprise_id, team_id=team_id)
            self._session.add(row)
        row.sealed, row.installed_at = self._cipher.encrypt(data), now
        await self._session.flush()

    async def find(self, enterprise_id: str, team_id: str) -> dict[str, Any] | None:
        row = await self._row(enterprise_id, team_id)
        if row is None:
            return None
        data: dict[str, Any] = self._cipher.decrypt(row.sealed)
        return data

    async def delete(self, enterprise_id: str, team_id: str) -> None:
        await self._session.execute(
            delete(SlackInstallation).where(
                SlackInstallation.enterprise_id == enterprise_id,
                SlackInstallation.team_id == team_id,
            )
        )

    async def _row(self, enterprise_id: str, team_id: str) -> SlackInstallation | None:
        return await self._session.scalar(
            select(SlackInstallation).where(
                SlackInstallation.enterprise_id == enterprise_id,
                SlackInstallation.team_id == team_id,
            )
        )


class OAuthStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def issue(self, state: str, expires_at: datetime) -> None:
        await self._session.execute(
            insert_ignoring_conflicts(self._session, OAuthState).values(
                state=state, expires_at=expires_at
            )
        )

    async def consume(self, state: str, now: datetime) -> bool:
        """True once for a state issued and not expired; it can never be used again."""
        result = await self._session.execute(
            delete(OAuthState).where(OAuthState.state == state).returning(OAuthState.expires_at)
        )
        expires = result.scalar()
        await self._session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
        return expires is not None and expires > now
