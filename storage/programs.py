"""Programs and supporter profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Program, SupporterProfile


class ProgramRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ensure(self, key: str, **settings: Any) -> Program:
        """Create or update the program row for a configured program."""
        program = await self._session.scalar(select(Program).where(Program.key == key))
        if program is None:
            program = Program(key=key)
            self._session.add(program)
        for name, value in settings.items():
            setattr(program, name, value)
        await self._session.flush()
        return program

    async def by_key(self, key: str) -> Program | None:
        return await self._session.scalar(select(Program).where(Program.key == key))

    async def get(self, program_id: int) -> Program | None:
        return await self._session.get(Program, program_id)

    async def all(self) -> Sequence[Program]:
        return (await self._session.scalars(select(Program).order_by(Program.id))).all()

    async def add_supporter(
        self,
        person_id: int,
        program_id: int,
        *,
        bio_en: str,
        bio_fr: str,
        topics: list[str],
        languages: list[str],
        capacity: int,
        trained_on: date | None,
        term_end: date | None,
        availability: list[Any] | None = None,
    ) -> SupporterProfile:
        profile = SupporterProfile(
            person_id=person_id,
            program_id=program_id,
            bio_en=bio_en,
            bio_fr=bio_fr,
            topics=topics,
            languages=languages,
            capacity=capacity,
            trained_on=trained_on,
            term_end=term_end,
            availability=availability or [],
        )
        self._session.add(profile)
        await self._session.flush()
        return profile

    async def resume_returned(self, today: date) -> int:
        """Supporters whose "away until" date has come are active again."""
        returned = list(await self._session.scalars(
            select(SupporterProfile).where(SupporterProfile.state == "paused",
                                           SupporterProfile.paused_until.is_not(None),
                                           SupporterProfile.paused_until <= today)
        ))
        for profile in returned:  # through the ORM, so the roster version moves
            profile.state, profile.paused_until = "active", None
        return len(returned)

    async def profile(self, profile_id: int) -> SupporterProfile | None:
        return await self._session.get(SupporterProfile, profile_id)

    async def all_supporters(self) -> list[tuple[SupporterProfile, Person, str]]:
        """Every supporter profile with its person and program key, by program then name."""
        rows = await self._session.execute(
            select(SupporterProfile, Person, Program.key)
            .join(Person, Person.id == SupporterProfile.person_id)
            .join(Program, Program.id == SupporterProfile.program_id)
            .order_by(Program.key, Person.display_name, SupporterProfile.id))
        return [(profile, person, key) for profile, person, key in rows.all()]

    async def supporters_of(self, person_id: int) -> Sequence[SupporterProfile]:
        return (
            await self._session.scalars(
                select(SupporterProfile).where(SupporterProfile.person_id == person_id)
            )
        ).all()

    async def supported_programs(self, person_ids: Sequence[int]) -> dict[int, list[str]]:
        """Program keys each of these people supports in."""
        rows = await self._session.execute(
            select(SupporterProfile.person_id, Program.key)
            .join(Program, Program.id == SupporterProfile.program_id)
            .where(SupporterProfile.person_id.in_(person_ids))
            .order_by(Program.id)
        )
        found: dict[int, list[str]] = {}
        for person_id, key in rows:
            found.setdefault(person_id, []).append(key)
        return found
