"""Escalation of a crisis to a human on call, as the program's policy says.

An escalation starts when a person in crisis asks for contact ("Talk to someone
now"), or, under the ``imminent`` policy, at once for the exceptions to
confidentiality (imminent harm to self or others, child abuse). Then:

1. the first on-call responder on duty who can be reached gets a direct message
   saying who needs contact and how to reach them, never what they wrote, with an
   "I'll reach out" button;
2. unacknowledged after ``ack_timeout`` it goes to the next responder on duty,
   then to every program-office member, who are reminded a few times;
3. the first to acknowledge takes it: the person is told, only now, that someone
   will reach out; the others are told it is taken; the responder gets a debrief
   and self-care prompt on their next working morning.

Repeated crisis messages from one person within ``repeat_window`` join the
escalation already under way: every message still gets the crisis lines, but
responders are alerted once. Every step is audited (when, category, who was
alerted, who acknowledged); the program office sees counts and times only.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.aggregates import MIN_GROUP, month_name
from bot.config import ProgramConfig
from bot.crisis import crisis_card
from bot.crisis_lexicon import CATEGORIES
from bot.i18n import N_, Catalogs, Gettext
from bot.messages import Outbound, Platform, Priority
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.support import lang_of, name_of
from bot.text import as_id
from bot.turn import Turn
from bot.ui import Button, Card, Fact
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.escalations import ACKNOWLEDGED, ALERTING
from storage.models import Escalation, EscalationAlert, Person

log = logging.getLogger("peerlink.escalation")

TIMEOUT, DEBRIEF = "escalation.timeout", "escalation.debrief"
ACK_ACTION, DEBRIEF_ACTION = "escalation.ack", "escalation.debrief"
RESPONDER, OFFICE = "responder", "office"
CONSENT, IMMINENT = "consent", "imminent"

CATEGORY_LABELS: Mapping[str, str] = {
    "suicide": N_("Thoughts of suicide"),
    "plan": N_("A plan or means to end their life"),
    "self_harm": N_("Self-harm"),
    "harm_others": N_("Risk of harming others"),
    "danger": N_("Immediate danger or domestic violence"),
    "child_abuse": N_("Child abuse or neglect"),
    "overdose": N_("Overdose"),
    "weapons": N_("Weapons"),
    "third_party": N_("Worried about someone else at risk"),
    "": N_("Asked to talk to someone"),
}
_PLATFORM_NAMES = {
    Platform.SLACK.value: "Slack",
    Platform.TEAMS.value: "Microsoft Teams",
    Platform.WEB.value: N_("the web chat"),
    Platform.CONSOLE.value: N_("the terminal"),
}


class Outcome(Enum):
    STARTED = "started"  # responders are being alerted
    UNDER_WAY = "under way"  # one was already under way for this person
    ACKNOWLEDGED = "acknowledged"  # and someone already said they will reach out
    NOBODY = "nobody"  # no responder and no program office to alert


@dataclass(frozen=True)
class Escalated:
    outcome: Outcome
    alerts: tuple[Outbound, ...] = ()
    responder: str = ""  # who acknowledged, when someone did


@dataclass(frozen=True)
class OnCall:
    """The escalation rules, with what they need to write to people in their language."""

    config: ProgramConfig
    catalogs: Catalogs

    async def escalate(
        self, uow: UnitOfWork, person: Person, category: str, reason: str, now: datetime
    ) -> Escalated:
        """Start an escalation for ``person``, or join the one under way."""
        policy = self.config.escalation
        recent = await uow.escalations.recent_for(person.id, now - policy.repeat_window)
        if recent is not None:
            recent.triggers += 1
            recent.last_trigger_at = now
            if recent.status == ACKNOWLEDGED and recent.acknowledged_by is not None:
                responder = await uow.people.get(recent.acknowledged_by)
                return Escalated(Outcome.ACKNOWLEDGED,
                                 responder=name_of(responder) if responder else "")
            if recent.status == ALERTING:
                return Escalated(Outcome.UNDER_WAY)
        escalation = await uow.escalations.open(person.id, category, reason, now)
        alerts = await self._alert_next(uow, escalation, person, now)
        if not alerts:
            return Escalated(Outcome.NOBODY)
        # Who it is about stays out of the log; the id is enough to follow it.
        log.warning("escalation started", extra={"escalation_id": escalation.id,
                                                  "category": category, "reason": reason})
        return Escalated(Outcome.STARTED, tuple(alerts))

    async def _alert_next(
        self, uow: UnitOfWork, escalation: Escalation, subject: Person, now: datetime
    ) -> list[Outbound]:
        """Alert the next responder on duty, else the program office; schedule the timeout.

        Returns the alerts to send; none means nobody is left, and the escalation is
        marked unanswered.
        """
        alerted = await uow.escalations.alerted(escalation.id)
        done = {a.person_id for a in alerted}
        platforms = sorted({i.platform for i in await uow.people.identities_of(subject.id)})
        about = Subject(subject, tuple(platforms))
        for responder in await self._responders_on_duty(uow, now):
            if responder.id not in done and responder.id != subject.id:
                await uow.escalations.alert(escalation, [responder.id], RESPONDER, now)
                await self._schedule_timeout(uow, escalation, now)
                return [self._alert(escalation, about, responder, now, reminder=False)]
        office = [p for p in await uow.people.program_office() if p.id != subject.id]
        office_rounds = len({a.round for a in alerted if a.role == OFFICE})
        if office and office_rounds <= self.config.escalation.office_reminders:
            await uow.escalations.alert(escalation, [p.id for p in office], OFFICE, now)
            await self._schedule_timeout(uow, escalation, now)
            return [self._alert(escalation, about, p, now, reminder=office_rounds > 0)
                    for p in office]
        await uow.escalations.unanswered(escalation, now)
        log.critical("escalation unanswered: nobody left to alert",
                     extra={"escalation_id": escalation.id, "rounds": escalation.round})
        return []

    async def _responders_on_duty(self, uow: UnitOfWork, now: datetime) -> list[Person]:
        """People on the rota on duty now, in rota order, who can be reached."""
        on_duty = self.config.escalation.on_duty(now)
        known = await uow.people.by_emails([r.email for r in on_duty])
        people = [known[r.email] for r in on_duty if r.email in known]
        reachable = await uow.people.reachable([p.id for p in people])
        for position, r in enumerate(on_duty, 1):
            if r.email not in known or known[r.email].id not in reachable:
                log.warning("on-call responder cannot be reached", extra={"rota": position})
        return [p for p in people if p.id in reachable]

    async def _schedule_timeout(self, uow: UnitOfWork, escalation: Escalation,
                                now: datetime) -> None:
        await uow.due.schedule(
            TIMEOUT, f"escalation:{escalation.id}:{escalation.round}",
            now + self.config.escalation.ack_timeout,
            {"escalation_id": escalation.id, "round": escalation.round},
        )

    def _alert(self, escalation: Escalation, subject: Subject, to: Person,
               now: datetime, *, reminder: bool) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        return Outbound(
            person_id=to.id,
            body=alert_card(_, lang, self.config, escalation, subject, now, reminder=reminder),
            notification=_("Urgent: a Peerlink alert needs you"),
            priority=Priority.CRISIS,
            lang=lang,
        )

    async def timeout(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                      ) -> Sequence[Outbound]:
        """Nobody acknowledged in time: on to the next responder, then the office."""
        escalation = await uow.escalations.get(int(work.payload["escalation_id"]), lock=True)
        if (escalation is None or escalation.status != ALERTING
                or escalation.round != int(work.payload["round"])):
            return []  # acknowledged, or a later round is already running
        subject_id = uow.escalations.subject_of(escalation)
        subject = await uow.people.get(subject_id) if subject_id is not None else None
        if subject is None:  # they asked to be forgotten in the meantime
            await uow.escalations.unanswered(escalation, now)
            return []
        log.warning("escalation not acknowledged in time",
                    extra={"escalation_id": escalation.id, "rounds": escalation.round})
        return await self._alert_next(uow, escalation, subject, now)

    async def debrief(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                      ) -> Sequence[Outbound]:
        """The next working morning: thanks, a debrief offer and a self-care reminder."""
        responder = await uow.people.get(int(work.payload["person_id"]))
        if responder is None:
            return []
        lang = lang_of(responder)
        _ = self.catalogs.gettext(lang)
        card = Card(
            title=_("After the crisis alert"),
            text="\n\n".join([
                _("Thank you for responding to a crisis alert. Supporting someone in "
                  "crisis can stay with you for a while."),
                _("A short debrief with the program office helps: what went well, what "
                  "was hard, and anything you need. Ask for one below."),
                _("Look after yourself today: take a real break, talk to someone you "
                  "trust, and remember that the {eap} is there for you too ({contact})."
                  ).format(eap=self.config.eap_name(lang), contact=self.config.eap_contact),
            ]),
            buttons=(Button(_("Ask for a debrief"), DEBRIEF_ACTION,
                            value=str(work.payload["escalation_id"]), style="primary"),),
        )
        return [Outbound(responder.id, card, _("A message from Peerlink"),
                         Priority.NOTIFICATION, lang=lang)]

    def due_handlers(self) -> dict[str, DueHandler]:
        return {TIMEOUT: self.timeout, DEBRIEF: self.debrief}


@dataclass(frozen=True)
class Subject:
    """Who needs contact, and the platforms they use Peerlink on."""

    person: Person
    platforms: tuple[str, ...]


def alert_card(_: Gettext, lang: str, config: ProgramConfig, escalation: Escalation,
               subject: Subject, now: datetime, *, reminder: bool) -> Card:
    """Who needs contact and how to reach them: never what they wrote."""
    person = subject.person
    lines = config.lines_for(person.country or "")
    zone = zone_of(person)
    local = format_datetime(now.astimezone(zone), "EEE HH:mm", locale=lang)
    facts = [
        Fact(_("Name"), person.display_name or _("(no name in the directory)")),
        Fact(_("Email"), person.email or "—"),
        Fact(_("Reach them on"), platform_names(_, subject.platforms) or "—"),
        Fact(_("Their local time"), f"{local} ({zone.key})"),
        Fact(_("Emergency number there"), lines.emergency or _("the local emergency number")),
        Fact(_("What the screen saw"), _(CATEGORY_LABELS.get(escalation.category, ""))),
    ]
    if escalation.reason == CONSENT:
        why = _("They asked to talk to someone now.")
    else:
        why = _("They were not asked first: the program's policy allows it for imminent "
                "danger or child abuse.")
    lead = (_("Reminder: nobody has taken this alert yet.") if reminder
            else _("Someone needs a person to contact them now."))
    return Card(
        title=_("Crisis alert: please reach out now"),
        text="\n\n".join([
            lead,
            why + " " + _("They already have the crisis lines. Contact them directly "
                          "(a call or a direct message), then press the button so nobody "
                          "else is alerted. If they are in immediate danger, call the "
                          "emergency number."),
            _("This alert holds no message content, and should not be shared."),
        ]),
        facts=tuple(facts),
        buttons=(Button(_("I'll reach out"), ACK_ACTION, value=str(escalation.id),
                        style="primary"),),
    )


async def escalate_for_crisis(turn: Turn, category: str) -> list[Outbound]:
    """After a crisis reply: escalate at once when the policy says so without consent."""
    if not turn.config.escalation.without_consent(category):
        return []
    found = await OnCall(turn.config, turn.catalogs).escalate(
        turn.uow, turn.person, category, IMMINENT, turn.now)
    _ = turn.gettext
    if found.outcome is Outcome.STARTED:
        note = _("Because your safety comes first, I have alerted a trained person from our "
                 "support team. I will tell you here as soon as they confirm they are "
                 "reaching out.")
        return [turn.reply(Card(text=note), priority=Priority.CRISIS), *found.alerts]
    if found.outcome is Outcome.ACKNOWLEDGED:
        return [turn.reply(Card(text=_acknowledged_text(_, found.responder)),
                           priority=Priority.CRISIS)]
    return []


async def talk_now(turn: Turn) -> list[Outbound]:
    """"Talk to someone now": the person's consent to be contacted by a human."""
    _ = turn.gettext
    category = turn.value
    category = category if category in CATEGORIES else ""
    found = await OnCall(turn.config, turn.catalogs).escalate(
        turn.uow, turn.person, category, CONSENT, turn.now)
    emergency = turn.config.lines_for(turn.person.country or "").emergency
    danger = (_("If you are in immediate danger, call {emergency} now.").format(
        emergency=emergency) if emergency
        else _("If you are in immediate danger, call your local emergency number now."))
    if found.outcome is Outcome.NOBODY:
        lead = _("Nobody from our support team can be reached right now. The lines below "
                 "can talk with you now, any time of day.")
        card = crisis_card(turn)
        return [turn.reply(Card(text=lead), priority=Priority.CRISIS),
                turn.reply(card, priority=Priority.CRISIS)]
    if found.outcome is Outcome.ACKNOWLEDGED:
        text = _acknowledged_text(_, found.responder)
    elif found.outcome is Outcome.UNDER_WAY:
        text = _("I have already asked our support team. I will tell you here as soon as "
                 "someone confirms they are reaching out.") + " " + danger
    else:
        text = _("I am asking a trained person from our support team to contact you. I will "
                 "tell you here as soon as someone confirms. While you wait, the crisis "
                 "lines are open now.") + " " + danger
    card = Card(title=_("Finding someone for you"), text=text)
    return [turn.reply(card, priority=Priority.CRISIS), *found.alerts]


