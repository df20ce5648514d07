"""Pairing rounds: the pool, the heads-up with skip, groups of two and a trio, no
repeats, different departments, shared hours, the confidential "never" list, pauses,
"did you meet?", and rounds too small to pair anyone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import PairingSpec
from bot.pairing import (
    HEADS_UP,
    ROUND,
    Member,
    heads_up_at,
    links_of,
    make_groups,
    next_round,
)
from bot.scheduling import housekeeping
from storage.db import Database
from storage.models import DueWork, PairingMember, PairingRound
from tests.harness import Harness, PersonRef, Replies

# The default configuration: the buddy program, every two weeks, Monday 10:00 Toronto.
ROUND_AT = datetime(2026, 1, 12, 15, tzinfo=UTC)
HEADS_UP_AT = datetime(2026, 1, 9, 15, tzinfo=UTC)  # the Friday before


@pytest.fixture
async def h(database: Database) -> Harness:
    return await Harness.start(database)


async def colleague(h: Harness, name: str, department: str, **kw: str) -> PersonRef:
    who = await h.person(name, **kw)
    async with h.runtime.db.transaction() as uow:
        found = await uow.people.by_email(who.email)
        assert found is not None
        found.department = department
    return who


async def join(h: Harness, who: PersonRef) -> Replies:
    card = await h.send("pairing", as_=who)
    return await h.press(card.button("pairing.join"), as_=who)


def of_kind(replies: Replies, title: str) -> Replies:
    return Replies([d for d in replies if d.body.title == title])


# The grouping itself.
def test_everyone_is_paired_and_an_odd_one_out_makes_a_trio() -> None:
    members = [Member(i, f"d{i % 3}") for i in range(1, 8)]
    grouping = make_groups(members, {}, {}, seed=1)
    assert sorted(len(g) for g in grouping.groups) == [2, 2, 3]
    assert sorted(i for g in grouping.groups for i in g) == list(range(1, 8))
    assert grouping.unpaired == []


def test_one_or_nobody_makes_no_group() -> None:
    assert make_groups([Member(1)], {}, {}, seed=1).groups == []
    assert make_groups([], {}, {}, seed=1).groups == []


def test_never_lists_and_reporting_lines_are_never_paired() -> None:
    boss, report, other = Member(1, "a"), Member(2, "b", manager_id=1), Member(3, "c")
    blocked = links_of([(1, 3)])
    grouping = make_groups([boss, report, other], {}, blocked, seed=1)
    # 1 cannot be with 2 (their manager) nor 3 (never): 2 and 3 pair, 1 is left out.
    assert grouping.groups == [(2, 3)] or grouping.groups == [(3, 2)]
    assert grouping.unpaired == [1]


def test_nobody_is_paired_again_within_twelve_weeks_when_someone_else_is_left() -> None:
    members = [Member(i, "same") for i in range(1, 5)]
    recent = links_of([(1, 2), (3, 4)])
    for seed in range(20):
        for a, b in make_groups(members, recent, {}, seed=seed).groups:
            assert b not in recent[a]
    # Only a repeat is possible: better a repeat than nobody.
    assert make_groups(members[:2], links_of([(1, 2)]), {}, seed=1).groups


def test_different_departments_and_shared_hours_are_preferred() -> None:
    members = [Member(1, "eng"), Member(2, "eng"), Member(3, "sales"), Member(4, "sales")]
    for seed in range(20):
        for a, b in make_groups(members, {}, {}, seed=seed).groups:
            assert {a, b} & {1, 2} and {a, b} & {3, 4}
    # Shared hours to meet in come first: Tokyo's day does not meet Toronto's.
    tokyo = [Member(1, "eng", 0, 480), Member(2, "sales", 0, 480)]
    toronto = [Member(3, "eng", 840, 1320), Member(4, "sales", 840, 1320)]
    for seed in range(20):
        for a, b in make_groups(tokyo + toronto, {}, {}, seed=seed).groups:
            assert {a, b} in ({1, 2}, {3, 4})


def test_rounds_follow_their_cadence_in_the_programs_timezone() -> None:
    after = datetime(2026, 3, 1, tzinfo=UTC)
    weekly = PairingSpec("weekly", 2, datetime(2026, 1, 1, 9, 30).time(), "Europe/Paris")
    assert next_round(weekly, after) == datetime(2026, 3, 4, 8, 30, tzinfo=UTC)
    # Across the change to summer time, still 09:30 in Paris.
    assert next_round(weekly, datetime(2026, 3, 30, tzinfo=UTC)) == datetime(
        2026, 4, 1, 7, 30, tzinfo=UTC)
    biweekly = PairingSpec("biweekly", 0, weekly.at, "Europe/Paris")
    first = next_round(biweekly, after)
    assert next_round(biweekly, first) - first == timedelta(weeks=2)
    monthly = PairingSpec("monthly", 0, weekly.at, "Europe/Paris")
    assert next_round(monthly, after).astimezone(ZoneInfo("Europe/Paris")).date() == date(
        2026, 3, 2)
    assert next_round(monthly, datetime(2026, 3, 3, tzinfo=UTC)).date() == date(2026, 4, 6)
    # A Monday round: the heads-up comes on the Friday before.
    assert heads_up_at(monthly, datetime(2026, 4, 6, 7, 30, tzinfo=UTC)) == datetime(
        2026, 4, 3, 7, 30, tzinfo=UTC)


# Through the chat.
async def test_a_round_from_heads_up_to_did_you_meet(h: Harness) -> None:
    ana = await colleague(h, "Ana", "Engineering")
    ben = await colleague(h, "Ben", "Engineering")
    cleo = await colleague(h, "Cleo", "Sales")
    dev = await colleague(h, "Dev", "Sales")
    eli = await colleague(h, "Eli", "Finance")
    intro = await h.send("café", as_=ana)
    assert "Join the pairing rounds" in [b.label for b in intro.card().buttons]
    joined = await join(h, ana)
    assert "You are in" in joined.text()
    assert {f.label: f.value for f in joined.card().facts}["Next round"] == "Mon 12 Jan, 10:00"
    for who in (ben, cleo, dev, eli):
        await join(h, who)
    async with h.runtime.db.transaction() as uow:
        due = {d.kind: d.due_at for d in await uow.session.scalars(select(DueWork))}
    assert due[HEADS_UP] == HEADS_UP_AT and due[ROUND] == ROUND_AT

    mark = len(h.sender.deliveries)
    await h.tick(HEADS_UP_AT - h.clock.now())
    heads_up = of_kind(h.inbox(eli, mark), "Pairing round")
    assert "Monday 12 January, 10:00" in heads_up.text()
    skipped = await h.press(heads_up.button("pairing.skip"), as_=eli)
    assert "sit out the round of January 12, 2026" in skipped.text()
    assert len(of_kind(Replies(h.sender.deliveries[mark:]), "Pairing round")) == 5

    mark = len(h.sender.deliveries)
    await h.tick(ROUND_AT - h.clock.now())
    assert not h.inbox(eli, mark).deliveries  # skipped this one
    intros = {who.name: of_kind(h.inbox(who, mark), "Your pairing").card().text
              for who in (ana, ben, cleo, dev)}
    # Two pairs, each across Engineering and Sales.
    partner = {name: next(n for n in intros if n != name and f"with {n} (" in text)
               for name, text in intros.items()}
    assert {partner["Ana"], partner["Ben"]} == {"Cleo", "Dev"}
    assert partner[partner["Ana"]] == "Ana"
    assert "Your shared working hours: 09:00 to 17:00, your time." in intros["Ana"]
    async with h.runtime.db.transaction() as uow:
        [found] = list(await uow.session.scalars(select(PairingRound)))
        assert (found.members, found.groups) == (4, 2)
        assert found.sealed is not None and found.sealed.startswith("gAAAAA")
        due = {d.kind: d.due_at for d in await uow.session.scalars(
            select(DueWork).where(DueWork.status == "pending"))}
    assert due["pairing.followup"] == ROUND_AT + timedelta(days=4)
    assert due[ROUND] == ROUND_AT + timedelta(weeks=2)  # the next round, planned

    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=4))
    asked = of_kind(h.inbox(ana, mark), "Your pairing")
    assert f"Did you manage to meet {partner['Ana']}?" in asked.text()
    [yes, no, _never] = asked.card().buttons
    assert (await h.press(yes, as_=ana)).text() == "Wonderful. Thank you for telling me."
    assert "already answered" in (await h.press(no, as_=ana)).text()
    # Someone who was not in that round cannot answer for it.
    assert "didn't understand" in (await h.press(yes, as_=eli)).text() or \
        "no longer works" in (await h.press(yes, as_=eli)).text()
    async with h.runtime.db.transaction() as uow:
        counts = await uow.pairing.met_counts(found.program_id, date(2026, 1, 1))
    assert counts == [(date(2026, 1, 12), 4, 2, 1, 0)]


async def test_a_round_of_one_messages_nobody(h: Harness) -> None:
    ana = await colleague(h, "Ana", "Engineering")
    await join(h, ana)
    mark = len(h.sender.deliveries)
    await h.tick(ROUND_AT - h.clock.now())
    assert not h.inbox(ana, mark).deliveries
    async with h.runtime.db.transaction() as uow:
        [found] = list(await uow.session.scalars(select(PairingRound)))
    assert (found.members, found.groups, found.sealed) == (1, 0, None)


async def test_never_pair_me_with_is_kept_sealed_and_respected(h: Harness) -> None:
    ana = await colleague(h, "Ana", "Engineering")
    ben = await colleague(h, "Ben", "Sales")
    cleo = await colleague(h, "Cleo", "Sales")
    for who in (ana, ben, cleo):
        await join(h, who)
    card = await h.send("pairing", as_=ana)
    listing = await h.press(card.button("pairing.never"), as_=ana)
    assert "Nobody is on your list." in listing.text()
    form = listing.form()
    bad = await h.submit(form, {"email": "nobody@example.com"}, as_=ana)
    assert "could not find a colleague" in bad.form().text
    own = await h.submit(form, {"email": ana.email}, as_=ana)
    assert "your own address" in own.form().text
    added = await h.submit(form, {"email": ben.email.upper()}, as_=ana)
    assert "Added Ben." in added.text()
    assert [f.label for f in added.card(0).facts] == ["Ben"]
    async with h.runtime.db.transaction() as uow:
        rows = list(await uow.session.scalars(select(PairingMember)))
    [sealed] = [r.never for r in rows if r.never]
    assert sealed.startswith("gAAAAA")

    mark = len(h.sender.deliveries)
    await h.tick(ROUND_AT - h.clock.now())
    # Ana cannot be with Ben, and a trio would put them together: Ben or Ana sits out.
    intros = {who.name: h.inbox(who, mark).text() for who in (ana, ben, cleo)}
    assert not ("with Ben" in intros["Ana"] or "with Ana" in intros["Ben"])
    assert sum("nobody we could pair you with" in t for t in intros.values()) == 1
    assert "list" not in h.inbox(ben, mark).text()  # Ben is never told

    removed = await h.press(added.button("pairing.unblock", 0), as_=ana)
    assert "Nobody is on your list." in removed.text()


async def test_pause_skip_and_leave_keep_people_out_of_rounds(h: Harness) -> None:
    ana = await colleague(h, "Ana", "Engineering")
    ben = await colleague(h, "Ben", "Sales")
    cleo = await colleague(h, "Cleo", "Finance")
    for who in (ana, ben, cleo):
        await join(h, who)
    paused = await h.send("pause", as_=ana)
    form = await h.press(paused.button("pairing.pause"), as_=ana)
    wrong = await h.submit(form.form(), {"until": "yesterday-ish"}, as_=ana)
    assert "Nothing was changed" in wrong.form().text
    saved = await h.submit(form.form(), {"until": "2026-01-20"}, as_=ana)
    assert {f.label for f in saved.card().facts} >= {"Paused until"}
    card = await h.send("pairing", as_=ben)
    skipped = await h.press(card.button("pairing.skip"), as_=ben)
    assert "sit out the round of January 12, 2026" in skipped.text()
    card = await h.send("pairing", as_=cleo)
    left = await h.press(card.button("pairing.leave"), as_=cleo)
    assert "You have left the pairing rounds" in left.text()

    mark = len(h.sender.deliveries)
    await h.tick(ROUND_AT - h.clock.now())
    assert not Replies(h.sender.deliveries[mark:]).deliveries  # nobody left to pair
    # Ben is back for the round after; Ana's pause is over by then; Cleo stays out.
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(weeks=2))
    assert "with Ben" in of_kind(h.inbox(ana, mark), "Your pairing").text()
    assert not of_kind(h.inbox(cleo, mark), "Your pairing").deliveries


async def test_dont_pair_us_again_and_groups_are_forgotten_later(h: Harness) -> None:
    ana = await colleague(h, "Ana", "Engineering")
    ben = await colleague(h, "Ben", "Sales")
    for who in (ana, ben):
        await join(h, who)
    await h.tick(ROUND_AT - h.clock.now())
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=4))
    asked = of_kind(h.inbox(ben, mark), "Your pairing")
    done = await h.press(asked.button("pairing.notagain"), as_=ben)
    assert "not be paired with them again" in done.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=10))  # the next round: only Ana and Ben, kept apart
    assert not of_kind(Replies(h.sender.deliveries[mark:]), "Your pairing").deliveries
    h.clock.advance(timedelta(weeks=14))
    await housekeeping(h.runtime.db, h.clock)
    async with h.runtime.db.transaction() as uow:
        rounds = list(await uow.session.scalars(select(PairingRound)))
    assert all(r.sealed is None for r in rounds)
