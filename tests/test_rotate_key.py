"""Key rotation: with a new key first, everything written under the old one is still
found and read; after ``rotate`` the new key alone reads and finds it all, and
``peerlink rotate-key`` does that from the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Text, func, select

from storage.crypto import Cipher
from storage.db import Database
from storage.models import Base, HiddenSupporter, InboundBatch, PairingAnswer
from storage.outbox import OutboxEntry
from storage.people import IdentityKey
from storage.rotation import SEALED, _reseal, rotate
from tests.test_cli import assert_one_line_error, base_env, run, sqlite_url

OLD, NEW = Cipher.generate_key(), Cipher.generate_key()
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
# Text columns that hold no secret; every other one must be rotated.
PLAIN = {("person", "reporting_path"), ("supporter_profile", "bio_en"),
         ("supporter_profile", "bio_fr"), ("supporter_profile", "video_link"),
         ("supporter_profile", "place"), ("content_version", "yaml")}


@dataclass(frozen=True)
class Written:
    seeker: int
    helper: int
    other: int
    profile: int
    request: int
    escalation: int
    round: int
    program: int


@asynccontextmanager
async def keyed(database: Database, *keys: str) -> AsyncIterator[Database]:
    """The same database, opened with other keys."""
    db = Database(database.url, Cipher(keys))
    try:
        yield db
    finally:
        await db.dispose()


async def write(database: Database) -> Written:
    """Under the old key, something in every sealed column and under every fingerprint."""
    async with keyed(database, OLD) as db, db.transaction() as uow:
        seeker, helper, other = [
            (await uow.people.resolve(IdentityKey("web", "local", name,
                                                  email=f"{name}@example.org"), NOW))[0]
            for name in ("seeker", "helper", "other")]
        program = await uow.programs.ensure("peer_support")
        profile = await uow.programs.add_supporter(
            helper.id, program.id, bio_en="", bio_fr="", topics=[], languages=["en"],
            capacity=3, trained_on=date(2026, 1, 5), term_end=None)
        request = await uow.support.create(program.id, profile.id, seeker.id, NOW,
                                           NOW + timedelta(days=3))
        request.goals = uow.support.seal(["walk at lunch"])
        await uow.support.hide(seeker.id, profile.id)
        escalation = await uow.escalations.open(seeker.id, "self_harm", "consent", NOW)
        await uow.checkins.record(seeker.id, "4", NOW)
        await uow.outbox.add([OutboxEntry(f"out-{n}", seeker.id, 1, {"n": n})
                              for n in range(3)], NOW)
        member = await uow.pairing.join(program.id, seeker.id, NOW)
        uow.pairing.set_never(member, [other.id])
        found = await uow.pairing.add_round(program.id, NOW.date(), 2,
                                            [(seeker.id, other.id)], NOW)
        assert found is not None
        assert await uow.pairing.answer(found.id, seeker.id, True)
        await uow.concerns.add(helper.id, "boundaries", "asked for my number", NOW)
        await uow.installations.save("", "T1", {"bot_token": "xoxb-1"}, NOW)
        uow.session.add(InboundBatch(sealed=db.cipher.encrypt([{"text": "hello"}]),
                                     events=1, received_at=NOW))
        return Written(seeker.id, helper.id, other.id, profile.id, request.id, escalation.id,
                       found.id, program.id)


async def assert_found(db: Database, w: Written) -> None:
    """Every lookup by fingerprint finds what was written, and it reads back."""
    async with db.transaction() as uow:
        (request,) = await uow.support.of_seeker(w.seeker)
        assert request.id == w.request
        assert uow.support.seeker_of(request) == w.seeker
        assert uow.support.unseal(request.goals) == ["walk at lunch"]
        assert await uow.support.hidden(w.seeker) == {w.profile}
        found = await uow.escalations.recent_for(w.seeker, NOW)
        assert found is not None and found.id == w.escalation
        assert uow.escalations.subject_of(found) == w.seeker
        assert not await uow.pairing.answer(w.round, w.seeker, False)  # answered already
        member = await uow.pairing.member(w.program, w.seeker)
        assert member is not None and uow.pairing.never(member) == [w.other]
        assert [h["score"] for h in await uow.checkins.history(w.seeker)] == [4]
        assert await uow.installations.find("", "T1") == {"bot_token": "xoxb-1"}


async def assert_sealed_with(db: Database, key: str) -> int:
    """Every sealed value of every table opens with ``key`` alone; how many there are."""
    alone = Cipher([key])
    opened = 0
    async with db.transaction() as uow:
        for spec in SEALED:
            for row in await uow.session.execute(select(spec.table)):
                for column in spec.columns:
                    token = row._mapping[column]
                    if token:
                        assert token.startswith("gAAAAA")
                        assert alone.is_current(token), (spec.table.name, column)
                        alone.decrypt(token)
                        opened += 1
    return opened


def test_every_text_column_is_rotated_or_plain() -> None:
    """A new sealed column must be added to storage.rotation.SEALED, or this fails."""
    rotated = {(spec.table.name, c) for spec in SEALED for c in spec.columns}
    text = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns
            if isinstance(c.type, Text)}
    assert text - PLAIN == rotated


def test_fingerprints_are_current_first_and_match_each_key_alone() -> None:
    both = Cipher([NEW, OLD])
    assert both.fingerprints("seeker|1") == [Cipher([NEW]).fingerprint("seeker|1"),
                                             Cipher([OLD]).fingerprint("seeker|1")]
    assert both.fingerprint("seeker|1") == Cipher([NEW]).fingerprint("seeker|1")
    assert not both.is_current(Cipher([OLD]).encrypt(1))
    assert both.is_current(both.rotate(Cipher([OLD]).encrypt(1)))


async def test_rotation_moves_everything_to_the_new_key(database: Database) -> None:
    w = await write(database)
    async with keyed(database, NEW, OLD) as both:
        await assert_found(both, w)  # before rotating: old rows found under the old key
        counts = await rotate(both, batch=1)  # a batch a row: keys compared, composite too
        await assert_found(both, w)
        assert counts == {"outbox": 3, "support_request": 1, "escalation": 1, "concern": 1,
                          "checkin_history": 1, "pairing_member": 1, "pairing_round": 1,
                          "slack_installation": 1, "hidden_supporter": 1, "pairing_answer": 1,
                          "inbound_batch": 1}
        # Again: nothing left under the old key, so nothing is written.
        assert set((await rotate(both)).values()) == {0}
    async with keyed(database, NEW) as new:
        assert await assert_sealed_with(new, NEW) == 12
        await assert_found(new, w)
        async with new.transaction() as uow:
            assert await uow.concerns.forget_reporter(w.helper) == 1
            assert await uow.privacy.erase_escalation_subject(w.seeker) == 1


async def test_writes_before_rotation_use_the_new_key_and_twins_merge(
    database: Database,
) -> None:
    """Hiding the same supporter again under the new key makes a second row; rotation
    keeps one."""
    w = await write(database)
    async with keyed(database, NEW, OLD) as both:
        async with both.transaction() as uow:
            await uow.support.hide(w.seeker, w.profile)
            assert await uow.support.hidden(w.seeker) == {w.profile}
        assert await rows(both, HiddenSupporter) == 2
        assert (await rotate(both))["hidden_supporter"] == 1
        assert await rows(both, HiddenSupporter) == 1
    async with keyed(database, NEW) as new, new.transaction() as uow:
        assert await uow.support.hidden(w.seeker) == {w.profile}


async def test_erasure_and_invite_links_match_the_old_key(database: Database) -> None:
    w = await write(database)
    async with keyed(database, OLD) as old, old.transaction() as uow:
        old_link = uow.meetings.signature("m-1@peerlink", w.seeker)
    async with keyed(database, NEW, OLD) as both, both.transaction() as uow:
        assert uow.meetings.signed("m-1@peerlink", w.seeker, old_link)
        assert uow.meetings.signed("m-1@peerlink", w.seeker,
                                   uow.meetings.signature("m-1@peerlink", w.seeker))
        assert not uow.meetings.signed("m-1@peerlink", w.other, old_link)
        assert not uow.meetings.signed("m-1@peerlink", w.seeker, "é" * 32)
        assert await uow.privacy.erase_seeker(w.seeker) == 1
        assert await uow.support.hidden(w.seeker) == set()
        assert await uow.privacy.erase_escalation_subject(w.seeker) == 1


async def test_answers_of_rounds_whose_groups_are_gone_stay_as_they_were(
    database: Database,
) -> None:
    w = await write(database)
    async with keyed(database, NEW, OLD) as both:
        async with both.transaction() as uow:
            assert await uow.pairing.forget_groups(NOW.date() + timedelta(days=1)) == 1
        assert (await rotate(both))["pairing_answer"] == 0
        assert await rows(both, PairingAnswer) == 1
        async with both.transaction() as uow:  # still counted once while the old key is held
            assert not await uow.pairing.answer(w.round, w.seeker, False)


async def test_a_row_a_running_process_changed_meanwhile_is_not_overwritten(
    database: Database,
) -> None:
    w = await write(database)
    spec = next(s for s in SEALED if s.table.name == "support_request")
    async with keyed(database, NEW, OLD) as both:
        async with both.transaction() as uow:
            read = (await uow.session.execute(select(spec.table))).one()
        async with both.transaction() as uow:  # meanwhile, the seeker edits their goals
            request = await uow.support.get(w.request)
            assert request is not None
            request.goals = uow.support.seal(["call my sister"])
        async with both.transaction() as uow:
            assert await _reseal(both.cipher, spec, uow.session, read)
    async with keyed(database, NEW) as new, new.transaction() as uow:
        request = await uow.support.get(w.request)
        assert request is not None
        assert uow.support.unseal(request.goals) == ["call my sister"]
        assert uow.support.seeker_of(request) == w.seeker
        assert [r.id for r in await uow.support.of_seeker(w.seeker)] == [w.request]


async def rows(db: Database, model: Any) -> int:
    async with db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


# --- The command ----------------------------------------------------------------------

def test_rotate_key_with_one_key_refuses(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": sqlite_url(tmp_path / "x.db"),
                        "PEERLINK_SECRET_KEY": OLD}
    result = run(env, "rotate-key")
    assert_one_line_error(result, "put the new key first: PEERLINK_SECRET_KEY=NEW,OLD",
                          "peerlink gen-key")
    assert not (tmp_path / "x.db").exists()  # refused before opening anything


def test_rotate_key_on_an_unmigrated_database_says_so(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": sqlite_url(tmp_path / "x.db"),
                        "PEERLINK_SECRET_KEY": f"{NEW},{OLD}"}
    assert_one_line_error(run(env, "rotate-key"), "not migrated", "run: peerlink migrate")


async def test_rotate_key_prints_counts_and_what_to_do_next(sqlite_db: Database) -> None:
    w = await write(sqlite_db)
    await sqlite_db.dispose()
    env = base_env() | {"DATABASE_URL": sqlite_db.url, "PEERLINK_SECRET_KEY": f"{NEW},{OLD}"}
    result = run(env, "rotate-key")
    assert (result.code, result.stderr) == (0, ""), result
    lines = result.stdout.splitlines()
    assert "outbox: 3 updated" in lines
    assert "support_request: 1 updated" in lines
    assert "hidden_supporter: 1 updated" in lines
    assert lines[-1] == ("done: the old key can now be removed from PEERLINK_SECRET_KEY once "
                         "every process has restarted with the new one first")
    async with keyed(sqlite_db, NEW) as new:
        await assert_found(new, w)
    again = run(env, "rotate-key")
    assert again.code == 0, again
    assert "outbox: 0 updated" in again.stdout.splitlines()
