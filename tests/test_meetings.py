"""Meetings: free times in both timezones, booking races, invites, moving, cancelling,
reminders, daylight saving, public holidays, "my meetings"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from adapters.app import create_app
from bot.config import ProgramConfig, load_config
from bot.demo import seed_demo
from bot.matching import Window
from bot.meetings import Meetings
from bot.slots import BUFFER, Busy, free_slots
from bot.ui import Button, Card
from storage.db import Conflict, Database
from storage.models import Person
from tests.harness import Harness, PersonRef, Replies

SAM = PersonRef("sam.okafor@example.com", "Sam Okafor")  # Toronto
EMILY = PersonRef("emily.carter@example.com", "Emily Carter")  # New York
GRACE = PersonRef("grace.mensah@example.com", "Grace Mensah")  # Vancouver: Tue 10-12, Wed 13-16
MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)  # 04:00 in Toronto, 01:00 in Vancouver


async def demo(database: Database, config: ProgramConfig | None = None) -> Harness:
    """The demo org on Monday 5 January 2026; Sam, Emily and Grace have used Peerlink."""
    harness = await Harness.start(database, config=config)
    await seed_demo(database, load_config(None), now=MONDAY)
    async with database.transaction() as uow:
        await uow.session.execute(update(Person).values(welcomed_at=MONDAY))
    for who in (SAM, EMILY, GRACE):
        await harness.send("help", as_=who)
    return harness


@pytest.fixture
async def h(database: Database) -> Harness:
    return await demo(database)


def card_with(replies: Replies, action: str) -> Card:
    return next(d.body for d in reversed(replies.deliveries) if isinstance(d.body, Card)
                and any(b.action == action for b in d.body.buttons))


def button(card: Card, action: str, index: int = 0) -> Button:
    return [b for b in card.buttons if b.action == action][index]


def facts(card: Card) -> dict[str, str]:
    return {f.label: f.value for f in card.facts}


async def connect(h: Harness, seeker: PersonRef) -> Card:
    """The seeker asks Grace, Grace accepts; returns the seeker's "accepted" card."""
    found = await h.press(Button("", "find.browse", "peer_support||||0"), as_=seeker)
    grace = next(d.body for d in found if isinstance(d.body, Card) and d.body.title == GRACE.name)
    assert isinstance(grace, Card)
    form = await h.press(button(grace, "find.ask"), as_=seeker)
    mark = len(h.sender.deliveries)
    await h.submit(form.form(), {"context": ""}, as_=seeker)
    request = card_with(h.inbox(GRACE, mark), "request.accept")
    mark = len(h.sender.deliveries)
    await h.press(button(request, "request.accept"), as_=GRACE)
    return card_with(h.inbox(seeker, mark), "meeting.slots")


async def book_first(h: Harness, who: PersonRef = SAM) -> tuple[Card, Replies]:
    slots = await h.press(button(await connect(h, who), "meeting.slots"), as_=who)
    times = slots.card()
    mark = len(h.sender.deliveries)
    mine = await h.press(button(times, "meeting.book"), as_=who)
    return times, Replies([*mine.deliveries, *h.inbox(GRACE, mark).deliveries])


async def test_times_are_offered_in_both_timezones(h: Harness) -> None:
    accepted = await connect(h, SAM)
    assert accepted.title == "Your request was accepted"
    slots = (await h.press(button(accepted, "meeting.slots"), as_=SAM)).card()
    assert slots.title == "Book a meeting with Grace Mensah"
    labels = [b.label for b in slots.buttons if b.action == "meeting.book"]
    # Tuesday 10:00 in Vancouver is 13:00 in Toronto.
    assert labels[:2] == ["Tue 6 Jan, 13:00 · Grace 10:00", "Tue 6 Jan, 13:30 · Grace 10:30"]
    assert len(labels) == 8 and any(b.action == "meeting.slots" for b in slots.buttons)
    assert [s.placeholder for s in slots.selects] == ["Length", "How"]
    longer = await h.press(Button("", "meeting.slots", slots.selects[0].options[2].value),
                           as_=SAM)
    assert "60 minutes" in longer.card().text