def _acknowledged_text(_: Gettext, responder: str) -> str:
    return _("{name} from our support team will contact you soon. If you are in immediate "
             "danger, call your emergency number now.").format(name=responder or _("Someone"))


async def acknowledge(turn: Turn) -> list[Outbound]:
    """"I'll reach out": the first alerted person to press it takes the escalation."""
    from bot.flows.menu import not_understood

    _ = turn.gettext
    value = turn.value
    escalation = await _named_escalation(turn, value)
    if escalation is None:
        return list(await not_understood(turn))
    alerts = await turn.uow.escalations.alerted(escalation.id)
    if turn.person.id not in {a.person_id for a in alerts}:
        return [turn.reply(Card(text=_("This alert was sent to someone else, so nothing "
                                       "was changed.")))]
    if not await turn.uow.escalations.acknowledge(escalation.id, turn.person.id, turn.now):
        if escalation.acknowledged_by == turn.person.id:
            return [turn.reply(Card(text=_("You have already taken this alert. Thank you.")))]
        other = (await turn.uow.people.get(escalation.acknowledged_by)
                 if escalation.acknowledged_by else None)
        return [turn.reply(Card(text=_("{name} has already taken this alert, so there is "
                                       "nothing more to do. Thank you for answering.").format(
            name=name_of(other) if other else _("Someone"))))]
    await turn.uow.due.cancel(f"escalation:{escalation.id}:{escalation.round}")
    waited = turn.now - escalation.created_at
    log.warning("escalation acknowledged", extra={
        "escalation_id": escalation.id, "seconds": int(waited.total_seconds())})
    outbound = [turn.reply(Card(
        title=_("Thank you"),
        text=_("They will be told that you will contact them. Please reach out now. "
               "On your next working morning I will send you a short note about a debrief and "
               "self-care."),
    ), priority=Priority.CRISIS)]
    subject_id = turn.uow.escalations.subject_of(escalation)
    subject = await turn.uow.people.get(subject_id) if subject_id is not None else None
    if subject is not None:
        outbound.append(_tell_subject(turn, subject))
    outbound += await _tell_others(turn, alerts)
    await _schedule_debrief(turn, escalation)
    return outbound


