"""Anonymous surveys and supporter reports: tokens that name nobody, answers by month."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SurveyAnswer, SurveyInvite


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def invite(self, kind: str, program: str, meetings: int, expires_at: datetime
                     ) -> str:
        """A one-time token for one form; the row does not say whose it is."""
        token = secrets.token_urlsafe(24)
        self._session.add(SurveyInvite(token=token, kind=kind, program=program,
                                       meetings=meetings, expires_at=expires_at))
        await self._session.flush()
        return token

    async def take(self, token: str, kind: str, now: datetime) -> SurveyInvite | None:
        """Use up a token: one DELETE ... RETURNING, so a double press answers once."""
        row = (await self._session.execute(
            delete(SurveyInvite)
            .where(SurveyInvite.token == token, SurveyInvite.kind == kind,
                   SurveyInvite.expires_at > now)
            .returning(SurveyInvite.kind, SurveyInvite.program, SurveyInvite.meetings)
        )).first()
        if row is None:
            return None
        return SurveyInvite(token=token, kind=row[0], program=row[1], meetings=row[2],
                            expires_at=now)

    async def answer(self, kind: str, program: str, month: str, answers: dict[str, Any]
                     ) -> None:
        self._session.add(SurveyAnswer(kind=kind, program=program, month=month,
                                       answers=answers))

    async def answers(self, kind: str, months: Sequence[str]) -> list[SurveyAnswer]:
        return list(await self._session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.kind == kind,
                                       SurveyAnswer.month.in_(months))
        ))

    async def purge_expired(self, now: datetime) -> int:
        result = await self._session.execute(
            delete(SurveyInvite).where(SurveyInvite.expires_at <= now))
        return int(getattr(result, "rowcount", 0))
