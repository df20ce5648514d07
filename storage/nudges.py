"""Leader nudges: who leads whom, the leaders' own check-in marks, and nudge state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LeaderCheck, NudgeState, Person


class NudgeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def leaders(self) -> Sequence[Person]:
        """Everyone with at least one direct report."""
        managers = select(Person.manager_id).where(Person.manager_id.is_not(None)).distinct()
        return (await self._session.scalars(select(Person).where(Person.id.in_(managers)))).all()

    async def marks(self, leader_id: int) -> dict[int, datetime]:
        """When the leader last marked each report as checked in with."""
        rows = await self._session.execute(
            select(LeaderCheck.report_id, LeaderCheck.marked_at)
            .where(LeaderCheck.leader_id == leader_id))
        return {report: marked for report, marked in rows}

    async def mark(self, leader_id: int, report_id: int, now: datetime) -> None:
        found = await self._session.get(LeaderCheck, (leader_id, report_id))
        if found is None:
            self._session.add(LeaderCheck(leader_id=leader_id, report_id=report_id,
                                          marked_at=now))
        else:
            found.marked_at = now

    async def state(self, leader_id: int) -> NudgeState:
        """The leader's nudge state, created on first use."""
        found = await self._session.get(NudgeState, leader_id)
        if found is None:
            found = NudgeState(leader_id=leader_id, tip=0)
            self._session.add(found)
        return found

    async def snooze(self, leader_id: int, until: date) -> None:
        (await self.state(leader_id)).snoozed_until = until
