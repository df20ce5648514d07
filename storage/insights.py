"""The rows the program office's insights are counted from (counting is in bot/insights.py).

Nothing here leaves the server as it is: bot/insights.py turns it into counts and
suppresses every figure from fewer than five people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Cipher
from storage.models import (
    CheckinPlan,
    Meeting,
    PairingMember,
    Person,
    Program,
    SupporterProfile,
    SupportRequest,
)


@dataclass(frozen=True)
class RequestRow:
    id: int
    program: str
    status: str
    created_at: datetime
    seeker: str  # sealed; "" once retention erased it
    first_meeting: datetime | None
    held: int


@dataclass(frozen=True)
class Where:
    """A person's department and location, for filters."""

    department: str
    location: str


@dataclass(frozen=True)
class SupporterRow:
    program: str
    person_id: int
    state: str
    load: int
    capacity: int
    where: Where


@dataclass(frozen=True)
class MemberRow:
    program: str
    person_id: int
    where: Where


class InsightsRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    def seeker_of(self, row: RequestRow) -> int:
        """Who asked (0 once retention erased it)."""
        return int(self._cipher.decrypt(row.seeker)["person_id"]) if row.seeker else 0

    async def requests(self, start: datetime, end: datetime) -> list[RequestRow]:
        """Requests made in [start, end), with their first meeting and meetings held."""
        first = (select(func.min(Meeting.starts_at)).where(Meeting.request_id == SupportRequest.id,
                                                          Meeting.status == "booked")
                 .correlate(SupportRequest).scalar_subquery())
        held = (select(func.count()).where(Meeting.request_id == SupportRequest.id,
                                           Meeting.outcome == "held")
                .correlate(SupportRequest).scalar_subquery())
        rows = await self._session.execute(
            select(SupportRequest.id, Program.key, SupportRequest.status,
                   SupportRequest.created_at, SupportRequest.seeker, first, held)
            .join(Program, Program.id == SupportRequest.program_id)
            .where(SupportRequest.created_at >= start, SupportRequest.created_at < end)
            .order_by(SupportRequest.id))
        return [RequestRow(*r) for r in rows.all()]

    async def where_of(self, person_ids: Sequence[int]) -> dict[int, Where]:
        found: dict[int, Where] = {}
        ids = sorted(set(person_ids))
        for i in range(0, len(ids), 5000):
            rows = await self._session.execute(
                select(Person.id, Person.department, Person.location)
                .where(Person.id.in_(ids[i:i + 5000])))
            found.update({pid: Where(d, loc) for pid, d, loc in rows.all()})
        return found

    async def supporters(self) -> list[SupporterRow]:
        rows = await self._session.execute(
            select(Program.key, SupporterProfile.person_id, SupporterProfile.state,
                   SupporterProfile.load, SupporterProfile.capacity, Person.department,
                   Person.location)
            .join(Program, Program.id == SupporterProfile.program_id)
            .join(Person, Person.id == SupporterProfile.person_id))
        return [SupporterRow(k, pid, s, ld, c, Where(d, loc))
                for k, pid, s, ld, c, d, loc in rows.all()]

    async def pairing_members(self) -> list[MemberRow]:
        rows = await self._session.execute(
            select(Program.key, PairingMember.person_id, Person.department, Person.location)
            .join(Program, Program.id == PairingMember.program_id)
            .join(Person, Person.id == PairingMember.person_id)
            .where(PairingMember.active.is_(True)))
        return [MemberRow(k, pid, Where(d, loc)) for k, pid, d, loc in rows.all()]

    async def checkin_people(self) -> list[Where]:
        rows = await self._session.execute(
            select(Person.department, Person.location)
            .join(CheckinPlan, CheckinPlan.person_id == Person.id)
            .where(CheckinPlan.active.is_(True)))
        return [Where(d, loc) for d, loc in rows.all()]

    async def population(self) -> list[Where]:
        """Everyone's department and location: the base a filter must not single out."""
        rows = await self._session.execute(select(Person.department, Person.location))
        return [Where(d, loc) for d, loc in rows.all()]

    async def departments_and_locations(self) -> tuple[list[str], list[str]]:
        departments = await self._session.scalars(
            select(Person.department).where(Person.department != "").distinct()
            .order_by(Person.department))
        locations = await self._session.scalars(
            select(Person.location).where(Person.location != "").distinct()
            .order_by(Person.location))
        return list(departments), list(locations)