async def _named_escalation(turn: Turn, value: str) -> Escalation | None:
    """The escalation a button names, if the value is a plausible id."""
    escalation_id = as_id(value)
    return await turn.uow.escalations.get(escalation_id) if escalation_id is not None else None


def _tell_subject(turn: Turn, subject: Person) -> Outbound:
    lang = lang_of(subject)
    _ = turn.catalogs.gettext(lang)
    emergency = turn.config.lines_for(subject.country or "").emergency
    text = _("{name} from our support team will contact you soon.").format(
        name=name_of(turn.person))
    text += " " + (_("If you are in immediate danger, call {emergency} now.").format(
        emergency=emergency) if emergency
        else _("If you are in immediate danger, call your local emergency number now."))
    return Outbound(subject.id, Card(title=_("Someone is reaching out"), text=text),
                    _("New message from Peerlink"), Priority.CRISIS, lang=lang)


async def _tell_others(turn: Turn, alerts: Sequence[EscalationAlert]) -> list[Outbound]:
    """Everyone else alerted: no need to act any more."""
    others = sorted({a.person_id for a in alerts
                     if a.person_id is not None and a.person_id != turn.person.id})
    outbound = []
    for person_id in others:
        person = await turn.uow.people.get(person_id)
        if person is None:
            continue
        lang = lang_of(person)
        _ = turn.catalogs.gettext(lang)
        text = _("{name} has taken the crisis alert you received. Nothing more is needed "
                 "from you. Thank you.").format(name=name_of(turn.person))
        outbound.append(Outbound(person.id, Card(text=text), _("A message from Peerlink"),
                                 Priority.CRISIS, lang=lang))
    return outbound


