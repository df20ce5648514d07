"""The arc of a connection: meetings held, the four stages, ending, surveys, referrals.

- Ten minutes after a meeting ends the seeker is asked whether it happened.
- Held meetings are counted per connection and give its stage: building trust (1),
  exchanging information and setting goals (2), working towards goals or
  referring (3 and more), ending (once it ends). Both see it.
- From the second held meeting on, both are asked whether more are needed. A "no"
  from either ends the connection; at the program's cap it ends by itself.
- Ending frees the supporter's place, cancels meetings still to come, and sends the
  seeker the anonymous survey and the supporter the statistical report and their
  own questions: forms keyed by one-time tokens that name nobody, whose answers
  are kept by program and month only.
- A supporter can send a resource from the catalogue (a referral); a week later
  they are prompted to follow up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.aggregates import MIN_GROUP, month_name
from bot.config import ProgramConfig
from bot.i18n import N_, Catalogs, Gettext
from bot.meetings import Connection, Meetings, when
from bot.messages import Outbound, Priority
from bot.scheduling import DueHandler
from bot.support import lang_of, name_of
from bot.ui import Button, Card, ChoiceInput, Form, Option
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.meetings import BOOKED
from storage.models import Meeting, Person
from storage.support import ENDED

AFTER, FOLLOW_UP = "meeting.after", "referral.followup"
ASKED_AFTER = timedelta(minutes=10)
FOLLOW_UP_AFTER = timedelta(days=7)
SURVEY_VALID = timedelta(days=30)
STAGES = (
    N_("Building trust"),
    N_("Exchanging information and setting goals"),
    N_("Working towards goals, or referring to resources"),
    N_("Ending"),
)
# The seeker's survey (PROGRAM_RULES.md) and the supporter's own questions.
SEEKER_QUESTIONS = (
    ("trust", N_("Did you build a safe, trusting relationship?")),
    ("judged", N_("Did you feel judged?")),
    ("knowledge", N_("Did your supporter have the knowledge and experience to help?")),
    ("resources", N_("If you were referred, were the resources useful?")),
    ("followed_up", N_("Did your supporter follow up?")),
    ("more", N_("Did you need more than two meetings?")),
)
SUPPORTER_QUESTIONS = (
    ("training", N_("Did your training prepare you?")),
    ("role", N_("Were you able to fulfil your role?")),
)
YES_NO = (("yes", N_("Yes")), ("no", N_("No")), ("skip", N_("Rather not say")))
SOMEWHAT = (("yes", N_("Yes")), ("somewhat", N_("Somewhat")), ("no", N_("No")))


def stage(held: int, ended: bool) -> int:
    """1 to 4 (see ``STAGES``)."""
    if ended:
        return 4
    return 1 if held <= 1 else 2 if held == 2 else 3


class Arc:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs
        self.meetings = Meetings(config, catalogs)

    async def held(self, uow: UnitOfWork, request_id: int) -> int:
        found = await uow.meetings.of_requests([request_id])
        return sum(1 for m in found if m.outcome == "held")

    def stage_text(self, _: Gettext, held: int, ended: bool) -> str:
        n = stage(held, ended)
        return _("Stage {n} of 4: {stage}. Meetings held: {held}.").format(
            n=n, stage=_(STAGES[n - 1]), held=held)

    async def schedule_after(self, uow: UnitOfWork, meeting: Meeting) -> None:
        await uow.due.schedule(AFTER, f"meeting:{meeting.id}:{meeting.sequence}:after",
                               meeting.ends_at + ASKED_AFTER,
                               {"meeting_id": meeting.id, "sequence": meeting.sequence})

    async def ask_if_held(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                          ) -> Sequence[Outbound]:
        meeting = await uow.meetings.get(int(work.payload["meeting_id"]))
        if (meeting is None or meeting.status != BOOKED or meeting.outcome
                or meeting.sequence != int(work.payload["sequence"])):
            return []
        c = await self.meetings.connection(uow, meeting.request_id)
        if c is None:
            return []
        lang = lang_of(c.seeker)
        _ = self.catalogs.gettext(lang)
        mid = str(meeting.id)
        card = Card(
            text=_("Did your private conversation with {name} on {when} happen?").format(
                name=name_of(c.supporter), when=when(meeting.starts_at, c.seeker, lang)),
            buttons=(Button(_("Yes"), "meeting.held", mid, style="primary"),
                     Button(_("No"), "meeting.missed", mid),
                     Button(_("It was moved"), "meeting.missed", f"{mid}|moved")),
        )
        return [Outbound(c.seeker.id, card, _("New message from Peerlink"),
                         Priority.NOTIFICATION, lang=lang)]

    def more_card(self, c: Connection, to: Person, held: int) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        rid = str(c.request.id)
        text = "\n\n".join([
            self.stage_text(_, held, ended=False),
            _("Are more meetings needed? If either of you says no, the connection ends "
              "kindly, with a short anonymous questionnaire."),
        ])
        return Outbound(to.id, Card(text=text, buttons=(
            Button(_("Yes, more meetings"), "connection.more", f"{rid}|{held}|yes"),
            Button(_("No, we can end here"), "connection.more", f"{rid}|{held}|no"))),
            _("New message from Peerlink"), Priority.REPLY, lang=lang)

    async def end(self, uow: UnitOfWork, c: Connection, now: datetime) -> list[Outbound]:
        """End a connection: free the place, cancel what is booked, send the forms."""
        if not await uow.support.finish(c.request.id, ENDED, now):
            return []
        await uow.support.free_slot(c.profile.id)
        for meeting in await uow.meetings.of_requests([c.request.id]):
            if meeting.status == BOOKED and meeting.starts_at > now:
                await self.meetings.cancel_reminders(uow, meeting)
                await uow.meetings.cancel(meeting)
        held = await self.held(uow, c.request.id)
        expires = now + SURVEY_VALID
        seeker_token = await uow.surveys.invite("seeker", c.spec.key, held, expires)
        report_token = await uow.surveys.invite("supporter", c.spec.key, held, expires)
        return [
            *self._ended(c.seeker, c.supporter, held),
            self.seeker_survey(c.seeker, seeker_token),
            *self._ended(c.supporter, c.seeker, held),
            self.supporter_report(c.supporter, report_token, held),
        ]

    def _ended(self, to: Person, other: Person, held: int) -> list[Outbound]:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        text = "\n\n".join([
            _("Your connection with {name} has ended. Thank you for the trust you gave it.")
            .format(name=name_of(other)),
            self.stage_text(_, held, ended=True),
        ])
        return [Outbound(to.id, Card(text=text), _("New message from Peerlink"),
                         Priority.REPLY, lang=lang)]

    def seeker_survey(self, to: Person, token: str) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        form = Form(
            title=_("A few questions"),
            text=_("Anonymous: your answers are kept with no name, only by program and "
                   "month, and never shown for fewer than five people."),
            inputs=tuple(ChoiceInput(key, _(label), _options(_, YES_NO), initial="skip")
                         for key, label in SEEKER_QUESTIONS),
            submit=Button(_("Send"), "survey.seeker", token, style="primary"),
        )
        return Outbound(to.id, form, _("New message from Peerlink"), Priority.REPLY,
                        lang=lang)

    def supporter_report(self, to: Person, token: str, held: int) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        topics = tuple(Option(t.name(lang), t.key) for t in self.config.topics)
        counts = tuple(Option(str(n), str(n)) for n in range(0, self.config.meetings_cap + 1))
        form = Form(
            title=_("Your report"),
            text=_("For the program's statistics: no name and no details. Then two "
                   "questions about you."),
            inputs=(
                ChoiceInput("category", _("Main concern"), topics,
                            initial=topics[0].value if topics else ""),
                ChoiceInput("meetings", _("Meetings held"), counts,
                            initial=str(min(held, self.config.meetings_cap))),
                ChoiceInput("referral", _("Did you refer them to a resource?"),
                            _options(_, YES_NO[:2]), initial="no"),
                *(ChoiceInput(key, _(label), _options(_, SOMEWHAT), initial="yes")
                  for key, label in SUPPORTER_QUESTIONS),
            ),
            submit=Button(_("Send"), "survey.supporter", token, style="primary"),
        )
        return Outbound(to.id, form, _("New message from Peerlink"), Priority.REPLY,
                        lang=lang)

    def answers(self, kind: str, values: dict[str, str]) -> dict[str, str] | None:
        """The submitted answers, only from the choices offered; None if any is off."""
        if kind == "seeker":
            allowed = {key: {v for v, _label in YES_NO} for key, _q in SEEKER_QUESTIONS}
        else:
            allowed = {
                "category": {t.key for t in self.config.topics},
                "meetings": {str(n) for n in range(0, self.config.meetings_cap + 1)},
                "referral": {"yes", "no"},
                **{key: {v for v, _label in SOMEWHAT} for key, _q in SUPPORTER_QUESTIONS},
            }
        found = {key: values.get(key, "") for key in allowed}
        if any(found[key] not in options for key, options in allowed.items()):
            return None
        return found

    async def follow_up(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                        ) -> Sequence[Outbound]:
        c = await self.meetings.connection(uow, int(work.payload["request_id"]))
        resource = self.config.resource(str(work.payload.get("resource", "")))
        if c is None or resource is None:
            return []  # the connection ended, or the resource left the catalogue
        lang = lang_of(c.supporter)
        _ = self.catalogs.gettext(lang)
        text = _("A week ago you sent {name} \u201c{resource}\u201d. A short follow-up helps: "
                 "ask how it went, and whether anything else would help.").format(
            name=name_of(c.seeker), resource=resource.name(lang))
        return [Outbound(c.supporter.id, Card(text=text), _("New message from Peerlink"),
                         Priority.NOTIFICATION, lang=lang)]

    def due_handlers(self) -> dict[str, DueHandler]:
        return {AFTER: self.ask_if_held, FOLLOW_UP: self.follow_up}


def _options(_: Gettext, pairs: Sequence[tuple[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(_(label), value) for value, label in pairs)



def survey_summary(_: Gettext, rows: Sequence[tuple[str, dict[str, str]]],
                   months: Sequence[str], lang: str) -> list[tuple[str, str]]:
    """(label, summary) per month with five answers or more, newest first; the months with
    fewer are pooled into one line only when together they reach five, so no figure
    for fewer than five people appears, not even by subtraction (no total is shown)."""
    by_month: dict[str, list[dict[str, str]]] = {}
    for month, answers in rows:
        by_month.setdefault(month, []).append(answers)
    shown: list[tuple[str, str]] = []
    pooled: list[dict[str, str]] = []
    for month in sorted(months, reverse=True):
        in_month = by_month.get(month, [])
        if len(in_month) >= MIN_GROUP:
            shown.append((month_name(month, lang), _summary(_, in_month)))
        else:
            pooled.extend(in_month)
    if len(pooled) >= MIN_GROUP:
        shown.append((_("Other months together"), _summary(_, pooled)))
    return shown


def _summary(_: Gettext, answers: Sequence[dict[str, str]]) -> str:
    parts = [_("{count} answers").format(count=len(answers))]
    for key, question in SEEKER_QUESTIONS:
        said = [a.get(key) for a in answers if a.get(key) in ("yes", "no")]
        if len(said) >= MIN_GROUP:
            share = round(100 * sum(1 for v in said if v == "yes") / len(said))
            parts.append(_("{question} yes {share}%").format(question=_(question),
                                                             share=share))
    return " · ".join(parts)

