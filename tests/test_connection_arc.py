"""The arc of a connection: held or not, the four stages, more or end, the anonymous
survey and report, referrals with their follow-up, the seeker's own goals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from bot.config import load_config
from bot.ui import Button, Form
from storage.db import Database
from storage.models import SupportRequest, SurveyAnswer
from tests.harness import Harness, Replies
from tests.test_meetings import GRACE, SAM, book_first, button, card_with, demo
from tests.test_profile import grace_profile

END_OF_FIRST = datetime(2026, 1, 6, 18, 30, tzinfo=UTC)  # Tue 10:00-10:30 in Vancouver


@pytest.fixture
async def h(sqlite_db: Database) -> Harness:
    return await demo(sqlite_db)


async def hold_meeting(h: Harness, replies: Replies) -> Replies:
    """Let the meeting pass; the seeker says it happened. Returns the seeker's replies."""
    meeting_id = button(replies.card(0), "meeting.cancel").value
    mark = len(h.sender.deliveries)
    end = await meeting_end(h, int(meeting_id))
    await h.tick(end + timedelta(minutes=10) - h.clock.now())
    asked = card_with(h.inbox(SAM, mark), "meeting.held")
    assert "happen?" in asked.text
    return await h.press(button(asked, "meeting.held"), as_=SAM)


async def meeting_end(h: Harness, meeting_id: int) -> datetime:
    async with h.runtime.db.transaction() as uow:
        meeting = await uow.meetings.get(meeting_id)
        assert meeting is not None
        return meeting.ends_at


async def book_next(h: Harness) -> Replies:
    mine = await h.send("meetings", as_=SAM)
    slots = await h.press(button(card_with(mine, "meeting.slots"), "meeting.slots"), as_=SAM)
    return await h.press(button(slots.card(), "meeting.book"), as_=SAM)


async def test_a_held_meeting_is_counted_and_both_see_the_stage(h: Harness) -> None:
    _times, replies = await book_first(h)
    mark = len(h.sender.deliveries)
    held = await hold_meeting(h, replies)
    assert held.text() == "Stage 1 of 4: Building trust. Meetings held: 1."
    assert "Stage 1 of 4" in h.inbox(GRACE, mark).text()
    again = await h.press(Button("", "meeting.held", button(replies.card(0),
                                                             "meeting.cancel").value), as_=SAM)
    assert again.text() == "Already noted. Thank you."


async def test_only_the_seeker_says_whether_it_happened(h: Harness) -> None:
    _times, replies = await book_first(h)
    meeting_id = button(replies.card(0), "meeting.cancel").value
    refused = await h.press(Button("", "meeting.held", meeting_id), as_=GRACE)
    assert refused.card().title == "Peerlink"


async def test_a_missed_meeting_offers_another_time(h: Harness) -> None:
    _times, replies = await book_first(h)
    meeting_id = button(replies.card(0), "meeting.cancel").value
    await h.tick(END_OF_FIRST + timedelta(minutes=10) - h.clock.now())
    moved = await h.press(Button("", "meeting.missed", f"{meeting_id}|moved"), as_=SAM)
    assert "book another time" in moved.text()
    assert moved.button("meeting.slots")


async def test_after_the_second_meeting_a_no_ends_it_with_survey_and_report(
    h: Harness,
) -> None:
    _times, replies = await book_first(h)
    await hold_meeting(h, replies)
    second = await book_next(h)
    mark = len(h.sender.deliveries)
    held = await hold_meeting(h, second)
    asked = card_with(held, "connection.more")
    assert "Stage 2 of 4: Exchanging information and setting goals" in asked.text
    grace_asked = card_with(h.inbox(GRACE, mark), "connection.more")
    third = await book_next(h)  # booked, then the connection ends before it
    mark = len(h.sender.deliveries)
    await h.press(button(grace_asked, "connection.more", 1), as_=GRACE)  # "No"
    sam = h.inbox(SAM, mark)
    assert "Your connection with Grace Mensah has ended." in sam.text()
    assert "Stage 4 of 4: Ending. Meetings held: 2." in sam.text()
    survey = next(d.body for d in sam if isinstance(d.body, Form))
    assert [i.id for i in survey.inputs] == ["trust", "judged", "knowledge", "resources",
                                             "followed_up", "more"]
    report = next(d.body for d in h.inbox(GRACE, mark) if isinstance(d.body, Form))
    assert [i.id for i in report.inputs][:3] == ["category", "meetings", "referral"]
    async with h.runtime.db.transaction() as uow:
        [request] = list(await uow.session.scalars(select(SupportRequest)))
        assert request.status == "ended"
        meetings = await uow.meetings.of_requests([request.id])
    assert (await grace_profile(h)).load == 0
    assert [m.status for m in meetings] == ["booked", "booked", "cancelled"]
    assert third  # the third meeting was cancelled with the connection
    # The survey: answered once, anonymously, by program and month.
    answers = {"trust": "yes", "judged": "no", "knowledge": "yes", "resources": "skip",
               "followed_up": "yes", "more": "no"}
    bad = await h.submit(survey, {**answers, "trust": "maybe"}, as_=SAM)
    assert "choose from the lists" in bad.text()
    sent = await h.submit(survey, answers, as_=SAM)
    assert "nobody can tell they are yours" in sent.text()
    again = await h.submit(survey, answers, as_=SAM)
    assert "already sent, or has expired" in again.text()
    await h.submit(report, {"category": "grief", "meetings": "2", "referral": "no",
                            "training": "yes", "role": "somewhat"}, as_=GRACE)
    async with h.runtime.db.transaction() as uow:
        rows = list(await uow.session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id)))
    assert [(r.kind, r.program, r.month) for r in rows] == [
        ("seeker", "peer_support", "2026-01"), ("supporter", "peer_support", "2026-01")]
    assert rows[0].answers == answers
    columns = {c.key for c in sa_inspect(SurveyAnswer).columns}
    assert columns == {"id", "kind", "program", "month", "answers"}  # nobody in it


