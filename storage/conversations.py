"""Per-person conversation state, persisted, with a timeout."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState

_CURRENT = select(ConversationState).where(
    ConversationState.person_id == bindparam("person_id")
)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self, person_id: int, now: datetime) -> ConversationState | None:
        """The live state, or None; an expired state is dropped on sight."""
        state = await self._session.scalar(_CURRENT, {"person_id": person_id})
        if state is not None and state.expires_at <= now:
            await self._session.delete(state)
            await self._session.flush()  # so a new state for this person is a fresh row
            return None
        return state

    async def enter(
        self,
        person_id: int,
        flow: str,
        step: str,
        *,
        now: datetime,
        ttl: timedelta,
        data: dict[str, Any] | None = None,
    ) -> ConversationState:
        """Put the person at ``flow``/``step`` with a new token (old cards go stale)."""
        token = secrets.token_hex(8)
        state = await self._session.get(ConversationState, person_id)
        if state is None:
            state = ConversationState(person_id=person_id)
            self._session.add(state)
        state.flow, state.step, state.data = flow, step, dict(data or {})
        state.token, state.expires_at = token, now + ttl
        await self._session.flush()
        return state

    async def leave(self, person_id: int) -> None:
        await self._session.execute(
            delete(ConversationState).where(ConversationState.person_id == person_id)
        )

    async def purge_expired(self, now: datetime) -> int:
        result = await self._session.execute(
            delete(ConversationState).where(ConversationState.expires_at <= now)
        )
        return int(getattr(result, "rowcount", 0))