async def _schedule_debrief(turn: Turn, escalation: Escalation) -> None:
    zone = zone_of(turn.person)
    await turn.uow.due.schedule(
        DEBRIEF, f"escalation:{escalation.id}:debrief",
        next_working_morning(turn.now, zone),
        {"escalation_id": escalation.id, "person_id": turn.person.id},
    )


async def ask_debrief(turn: Turn) -> list[Outbound]:
    """The responder asks the program office for a debrief: the office learns who asked,
    never who was in crisis."""
    office = [p for p in await turn.uow.people.program_office() if p.id != turn.person.id]
    outbound = [_debrief_request(turn, member) for member in office]
    _ = turn.gettext
    if outbound:
        reply = _("Thank you. The program office will get in touch with you for a debrief.")
    else:
        reply = _("No program office is set up in Peerlink yet. Please ask your manager or "
                  "the employee assistance program for a debrief.")
    return [turn.reply(Card(text=reply)), *outbound]


def _debrief_request(turn: Turn, member: Person) -> Outbound:
    lang = lang_of(member)
    _ = turn.catalogs.gettext(lang)
    text = _("{name} responded to a crisis alert and would like a debrief. Please get in "
             "touch with them.").format(name=name_of(turn.person))
    if turn.person.email:
        text += " " + turn.person.email
    return Outbound(member.id, Card(title=_("Debrief requested"), text=text),
                    _("A message from Peerlink"), Priority.NOTIFICATION, lang=lang)


