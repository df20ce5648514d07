"""Find support: choose a program, see suggestions, browse the directory, ask to connect.

| input                              | answer                                              |
|------------------------------------|-----------------------------------------------------|
| "find" / menu button               | the programs, each with what it is for              |
| a program (button)                 | the best three with why; or why not (eligibility)   |
| browse, a filter or a page         | five supporters a page, filters for topic/language  |
| "Hide this person"                 | hidden from this seeker's results; nobody told      |
| "Ask to connect"                   | a form for optional context (request/form state)    |
| the form sent (live token)         | the request opened (bot/flows/requests.py)          |

Directory cards carry their filters in the button values, so an old card still
works and nothing is kept between pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.config import ProgramSpec
from bot.flows.menu import not_understood, stale_card
from bot.i18n import SUPPORTED, Gettext
from bot.matching import MIN_SHARED_HOURS, Candidate, Match, conflicted
from bot.messages import Outbound
from bot.support import (
    Support,
    add_working_days,
    decision_buttons,
    is_leader,
    lang_of,
    language_name,
    matches_for,
    name_of,
    program_row,
    schedule_timers,
    seeker_for,
)
from bot.text import as_id, clean
from bot.turn import Turn
from bot.ui import Button, Card, Form, Option, Select, TextInput
from storage.models import Person, SupporterProfile, SupportRequest
from storage.support import OPEN

FLOW = "request"
PAGE = 5
CONTEXT_LIMIT = 500


def support(turn: Turn) -> Support:
    return Support(turn.config, turn.catalogs)


async def find(turn: Turn) -> Sequence[Outbound]:
    """The programs, each with what it is for."""
    _ = turn.gettext
    lines = [_("Who would you like to talk to? Asking needs nobody's approval, and nobody "
               "else is told.")]
    buttons = []
    for spec in turn.config.programs:
        lines.append(f"• *{spec.name(turn.lang)}*: {spec.description(turn.lang)}")
        buttons.append(Button(spec.name(turn.lang), "find.program", spec.key))
    return [turn.reply(Card(title=_("Find support"), text="\n".join(lines),
                            buttons=tuple(buttons)))]


async def choose_program(turn: Turn) -> Sequence[Outbound]:
    spec = _spec(turn, turn.value)
    if spec is None:
        return await not_understood(turn)
    _ = turn.gettext
    if spec.leaders_only and not await is_leader(turn.uow, turn.person):
        peer = next((p for p in turn.config.programs if not p.leaders_only), None)
        lead = _("{program} is for people who manage others, to help them support an "
                 "employee. For support for yourself, peer support is the right place: here "
                 "is who could help.").format(program=spec.name(turn.lang))
        if peer is None:
            return [turn.reply(Card(text=lead))]
        return await support(turn).suggestions(turn.uow, turn.person, peer, turn.now, lead=lead)
    return await support(turn).suggestions(turn.uow, turn.person, spec, turn.now)


@dataclass(frozen=True)
class Filters:
    """A directory page and its filters, as carried in button values:
    "program|topic|language|hours|page" (hours: "1" for shared working hours only)."""

    program: str
    topic: str = ""
    language: str = ""
    shared_hours: bool = False
    page: int = 0

    @classmethod
    def parse(cls, turn: Turn, value: str) -> Filters:
        program, topic, language, hours, page = [*value.split("|"), "", "", "", "", ""][:5]
        return cls(
            program=program,
            topic=topic if turn.config.topic(topic) else "",
            language=language if language in SUPPORTED else "",
            shared_hours=hours == "1",
            page=as_id(page, digits=5) or 0,
        )

    def value(self, *, topic: str | None = None, language: str | None = None,
              shared_hours: bool | None = None, page: int = 0) -> str:
        """These filters with some changed (the page starts again unless given)."""
        hours = self.shared_hours if shared_hours is None else shared_hours
        return "|".join((self.program, self.topic if topic is None else topic,
                         self.language if language is None else language,
                         str(int(hours)), str(page)))

    def keeps(self, match: Match) -> bool:
        c = match.candidate
        return ((not self.topic or self.topic in c.topics)
                and (not self.language or self.language in c.languages)
                and (not self.shared_hours or match.shared_hours >= MIN_SHARED_HOURS))


async def browse(turn: Turn) -> Sequence[Outbound]:
    """A page of the directory (see :class:`Filters`), sorted by name."""
    filters = Filters.parse(turn, turn.value)
    spec = _spec(turn, filters.program)
    if spec is None:
        return await not_understood(turn)
    if spec.leaders_only and not await is_leader(turn.uow, turn.person):
        return await choose_program(turn)
    program = await program_row(turn.uow, spec)
    everyone = await matches_for(turn.uow, turn.person, program, turn.now)
    shown = sorted((m for m in everyone if filters.keeps(m)),
                   key=lambda m: (m.candidate.name.casefold(), m.candidate.profile_id))
    pages = max(1, -(-len(shown) // PAGE))
    filters = replace(filters, page=min(filters.page, pages - 1))
    here = shown[filters.page * PAGE:(filters.page + 1) * PAGE]
    out = [turn.reply(card) for card in await support(turn).cards(turn.uow, here, turn.lang)]
    out.append(turn.reply(_directory_card(turn, spec, filters, len(shown))))
    return out


def _directory_card(turn: Turn, spec: ProgramSpec, f: Filters, total: int) -> Card:
    _ = turn.gettext
    if total:
        first, last = f.page * PAGE + 1, min((f.page + 1) * PAGE, total)
        text = _("{program}: supporters {first} to {last} of {total}.").format(
            program=spec.name(turn.lang), first=first, last=last, total=total)
    else:
        text = _("Nobody in {program} matches these filters right now.").format(
            program=spec.name(turn.lang))
    buttons = []
    if f.page > 0:
        buttons.append(Button(_("Previous"), "find.browse", f.value(page=f.page - 1)))
    if (f.page + 1) * PAGE < total:
        buttons.append(Button(_("Next"), "find.browse", f.value(page=f.page + 1)))
    buttons.append(Button(_("Suggestions"), "find.program", f.program))
    topics = (Option(_("Any topic"), f.value(topic="")),
              *(Option(t.name(turn.lang), f.value(topic=t.key))
                for t in turn.config.topics))
    languages = (Option(_("Any language"), f.value(language="")),
                 *(Option(language_name(code, turn.lang), f.value(language=code))
                   for code in SUPPORTED))
    hours = (Option(_("Any working hours"), f.value(shared_hours=False)),
             Option(_("Shares my working hours"), f.value(shared_hours=True)))
    return Card(
        title=_("Directory"),
        text=text,
        buttons=tuple(buttons),
        selects=(Select("find.browse", _("Topic"), topics),
                 Select("find.browse", _("Language"), languages),
                 Select("find.browse", _("Working hours"), hours)),
    )


async def hide(turn: Turn) -> Sequence[Outbound]:
    """Hide a supporter from this seeker's results; the supporter is never told."""
    profile_id = as_id(turn.value)
    profile = await turn.uow.support.profile(profile_id) if profile_id else None
    if profile is None:
        return await not_understood(turn)
    await turn.uow.support.hide(turn.person.id, profile.id)
    _ = turn.gettext
    return [turn.reply(Card(text=_("Done: you won't see this person in your results again. "
                                   "They are not told.")))]