async def test_the_connection_ends_by_itself_at_the_cap(sqlite_db: Database) -> None:
    h = await demo(sqlite_db, dataclasses.replace(load_config(None), meetings_cap=2))
    _times, replies = await book_first(h)
    await hold_meeting(h, replies)
    second = await book_next(h)
    held = await hold_meeting(h, second)
    assert "That was the last meeting" in held.text()
    assert "Your connection with Grace Mensah has ended." in held.text()


async def test_a_referral_reaches_the_seeker_and_the_supporter_follows_up(h: Harness) -> None:
    await book_first(h)
    mine = await h.send("meetings", as_=GRACE)
    offer = await h.press(button(card_with(mine, "connection.resources"),
                                 "connection.resources"), as_=GRACE)
    mark = len(h.sender.deliveries)
    sent = await h.press(button(offer.card(), "connection.refer", 2), as_=GRACE)
    assert sent.text() == "Sent to Sam Okafor."
    got = h.inbox(SAM, mark).card()
    assert got.title == "Return-to-work planning guide"
    assert "Grace Mensah thought this could help you:" in got.text
    async with h.runtime.db.transaction() as uow:
        [request] = list(await uow.session.scalars(select(SupportRequest)))
        assert request.referrals == 1
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=7))
    assert "A week ago you sent Sam Okafor" in h.inbox(GRACE, mark).text()
    refused = await h.press(button(offer.card(), "connection.refer", 0), as_=SAM)
    assert refused.card().title == "Peerlink"  # only the supporter refers


async def test_goals_are_the_seekers_alone_unless_shared(h: Harness) -> None:
    await book_first(h)
    mine = await h.send("meetings", as_=SAM)
    form = await h.press(button(card_with(mine, "goals.show"), "goals.show"), as_=SAM)
    saved = await h.submit(form.form(), {"goal": "Ask for a flexible schedule",
                                         "barriers": "I worry about how it looks"}, as_=SAM)
    assert "Your goals are saved." in saved.text()
    async with h.runtime.db.transaction() as uow:
        conn = await uow.session.connection()
        dump = repr((await conn.exec_driver_sql("SELECT goals FROM support_request")).all())
    assert "flexible" not in dump  # sealed
    rid = saved.button("goals.share").value
    assert (await h.press(Button("", "goals.show", rid), as_=GRACE)).card().title == "Peerlink"
    mark = len(h.sender.deliveries)
    await h.press(saved.button("goals.share"), as_=SAM)
    shared = h.inbox(GRACE, mark).card()
    assert "Sam Okafor shared their goal with you:" in shared.text
    assert "Ask for a flexible schedule" in shared.text and "worry" not in shared.text
    again = await h.press(Button("", "goals.show", rid), as_=SAM)
    assert again.form().inputs[3].initial == "I worry about how it looks"



def test_survey_results_never_show_fewer_than_five() -> None:
    from bot.connections import survey_summary

    def answers(n: int, trust: str = "yes") -> list[dict[str, str]]:
        return [{"trust": trust, "judged": "no"} for _ in range(n)]

    months = ["2026-03", "2026-02", "2026-01", "2025-12"]
    rows = ([("2026-03", a) for a in answers(6)] + [("2026-02", a) for a in answers(3)]
            + [("2026-01", a) for a in answers(1, "no")])
    shown = survey_summary(lambda s: s, rows, months, "en")
    assert shown == [("March 2026", "6 answers · Did you build a safe, trusting "
                                    "relationship? yes 100% · Did you feel judged? yes 0%")]
    rows += [("2025-12", a) for a in answers(2)]  # the small months now reach five together
    shown = survey_summary(lambda s: s, rows, months, "en")
    assert [label for label, _ in shown] == ["March 2026", "Other months together"]
    assert shown[1][1].startswith("6 answers")


async def test_only_the_program_office_sees_survey_results(h: Harness) -> None:
    assert "didn't understand" in (await h.send("surveys", as_=SAM)).text()
    office = (await h.person("Olivia", email="olivia@example.com"))
    await h.make_program_office(office)
    results = await h.send("sondages", as_=office)
    assert results.card().title == "Survey results"
    assert "Not enough answers yet" in results.text()
