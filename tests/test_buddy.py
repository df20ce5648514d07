"""A buddy for new joiners: from a start date in org data or a platform's join event,
offered once, from another team, nearby or with shared working hours."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.buddy import OFFER
from bot.config import load_config
from bot.demo import seed_demo
from bot.messages import Action, Inbound
from bot.org_import import import_org
from bot.ui import Button, Card
from storage.db import Database
from storage.models import DueWork, Person
from tests.harness import Harness, PersonRef, Replies

# Lucas Gagnon (Engineering, Montréal) started on 2026-11-09. The buddy pool: Kenji
# Watanabe (Operations, Chicago; 4 h a week in Lucas's working hours) and Youssef Benali
# (Finance, Lyon; his hours are Lucas's night).
LUCAS = PersonRef("lucas.gagnon@example.com", "Lucas Gagnon")
KENJI = PersonRef("kenji.watanabe@example.com", "Kenji Watanabe")
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


@pytest.fixture
async def h(sqlite_db: Database) -> Harness:
    harness = await Harness.start(sqlite_db)
    harness.clock.advance(NOW - harness.clock.now())
    await seed_demo(sqlite_db, load_config(None), now=NOW)
    async with sqlite_db.transaction() as uow:
        await uow.session.execute(update(Person).values(welcomed_at=NOW))
    for who in (LUCAS, KENJI):  # both have used Peerlink, so it can reach them
        await harness.send("help", as_=who)
    return harness


def suggested(replies: Replies) -> list[str]:
    return [d.body.title for d in replies
            if isinstance(d.body, Card) and any(b.action == "find.ask" for b in d.body.buttons)]


async def offers(db: Database) -> list[DueWork]:
    async with db.transaction() as uow:
        return list(await uow.session.scalars(select(DueWork).where(DueWork.kind == OFFER)))


async def test_a_recent_joiner_is_offered_a_buddy_from_another_team(h: Harness) -> None:
    mark = len(h.sender.deliveries)
    await h.tick()
    offer = h.inbox(LUCAS, mark)
    assert offer.card(0).text.startswith("Bienvenue parmi nous ! Un jumeau")  # in French
    assert suggested(offer) == ["Kenji Watanabe"]  # Youssef: another city, no shared hours
    # Asking works like any request: the buddy accepts or declines.
    card = next(d.body for d in offer if isinstance(d.body, Card) and d.body.title == KENJI.name)
    assert isinstance(card, Card)
    form = await h.press(next(b for b in card.buttons if b.action == "find.ask"), as_=LUCAS)
    await h.submit(form.form(), {"context": ""}, as_=LUCAS)
    assert "Lucas Gagnon would like to connect with you in Buddy." in h.inbox(KENJI, mark).text()
    await h.tick(timedelta(days=1))  # offered once only
    assert "Bienvenue parmi nous" not in h.inbox(LUCAS, mark + len(offer)).text()


async def test_only_new_joiners_are_offered(h: Harness) -> None:
    scheduled = {w.payload["person_id"] for w in await offers(h.runtime.db)}
    async with h.runtime.db.transaction() as uow:
        lucas = await uow.people.by_email(LUCAS.email)
        assert lucas is not None
    assert scheduled == {lucas.id}  # everyone else started months or years ago


async def test_someone_in_the_same_team_is_never_the_buddy(h: Harness) -> None:
    async with h.runtime.db.transaction() as uow:
        kenji = await uow.people.by_email(KENJI.email)
        assert kenji is not None
        kenji.department = "Engineering"
    mark = len(h.sender.deliveries)
    await h.tick()
    assert not h.inbox(LUCAS, mark)  # nobody suitable: no offer at all, rather than "nobody"


async def test_someone_who_already_asked_for_a_buddy_is_not_offered_one(h: Harness) -> None:
    found = await h.press(Button("", "find.browse", "buddy|||0"), as_=LUCAS)
    card = next(d.body for d in found if isinstance(d.body, Card) and d.body.title == KENJI.name)
    assert isinstance(card, Card)
    form = await h.press(next(b for b in card.buttons if b.action == "find.ask"), as_=LUCAS)
    await h.submit(form.form(), {"context": ""}, as_=LUCAS)
    mark = len(h.sender.deliveries)
    await h.tick()
    assert not h.inbox(LUCAS, mark)


async def test_a_platform_join_event_welcomes_then_offers_a_buddy_once(h: Harness) -> None:
    newcomer = await h.person("Nina New", email="nina@example.com", welcomed=False,
                              timezone="America/Chicago")
    async with h.runtime.db.transaction() as uow:
        nina = await uow.people.by_email(newcomer.email)
        assert nina is not None
        nina.department, nina.start_date = "Finance", None
    joined = Inbound(h.author(newcomer), "join-1", action=Action("app.joined"))
    welcome = await h.deliver(joined)
    assert [d.body.title for d in welcome] == ["Welcome to Peerlink"]  # one welcome, not two
    mark = len(h.sender.deliveries)
    await h.tick()
    assert suggested(h.inbox(newcomer, mark)) == ["Kenji Watanabe"]
    await h.deliver(Inbound(h.author(newcomer), "join-2", action=Action("app.joined")))
    again = len(h.sender.deliveries)
    await h.tick()
    assert not suggested(h.inbox(newcomer, again))


async def test_the_org_import_schedules_offers_for_start_dates(sqlite_db: Database) -> None:
    csv = ("email,name,manager_email,department,location,country,timezone,language,"
           "start_date\n"
           "old@example.com,Old Hand,,Ops,Toronto,CA,America/Toronto,en,2020-01-06\n"
           "soon@example.com,Soon Here,,Ops,Toronto,CA,America/Toronto,en,2026-12-07\n"
           "new@example.com,Just Here,,Ops,Toronto,CA,America/Toronto,en,2026-11-16\n")
    await import_org(sqlite_db, io.StringIO(csv), now=NOW)
    due = {w.payload["person_id"]: w.due_at for w in await offers(sqlite_db)}
    async with sqlite_db.transaction() as uow:
        soon = await uow.people.by_email("soon@example.com")
        new = await uow.people.by_email("new@example.com")
        assert soon and new
    assert due == {
        soon.id: datetime(2026, 12, 7, 15, tzinfo=UTC),  # 10:00 in Toronto on day one
        new.id: NOW,
    }
    assert date(2026, 12, 7).weekday() == 0
