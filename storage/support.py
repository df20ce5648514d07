"""Supporters on offer, requests to connect, hidden supporters and declared conflicts.

Who asked whom is sensitive: a request keeps its seeker sealed, found again by a
keyed fingerprint, so the tables alone never say who sought support from whom.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, and_, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import roster
from storage.crypto import Cipher
from storage.models import (
    DeclaredConflict,
    HiddenSupporter,
    Person,
    Program,
    SupporterProfile,
    SupportRequest,
)
from storage.roster import RosterCache
from storage.sql import insert_ignoring_conflicts

OPEN, ACCEPTED, DECLINED, EXPIRED, WITHDRAWN = (
    "open", "accepted", "declined", "expired", "withdrawn")
CLOSED = "closed"  # by the program office: the supporter was suspended or revoked
ENDED = "ended"  # an accepted request (a connection) that has run its course


Slot = tuple[str, str, str]  # (day, start, end) as stored: ("mon", "09:00", "12:00")


@dataclass(frozen=True)
class OfferRow:
    """One supporter on offer, with what matching needs from their person."""

    profile_id: int
    person_id: int
    name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    availability: tuple[Slot, ...]
    load: int
    capacity: int
    timezone: str
    reporting_path: str
    department: str
    location: str


@dataclass(frozen=True)
class ProfileText:
    """What a supporter's card shows beyond matching: read only for the few shown."""

    bio_en: str
    bio_fr: str
    location: str


# The JSON columns come as their text and are parsed through a cache keyed by that text:
# thousands of supporters are read for every search, and their lists rarely change.
_OFFER_COLUMNS = (
    SupporterProfile.id, SupporterProfile.person_id, Person.display_name,
    cast(SupporterProfile.languages, Text), cast(SupporterProfile.topics, Text),
    cast(SupporterProfile.availability, Text),
    SupporterProfile.load, SupporterProfile.capacity,
    func.coalesce(func.nullif(Person.timezone, ""), Person.org_timezone),
    Person.reporting_path, Person.department, Person.location,
)


def offerable(today: date) -> Any:
    """Active (or back from a dated pause), trained, in term, with room for one more."""
    return and_(
        or_(SupporterProfile.state == "active",
            and_(SupporterProfile.state == "paused", SupporterProfile.paused_until.is_not(None),
                 SupporterProfile.paused_until <= today)),
        SupporterProfile.trained_on.is_not(None),
        SupporterProfile.trained_on <= today,
        or_(SupporterProfile.term_end.is_(None), SupporterProfile.term_end >= today),
        SupporterProfile.load < SupporterProfile.capacity,
    )


class SupportRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher, rosters: RosterCache) -> None:
        self._session = session
        self._cipher = cipher
        self._rosters = rosters

    def _key(self, seeker_id: int) -> str:
        return self._cipher.fingerprint(f"seeker|{seeker_id}")

    def _keys(self, seeker_id: int) -> list[str]:
        """What a lookup matches: rows written before a key rotation carry an older one."""
        return self._cipher.fingerprints(f"seeker|{seeker_id}")

    # --- supporters -------------------------------------------------------------------

    async def on_offer(self, program_id: int, today: date) -> tuple[OfferRow, ...]:
        """Everyone on offer in a program today; cached by roster version (storage/roster.py)."""
        await self._session.flush()  # so this transaction's own changes raise the version
        key = (program_id, today, await roster.current(self._session))
        cached: tuple[OfferRow, ...] | None = self._rosters.get(key)
        if cached is not None:
            return cached
        # Core, not the ORM: thousands of plain rows, no objects to track.
        connection = await self._session.connection()
        rows = await connection.execute(
            select(*_OFFER_COLUMNS)
            .join(Person, Person.id == SupporterProfile.person_id)
            .where(SupporterProfile.program_id == program_id, offerable(today))
        )
        found = tuple(
            OfferRow(pid, person, name or "", _strings(languages), _strings(topics),
                     _slots(availability), *rest)
            for pid, person, name, languages, topics, availability, *rest in rows
        )
        if not roster.changed_here(self._session):
            self._rosters.put(key, found)
        return found

    async def texts(self, profile_ids: Sequence[int]) -> dict[int, ProfileText]:
        if not profile_ids:
            return {}
        rows = await self._session.execute(
            select(SupporterProfile.id, SupporterProfile.bio_en, SupporterProfile.bio_fr,
                   Person.location)
            .join(Person, Person.id == SupporterProfile.person_id)
            .where(SupporterProfile.id.in_(profile_ids))
        )
        return {pid: ProfileText(en or "", fr or "", where or "") for pid, en, fr, where in rows}

    async def profile(self, profile_id: int) -> SupporterProfile | None:
        return await self._session.get(SupporterProfile, profile_id)

    async def is_offerable(self, profile_id: int, today: date) -> bool:
        found = await self._session.scalar(
            select(SupporterProfile.id).where(SupporterProfile.id == profile_id,
                                              offerable(today))
        )
        return found is not None

    async def take_slot(self, profile_id: int) -> bool:
        """One more connection, only while under capacity: one conditional UPDATE, so two
        acceptances racing for the last slot cannot both win."""
        result = await self._session.execute(
            update(SupporterProfile)
            .where(SupporterProfile.id == profile_id,
                   SupporterProfile.load < SupporterProfile.capacity)
            .values(load=SupporterProfile.load + 1)
            .execution_options(synchronize_session=False)
        )
        taken = int(getattr(result, "rowcount", 0)) == 1
        if taken:
            await roster.bump(self._session)
        return taken

    async def free_slot(self, profile_id: int) -> None:
        """A connection ended: one place free again."""
        await self._session.execute(
            update(SupporterProfile)
            .where(SupporterProfile.id == profile_id, SupporterProfile.load > 0)
            .values(load=SupporterProfile.load - 1)
            .execution_options(synchronize_session=False)
        )
        await roster.bump(self._session)

    def seal(self, data: Any) -> str:
        return self._cipher.encrypt(data)

    def unseal(self, token: str | None) -> Any:
        return self._cipher.decrypt(token) if token else None

    async def program_of(self, profile: SupporterProfile) -> Program | None:
        return await self._session.get(Program, profile.program_id)

    # --- requests ---------------------------------------------------------------------

    async def create(self, program_id: int, supporter_id: int, seeker_id: int,
                     now: datetime, expires_at: datetime) -> SupportRequest:
        request = SupportRequest(
            program_id=program_id, supporter_id=supporter_id,
            seeker=self._cipher.encrypt({"person_id": seeker_id}),
            seeker_key=self._key(seeker_id), status=OPEN, created_at=now,
            expires_at=expires_at,
        )
        self._session.add(request)
        await self._session.flush()
        return request

    async def get(self, request_id: int) -> SupportRequest | None:
        return await self._session.get(SupportRequest, request_id)

    def seeker_keys(self, seeker_id: int) -> list[str]:
        """The seeker's fingerprints under every key, for lookups (``for_seeker``)."""
        return self._keys(seeker_id)

    def seeker_of(self, request: SupportRequest) -> int:
        """Who asked (0 once retention erased it: nobody)."""
        return int(self._cipher.decrypt(request.seeker)["person_id"]) if request.seeker else 0

    async def of_seeker(self, seeker_id: int, statuses: Sequence[str] = (OPEN,),
                        program_id: int | None = None) -> list[SupportRequest]:
        stmt = select(SupportRequest).where(SupportRequest.seeker_key.in_(self._keys(seeker_id)),
                                            SupportRequest.status.in_(statuses))
        if program_id is not None:
            stmt = stmt.where(SupportRequest.program_id == program_id)
        return list(await self._session.scalars(stmt.order_by(SupportRequest.id)))

    async def of_supporter(self, profile_ids: Sequence[int],
                           statuses: Sequence[str] = (OPEN,)) -> list[SupportRequest]:
        return list(await self._session.scalars(
            select(SupportRequest)
            .where(SupportRequest.supporter_id.in_(profile_ids),
                   SupportRequest.status.in_(statuses))
            .order_by(SupportRequest.id)
        ))

    async def settle(self, request_id: int, status: str, now: datetime) -> bool:
        """Move an open request to ``status``; False when it was no longer open (a double
        press, or a race with expiry or withdrawal)."""
        result = await self._session.execute(
            update(SupportRequest)
            .where(SupportRequest.id == request_id, SupportRequest.status == OPEN)
            .values(status=status, decided_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def finish(self, request_id: int, status: str, now: datetime) -> bool:
        """Move a connection (an accepted request) to ``status``; False if it was not one."""
        result = await self._session.execute(
            update(SupportRequest)
            .where(SupportRequest.id == request_id, SupportRequest.status == ACCEPTED)
            .values(status=status, decided_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0)) == 1

    # --- hiding and conflicts ---------------------------------------------------------

    async def hide(self, seeker_id: int, profile_id: int) -> None:
        await self._session.execute(
            insert_ignoring_conflicts(self._session, HiddenSupporter)
            .values(seeker_key=self._key(seeker_id), supporter_id=profile_id)
        )

    async def hidden(self, seeker_id: int) -> set[int]:
        rows = await self._session.scalars(
            select(HiddenSupporter.supporter_id)
            .where(HiddenSupporter.seeker_key.in_(self._keys(seeker_id)))
        )
        return set(rows)

    async def declare_conflict(self, person_id: int, other_id: int) -> None:
        await self._session.execute(
            insert_ignoring_conflicts(self._session, DeclaredConflict)
            .values(person_id=person_id, other_id=other_id)
        )

    async def conflicts_of(self, person_id: int) -> set[int]:
        """Everyone with a declared conflict with this person, whoever declared it."""
        rows = await self._session.execute(
            select(DeclaredConflict.person_id, DeclaredConflict.other_id)
            .where(or_(DeclaredConflict.person_id == person_id,
                       DeclaredConflict.other_id == person_id))
        )
        return {b if a == person_id else a for a, b in rows}


@lru_cache(maxsize=65536)
def _strings(raw: str | None) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; anything else as empty."""
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@lru_cache(maxsize=65536)
def _slots(raw: str | None) -> tuple[Slot, ...]:
    """Availability ([{"day", "start", "end"}]) as tuples; malformed entries left out."""
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(
        (str(v.get("day")), str(v.get("start")), str(v.get("end")))
        for v in value if isinstance(v, dict)
    )