async def test_booking_confirms_to_both_with_a_calendar_invite(h: Harness) -> None:
    _times, replies = await book_first(h)
    mine, theirs = replies.card(0), replies.card(1)
    assert mine.title == theirs.title == "Private conversation"
    assert facts(mine)["When"] == "Tue 6 Jan, 13:00 (America/Toronto)"
    assert facts(theirs)["When"] == "Tue 6 Jan, 10:00 (America/Vancouver)"
    assert facts(mine)["For Grace Mensah"] == "Tue 6 Jan, 10:00 (America/Vancouver)"
    assert facts(mine)["How"] == "Video call"
    link = next(b for b in mine.buttons if b.url).url
    assert link.startswith("http://127.0.0.1:3978/invites/") and "&s=" in link
    assert [b.label for b in mine.buttons] == ["Add to my calendar", "Move", "Cancel it"]


async def invite_text(h: Harness, card: Card) -> str:
    link = next(b for b in card.buttons if b.url).url
    uid = unquote(link.split("/invites/")[1].split(".ics")[0])
    person, sig = link.split("?p=")[1].split("&s=")
    services = h.runtime.engine.services
    async with h.runtime.db.transaction() as uow:
        found = await Meetings(services.config, services.catalogs).invite_file(
            uow, uid, int(person), sig, h.clock.now())
    assert found is not None
    assert found.cancelled == ("METHOD:CANCEL" in found.body.decode())
    return found.body.decode()


async def test_the_invite_is_neutral_stable_and_follows_changes(h: Harness) -> None:
    _times, replies = await book_first(h)
    text = await invite_text(h, replies.card(0))
    assert "SUMMARY:Private conversation" in text
    assert "DTSTART;TZID=America/Toronto:20260106T130000" in text
    assert "BEGIN:VTIMEZONE" in text and "SEQUENCE:0" in text and "METHOD:REQUEST" in text
    assert "support" not in text.lower() and "peer" not in text.lower().replace("peerlink", "")
    uid = next(line for line in text.splitlines() if line.startswith("UID:"))
    # Moved: same UID, next SEQUENCE.
    moved = await h.press(button(replies.card(0), "meeting.reschedule"), as_=SAM)
    later = await h.press(button(moved.card(), "meeting.move", 2), as_=SAM)
    again = await invite_text(h, later.card())
    assert uid in again and "SEQUENCE:1" in again
    assert "DTSTART;TZID=America/Toronto:20260106T140000" in again
    # Cancelled: CANCEL, one more SEQUENCE.
    await h.press(button(later.card(), "meeting.cancel"), as_=SAM)
    cancelled = await invite_text(h, later.card())
    assert "METHOD:CANCEL" in cancelled and "STATUS:CANCELLED" in cancelled
    assert "SEQUENCE:2" in cancelled and uid in cancelled


async def test_an_invite_link_opens_only_for_its_person(h: Harness) -> None:
    _times, replies = await book_first(h)
    link = next(b for b in replies.card(0).buttons if b.url).url
    path = link.removeprefix("http://127.0.0.1:3978")
    settings = h.runtime.settings
    async with TestClient(TestServer(create_app(settings, h.runtime), host="127.0.0.1")) as c:
        ok = await c.get(path)
        assert ok.status == 200
        assert ok.headers["Content-Type"].startswith("text/calendar")
        assert "attachment" in ok.headers["Content-Disposition"]
        assert "SUMMARY:Private conversation" in await ok.text()
        other = link.split("?p=")[1].split("&")[0]
        for bad in (path.replace(f"s={path[-32:]}", "s=" + "0" * 32),
                    path.replace(f"p={other}&", f"p={int(other) + 1}&"),
                    path.replace("/invites/", "/invites/x"), path.split("?")[0]):
            assert (await c.get(bad)).status == 404, bad


