"""Pairing rounds: the pool, each person's sealed "never pair me with" list, the rounds
(whose groups are sealed) and the anonymous "did you meet?" answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import PairingAnswer, PairingMember, PairingRound, Person, Program

Group = tuple[int, ...]


class PairingRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def member(self, program_id: int, person_id: int) -> PairingMember | None:
        return await self._session.get(PairingMember, (program_id, person_id))

    async def memberships(self, person_id: int) -> list[tuple[PairingMember, Program]]:
        rows = await self._session.execute(
            select(PairingMember, Program).join(Program, Program.id == PairingMember.program_id)
            .where(PairingMember.person_id == person_id).order_by(Program.key))
        return [(m, p) for m, p in rows.all()]

    async def join(self, program_id: int, person_id: int, now: datetime) -> PairingMember:
        found = await self.member(program_id, person_id)
        if found is None:
            found = PairingMember(program_id=program_id, person_id=person_id, active=True,
                                  joined_at=now)
            self._session.add(found)
        else:
            found.active, found.joined_at = True, now
        found.skip_on = found.paused_until = None
        return found

    async def eligible(self, program_id: int, day: date) -> list[tuple[Person, str | None]]:
        """Everyone in the pool on ``day`` (active, not paused then, not skipping it), with
        their sealed "never" list (``never_ids`` opens it)."""
        rows = await self._session.execute(
            select(Person, PairingMember.never)
            .join(PairingMember, Person.id == PairingMember.person_id)
            .where(PairingMember.program_id == program_id, PairingMember.active.is_(True),
                   (PairingMember.paused_until.is_(None)) | (PairingMember.paused_until <= day),
                   (PairingMember.skip_on.is_(None)) | (PairingMember.skip_on != day))
            .order_by(PairingMember.person_id))
        return [(p, never) for p, never in rows.all()]

    def never_ids(self, sealed: str | None) -> list[int]:
        return [int(i) for i in self._cipher.decrypt(sealed)] if sealed else []

    def never(self, member: PairingMember) -> list[int]:
        return self.never_ids(member.never)

    def set_never(self, member: PairingMember, ids: Sequence[int]) -> None:
        member.never = self._cipher.encrypt(sorted(set(ids))) if ids else None

    # Rounds.
    async def round_on(self, program_id: int, day: date) -> PairingRound | None:
        return await self._session.scalar(select(PairingRound).where(
            PairingRound.program_id == program_id, PairingRound.held_on == day))

    async def get_round(self, round_id: int) -> PairingRound | None:
        return await self._session.get(PairingRound, round_id)

    async def add_round(self, program_id: int, day: date, members: int,
                        groups: Sequence[Group], now: datetime) -> PairingRound | None:
        """Record a round (once: None when it exists already)."""
        found = PairingRound(program_id=program_id, held_on=day, members=members,
                             groups=len(groups), created_at=now,
                             sealed=self._cipher.encrypt([list(g) for g in groups])
                             if groups else None)
        try:
            async with self._session.begin_nested():
                self._session.add(found)
        except IntegrityError:
            return None
        return found

    def groups(self, found: PairingRound) -> list[Group]:
        return [tuple(int(i) for i in g) for g in self._cipher.decrypt(found.sealed)] \
            if found.sealed else []

    async def recent_groups(self, program_id: int, since: date) -> list[Group]:
        """Every group of the program's rounds held on or after ``since``."""
        rounds = await self._session.scalars(select(PairingRound).where(
            PairingRound.program_id == program_id, PairingRound.held_on >= since,
            PairingRound.sealed.is_not(None)))
        return [g for found in rounds for g in self.groups(found)]

    async def forget_groups(self, before: date) -> int:
        """Erase who met whom for rounds held before ``before`` (the counts stay)."""
        result = await self._session.execute(
            update(PairingRound).where(PairingRound.held_on < before,
                                       PairingRound.sealed.is_not(None))
            .values(sealed=None).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0))

    # "Did you meet?"
    async def answer(self, round_id: int, person_id: int, met: bool) -> bool:
        """Count one answer per person and round; False when they had answered."""
        keys = self._cipher.fingerprints(f"pairing|{round_id}|{person_id}")
        answered = await self._session.scalar(select(PairingAnswer.person_key).where(
            PairingAnswer.round_id == round_id, PairingAnswer.person_key.in_(keys)))
        if answered is not None:  # under any key: answers from before a rotation count
            return False
        try:
            async with self._session.begin_nested():
                self._session.add(PairingAnswer(round_id=round_id, person_key=keys[0], met=met))
        except IntegrityError:
            return False
        return True

    async def met_counts(self, program_id: int, since: date
                         ) -> list[tuple[date, int, int, int, int]]:
        """(held on, members, groups, answered "met", answered "did not") per round."""
        met = (select(func.count()).where(PairingAnswer.round_id == PairingRound.id,
                                          PairingAnswer.met.is_(True))
               .correlate(PairingRound).scalar_subquery())
        missed = (select(func.count()).where(PairingAnswer.round_id == PairingRound.id,
                                             PairingAnswer.met.is_(False))
                  .correlate(PairingRound).scalar_subquery())
        rows = await self._session.execute(
            select(PairingRound.held_on, PairingRound.members, PairingRound.groups, met, missed)
            .where(PairingRound.program_id == program_id, PairingRound.held_on >= since)
            .order_by(PairingRound.held_on))
        return [(d, m, g, y, n) for d, m, g, y, n in rows.all()]
