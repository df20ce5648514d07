"""Escalations: who must be reached, who was alerted, who answered; never any text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import Escalation, EscalationAlert

ALERTING, ACKNOWLEDGED, UNANSWERED = "alerting", "acknowledged", "unanswered"


@dataclass(frozen=True)
class EscalationRecord:
    """The audit row, for reports: when, what category, how it ended."""

    created_at: datetime
    category: str
    reason: str
    status: str
    acknowledged_at: datetime | None


class EscalationRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    def _key(self, person_id: int) -> str:
        return self._cipher.fingerprint(f"escalation|{person_id}")

    def _keys(self, person_id: int) -> list[str]:
        """What a lookup matches: rows written before a key rotation carry an older one."""
        return self._cipher.fingerprints(f"escalation|{person_id}")

    async def recent_for(self, person_id: int, since: datetime) -> Escalation | None:
        """This person's escalation still alerting, or triggered again since ``since``."""
        return await self._session.scalar(
            select(Escalation)
            .where(Escalation.subject_key.in_(self._keys(person_id)),
                   (Escalation.status == ALERTING) | (Escalation.last_trigger_at >= since))
            .order_by(Escalation.id.desc())
            .limit(1)
        )

    async def open(self, person_id: int, category: str, reason: str, now: datetime) -> Escalation:
        """Start an escalation (the caller checked ``recent_for`` first).

        Two racing for one person collide on ``open_key``: the loser's transaction fails
        with a conflict and, retried, finds this one.
        """
        key = self._key(person_id)
        row = Escalation(
            subject=self._cipher.encrypt({"person_id": person_id}), subject_key=key,
            open_key=key, category=category, reason=reason, status=ALERTING, round=0,
            triggers=1, created_at=now, last_trigger_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    def subject_of(self, escalation: Escalation) -> int | None:
        """Who the escalation is about (None once erased)."""
        if escalation.subject is None:
            return None
        return int(self._cipher.decrypt(escalation.subject)["person_id"])

    async def get(self, escalation_id: int, *, lock: bool = False) -> Escalation | None:
        stmt = select(Escalation).where(Escalation.id == escalation_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self._session.scalar(stmt)

    async def alert(
        self, escalation: Escalation, person_ids: Sequence[int], role: str, now: datetime
    ) -> None:
        """Record one round of alerts."""
        escalation.round += 1
        for person_id in person_ids:
            self._session.add(EscalationAlert(escalation_id=escalation.id, person_id=person_id,
                                              role=role, round=escalation.round, alerted_at=now))
        await self._session.flush()

    async def alerted(self, escalation_id: int) -> list[EscalationAlert]:
        return list(await self._session.scalars(
            select(EscalationAlert).where(EscalationAlert.escalation_id == escalation_id)
            .order_by(EscalationAlert.id)
        ))

    async def acknowledge(self, escalation_id: int, person_id: int, now: datetime) -> bool:
        """Mark it acknowledged by ``person_id``; False when someone else was first.

        One conditional UPDATE: two responders pressing at once, exactly one wins.
        """
        result = await self._session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.acknowledged_by.is_(None),
                   Escalation.acknowledged_at.is_(None))
            .values(status=ACKNOWLEDGED, acknowledged_by=person_id, acknowledged_at=now,
                    open_key=None, closed_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def unanswered(self, escalation: Escalation, now: datetime) -> None:
        escalation.status, escalation.open_key, escalation.closed_at = UNANSWERED, None, now

    async def erase_subjects(self, before: datetime) -> int:
        """Forget who settled escalations were about; the audit (when, category, who
        answered) stays."""
        result = await self._session.execute(
            update(Escalation)
            .where(Escalation.closed_at < before, Escalation.subject.is_not(None))
            .values(subject=None, subject_key=None)
        )
        return int(getattr(result, "rowcount", 0))

    async def since(self, start: datetime) -> list[EscalationRecord]:
        rows = await self._session.execute(
            select(Escalation.created_at, Escalation.category, Escalation.reason,
                   Escalation.status, Escalation.acknowledged_at)
            .where(Escalation.created_at >= start).order_by(Escalation.created_at)
        )
        return [EscalationRecord(*r) for r in rows]

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(Escalation)) or 0)