async def test_a_time_taken_meanwhile_gets_fresh_times(h: Harness) -> None:
    times, _replies = await book_first(h, SAM)
    emily_times = await h.press(button(await connect(h, EMILY), "meeting.slots"), as_=EMILY)
    taken = button(times, "meeting.book")  # Sam's card, Sam's time: 10:00 in Vancouver
    value = taken.value.split("|")
    stale = Button("", "meeting.book", "|".join([emily_times.card().buttons[0].value.split(
        "|")[0], *value[1:]]))
    refused = await h.press(stale, as_=EMILY)
    card = refused.card()
    assert card.text.startswith("That time is no longer free.")
    labels = [b.label for b in card.buttons if b.action == "meeting.book"]
    # 10:00-10:30 is taken, and the 15-minute buffer after it keeps 10:30 free of another.
    assert labels[0].startswith("Tue 6 Jan, 14:00")  # New York: 11:00 in Vancouver


async def test_two_bookings_racing_for_one_time_one_wins(database: Database) -> None:
    h = await demo(database)
    await connect(h, SAM)
    await connect(h, EMILY)
    async with database.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        assert grace is not None
        [profile] = await uow.programs.supporters_of(grace.id)
        requests = await uow.support.of_supporter([profile.id], ("accepted",))
    start = datetime(2026, 1, 6, 18, 15, tzinfo=UTC)

    async def book(index: int, offset: int) -> str:
        try:
            async with database.transaction() as uow:
                request = await uow.support.get(requests[index].id)
                assert request is not None
                await uow.meetings.book(request, start + timedelta(minutes=offset), 30,
                                        "video", BUFFER, MONDAY)
                await asyncio.sleep(0.05)
            return "booked"
        except Conflict:
            return "conflict"

    # Overlapping, not equal, times: the cells still collide.
    assert sorted(await asyncio.gather(book(0, 0), book(1, 30))) == ["booked", "conflict"]


async def test_reminders_come_a_day_and_a_quarter_hour_before_and_never_after_cancel(
    h: Harness,
) -> None:
    _times, _replies = await book_first(h)
    start = datetime(2026, 1, 6, 18, tzinfo=UTC)
    mark = len(h.sender.deliveries)
    await h.tick(start - timedelta(hours=24) - h.clock.now())
    assert "is tomorrow" in h.inbox(SAM, mark).text()
    assert "is tomorrow" in h.inbox(GRACE, mark).text()
    await h.tick(start - timedelta(minutes=15) - h.clock.now())
    assert "starts in 15 minutes" in h.inbox(SAM, mark).text()


async def test_a_cancelled_meetings_reminders_never_fire(h: Harness) -> None:
    _times, replies = await book_first(h)
    cancelled = await h.press(button(replies.card(0), "meeting.cancel"), as_=SAM)
    assert "Cancelled by Sam Okafor" in cancelled.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=2))
    assert "reminder" not in h.inbox(SAM, mark).text().lower()
    assert "15 minutes" not in h.inbox(GRACE, mark).text()
    again = await h.press(button(replies.card(0), "meeting.cancel"), as_=SAM)
    assert "This meeting was cancelled. Nothing was changed." in again.text()


async def test_only_the_two_people_can_move_or_cancel(h: Harness) -> None:
    _times, replies = await book_first(h)
    for action in ("meeting.cancel", "meeting.reschedule"):
        refused = await h.press(button(replies.card(0), action), as_=EMILY)
        assert refused.card().title == "Peerlink"
    for value in ("", "x", "99999|1", "1|" + "9" * 30):
        odd = await h.press(Button("", "meeting.book", value), as_=SAM)
        assert odd.card().title == "Peerlink"


async def test_my_meetings_lists_upcoming_then_past(h: Harness) -> None:
    _times, _replies = await book_first(h)
    mine = await h.send("meetings", as_=SAM)
    assert [d.body.title for d in mine] == ["Private conversation", "My meetings",
                                             "With Grace Mensah"]
    connection = mine.card()
    assert connection.text == "Stage 1 of 4: Building trust. Meetings held: 0."
    assert [b.label for b in connection.buttons] == ["Book with Grace Mensah", "My goals"]
    h.clock.advance(timedelta(days=2))
    later = await h.send("mes rencontres", as_=GRACE)
    assert "Tue 6 Jan, 10:00, with Sam Okafor" in later.text() or "mar. 6 janv." in later.text()


