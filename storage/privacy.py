"""What "forget me" and retention erase that no foreign key cascades to: rows found by
a sealed id or a keyed fingerprint, other people's sealed lists that name someone, and
the details of connections long ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import roster
from storage.crypto import Cipher
from storage.models import (
    DueWork,
    Escalation,
    HiddenSupporter,
    PairingMember,
    PairingRound,
    Person,
    SupportRequest,
)

# A connection or request in one of these states is over.
SETTLED = ("declined", "expired", "withdrawn", "ended", "closed")


class PrivacyRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    def _keys(self, purpose: str, person_id: int) -> list[str]:
        """The person's fingerprints for ``purpose`` under every key: rows written before
        a key rotation are erased too."""
        return self._cipher.fingerprints(f"{purpose}|{person_id}")

    async def erase_seeker(self, person_id: int) -> int:
        """Every request the person made (their meetings go with them) and the supporters
        they hid. Returns how many requests."""
        keys = self._keys("seeker", person_id)
        await self._session.execute(delete(HiddenSupporter)
                                    .where(HiddenSupporter.seeker_key.in_(keys)))
        result = await self._session.execute(
            delete(SupportRequest).where(SupportRequest.seeker_key.in_(keys))
            .execution_options(synchronize_session=False))
        await roster.bump(self._session)
        return int(getattr(result, "rowcount", 0))

    async def erase_escalation_subject(self, person_id: int) -> int:
        """Escalations keep when, category and who answered; who it was about goes."""
        keys = self._keys("escalation", person_id)
        result = await self._session.execute(
            update(Escalation).where(or_(Escalation.subject_key.in_(keys),
                                         Escalation.open_key.in_(keys)))
            .values(subject=None, subject_key=None, open_key=None))
        return int(getattr(result, "rowcount", 0))

    async def cancel_due(self, person_id: int) -> int:
        """Scheduled work that names the person: check-ins, a buddy offer, nudges."""
        result = await self._session.execute(
            delete(DueWork).where(DueWork.status == "pending", or_(
                DueWork.key.like(f"checkin:{person_id}:%"),
                DueWork.key == f"buddy-offer:{person_id}",
                DueWork.key.like(f"nudge:{person_id}:%"))))
        return int(getattr(result, "rowcount", 0))

    async def erase_from_pairing(self, person_id: int) -> None:
        """Out of other people's "never" lists and of the rounds' sealed groups."""
        for member in await self._session.scalars(
                select(PairingMember).where(PairingMember.never.is_not(None))):
            ids = [int(i) for i in self._cipher.decrypt(member.never or "")]
            if person_id in ids:
                rest = [i for i in ids if i != person_id]
                member.never = self._cipher.encrypt(rest) if rest else None
        for found in await self._session.scalars(
                select(PairingRound).where(PairingRound.sealed.is_not(None))):
            groups = self._cipher.decrypt(found.sealed or "")
            if any(person_id in g for g in groups):
                found.sealed = self._cipher.encrypt(
                    [[i for i in g if i != person_id] for g in groups])

    async def delete_person(self, person_id: int) -> None:
        """The person and everything that cascades from them: platform accounts, supporter
        profiles (with requests and meetings made to them), check-ins, pairing pool,
        nudge marks, conversation state, their outbox."""
        await self._session.execute(delete(Person).where(Person.id == person_id)
                                    .execution_options(synchronize_session=False))
        await roster.bump(self._session)

    async def purge_settled(self, before: datetime) -> int:
        """Connections and requests over before ``before``: who asked, and their goals,
        erased; program, supporter, dates and status stay for the counts."""
        result = await self._session.execute(
            update(SupportRequest)
            .where(SupportRequest.status.in_(SETTLED), SupportRequest.decided_at < before,
                   SupportRequest.seeker_key != "")
            .values(seeker="", seeker_key="", goals=None)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0))
