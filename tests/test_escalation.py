"""Escalation to a human on call: consent and imminent policies, the rota, timeouts,
acknowledgement, repeated triggers, debrief, audit and what the program office sees."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import (
    IMMINENT_CATEGORIES,
    DutyWindow,
    EscalationConfig,
    ProgramConfig,
    Responder,
    load_config,
)
from bot.crisis_lexicon import CATEGORIES
from bot.escalation import ACK_ACTION, DEBRIEF_ACTION, next_working_morning
from bot.messages import Priority
from bot.scheduling import housekeeping
from bot.ui import Button
from storage.db import Conflict, Database
from storage.models import Escalation, EscalationAlert
from tests.harness import Harness, PersonRef, Replies

# One message per policy case; both categories exist in every version of the lexicon.
IMMINENT_MESSAGE = "I have a loaded gun"  # weapons: an exception to confidentiality
THOUGHTS_MESSAGE = "I want to die"  # suicidal thoughts: contact only with consent
ALWAYS: tuple[DutyWindow, ...] = ()


def program(*rota: str, policy: str = "consent", **options: Any) -> ProgramConfig:
    responders = tuple(Responder(email, "America/Toronto", ALWAYS) for email in rota)
    escalation = EscalationConfig(policy=policy, rota=responders, **options)
    return dataclasses.replace(load_config(None), escalation=escalation)


class Team:
    """A person who may be in crisis, two responders and one program-office member."""

    def __init__(self, h: Harness, sam: PersonRef, ana: PersonRef, ben: PersonRef,
                 office: PersonRef) -> None:
        self.h, self.sam, self.ana, self.ben, self.office = h, sam, ana, ben, office


async def team(db: Database, *, policy: str = "consent", reachable: bool = True,
               **options: Any) -> Team:
    config = program("ana@example.com", "ben@example.com", policy=policy, **options)
    h = await Harness.start(db, config=config)
    sam = await h.person("Sam Okafor", email="sam@example.com")
    ana = await h.person("Ana Silva", email="ana@example.com")
    ben = await h.person("Ben Roy", email="ben@example.com", language="fr")
    office = await h.person("Olivia Office", email="office@example.com")
    await h.make_program_office(office)
    if reachable:  # Peerlink can reach people who have used it once
        for who in (ana, ben, office):
            await h.send("help", as_=who)
    return Team(h, sam, ana, ben, office)


async def escalations(db: Database) -> list[Escalation]:
    async with db.transaction() as uow:
        return list(await uow.session.scalars(select(Escalation).order_by(Escalation.id)))


async def alerts(db: Database) -> list[EscalationAlert]:
    async with db.transaction() as uow:
        return list(await uow.session.scalars(select(EscalationAlert)
                                              .order_by(EscalationAlert.id)))


def alert_cards(replies: Replies) -> list[int]:
    return [i for i, d in enumerate(replies.deliveries)
            if any(b.action == ACK_ACTION for b in getattr(d.body, "buttons", ()))]


def ack_button(t: Team, who: PersonRef, mark: int) -> Button:
    """The "I'll reach out" button of the first alert ``who`` received since ``mark``."""
    inbox = t.h.inbox(who, mark)
    return inbox.button(ACK_ACTION, alert_cards(inbox)[0])


async def ask_for_contact(t: Team, message: str = THOUGHTS_MESSAGE) -> Replies:
    crisis = await t.h.send(message, as_=t.sam)
    return await t.h.press(crisis.button("crisis.talk", 0), as_=t.sam)


# --- consent -------------------------------------------------------------------------------

async def test_under_consent_nobody_is_alerted_until_the_person_asks(database: Database) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    crisis = await t.h.send(THOUGHTS_MESSAGE, as_=t.sam)
    card = crisis.card(0)
    assert card.title == "You are not alone"
    assert "Talk to someone now" in card.text  # the offer the policy allows
    assert crisis.button("crisis.talk", 0).value == "suicide"
    assert not t.h.inbox(t.ana, mark) and await escalations(database) == []


async def test_talk_to_someone_alerts_the_first_responder_with_who_never_what(
    database: Database,
) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    asked = await ask_for_contact(t)
    assert asked.card().title == "Finding someone for you"
    assert "will tell you here as soon as someone confirms" in asked.card().text
    assert "will contact you soon" not in asked.text()  # not before someone acknowledged
    inbox = t.h.inbox(t.ana, mark)
    assert len(alert_cards(inbox)) == 1
    alert = inbox.card(alert_cards(inbox)[0])
    delivery = inbox.deliveries[alert_cards(inbox)[0]]
    assert delivery.priority is Priority.CRISIS
    assert "Sam" not in delivery.notification and "crisis" not in delivery.notification.lower()
    facts = {f.label: f.value for f in alert.facts}
    assert facts["Name"] == "Sam Okafor" and facts["Email"] == "sam@example.com"
    assert facts["Reach them on"] == "the web chat"
    assert facts["Emergency number there"] == "911"
    assert facts["What the screen saw"] == "Thoughts of suicide"
    assert "They asked to talk to someone now." in alert.text
    everything = " ".join([alert.text, *facts.values()])
    assert "want to die" not in everything.lower()
    assert not t.h.inbox(t.ben, mark) and not t.h.inbox(t.office, mark)
    [row] = await escalations(database)
    assert (row.category, row.reason, row.status) == ("suicide", "consent", "alerting")
    assert row.subject is not None and row.subject.startswith("gAAAAA")  # a Fernet token
    assert "person_id" not in row.subject


async def test_the_person_is_told_only_once_a_responder_acknowledges(database: Database) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    ack = ack_button(t, t.ana, mark)
    before = len(t.h.sender.deliveries)
    thanks = await t.h.press(ack, as_=t.ana)
    assert thanks.card(0).title == "Thank you"
    told = t.h.inbox(t.sam, before)
    assert told.card().title == "Someone is reaching out"
    assert "Ana Silva from our support team will contact you soon." in told.card().text
    assert told.priorities == [Priority.CRISIS]
    [row] = await escalations(database)
    assert row.status == "acknowledged" and row.acknowledged_at == t.h.clock.now()
    # The timeout was cancelled: nobody else is alerted later.
    await t.h.tick(timedelta(minutes=30))
    assert not t.h.inbox(t.ben, mark) and not t.h.inbox(t.office, mark)


async def test_pressing_again_after_acknowledgement_says_who_is_coming(
    database: Database,
) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    await t.h.press(ack_button(t, t.ana, mark), as_=t.ana)
    again = await ask_for_contact(t)
    assert "Ana Silva from our support team will contact you soon." in again.text()
    assert len(await escalations(database)) == 1


# --- the rota and timeouts -----------------------------------------------------------------

async def test_unacknowledged_goes_to_the_next_responder_then_the_program_office(
    database: Database,
) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    await t.h.tick(timedelta(minutes=4, seconds=59))
    assert not t.h.inbox(t.ben, mark)  # not yet
    await t.h.tick(timedelta(seconds=1))
    ben = t.h.inbox(t.ben, mark)
    assert len(alert_cards(ben)) == 1
    assert ben.card(alert_cards(ben)[0]).title == "Alerte de crise : contactez la personne"
    assert not t.h.inbox(t.office, mark)
    await t.h.tick(timedelta(minutes=5))
    office = t.h.inbox(t.office, mark)
    assert len(alert_cards(office)) == 1
    assert [a.role for a in await alerts(database)] == ["responder", "responder", "office"]
    # The first responder can still take it late; everyone else is told it is taken.
    before = len(t.h.sender.deliveries)
    await t.h.press(ack_button(t, t.ana, mark), as_=t.ana)
    assert "Ana Silva has taken the crisis alert" in t.h.inbox(t.office, before).text()
    assert "Ana Silva" in t.h.inbox(t.ben, before).text()


async def test_the_program_office_is_reminded_then_the_escalation_is_marked_unanswered(
    database: Database,
) -> None:
    t = await team(database, office_reminders=2)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    for _ in range(8):
        await t.h.tick(timedelta(minutes=5))
    office = t.h.inbox(t.office, mark)
    assert len(alert_cards(office)) == 3  # the alert and two reminders
    assert "Reminder: nobody has taken this alert yet." in office.card(alert_cards(office)[-1]).text
    [row] = await escalations(database)
    assert row.status == "unanswered" and row.round == 5


async def test_nobody_on_duty_goes_straight_to_the_program_office(database: Database) -> None:
    config = program(policy="consent")
    night = DutyWindow(frozenset(range(7)), time(22), time(23))
    config = dataclasses.replace(config, escalation=dataclasses.replace(
        config.escalation, rota=(Responder("ana@example.com", "UTC", (night,)),)))
    h = await Harness.start(database, config=config)
    sam = await h.person("Sam", email="sam@example.com")
    ana = await h.person("Ana", email="ana@example.com")
    office = await h.person("Olivia", email="office@example.com")
    await h.make_program_office(office)
    for who in (ana, office):
        await h.send("help", as_=who)
    mark = len(h.sender.deliveries)
    crisis = await h.send(THOUGHTS_MESSAGE, as_=sam)
    await h.press(crisis.button("crisis.talk", 0), as_=sam)
    assert not h.inbox(ana, mark)
    assert len(alert_cards(h.inbox(office, mark))) == 1


async def test_responders_who_cannot_be_reached_are_skipped(database: Database) -> None:
    t = await team(database, reachable=False)
    await t.h.send("help", as_=t.ben)  # only Ben has used Peerlink
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    assert len(alert_cards(t.h.inbox(t.ben, mark))) == 1
    assert [a.role for a in await alerts(database)] == ["responder"]


async def test_with_nobody_at_all_the_person_gets_the_lines_and_an_honest_word(
    database: Database,
) -> None:
    h = await Harness.start(database, config=program())
    sam = await h.person("Sam", email="sam@example.com")
    crisis = await h.send(THOUGHTS_MESSAGE, as_=sam)
    asked = await h.press(crisis.button("crisis.talk", 0), as_=sam)
    assert "Nobody from our support team can be reached right now" in asked.card(0).text
    assert asked.card(1).title == "You are not alone"
    assert asked.priorities == [Priority.CRISIS, Priority.CRISIS]
    [row] = await escalations(database)
    assert row.status == "unanswered"


# --- imminent policy and repeated triggers -------------------------------------------------

async def test_imminent_policy_alerts_at_once_for_the_exceptions(database: Database) -> None:
    t = await team(database, policy="imminent")
    mark = len(t.h.sender.deliveries)
    crisis = await t.h.send(IMMINENT_MESSAGE, as_=t.sam)
    assert crisis.card(0).title == "You are not alone"
    assert "I have alerted a trained person from our support team" in crisis.card(1).text
    assert crisis.priorities == [Priority.CRISIS, Priority.CRISIS]
    alert = t.h.inbox(t.ana, mark)
    assert len(alert_cards(alert)) == 1
    assert "They were not asked first" in alert.card(alert_cards(alert)[0]).text
    [row] = await escalations(database)
    assert (row.category, row.reason) == ("weapons", "imminent")


@pytest.mark.parametrize(("message", "category", "at_once"), [
    ("I'm going to jump off the bridge tonight", "plan", True),
    ("j'ai écrit ma lettre d'adieu", "plan", True),
    ("my neighbour's kid is being beaten", "child_abuse", True),
    ("I am going to hurt my manager", "harm_others", True),
    ("I took all my pills", "overdose", True),
    ("my colleague told me she wants to end her life", "third_party", True),
    (THOUGHTS_MESSAGE, "suicide", False),
    ("je veux mourir", "suicide", False),
    ("I keep cutting myself", "self_harm", False),
])
async def test_imminent_policy_alerts_at_once_only_for_the_exceptions(
    sqlite_db: Database, message: str, category: str, at_once: bool
) -> None:
    t = await team(sqlite_db, policy="imminent")
    mark = len(t.h.sender.deliveries)
    crisis = await t.h.send(message, as_=t.sam)
    assert crisis.button("crisis.talk", 0).value == category
    assert bool(alert_cards(t.h.inbox(t.ana, mark))) is at_once
    assert len(crisis) == (2 if at_once else 1)


async def test_repeated_triggers_make_one_escalation_but_every_message_gets_the_lines(
    database: Database,
) -> None:
    t = await team(database, policy="imminent")
    mark = len(t.h.sender.deliveries)
    for _ in range(6):
        crisis = await t.h.send(IMMINENT_MESSAGE, as_=t.sam)
        assert crisis.card(0).title == "You are not alone"
        t.h.clock.advance(timedelta(minutes=1))
    asked = await t.h.press(crisis.button("crisis.talk", 0), as_=t.sam)
    assert "I have already asked our support team" in asked.text()
    assert len(alert_cards(t.h.inbox(t.ana, mark))) == 1
    [row] = await escalations(database)
    assert row.triggers == 7


async def test_a_new_crisis_after_the_window_is_a_new_escalation(database: Database) -> None:
    t = await team(database, policy="imminent")
    mark = len(t.h.sender.deliveries)
    await t.h.send(IMMINENT_MESSAGE, as_=t.sam)
    await t.h.press(ack_button(t, t.ana, mark), as_=t.ana)
    t.h.clock.advance(timedelta(hours=2))
    await t.h.send(IMMINENT_MESSAGE, as_=t.sam)
    assert len(await escalations(database)) == 2


async def test_two_escalations_cannot_be_open_for_one_person(database: Database) -> None:
    h = await Harness.start(database, config=program())
    await h.person("Sam", email="sam@example.com")
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(Conflict):
        async with database.transaction() as uow:
            sam = await uow.people.by_email("sam@example.com")
            assert sam is not None
            await uow.escalations.open(sam.id, "suicide", "consent", now)
            await uow.escalations.open(sam.id, "suicide", "consent", now)


# --- acknowledgement edge cases ------------------------------------------------------------

async def test_only_an_alerted_person_can_take_an_alert(database: Database) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    ack = ack_button(t, t.ana, mark)
    forged = await t.h.press(ack, as_=t.sam)
    assert "sent to someone else" in forged.text()
    for value in ("", "abc", "99999", "1" * 40, "-1"):
        odd = await t.h.press(dataclasses.replace(ack, value=value), as_=t.ana)
        assert "no longer works" in odd.text()
    [row] = await escalations(database)
    assert row.status == "alerting"


async def test_the_second_to_acknowledge_learns_who_took_it(database: Database) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    await t.h.tick(timedelta(minutes=5))  # Ben is alerted too
    ana_ack = ack_button(t, t.ana, mark)
    ben_ack = t.h.inbox(t.ben, mark).button(ACK_ACTION, alert_cards(t.h.inbox(t.ben, mark))[0])
    await t.h.press(ben_ack, as_=t.ben)
    late = await t.h.press(ana_ack, as_=t.ana)
    assert "Ben Roy has already taken this alert" in late.text()
    again = await t.h.press(ben_ack, as_=t.ben)
    assert "Vous avez déjà pris cette alerte" in again.text()
    [row] = await escalations(database)
    assert row.status == "acknowledged"


# --- debrief, audit, privacy ---------------------------------------------------------------

def test_the_debrief_comes_on_the_next_working_morning() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Toronto")
    friday_night = datetime(2026, 3, 6, 23, 30, tzinfo=zone)
    assert next_working_morning(friday_night, zone) == datetime(2026, 3, 9, 9, tzinfo=zone)
    tuesday = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Monday evening in Toronto
    assert next_working_morning(tuesday, zone) == datetime(2026, 3, 10, 9, tzinfo=zone)


async def test_the_responder_gets_a_debrief_and_can_ask_the_office(database: Database) -> None:
    t = await team(database)
    mark = len(t.h.sender.deliveries)
    await ask_for_contact(t)
    await t.h.press(ack_button(t, t.ana, mark), as_=t.ana)
    before = len(t.h.sender.deliveries)
    # Monday 04:00 in Toronto: the note comes on Tuesday at 09:00 there (14:00 UTC).
    await t.h.tick(timedelta(hours=28, minutes=59))
    assert not t.h.inbox(t.ana, before)
    await t.h.tick(timedelta(minutes=1))
    debrief = t.h.inbox(t.ana, before)
    assert debrief.card().title == "After the crisis alert"
    assert "Employee Assistance Program" in debrief.card().text
    asked = await t.h.press(debrief.button(DEBRIEF_ACTION), as_=t.ana)
    assert "The program office will get in touch" in asked.text()
    note = t.h.inbox(t.office, before)
    assert "Ana Silva responded to a crisis alert and would like a debrief" in note.text()
    assert "Sam" not in note.text()


async def test_audit_keeps_when_category_who_alerted_and_acknowledged_never_text(
    database: Database,
) -> None:
    t = await team(database, policy="imminent")
    mark = len(t.h.sender.deliveries)
    await t.h.send(IMMINENT_MESSAGE + " right here", as_=t.sam)
    t.h.clock.advance(timedelta(minutes=3))
    await t.h.press(ack_button(t, t.ana, mark), as_=t.ana)
    [row] = await escalations(database)
    [alert] = await alerts(database)
    assert row.acknowledged_at is not None
    assert row.acknowledged_at - row.created_at == timedelta(minutes=3)
    assert alert.person_id == row.acknowledged_by
    async with database.transaction() as uow:
        dump = await uow.session.connection()
        raw = (await dump.exec_driver_sql("SELECT * FROM escalation")).all()
    assert "gun" not in repr(raw) and "right here" not in repr(raw)
    # A week after it settled, who it was about is forgotten; the audit stays.
    await housekeeping(database, t.h.clock)
    assert (await escalations(database))[0].subject is not None
    t.h.clock.advance(timedelta(days=8))
    await housekeeping(database, t.h.clock)
    [row] = await escalations(database)
    assert row.subject is None and row.subject_key is None and row.category == "weapons"


async def test_the_program_office_sees_counts_and_times_only(database: Database) -> None:
    t = await team(database, policy="imminent")
    report = await t.h.send("escalations", as_=t.office)
    assert "No escalations in this period." in report.text()
    others = [await t.h.person(f"P{i}", email=f"p{i}@example.com") for i in range(5)]
    mark = len(t.h.sender.deliveries)
    for person in others[:4]:
        await t.h.send(IMMINENT_MESSAGE, as_=person)
    report = await t.h.send("escalations", as_=t.office)
    assert [f.value for f in report.card().facts] == ["fewer than 5"]
    await t.h.send(IMMINENT_MESSAGE, as_=others[4])
    t.h.clock.advance(timedelta(minutes=2))
    for index in alert_cards(t.h.inbox(t.ana, mark)):
        await t.h.press(t.h.inbox(t.ana, mark).button(ACK_ACTION, index), as_=t.ana)
    report = await t.h.send("escalations", as_=t.office)
    [fact] = report.card().facts
    assert fact.label == "January 2026"
    assert fact.value == "5 escalations · 5 acknowledged · median 2.0 min to acknowledge"
    assert "P1" not in report.text() and "gun" not in report.text()
    # Anyone else: the command does not exist for them.
    assert "didn't understand" in (await t.h.send("escalations", as_=t.sam)).text()


# --- configuration -------------------------------------------------------------------------

def test_duty_windows_follow_the_responder_timezone_and_run_overnight() -> None:
    weekdays = frozenset(range(5))
    day = Responder("a@example.com", "America/Toronto",
                    (DutyWindow(weekdays, time(8), time(18)),))
    night = Responder("b@example.com", "Europe/Paris",
                      (DutyWindow(frozenset({4}), time(22), time(8)),))
    monday_9_toronto = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert day.on_duty(monday_9_toronto)
    assert not day.on_duty(datetime(2026, 1, 5, 23, 30, tzinfo=UTC))  # 18:30 in Toronto
    assert not day.on_duty(datetime(2026, 1, 10, 15, 0, tzinfo=UTC))  # Saturday
    assert night.on_duty(datetime(2026, 1, 9, 21, 30, tzinfo=UTC))  # Fri 22:30 Paris
    assert night.on_duty(datetime(2026, 1, 10, 6, 0, tzinfo=UTC))  # Sat 07:00 Paris
    assert not night.on_duty(datetime(2026, 1, 10, 8, 0, tzinfo=UTC))  # Sat 09:00
    assert not night.on_duty(datetime(2026, 1, 8, 22, 0, tzinfo=UTC))  # Thursday night
    # Daylight saving: 08:00 in Toronto is 13:00 UTC in summer.
    assert day.on_duty(datetime(2026, 7, 6, 12, 0, tzinfo=UTC))
    assert not day.on_duty(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))


def test_the_bundled_rota_and_policy_load() -> None:
    config = load_config(None)
    assert config.escalation.policy == "consent"
    assert config.escalation.ack_timeout == timedelta(minutes=5)
    assert config.escalation.rota[0].email == "amara.diallo@example.com"
    assert IMMINENT_CATEGORIES <= CATEGORIES


@pytest.mark.parametrize(("escalation", "message"), [
    ("policy: always", "policy must be one of consent, imminent"),
    ("ack_timeout_minutes: 0", "ack_timeout_minutes must be a whole number from 1 to 1440"),
    ("imminent_categories: [feelings]", "unknown category 'feelings'"),
    ("colour: red", "unknown key 'colour'"),
    ("rota: [{email: a@example.com, timezone: Mars/Base}]", "not a known timezone"),
    ("rota: [{email: nobody, timezone: UTC}]", "is not an email address"),
    ("rota: [{email: a@example.com, timezone: UTC, hours: [{from: '8', to: '17:00'}]}]",
     "from must be a quoted time"),
    ("rota: [{email: a@example.com, timezone: UTC, hours: [{from: 8:30, to: '17:00'}]}]",
     "from must be a quoted time"),
    ("rota: [{email: a@example.com, timezone: UTC, hours: [{days: [funday], from: '08:00', "
     "to: '17:00'}]}]", "days must be a list of: mon"),
    ("rota: [{email: a@example.com, timezone: UTC, hours: [{from: '08:00', to: '08:00'}]}]",
     "from and to must differ"),
    ("rota: [{email: a@example.com, timezone: UTC}, {email: A@example.com, timezone: UTC}]",
     "each person appears once"),
])
def test_a_bad_escalation_section_stops_start_up_with_what_is_wrong(
    tmp_path: Any, escalation: str, message: str
) -> None:
    from bot.errors import ConfigError

    bundled = (load_config.__globals__["files"]("bot") / "data" / "peerlink.yaml").read_text()
    head = bundled.split("\nescalation:")[0]
    path = tmp_path / "peerlink.yaml"
    path.write_text(head + "\nescalation:\n  " + escalation + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert "escalation" in str(caught.value)
