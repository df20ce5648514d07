"""Check-ins: opting in, when prompts come (timezones, daylight saving, weekends,
holidays, pauses), answers once, kind replies, and a history only its owner sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.checkins import next_prompt
from bot.ui import Button
from storage.db import Database
from storage.models import CheckinHistory, CheckinPlan, CheckinScore, DueWork, Person
from tests.harness import Harness, PersonRef, Replies

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)  # 04:00 in Toronto


@pytest.fixture
async def h(database: Database) -> Harness:
    return await Harness.start(database)


async def opt_in(h: Harness, who: PersonRef, cadence: str = "weekly", weekday: str = "1",
                 at: str = "09:30") -> Replies:
    start = await h.send("check-in", as_=who)
    form = await h.press(start.button("checkin.edit"), as_=who)
    return await h.submit(form.form(), {"cadence": cadence, "weekday": weekday, "at": at},
                          as_=who)


async def prompts(h: Harness, who: PersonRef, since: int) -> Replies:
    return Replies([d for d in h.inbox(who, since)
                    if any(b.action == "checkin.answer" for b in d.body.buttons)])


async def test_opting_in_schedules_the_first_prompt_in_local_time(h: Harness) -> None:
    ana = await h.person("Ana")
    intro = await h.send("bilan", as_=ana)
    assert "Only you see your answers" in intro.text()
    saved = await opt_in(h, ana)
    facts = {f.label: f.value for f in saved.card().facts}
    assert facts["How often"] == "Every Tuesday, 09:30 (America/Toronto)"
    assert facts["Next check-in"] == "Tue 6 Jan, 09:30"
    async with h.runtime.db.transaction() as uow:
        [due] = list(await uow.session.scalars(select(DueWork)))
    assert due.due_at == datetime(2026, 1, 6, 14, 30, tzinfo=UTC)


async def test_a_prompt_comes_then_the_next_is_scheduled(h: Harness) -> None:
    ana = await h.person("Ana")
    await opt_in(h, ana)
    mark = len(h.sender.deliveries)
    await h.tick(datetime(2026, 1, 6, 14, 30, tzinfo=UTC) - h.clock.now())
    [prompt] = (await prompts(h, ana, mark)).deliveries
    assert [b.label for b in prompt.body.buttons] == ["1", "2", "3", "4", "5",
                                                      "Rather not say"]
    assert "Ana" not in prompt.notification
    ana_id = await person_id(h, ana)
    async with h.runtime.db.transaction() as uow:
        saved = await uow.session.get(CheckinPlan, ana_id)
        assert saved is not None and saved.next_at == datetime(2026, 1, 13, 14, 30, tzinfo=UTC)


async def person_id(h: Harness, who: PersonRef) -> int:
    async with h.runtime.db.transaction() as uow:
        found = await uow.people.by_email(who.email)
        assert found is not None
        return found.id


async def test_an_answer_counts_once_and_not_after_the_next_prompt(h: Harness) -> None:
    ana = await h.person("Ana")
    await opt_in(h, ana)
    mark = len(h.sender.deliveries)
    await h.tick(datetime(2026, 1, 6, 14, 30, tzinfo=UTC) - h.clock.now())
    first = (await prompts(h, ana, mark)).card()
    good = await h.press(first.buttons[4], as_=ana)
    assert good.text() == "Good to hear. Keep doing what helps you."
    twice = await h.press(first.buttons[3], as_=ana)
    assert "already answered" in twice.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=7))
    second = (await prompts(h, ana, mark)).card()
    await h.tick(timedelta(days=7))  # a third arrives; the second was never answered
    late = await h.press(second.buttons[2], as_=ana)
    assert "has passed" in late.text()
    async with h.runtime.db.transaction() as uow:
        scores = [s.score for s in await uow.session.scalars(select(CheckinScore))]
    assert scores == ["5"]


async def test_low_answers_offer_people_and_then_the_assistance_program(h: Harness) -> None:
    ana = await h.person("Ana")
    await opt_in(h, ana, cadence="daily")
    replies = []
    for _ in range(3):
        mark = len(h.sender.deliveries)
        await h.tick(timedelta(days=1))
        prompt = (await prompts(h, ana, mark)).card()
        replies.append(await h.press(prompt.buttons[1], as_=ana))  # 2
    assert "Talking to someone can help" in replies[0].text()
    assert replies[0].button("menu.find")
    assert "Employee Assistance Program" not in replies[1].text()
    assert "Employee Assistance Program" in replies[2].text()


async def test_only_the_person_sees_their_trend_and_it_is_sealed(h: Harness) -> None:
    ana = await h.person("Ana")
    await opt_in(h, ana, cadence="daily")
    for score in (3, 4):
        mark = len(h.sender.deliveries)
        await h.tick(timedelta(days=1))
        prompt = (await prompts(h, ana, mark)).card()
        await h.press(prompt.buttons[score - 1], as_=ana)
    trend = await h.send("my check-ins", as_=ana)
    assert trend.card().title == "Your recent check-ins"
    assert "●●●○○ 3" in trend.text() and "●●●●○ 4" in trend.text()
    async with h.runtime.db.transaction() as uow:
        history = list(await uow.session.scalars(select(CheckinHistory)))
        scores = list(await uow.session.scalars(select(CheckinScore)))
    assert all(r.sealed.startswith("gAAAAA") for r in history)
    assert {(s.month, s.score) for s in scores} == {("2026-01", "3"), ("2026-01", "4")}
    bob = await h.person("Bob")
    odd = await h.press(Button("", "checkin.answer", "1|3"), as_=bob)  # Ana's first prompt
    assert odd.card().title == "Peerlink"


async def test_a_new_timezone_moves_the_schedule(h: Harness) -> None:
    ana = await h.person("Ana")
    saved = await opt_in(h, ana)
    assert saved
    settings = await h.send("settings", as_=ana)
    await h.submit(settings.form(), {"language": "en", "timezone": "Europe/Paris"}, as_=ana)
    async with h.runtime.db.transaction() as uow:
        dues = [d.due_at for d in await uow.session.scalars(
            select(DueWork).where(DueWork.status == "pending"))]
    assert dues == [datetime(2026, 1, 6, 8, 30, tzinfo=UTC)]  # 09:30 in Paris


async def test_pause_and_stop(h: Harness) -> None:
    ana = await h.person("Ana")
    await opt_in(h, ana)
    form = await h.press(Button("", "checkin.pause"), as_=ana)
    bad = await h.submit(form.form(), {"until": "yesterday"}, as_=ana)
    assert "a date after today" in bad.form().text
    paused = await h.submit(bad.form(), {"until": "2026-01-20"}, as_=ana)
    facts = {f.label: f.value for f in paused.card().facts}
    assert facts["Next check-in"] == "Tue 20 Jan, 09:30"
    assert facts["Paused until"] == "January 20, 2026"
    stopped = await h.press(Button("", "checkin.stop"), as_=ana)
    assert "Check-ins are stopped." in stopped.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=30))
    assert not (await prompts(h, ana, mark)).deliveries


async def test_bad_choices_change_nothing(h: Harness) -> None:
    ana = await h.person("Ana")
    start = await h.send("check-in", as_=ana)
    form = await h.press(start.button("checkin.edit"), as_=ana)
    for values in ({"cadence": "hourly", "weekday": "1", "at": "09:00"},
                   {"cadence": "weekly", "weekday": "6", "at": "09:00"},
                   {"cadence": "weekly", "weekday": "1", "at": "23:00"},
                   {"cadence": "weekly", "weekday": "1", "at": "9:00"}):
        again = await h.submit(form.form(), values, as_=ana)
        assert "Nothing was changed." in again.form().text
        form = again
    async with h.runtime.db.transaction() as uow:
        assert list(await uow.session.scalars(select(CheckinPlan))) == []


# --- when prompts come, directly ---------------------------------------------------

def plan(cadence: str, weekday: int = 0, at: str = "09:00", started: date = date(2026, 1, 5),
         paused_until: date | None = None) -> CheckinPlan:
    return CheckinPlan(person_id=1, cadence=cadence, weekday=weekday, at=at,
                       started_on=started, paused_until=paused_until, active=True)


def toronto() -> Person:
    return Person(id=1, country="CA", org_timezone="America/Toronto", timezone="")


def test_daily_prompts_skip_weekends_and_holidays() -> None:
    friday_noon = datetime(2026, 6, 26, 16, tzinfo=UTC)
    first = next_prompt(plan("daily"), toronto(), friday_noon, "CA")
    assert first == datetime(2026, 6, 29, 13, tzinfo=UTC)  # Monday 09:00 EDT
    tuesday_noon = datetime(2026, 6, 30, 16, tzinfo=UTC)
    assert next_prompt(plan("daily"), toronto(), tuesday_noon, "CA") == datetime(
        2026, 7, 2, 13, tzinfo=UTC)  # 1 July is Canada Day


def test_every_two_weeks_counts_from_the_start() -> None:
    p = plan("biweekly", weekday=2, started=date(2026, 1, 5))
    first = next_prompt(p, toronto(), MONDAY, "CA")
    second = next_prompt(p, toronto(), first + timedelta(minutes=1), "CA")
    assert first is not None and second is not None
    assert (first.date(), second.date()) == (date(2026, 1, 7), date(2026, 1, 21))


def test_daylight_saving_keeps_the_local_time() -> None:
    p = plan("weekly", weekday=0)
    before = next_prompt(p, toronto(), datetime(2026, 3, 1, tzinfo=UTC), "CA")
    after = next_prompt(p, toronto(), datetime(2026, 3, 8, 12, tzinfo=UTC), "CA")
    assert before == datetime(2026, 3, 2, 14, tzinfo=UTC)  # 09:00 EST
    assert after == datetime(2026, 3, 9, 13, tzinfo=UTC)  # 09:00 EDT


def test_a_pause_skips_to_the_day_it_ends() -> None:
    p = plan("daily", paused_until=date(2026, 1, 14))
    assert next_prompt(p, toronto(), MONDAY, "CA") == datetime(2026, 1, 14, 14, tzinfo=UTC)


async def test_the_program_office_sees_months_of_five_or_more_only(h: Harness) -> None:
    office = await h.person("Olivia")
    await h.make_program_office(office)
    async with h.runtime.db.transaction() as uow:
        for score in ("1", "4", "4", "5", "skip"):
            await uow.checkins.record(1, score, datetime(2026, 1, 3, tzinfo=UTC))
        for score in ("2", "3"):
            await uow.checkins.record(1, score, datetime(2025, 12, 3, tzinfo=UTC))
    shown = await h.send("check-in results", as_=office)
    facts = {f.label: f.value for f in shown.card().facts}
    assert facts == {"January 2026": "5 answers: 1 20% · 2 0% · 3 0% · 4 40% · 5 20% · "
                                     "rather not say 20%"}
    ana = await h.person("Ana")
    assert "didn't understand" in (await h.send("check-in results", as_=ana)).text()