def next_working_morning(now: datetime, zone: ZoneInfo, hour: int = 9) -> datetime:
    """9:00 on the next weekday after ``now``, in ``zone``."""
    day = now.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone)


async def on_call_status(uow: UnitOfWork, config: ProgramConfig, now: datetime) -> str:
    """For /healthz: "ok" when a responder on duty can be reached now."""
    on_duty = config.escalation.on_duty(now)
    if not on_duty:
        return "nobody on duty"
    known = await uow.people.by_emails([r.email for r in on_duty])
    if not await uow.people.reachable([p.id for p in known.values()]):
        return "no responder on duty can be reached"
    return "ok"


async def report(turn: Turn) -> list[Outbound]:
    """For the program office: escalations per month, with acknowledgement times."""
    from bot.flows.menu import not_understood

    if not turn.person.program_office:
        return list(await not_understood(turn))
    _ = turn.gettext
    start = (turn.now - timedelta(days=180)).replace(day=1, hour=0, minute=0, second=0,
                                                     microsecond=0)
    records = await turn.uow.escalations.since(start)
    months: dict[str, list[float | None]] = {}
    for r in records:
        waited = ((r.acknowledged_at - r.created_at).total_seconds() / 60
                  if r.acknowledged_at else None)
        months.setdefault(r.created_at.strftime("%Y-%m"), []).append(waited)
    facts = [Fact(month_name(month, turn.lang), _month_summary(_, waits, turn.lang))
             for month, waits in sorted(months.items(), reverse=True)]
    text = _("Crisis escalations over the last six months. Months with fewer than {n} are "
             "not shown, so nobody can be recognised. Only counts and times are kept: never "
             "who, never what was written.").format(n=MIN_GROUP)
    if not facts:
        text += "\n\n" + _("No escalations in this period.")
    return [turn.reply(Card(title=_("Escalations"), text=text, facts=tuple(facts)))]


def _month_summary(_: Gettext, waits: list[float | None], lang: str) -> str:
    if len(waits) < MIN_GROUP:
        return _("fewer than {n}").format(n=MIN_GROUP)
    answered = [w for w in waits if w is not None]
    parts = [_("{count} escalations").format(count=len(waits)),
             _("{count} acknowledged").format(count=len(answered))]
    if answered:
        parts.append(_("median {minutes} min to acknowledge").format(
            minutes=round(statistics.median(answered), 1)))
    return " · ".join(parts)


def platform_names(_: Gettext, platforms: Sequence[str]) -> str:
    return ", ".join(_(_PLATFORM_NAMES.get(p, p)) for p in platforms)

