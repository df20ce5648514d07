"""Leader nudges: on Mondays at 10:00 their time, naming the reports not checked in
with lately, each with Done; a tip in turn; snooze; never anyone's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.app import plan_ahead
from bot.nudges import next_nudge
from bot.ui import Button
from storage.db import Database
from storage.models import DueWork, Person
from tests.harness import Harness, PersonRef, Replies

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)  # 04:00 in Toronto


@pytest.fixture
async def h(database: Database) -> Harness:
    return await Harness.start(database)


async def team(h: Harness) -> tuple[PersonRef, PersonRef, PersonRef]:
    lead = await h.person("Lee Lead")
    ann = await h.person("Ann Report", manager=lead)
    bo = await h.person("Bo Report", manager=lead)
    await h.send("help", as_=lead)  # so Peerlink can reach Lee
    return lead, ann, bo


def nudges(replies: Replies) -> Replies:
    return Replies([d for d in replies if d.body.title == "Checking in with your team"])


async def test_a_leader_is_nudged_about_each_report_with_a_tip(h: Harness) -> None:
    lead, _ann, _bo = await team(h)
    await plan_ahead(h.runtime)
    await plan_ahead(h.runtime)  # idempotent
    async with h.runtime.db.transaction() as uow:
        [due] = list(await uow.session.scalars(select(DueWork)))
    assert due.due_at == datetime(2026, 1, 5, 15, tzinfo=UTC)  # Monday 10:00 in Toronto
    mark = len(h.sender.deliveries)
    await h.tick(due.due_at - h.clock.now())
    [nudge] = nudges(h.inbox(lead, mark)).deliveries
    assert "• Ann Report\n• Bo Report" in nudge.body.text
    assert "Tip: Ask an open question" in nudge.body.text
    assert [b.label for b in nudge.body.buttons] == ["Done: Ann Report", "Done: Bo Report",
                                                     "Snooze a week"]
    assert "Ann" not in nudge.notification
    done = await h.press(nudge.body.buttons[0], as_=lead)
    assert done.text() == "Noted: Ann Report. Thank you for checking in."
    # A week later: only Bo is named, with the next tip.
    await plan_ahead(h.runtime)
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=7))
    [again] = nudges(h.inbox(lead, mark)).deliveries
    assert "Ann Report" not in again.body.text and "• Bo Report" in again.body.text
    assert "Tip: Listen to understand" in again.body.text


async def test_snooze_and_an_all_done_team_send_nothing(h: Harness) -> None:
    lead, _ann, _bo = await team(h)
    await plan_ahead(h.runtime)
    snoozed = await h.press(Button("", "nudge.snooze"), as_=lead)
    assert "No reminders until January 12, 2026." in snoozed.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=1))
    assert not nudges(h.inbox(lead, mark))
    async with h.runtime.db.transaction() as uow:
        people = {p.display_name: p.id for p in await uow.session.scalars(select(Person))}
    for name in ("Ann Report", "Bo Report"):
        await h.press(Button("", "nudge.done", str(people[name])), as_=lead)
    await plan_ahead(h.runtime)
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=7))
    assert not nudges(h.inbox(lead, mark))  # everyone marked within two weeks


async def test_only_the_manager_can_mark_a_report(h: Harness) -> None:
    lead, ann, bo = await team(h)
    async with h.runtime.db.transaction() as uow:
        ann_person = await uow.people.by_email(ann.email)
        assert ann_person is not None
    refused = await h.press(Button("", "nudge.done", str(ann_person.id)), as_=bo)
    assert refused.card().title == "Peerlink"
    for odd in ("", "x", "9" * 20):
        assert (await h.press(Button("", "nudge.done", odd), as_=lead)).card().title == \
            "Peerlink"


async def test_a_nudge_never_shows_check_in_answers(h: Harness) -> None:
    lead, ann, _bo = await team(h)
    start = await h.send("check-in", as_=ann)
    form = await h.press(start.button("checkin.edit"), as_=ann)
    await h.submit(form.form(), {"cadence": "daily", "weekday": "0", "at": "09:00"}, as_=ann)
    await plan_ahead(h.runtime)
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=1))  # Ann's check-in prompt and Lee's nudge
    prompt = next(d.body for d in h.inbox(ann, mark) if d.body.title == "Check-in")
    await h.press(prompt.buttons[0], as_=ann)  # a 1
    later = len(h.sender.deliveries)
    await plan_ahead(h.runtime)
    await h.tick(timedelta(days=7))
    text = nudges(h.inbox(lead, mark)).text() + nudges(h.inbox(lead, later)).text()
    assert "• Ann Report" in text  # named for Lee's own marks, whatever Ann answered
    assert all(word not in text.lower() for word in ("answer", "score", "check-in", "well"))


def test_every_two_weeks_and_daylight_saving() -> None:
    lee = Person(id=1, org_timezone="America/Toronto", timezone="")
    first = next_nudge(lee, datetime(2026, 3, 3, tzinfo=UTC), 7)
    assert first == datetime(2026, 3, 9, 14, tzinfo=UTC)  # 10:00 EDT
    fortnight = next_nudge(lee, datetime(2026, 1, 6, tzinfo=UTC), 14)
    again = next_nudge(lee, fortnight, 14)
    assert (again - fortnight).days == 14