# --- free times, directly ------------------------------------------------------------

def test_daylight_saving_keeps_local_times_for_both() -> None:
    """Week of 9 March 2026: North America has changed to summer time, Europe not yet."""
    windows = [Window(1, time(10), time(11))]  # Tuesdays 10:00-11:00 in Vancouver
    friday = datetime(2026, 3, 6, 12, tzinfo=UTC)
    first = free_slots(windows, "America/Vancouver", "CA", Busy.of([]), now=friday,
                       minutes=30)[0]
    assert first == datetime(2026, 3, 10, 17, tzinfo=UTC)  # 10:00 PDT, not 18:00 UTC
    assert first.astimezone(ZoneInfo("Europe/Paris")).hour == 18  # CET until 29 March
    winter = free_slots(windows, "America/Vancouver", "CA", Busy.of([]),
                        now=datetime(2026, 2, 27, 12, tzinfo=UTC), minutes=30)[0]
    assert winter == datetime(2026, 3, 3, 18, tzinfo=UTC)


def test_public_holidays_and_weekends_are_skipped() -> None:
    windows = [Window(2, time(9), time(10))]  # Wednesdays
    slots = free_slots(windows, "America/Toronto", "CA", Busy.of([]),
                       now=datetime(2026, 6, 29, 12, tzinfo=UTC), minutes=60)
    assert slots[0].date().isoformat() == "2026-07-08"  # 1 July is Canada Day
    unknown = free_slots(windows, "UTC", "ZZ", Busy.of([]),
                         now=datetime(2026, 6, 29, 12, tzinfo=UTC), minutes=60)
    assert unknown[0].date().isoformat() == "2026-07-01"  # no holidays known for ZZ


def test_the_buffer_and_notice_are_kept() -> None:
    windows = [Window(0, time(9), time(12))]
    monday_morning = datetime(2026, 1, 4, 12, tzinfo=UTC)  # a Sunday
    busy = Busy.of([(datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 1, 5, 10, 30,
                                                                      tzinfo=UTC))])
    slots = free_slots(windows, "UTC", "GB", busy, now=monday_morning, minutes=30)
    starts = [s.strftime("%H:%M") for s in slots if s.date().day == 5]
    assert starts == ["09:00", "11:00", "11:30"]  # 09:30 and 10:30 break the buffer
    soon = free_slots(windows, "UTC", "GB", Busy.of([]),
                      now=datetime(2026, 1, 5, 8, 30, tzinfo=UTC), minutes=30)
    assert soon[0].date().day != 5 or soon[0].hour >= 10  # two hours' notice



async def test_every_meeting_card_renders_on_every_platform(h: Harness) -> None:
    from adapters.console import render_text
    from adapters.slack.render import render_message
    from adapters.teams.render import render_card
    from adapters.web.render import render_html

    mark = len(h.sender.deliveries)
    _times, replies = await book_first(h)
    await h.press(button(replies.card(0), "meeting.reschedule"), as_=SAM)
    await h.send("meetings", as_=SAM)
    bodies = [d.body for d in h.sender.deliveries[mark:]]
    link = next(b for b in replies.card(0).buttons if b.url)
    for body in bodies:
        assert render_message(body) and render_card(body) and render_html(body)
    slack = render_message(replies.card(0))
    assert any(e.get("url") == link.url for b in slack[0] for e in b.get("elements", []))
    teams = render_card(replies.card(0))[0]
    assert {"type": "Action.OpenUrl", "title": link.label, "url": link.url} in teams["actions"]
    assert f'href="{link.url.replace("&", "&amp;")}"' in render_html(replies.card(0))
    text, choices = render_text(replies.card(0))
    assert link.url in text and len(choices) == 2  # the link is shown, not numbered