async def ask(turn: Turn) -> Sequence[Outbound]:
    """"Ask to connect": checks first, then a form for optional context."""
    profile_id = as_id(turn.value)
    found = await _askable(turn, profile_id)
    if isinstance(found, list):
        return found
    profile, supporter = found[0], found[2]
    token = await turn.enter(FLOW, "form", {"supporter": profile.id})
    return [turn.reply(_request_form(turn, token, supporter.display_name))]


def _request_form(turn: Turn, token: str, name: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Ask to connect"),
        text=problem or _("{name} will see your name and what you write here, nobody else. "
                          "It is deleted once delivered.").format(name=name),
        inputs=(TextInput("context", _("Anything they should know first?"),
                          multiline=True, required=False, max_length=CONTEXT_LIMIT),),
        submit=Button(_("Send"), "request.send", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def send(turn: Turn) -> Sequence[Outbound]:
    """The form sent: open the request, tell the supporter, start the timers."""
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value) or turn.state is None:
        return [stale_card(turn)]
    _ = turn.gettext
    profile_id = int(turn.state.data.get("supporter", 0))
    context = clean(action.values.get("context", "") or "").strip()
    found = await _askable(turn, profile_id)
    if isinstance(found, list):
        await turn.leave()
        return found
    profile, spec, supporter = found
    if len(context) > CONTEXT_LIMIT:
        problem = _("Please keep it under {limit} characters. Nothing was sent.").format(
            limit=CONTEXT_LIMIT)
        return [turn.reply(_request_form(turn, action.value, supporter.display_name, problem))]
    await turn.leave()
    program = await program_row(turn.uow, spec)
    expires = add_working_days(turn.now, spec.request_expiry_days)
    request = await turn.uow.support.create(program.id, profile.id, turn.person.id, turn.now,
                                            expires)
    await schedule_timers(turn.uow, request)
    s_lang = lang_of(supporter)
    to_supporter = Outbound(
        supporter.id, _request_card(turn.catalogs.gettext(s_lang), s_lang, turn.person, spec,
                                    request, context),
        turn.catalogs.gettext(s_lang)("New message from Peerlink"), lang=s_lang)
    reply = Card(
        text=_("Your request is on its way to {name}. You will hear here as soon as they "
               "answer, within {days} working days. Nobody else is told.").format(
            name=name_of(supporter), days=spec.request_expiry_days),
        buttons=(Button(_("Withdraw"), "request.withdraw", str(request.id)),),
    )
    return [turn.reply(reply), to_supporter]


def _request_card(_: Gettext, lang: str, seeker: Person, spec: ProgramSpec,
                  request: SupportRequest, context: str) -> Card:
    """What the supporter gets: who, the program, their words if any, and the choice."""
    text = [_("{name} would like to connect with you in {program}.").format(
        name=name_of(seeker), program=spec.name(lang))]
    if context:
        text.append(_("What they wrote for you:") + "\n> " + context.replace("\n", "\n> "))
    text.append(_("Please answer within {days} working days. Declining needs no reason; "
                  "they will be told kindly.").format(days=spec.request_expiry_days))
    return Card(title=_("A request to connect"), text="\n\n".join(text),
                buttons=decision_buttons(_, request))


Askable = tuple[SupporterProfile, ProgramSpec, Person]


async def _askable(turn: Turn, profile_id: int | None) -> Askable | list[Outbound]:
    """The profile, program and supporter when this person may ask them now, else the
    replies that say why not."""
    _ = turn.gettext
    profile = await turn.uow.support.profile(profile_id) if profile_id else None
    program = await turn.uow.programs.get(profile.program_id) if profile else None
    spec = turn.config.program(program.key) if program else None
    supporter = await turn.uow.people.get(profile.person_id) if profile else None
    if profile is None or program is None or spec is None or supporter is None:
        return list(await not_understood(turn))
    if spec.leaders_only and not await is_leader(turn.uow, turn.person):
        return list(await choose_program(turn))
    mine = await turn.uow.support.of_seeker(turn.person.id, (OPEN,), program.id)
    if any(r.supporter_id == profile.id for r in mine):
        return [turn.reply(Card(text=_("You have already asked {name}; they have not answered "
                                       "yet.").format(name=name_of(supporter))))]
    if len(mine) >= spec.open_request_limit:
        return [turn.reply(Card(
            text=_("You already have {count} requests waiting for an answer in {program}, "
                   "the most at once. Withdraw one, or wait for an answer.").format(
                count=len(mine), program=spec.name(turn.lang)),
            buttons=(Button(_("My requests"), "menu.requests"),)))]
    seeker = await seeker_for(turn.uow, turn.person)
    whom = Candidate(profile.id, supporter.id, name_of(supporter), (), (), "", (), 0, 1,
                     supporter.reporting_path)  # who they are is all conflicts look at
    if conflicted(seeker, whom) or not await turn.uow.support.is_offerable(
        profile.id, turn.now.date()
    ):
        # Paused, full, out of term, hidden or in a conflict: the same words for all, so
        # nothing about them is revealed.
        lead = _("{name} can't take new requests right now. Here are others who could "
                 "help.").format(name=name_of(supporter))
        return await support(turn).suggestions(turn.uow, turn.person, spec, turn.now,
                                               lead=lead, exclude=[profile.id])
    return profile, spec, supporter


def _spec(turn: Turn, key: str) -> ProgramSpec | None:
    return turn.config.program(key)


