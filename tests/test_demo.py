"""``peerlink seed-demo``: a small org with supporters in every program, loaded once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from sqlalchemy import func, select

from bot.config import ProgramConfig, load_config
from bot.demo import PEOPLE, SUPPORTERS, seed_demo
from storage.crypto import Cipher
from storage.db import Database
from storage.models import Person, Program, SupporterProfile

TOPICS = {
    "stress", "burnout", "grief", "conflict", "return_to_work", "supporting_an_employee",
    "isolation", "new_to_team", "life_events",
}
COUNTRY_OF_ZONE = {"America/Chicago": "US", "America/New_York": "US", "Europe/Paris": "FR",
                   "America/Toronto": "CA", "America/Vancouver": "CA"}


@pytest.fixture
def config() -> ProgramConfig:
    return load_config(None)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/d.db", Cipher([Cipher.generate_key()]))
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
async def seeded(db: Database, config: ProgramConfig) -> Database:
    await seed_demo(db, config)
    return db


async def people(db: Database) -> list[Person]:
    async with db.transaction() as uow:
        return list(await uow.people.list_people())


async def profiles(db: Database) -> list[tuple[SupporterProfile, str]]:
    async with db.transaction() as uow:
        rows = await uow.session.execute(
            select(SupporterProfile, Program.key).join(
                Program, Program.id == SupporterProfile.program_id
            )
        )
        return [(profile, key) for profile, key in rows]


async def counts(db: Database) -> tuple[int, int]:
    async with db.transaction() as uow:
        supporters = await uow.session.scalar(
            select(func.count()).select_from(SupporterProfile)
        )
        return await uow.people.count(), int(supporters or 0)


async def test_seeding_creates_every_demo_person(db: Database, config: ProgramConfig) -> None:
    created = await seed_demo(db, config)

    assert created == len(PEOPLE) >= 12
    assert await counts(db) == (len(PEOPLE), len(SUPPORTERS))


async def test_a_leader_has_three_reports_and_a_manager_of_her_own(seeded: Database) -> None:
    async with seeded.transaction() as uow:
        everyone = await uow.people.list_people()
        reports = {p.id: await uow.people.direct_reports(p.id) for p in everyone}
        leader = next(p for p in everyone if len(reports[p.id]) >= 3)
        director = await uow.people.get(leader.manager_id or 0)

    assert director is not None
    assert leader in reports[director.id]


async def test_the_first_person_is_a_plain_employee(seeded: Database) -> None:
    async with seeded.transaction() as uow:
        first = await uow.people.by_email(PEOPLE[0].email)
        assert first is not None
        assert not await uow.people.direct_reports(first.id)
        assert not await uow.programs.supporters_of(first.id)
        assert not first.program_office


async def test_every_program_has_supporters_with_bios_in_both_languages(
    seeded: Database, config: ProgramConfig
) -> None:
    found = await profiles(seeded)

    assert {key for _, key in found} == {spec.key for spec in config.programs}
    for profile, _key in found:
        assert profile.bio_en.strip() and profile.bio_fr.strip()
        assert set(profile.topics) <= TOPICS and profile.topics
        assert set(profile.languages) <= {"en", "fr"} and profile.languages
        assert 2 <= profile.capacity <= 4
        assert profile.availability and profile.state == "active"
        assert profile.trained_on is not None and profile.term_end is not None
        assert profile.trained_on < date(2026, 11, 1)
        assert (profile.term_end - profile.trained_on).days >= 2 * 365


async def test_ambassadors_are_leaders(seeded: Database) -> None:
    ambassadors = [p.person_id for p, key in await profiles(seeded) if key == "manager_network"]
    async with seeded.transaction() as uow:
        leaders = await uow.people.leaders(ambassadors)

    assert len(ambassadors) >= 2
    assert leaders == set(ambassadors)


async def test_there_is_exactly_one_program_office_member(seeded: Database) -> None:
    office = [p for p in await people(seeded) if p.program_office]

    assert len(office) == 1
    assert office[0].department == "People & Culture"


async def test_programs_carry_their_configured_settings(
    seeded: Database, config: ProgramConfig
) -> None:
    async with seeded.transaction() as uow:
        rows = {p.key: p for p in await uow.programs.all()}

    for spec in config.programs:
        row = rows[spec.key]
        assert row.leaders_only == spec.leaders_only
        assert row.capacity_default == spec.capacity_default
        assert row.request_expiry_days == spec.request_expiry_days
        assert row.open_request_limit == spec.open_request_limit


async def test_seeding_twice_changes_nothing(seeded: Database, config: ProgramConfig) -> None:
    before = await counts(seeded)
    managers_before = {p.email: p.manager_id for p in await people(seeded)}

    assert await seed_demo(seeded, config) == 0

    assert await counts(seeded) == before
    assert {p.email: p.manager_id for p in await people(seeded)} == managers_before


async def test_timezones_are_real_and_match_the_country(seeded: Database) -> None:
    zones = available_timezones()
    for person in await people(seeded):
        assert person.org_timezone in zones
        ZoneInfo(person.org_timezone)
        assert COUNTRY_OF_ZONE[person.org_timezone] == person.country
        assert person.org_language in {"en", "fr"}
        assert (person.email or "").endswith("@example.com")
