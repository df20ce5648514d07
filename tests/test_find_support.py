"""Finding support: programs and eligibility, suggestions with reasons, the directory,
conflicts of interest, hiding, and requests from asking to accepting or expiring."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.config import load_config
from bot.demo import seed_demo
from bot.matching import Candidate, Seeker, conflicted, rank
from bot.messages import Priority
from bot.outbox import enqueue
from bot.support import Support, add_working_days, program_row
from bot.ui import Button, Card
from storage.db import Database
from storage.models import Person, SupporterProfile, SupportRequest
from storage.people import reporting_paths
from tests.harness import Harness, PersonRef, Replies

SAM = PersonRef("sam.okafor@example.com", "Sam Okafor")  # reports to Mei Lin
MEI = PersonRef("mei.lin@example.com", "Mei Lin")  # Sam's and Camille's manager
HELENE = PersonRef("helene.tremblay@example.com", "Hélène Tremblay")  # Mei's manager
CAMILLE = PersonRef("camille.bernard@example.com", "Camille Bernard")  # peer supporter
GRACE = PersonRef("grace.mensah@example.com", "Grace Mensah")  # peer supporter
DIEGO = PersonRef("diego.fernandez@example.com", "Diego Fernández")  # ambassador
EMILY = PersonRef("emily.carter@example.com", "Emily Carter")
ARJUN = PersonRef("arjun.mehta@example.com", "Arjun Mehta")


@pytest.fixture
async def h(database: Database) -> Harness:
    harness = await Harness.start(database)
    await seed_demo(database, load_config(None))
    async with database.transaction() as uow:  # everyone has met Peerlink already
        await uow.session.execute(update(Person).values(welcomed_at=harness.clock.now()))
    for supporter in (GRACE, CAMILLE, DIEGO):  # so Peerlink can reach them
        await harness.send("help", as_=supporter)
    return harness


def titles(replies: Replies) -> list[str]:
    return [d.body.title for d in replies]


def suggested(replies: Replies) -> list[str]:
    """The names on supporter cards, in order."""
    return [d.body.title for d in replies
            if isinstance(d.body, Card) and any(b.action == "find.ask" for b in d.body.buttons)]


async def find(h: Harness, who: PersonRef, program: str = "peer_support") -> Replies:
    return await h.press(Button("", "find.program", program), as_=who)


async def ask(h: Harness, who: PersonRef, supporter: str, context: str = "",
              program: str = "peer_support") -> Replies:
    found = await h.press(Button("", "find.browse", f"{program}|||0"), as_=who)
    card = next(d.body for d in found if isinstance(d.body, Card) and d.body.title == supporter)
    form = await h.press(next(b for b in card.buttons if b.action == "find.ask"), as_=who)
    return await h.submit(form.form(), {"context": context}, as_=who)


def request_card(h: Harness, supporter: PersonRef, since: int = 0) -> Card:
    inbox = h.inbox(supporter, since)
    return next(d.body for d in reversed(inbox.deliveries) if isinstance(d.body, Card)
                and any(b.action == "request.accept" for b in d.body.buttons))


def button(card: Card, action: str) -> Button:
    return next(b for b in card.buttons if b.action == action)


async def requests(db: Database) -> list[SupportRequest]:
    async with db.transaction() as uow:
        return list(await uow.session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


async def add_supporter(h: Harness, who: PersonRef, program: str = "peer_support",
                        **overrides: Any) -> int:
    fields: dict[str, Any] = dict(
        bio_en="I listen.", bio_fr="J'écoute.", topics=["stress"], languages=["en"],
        capacity=2, trained_on=date(2025, 1, 1), term_end=date(2028, 1, 1),
        availability=[{"day": "tue", "start": "10:00", "end": "12:00"}],
    )
    fields.update(overrides)
    async with h.runtime.db.transaction() as uow:
        spec = h.runtime.engine.services.config.program(program)
        assert spec is not None
        row = await program_row(uow, spec)
        person = await uow.people.by_email(who.email)
        assert person is not None
        profile = await uow.programs.add_supporter(person.id, row.id, **fields)
        return profile.id


async def set_profile(db: Database, email: str, **values: Any) -> None:
    async with db.transaction() as uow:
        person = await uow.people.by_email(email)
        assert person is not None
        for profile in await uow.programs.supporters_of(person.id):
            for name, value in values.items():
                setattr(profile, name, value)


# --- programs and eligibility ---------------------------------------------------------

async def test_find_offers_every_program_with_what_it_is_for(h: Harness) -> None:
    replies = await h.send("find", as_=SAM)
    card = replies.card()
    assert card.title == "Find support"
    assert [b.value for b in card.buttons] == ["peer_support", "manager_network", "buddy"]
    assert "nobody else is told" in card.text
    french = await h.send("trouver", as_=PersonRef("camille.bernard@example.com", "Camille"))
    assert french.card().title == "Trouver du soutien"


async def test_suggestions_are_the_best_three_with_their_reasons(h: Harness) -> None:
    replies = await find(h, SAM)
    assert "Suggested for you in Peer support" in replies.card(0).text
    # Grace shares 3 working hours with Sam (Vancouver Tue and Wed), Camille 2 (Paris Thu).
    assert suggested(replies) == ["Grace Mensah", "Camille Bernard"]
    grace = replies.card(1)
    facts = {f.label: f.value for f in grace.facts}
    assert facts["Why suggested"] == ("speaks English · 3 h of shared working hours · "
                                      "has room for someone new")
    assert facts["Languages"] == "English"
    assert facts["Helps with"] == "Grief and loss, Life events, Conflict at work, Stress"
    assert replies.button("find.browse").value == "peer_support||||0"
    again = await find(h, SAM)
    assert suggested(again) == suggested(replies)  # deterministic


async def test_a_manager_is_never_offered_to_their_own_reporting_line(h: Harness) -> None:
    # Camille reports to Mei, who reports to Hélène: neither may be offered Camille.
    for manager in (MEI, HELENE):
        assert suggested(await find(h, manager)) == ["Grace Mensah"]
    assert "Camille Bernard" in suggested(await find(h, SAM))  # a colleague is fine


async def test_a_non_manager_asking_the_manager_network_is_pointed_to_peer_support(
    h: Harness,
) -> None:
    replies = await find(h, SAM, "manager_network")
    assert "is for people who manage others" in replies.card(0).text
    assert suggested(replies) == ["Grace Mensah", "Camille Bernard"]
    leader = await find(h, MEI, "manager_network")
    # Nathalie's training is only completed in February: not offered yet.
    assert suggested(leader) == ["Diego Fernández"]


async def test_a_french_speaker_sees_french_bios_and_reasons(h: Harness) -> None:
    lucas = PersonRef("lucas.gagnon@example.com", "Lucas Gagnon")
    replies = await find(h, lucas)
    assert suggested(replies)[0] == "Camille Bernard"  # speaks French first
    card = replies.card(1)
    assert card.text.startswith("Venez m'en parler")
    assert "parle français" in {f.label: f.value for f in card.facts}["Pourquoi cette suggestion"]


# --- hiding, conflicts, the directory ----------------------------------------------------

async def test_a_hidden_supporter_disappears_and_is_never_told(h: Harness) -> None:
    replies = await find(h, SAM)
    grace = next(d.body for d in replies if d.body.title == "Grace Mensah")
    assert isinstance(grace, Card)
    mark = len(h.sender.deliveries)
    hidden = await h.press(button(grace, "find.hide"), as_=SAM)
    assert "They are not told." in hidden.text()
    assert suggested(await find(h, SAM)) == ["Camille Bernard"]
    assert not h.inbox(GRACE, mark)


async def test_declared_conflicts_work_both_ways(h: Harness) -> None:
    async with h.runtime.db.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        sam = await uow.people.by_email(SAM.email)
        assert grace and sam
        await uow.support.declare_conflict(grace.id, sam.id)  # Grace declared it
    assert suggested(await find(h, SAM)) == ["Camille Bernard"]


async def test_the_directory_pages_and_filters(h: Harness) -> None:
    for n in range(6):
        who = await h.person(f"Zed {n}", email=f"zed{n}@example.com", timezone="Asia/Tokyo")
        await add_supporter(h, who, topics=["grief"] if n % 2 else ["stress"],
                            languages=["fr"] if n == 0 else ["en"])
    first = await h.press(Button("", "find.browse", "peer_support|||0"), as_=SAM)
    assert len(suggested(first)) == 5
    nav = first.card()
    assert nav.text == "Peer support: supporters 1 to 5 of 8."
    assert [b.label for b in nav.buttons] == ["Next", "Suggestions"]
    second = await h.press(button(nav, "find.browse"), as_=SAM)
    assert len(suggested(second)) == 3
    assert second.card().text == "Peer support: supporters 6 to 8 of 8."
    topic = next(o for o in nav.selects[0].options if o.label == "Grief and loss")
    grief = await h.press(Button("", "find.browse", topic.value), as_=SAM)
    assert suggested(grief) == ["Grace Mensah", "Zed 1", "Zed 3", "Zed 5"]
    french = await h.press(Button("", "find.browse", "peer_support||fr|0|0"), as_=SAM)
    assert suggested(french) == ["Camille Bernard", "Zed 0"]
    # The Zeds are free on Tuesdays 10:00-12:00 in Tokyo: Monday night for Sam in Toronto.
    hours = next(o for o in nav.selects[2].options if o.label == "Shares my working hours")
    shared = await h.press(Button("", "find.browse", hours.value), as_=SAM)
    assert suggested(shared) == ["Camille Bernard", "Grace Mensah"]
    for odd in ("peer_support|nope|xx|999999", "peer_support|||-1", "|||"):
        replies = await h.press(Button("", "find.browse", odd), as_=SAM)
        assert replies.card().title in ("Directory", "Peerlink")


async def test_only_active_trained_in_term_supporters_with_room_are_offered(
    h: Harness,
) -> None:
    db = h.runtime.db
    await set_profile(db, GRACE.email, state="paused", paused_until=date(2026, 1, 12))
    assert suggested(await find(h, SAM)) == ["Camille Bernard"]
    h.clock.advance(timedelta(days=7))  # "away until" has passed: back automatically
    assert "Grace Mensah" in suggested(await find(h, SAM))
    for values in ({"state": "suspended"}, {"state": "revoked"},
                   {"term_end": date(2025, 12, 31)}, {"trained_on": None},
                   {"load": 2}):
        await set_profile(db, GRACE.email, state="active", term_end=date(2027, 4, 10),
                          trained_on=date(2025, 4, 10), load=0)
        await set_profile(db, GRACE.email, **values)
        assert suggested(await find(h, SAM)) == ["Camille Bernard"], values


# --- requests -----------------------------------------------------------------------

async def test_asking_to_connect_reaches_the_supporter_with_the_context_only_there(
    h: Harness,
) -> None:
    mark = len(h.sender.deliveries)
    sent = await ask(h, SAM, "Grace Mensah", "My father died last month.")
    assert "Your request is on its way to Grace Mensah" in sent.card().text
    assert sent.button("request.withdraw")
    card = request_card(h, GRACE, mark)
    assert card.title == "A request to connect"
    assert "Sam Okafor would like to connect with you in Peer support." in card.text
    assert "> My father died last month." in card.text
    assert [b.label for b in card.buttons] == ["Accept", "Decline"]
    delivery = next(d for d in h.inbox(GRACE, mark) if d.body == card)
    assert "Sam" not in delivery.notification
    assert not h.inbox(MEI, mark)  # nobody else is told, not even the manager
    # The context is nowhere in the database; the request does not name the seeker.
    async with h.runtime.db.transaction() as uow:
        conn = await uow.session.connection()
        dump = [await conn.exec_driver_sql(f"SELECT * FROM {t}") for t in
                ("support_request", "outbox", "conversation_state", "due_work")]
        text = repr([r.all() for r in dump])
    assert "father" not in text
    [request] = await requests(h.runtime.db)
    assert request.status == "open" and request.seeker.startswith("gAAAAA")  # sealed
    assert "person_id" not in request.seeker


async def test_accepting_introduces_both_and_withdraws_the_other_requests(h: Harness) -> None:
    mark = len(h.sender.deliveries)
    await ask(h, SAM, "Grace Mensah")
    await ask(h, SAM, "Camille Bernard")
    accept = button(request_card(h, GRACE, mark), "request.accept")
    before = len(h.sender.deliveries)
    accepted = await h.press(accept, as_=GRACE)
    assert accepted.card().title == "You are connected"
    assert {f.label: f.value for f in accepted.card().facts}["Email"] == SAM.email
    told = h.inbox(SAM, before)
    assert told.card().title == "Your request was accepted"
    assert "Grace Mensah accepted your request" in told.card().text
    assert "Sam Okafor a retiré sa demande" in h.inbox(CAMILLE, before).text()  # in French
    statuses = [r.status for r in await requests(h.runtime.db)]
    assert statuses == ["accepted", "withdrawn"]
    again = await h.press(accept, as_=GRACE)  # a double click
    assert again.text() == "This request was already accepted. Nothing was changed."
    async with h.runtime.db.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        assert grace is not None
        [profile] = await uow.programs.supporters_of(grace.id)
        assert profile.load == 1


async def test_declining_tells_the_seeker_kindly_with_others(h: Harness) -> None:
    mark = len(h.sender.deliveries)
    await ask(h, SAM, "Grace Mensah")
    before = len(h.sender.deliveries)
    done = await h.press(button(request_card(h, GRACE, mark), "request.decline"), as_=GRACE)
    assert "will be told kindly" in done.text()
    told = h.inbox(SAM, before)
    assert "Grace Mensah can't take this on right now. That is about their availability, " \
           "not about you." in told.card(0).text
    assert suggested(told) == ["Camille Bernard"]


async def test_only_the_two_people_involved_can_answer_or_withdraw(h: Harness) -> None:
    mark = len(h.sender.deliveries)
    sent = await ask(h, SAM, "Grace Mensah")
    card = request_card(h, GRACE, mark)
    for action in ("request.accept", "request.decline"):
        refused = await h.press(button(card, action), as_=EMILY)
        assert "sent to someone else" in refused.text()
    refused = await h.press(sent.button("request.withdraw"), as_=GRACE)
    assert "someone else's" in refused.text()
    for value in ("", "x", "99999", "9" * 40):
        odd = await h.press(Button("", "request.accept", value), as_=GRACE)
        assert "no longer works" in odd.text()
    withdrawn = await h.press(sent.button("request.withdraw"), as_=SAM)
    assert withdrawn.text() == "Your request to Grace Mensah is withdrawn."
    late = await h.press(button(card, "request.accept"), as_=GRACE)
    assert late.text() == "This request was withdrawn. Nothing was changed."


async def test_a_seeker_has_at_most_three_open_requests_per_program(h: Harness) -> None:
    for n in range(2):
        who = await h.person(f"Extra {n}", email=f"extra{n}@example.com")
        await add_supporter(h, who)
    for name in ("Grace Mensah", "Camille Bernard", "Extra 0"):
        await ask(h, SAM, name)
    found = await h.press(Button("", "find.browse", "peer_support|||0"), as_=SAM)
    extra = next(d.body for d in found if d.body.title == "Extra 1")
    assert isinstance(extra, Card)
    refused = await h.press(button(extra, "find.ask"), as_=SAM)
    assert "You already have 3 requests waiting" in refused.text()
    again = await find(h, SAM)
    grace = next(d.body for d in again if d.body.title == "Grace Mensah")
    assert isinstance(grace, Card)
    twice = await h.press(button(grace, "find.ask"), as_=SAM)
    assert "You have already asked Grace Mensah" in twice.text()
    assert len(await requests(h.runtime.db)) == 3


async def test_the_last_place_goes_to_one_acceptance_only(h: Harness) -> None:
    await set_profile(h.runtime.db, GRACE.email, capacity=1)
    mark = len(h.sender.deliveries)
    await ask(h, SAM, "Grace Mensah")
    first = button(request_card(h, GRACE, mark), "request.accept")
    mark = len(h.sender.deliveries)
    await ask(h, EMILY, "Grace Mensah")
    second = button(request_card(h, GRACE, mark), "request.accept")
    await h.press(first, as_=GRACE)
    full = await h.press(second, as_=GRACE)
    assert "You have no free place right now (1 people at once)" in full.text()
    assert [r.status for r in await requests(h.runtime.db)] == ["accepted", "open"]


async def test_two_acceptances_racing_for_the_last_place_one_wins(database: Database) -> None:
    h = await Harness.start(database)
    await seed_demo(database, load_config(None))
    await set_profile(database, GRACE.email, capacity=1)
    async with database.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        assert grace is not None
        [profile] = await uow.programs.supporters_of(grace.id)

    async def take() -> bool:
        async with database.transaction() as uow:
            won = await uow.support.take_slot(profile.id)
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            return won

    results = await asyncio.gather(take(), take())
    assert sorted(results) == [False, True]
    assert h is not None


async def test_a_request_to_a_supporter_who_just_paused_gets_others(h: Harness) -> None:
    found = await find(h, SAM)
    grace = next(d.body for d in found if d.body.title == "Grace Mensah")
    assert isinstance(grace, Card)
    form = await h.press(button(grace, "find.ask"), as_=SAM)
    await set_profile(h.runtime.db, GRACE.email, state="paused",
                      paused_until=date(2026, 2, 1))
    sent = await h.submit(form.form(), {"context": ""}, as_=SAM)
    assert "Grace Mensah can't take new requests right now" in sent.card(0).text
    assert suggested(sent) == ["Camille Bernard"]
    assert await requests(h.runtime.db) == []


async def test_a_context_too_long_is_refused_and_nothing_is_sent(h: Harness) -> None:
    found = await find(h, SAM)
    grace = next(d.body for d in found if d.body.title == "Grace Mensah")
    assert isinstance(grace, Card)
    form = await h.press(button(grace, "find.ask"), as_=SAM)
    again = await h.submit(form.form(), {"context": "x" * 501}, as_=SAM)
    assert "Please keep it under 500 characters" in again.form().text
    assert await requests(h.runtime.db) == []
    sent = await h.submit(again.form(), {"context": "ok"}, as_=SAM)
    assert "on its way" in sent.text()


async def test_crisis_words_in_the_context_are_answered_first(h: Harness) -> None:
    found = await find(h, SAM)
    grace = next(d.body for d in found if d.body.title == "Grace Mensah")
    assert isinstance(grace, Card)
    form = await h.press(button(grace, "find.ask"), as_=SAM)
    replies = await h.submit(form.form(), {"context": "I want to die"}, as_=SAM)
    assert replies.card(0).title == "You are not alone"
    assert replies.priorities[0] is Priority.CRISIS


async def test_reminders_then_expiry_after_three_working_days(h: Harness) -> None:
    # Thursday 10:00 UTC: three working days later is Tuesday.
    h.clock.advance(datetime(2026, 1, 8, 10, tzinfo=UTC) - h.clock.now())
    mark = len(h.sender.deliveries)
    await ask(h, SAM, "Grace Mensah")
    card = request_card(h, GRACE, mark)
    await h.tick(timedelta(hours=24))
    assert "A reminder: Sam Okafor is waiting" in h.inbox(GRACE, mark).text()
    await h.tick(timedelta(hours=24))
    assert h.inbox(GRACE, mark).text().count("A reminder") == 2
    before = len(h.sender.deliveries)
    await h.tick(datetime(2026, 1, 13, 9, 59, tzinfo=UTC) - h.clock.now())
    assert not h.inbox(SAM, before)
    await h.tick(timedelta(minutes=1))
    told = h.inbox(SAM, before)
    assert "Grace Mensah could not answer your request in time" in told.card(0).text
    assert suggested(told) == ["Camille Bernard"]
    assert "expired without an answer" in h.inbox(GRACE, before).text()
    late = await h.press(button(card, "request.accept"), as_=GRACE)
    assert late.text() == "This request expired. Nothing was changed."


async def test_my_requests_lists_both_sides(h: Harness) -> None:
    assert "You have no open requests." in (await h.send("requests", as_=SAM)).text()
    await ask(h, SAM, "Grace Mensah")
    mine = await h.send("my requests", as_=SAM)
    assert "Waiting for Grace Mensah to answer, in Peer support." in mine.text()
    theirs = await h.send("mes demandes", as_=GRACE)
    assert "Sam Okafor asked to connect with you" in theirs.text()
    assert theirs.button("request.accept")


# --- matching and reporting lines, directly -------------------------------------------

def test_reporting_paths_run_top_down_and_survive_loops() -> None:
    assert reporting_paths({1: None, 2: 1, 3: 2, 4: 2, 5: None}) == {
        1: "", 2: "1", 3: "1/2", 4: "1/2", 5: ""}
    looped = reporting_paths({1: 2, 2: 1, 3: 1})
    assert set(looped) == {1, 2, 3}


def test_conflicts_cover_the_line_up_and_down_and_the_seeker_themself() -> None:
    seeker = Seeker(7, "en", "UTC", reporting_path="1/3")
    def person(pid: int, path: str = "") -> Candidate:
        return Candidate(pid, pid, f"P{pid}", ("en",), (), "UTC", (), 0, 1, path)
    assert conflicted(seeker, person(3))  # their manager
    assert conflicted(seeker, person(1))  # their manager's manager
    assert conflicted(seeker, person(9, "1/3/7"))  # their report
    assert conflicted(seeker, person(10, "1/3/7/9"))  # their report's report
    assert conflicted(seeker, person(7, "1/3"))  # themself
    assert not conflicted(seeker, person(8, "1/3"))  # a colleague
    assert not conflicted(seeker, person(17, "1/37"))  # a prefix is not a manager
    assert conflicted(dataclasses.replace(seeker, conflicts=frozenset({8})), person(8, "1/3"))


def test_ranking_prefers_language_then_topic_then_hours_then_load() -> None:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    seeker = Seeker(1, "fr", "America/Toronto")
    morning = (("tue", "09:00", "12:00"),)
    def c(pid: int, langs: tuple[str, ...], topics: tuple[str, ...] = (), load: int = 0,
          tz: str = "America/Toronto") -> Candidate:
        return Candidate(pid, 100 + pid, f"C{pid}", langs, topics, tz, morning, load, 3)
    ranked = rank(seeker, [c(1, ("en",)), c(2, ("fr",), load=2), c(3, ("fr",)),
                           c(4, ("fr",), ("grief",)), c(5, ("fr",), tz="Asia/Tokyo")],
                  topic="grief", now=now)
    assert [m.candidate.profile_id for m in ranked] == [4, 3, 2, 5, 1]
    assert ranked[0].reasons == (("language", "fr"), ("hours", "3"), ("topic", "grief"),
                                 ("free", ""))
    assert ranked[3].shared_hours == 0  # Tokyo's morning is Toronto's night


def test_working_days_skip_the_weekend() -> None:
    thursday = datetime(2026, 1, 8, 10, tzinfo=UTC)
    assert add_working_days(thursday, 3) == datetime(2026, 1, 13, 10, tzinfo=UTC)
    assert add_working_days(thursday, 1) == datetime(2026, 1, 9, 10, tzinfo=UTC)


async def test_the_org_import_keeps_reporting_paths(h: Harness) -> None:
    async with h.runtime.db.transaction() as uow:
        sam = await uow.people.by_email(SAM.email)
        mei = await uow.people.by_email(MEI.email)
        helene = await uow.people.by_email(HELENE.email)
        assert sam and mei and helene
        assert sam.reporting_path == f"{helene.id}/{mei.id}"
        assert helene.reporting_path == ""
    assert SupporterProfile is not None


async def test_the_roster_cache_never_keeps_a_change_that_was_rolled_back(h: Harness) -> None:
    assert "Grace Mensah" in suggested(await find(h, SAM))  # the roster is now cached
    db = h.runtime.db
    with pytest.raises(RuntimeError):
        async with db.transaction() as uow:
            grace = await uow.people.by_email(GRACE.email)
            assert grace is not None
            [profile] = await uow.programs.supporters_of(grace.id)
            profile.state = "revoked"
            program = await uow.programs.get(profile.program_id)
            assert program is not None
            rows = await uow.support.on_offer(program.id, h.clock.now().date())
            assert profile.id not in [r.profile_id for r in rows]  # seen inside
            raise RuntimeError("roll it back")
    assert "Grace Mensah" in suggested(await find(h, SAM))
    await set_profile(db, GRACE.email, state="revoked")  # committed: gone at once
    assert "Grace Mensah" not in suggested(await find(h, SAM))


async def test_a_revoked_supporters_waiting_seekers_are_told_kindly_and_offered_others(
    h: Harness,
) -> None:
    mark = len(h.sender.deliveries)
    await ask(h, SAM, "Grace Mensah")
    card = request_card(h, GRACE, mark)
    before = len(h.sender.deliveries)
    async with h.runtime.db.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        assert grace is not None
        [profile] = await uow.programs.supporters_of(grace.id)
        support = Support(h.runtime.engine.services.config, h.runtime.engine.services.catalogs)
        messages = await support.set_state(uow, profile, "revoked", h.clock.now())
        await enqueue(uow, "test|revoke", messages, h.clock.now())
    await h.runtime.worker.drain()
    told = h.inbox(SAM, before)
    assert "Grace Mensah can no longer take new requests, so your request is closed. " \
           "That is not about you." in told.card(0).text
    assert suggested(told) == ["Camille Bernard"]
    assert "revoked" not in told.text().lower()  # never why
    assert [r.status for r in await requests(h.runtime.db)] == ["closed"]
    late = await h.press(button(card, "request.accept"), as_=GRACE)
    assert late.text() == "This request is closed. Nothing was changed."
    assert suggested(await find(h, SAM)) == ["Camille Bernard"]
    quiet = len(h.sender.deliveries)
    await h.tick(timedelta(days=5))  # its reminders and expiry were cancelled
    assert not h.inbox(SAM, quiet) and not h.inbox(GRACE, quiet)


async def test_every_card_of_finding_support_renders_on_every_platform(h: Harness) -> None:
    """Suggestions, the directory (three selects), the request and its answers, the
    profile: Slack's Block Kit (checked by slack_sdk), Teams' Adaptive Cards, the web."""
    from adapters.slack.render import render_message, render_modal
    from adapters.teams.render import render_card
    from adapters.web.render import render_html
    from bot.ui import Form

    mark = len(h.sender.deliveries)
    await find(h, SAM)
    await h.press(Button("", "find.browse", "peer_support||||0"), as_=SAM)
    await ask(h, SAM, "Grace Mensah", "Some context, with <b>markup</b> & *stars*.")
    await h.press(button(request_card(h, GRACE, mark), "request.accept"), as_=GRACE)
    await h.send("profile", as_=GRACE)
    for lang_who in (SAM, GRACE):
        await h.send("mes demandes", as_=lang_who)
    bodies = [d.body for d in h.sender.deliveries[mark:]]
    assert len(bodies) > 10
    for body in bodies:
        assert render_message(body)
        assert render_card(body)
        assert render_html(body)
        if isinstance(body, Form):
            assert render_modal(body)


@pytest.mark.parametrize("value", ["²", "٣", "１２", "1²", "-1", " 1", "1e3", "0x1f"])
async def test_button_values_that_only_look_like_numbers_are_refused_kindly(
    h: Harness, value: str
) -> None:
    """str.isdigit() accepts "²" and "٣", which int() then refuses: answered, not crashed."""
    for action in ("find.ask", "find.hide", "request.accept", "request.withdraw",
                   "meeting.book", "meeting.cancel", "checkin.answer", "nudge.done",
                   "escalation.ack", "profile.capacity"):
        replies = await h.press(Button("", action, value), as_=SAM)
        assert replies.card().title == "Peerlink", (action, value)
        assert "Something went wrong" not in replies.text()
    paged = await h.press(Button("", "find.browse", f"peer_support||||{value}"), as_=SAM)
    assert paged.card().title == "Directory"
