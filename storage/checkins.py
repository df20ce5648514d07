"""Check-in plans, prompts, each person's sealed history and the anonymous scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import CheckinHistory, CheckinPlan, CheckinPrompt, CheckinScore

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"


class CheckinRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def plan(self, person_id: int) -> CheckinPlan | None:
        return await self._session.get(CheckinPlan, person_id)

    def add_plan(self, plan: CheckinPlan) -> None:
        self._session.add(plan)

    async def prompt(self, person_id: int, now: datetime) -> CheckinPrompt:
        """A new prompt; the person's earlier unanswered ones are closed."""
        await self._session.execute(
            update(CheckinPrompt)
            .where(CheckinPrompt.person_id == person_id, CheckinPrompt.status == OPEN)
            .values(status=CLOSED).execution_options(synchronize_session=False)
        )
        prompt = CheckinPrompt(person_id=person_id, sent_at=now, status=OPEN)
        self._session.add(prompt)
        await self._session.flush()
        return prompt

    async def get_prompt(self, prompt_id: int) -> CheckinPrompt | None:
        return await self._session.get(CheckinPrompt, prompt_id)

    async def answer(self, prompt_id: int) -> bool:
        """Mark an open prompt answered; False when it was answered or closed already
        (one conditional UPDATE: a double press answers once)."""
        result = await self._session.execute(
            update(CheckinPrompt)
            .where(CheckinPrompt.id == prompt_id, CheckinPrompt.status == OPEN)
            .values(status=ANSWERED).execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def record(self, person_id: int, score: str, now: datetime) -> None:
        """The person's own sealed history (not for "rather not say"), and the anonymous
        score by month."""
        if score != "skip":
            self._session.add(CheckinHistory(
                person_id=person_id, answered_at=now,
                sealed=self._cipher.encrypt({"score": int(score), "at": now.isoformat()})))
        self._session.add(CheckinScore(month=now.strftime("%Y-%m"), score=score))

    async def answers(self, person_id: int) -> int:
        """How many answers the person's own history holds (nothing decrypted)."""
        return int(await self._session.scalar(
            select(func.count()).select_from(CheckinHistory)
            .where(CheckinHistory.person_id == person_id)) or 0)

    async def history(self, person_id: int, limit: int = 8) -> list[dict[str, Any]]:
        """The person's latest answers, oldest first."""
        rows = list(await self._session.scalars(
            select(CheckinHistory).where(CheckinHistory.person_id == person_id)
            .order_by(CheckinHistory.answered_at.desc(), CheckinHistory.id.desc())
            .limit(limit)
        ))
        return [self._cipher.decrypt(r.sealed) for r in reversed(rows)]

    async def scores(self, months: list[str]) -> list[tuple[str, str]]:
        """(month, score) of every anonymous answer in these months."""
        rows = await self._session.execute(
            select(CheckinScore.month, CheckinScore.score).where(CheckinScore.month.in_(months))
        )
        return [(m, s) for m, s in rows]
