"""Finding support: programs, eligibility, suggestions, and requests to connect.

| step                | who       | what happens                                             |
|---------------------|-----------|----------------------------------------------------------|
| ask to connect      | seeker    | request opened, supporter DMed (context only there),     |
|                     |           | reminders at 24 h and 48 h, expiry after N working days |
| accept              | supporter | a place taken atomically; both introduced; the seeker's |
|                     |           | other open requests in the program withdrawn             |
| decline             | supporter | no reason asked; the seeker told kindly, with others     |
| withdraw            | seeker    | the supporter told it was withdrawn                      |
| expiry              | (timer)   | both told; the seeker offered others                     |

Nobody but the two people involved is ever told that a request was made.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import Locale

from bot.config import ProgramConfig, ProgramSpec
from bot.i18n import Catalogs, Gettext, negotiate
from bot.matching import Match, Offer, Seeker, rank
from bot.messages import Outbound, Priority
from bot.scheduling import DueHandler
from bot.ui import Button, Card, Fact
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person, Program, SupporterProfile, SupportRequest
from storage.support import CLOSED, EXPIRED, OPEN, ProfileText

log = logging.getLogger("peerlink.support")

ASK, HIDE = "find.ask", "find.hide"
ACCEPT, DECLINE, WITHDRAW = "request.accept", "request.decline", "request.withdraw"
REMIND, EXPIRE = "request.remind", "request.expire"
REMINDERS = (timedelta(hours=24), timedelta(hours=48))
SUGGESTIONS = 3
# What the program office sets; "paused" is the supporter's own (bot/flows/profile.py).
STATES = ("active", "suspended", "revoked")


def lang_of(person: Person) -> str:
    return person.language or negotiate(person.org_language)


def name_of(person: Person | None) -> str:
    if person is None:
        return "?"
    return person.display_name or person.email or "?"


def language_name(code: str, lang: str) -> str:
    """"French" in English, "français" in French (from CLDR, through Babel)."""
    return str(Locale.parse(lang).languages.get(code, code))


def add_working_days(start: datetime, days: int) -> datetime:
    """``days`` weekdays after ``start``, same time of day (weekends skipped)."""
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


async def program_row(uow: UnitOfWork, spec: ProgramSpec) -> Program:
    """The database row of a configured program, created on first use."""
    found = await uow.programs.by_key(spec.key)
    if found is not None:
        return found
    return await uow.programs.ensure(
        spec.key, capacity_default=spec.capacity_default,
        request_expiry_days=spec.request_expiry_days,
        open_request_limit=spec.open_request_limit, leaders_only=spec.leaders_only,
    )


async def is_leader(uow: UnitOfWork, person: Person) -> bool:
    return bool(await uow.people.leaders([person.id]))


async def seeker_for(uow: UnitOfWork, person: Person) -> Seeker:
    return Seeker(
        person_id=person.id,
        lang=lang_of(person),
        timezone=person.effective_timezone,
        reporting_path=person.reporting_path,
        conflicts=frozenset(await uow.support.conflicts_of(person.id)),
        hidden=frozenset(await uow.support.hidden(person.id)),
    )


async def matches_for(
    uow: UnitOfWork, person: Person, program: Program, now: datetime, *, topic: str = "",
    exclude: Sequence[int] = (), limit: int | None = None,
    where: Callable[[Offer, int], bool] | None = None,
) -> list[Match]:
    """Everyone this person may be offered in this program (or the best ``limit``), best
    first; ``exclude`` leaves out supporter profiles (one who just declined)."""
    seeker = await seeker_for(uow, person)
    if exclude:
        seeker = dataclasses.replace(seeker, hidden=seeker.hidden | set(exclude))
    rows = await uow.support.on_offer(program.id, now.date())
    return rank(seeker, rows, topic=topic, now=now, limit=limit, where=where)


@dataclass(frozen=True)
class Support:
    """What request handlers need outside a turn (due work): content and words."""

    config: ProgramConfig
    catalogs: Catalogs

    def supporter_card(self, match: Match, text: ProfileText, lang: str) -> Card:
        """One supporter as the seeker sees them, with "Ask to connect" and "Hide"."""
        _ = self.catalogs.gettext(lang)
        c = match.candidate
        bio = (text.bio_fr or text.bio_en) if lang == "fr" else (text.bio_en or text.bio_fr)
        facts = [Fact(_("Languages"), ", ".join(language_name(code, lang)
                                                for code in c.languages))]
        topics = [self.config.topic(t) for t in c.topics]
        if any(topics):
            facts.append(Fact(_("Helps with"), ", ".join(t.name(lang) for t in topics if t)))
        if text.location:
            facts.append(Fact(_("Location"), text.location))
        why = self.reasons(match, lang)
        if why:
            facts.append(Fact(_("Why suggested"), why))
        return Card(
            title=c.name,
            text=bio,
            facts=tuple(facts),
            buttons=(Button(_("Ask to connect"), ASK, str(c.profile_id), style="primary"),
                     Button(_("Hide this person"), HIDE, str(c.profile_id))),
        )

    async def cards(self, uow: UnitOfWork, matches: Sequence[Match], lang: str) -> list[Card]:
        texts = await uow.support.texts([m.candidate.profile_id for m in matches])
        empty = ProfileText("", "", "")
        return [self.supporter_card(m, texts.get(m.candidate.profile_id, empty), lang)
                for m in matches]

    def reasons(self, match: Match, lang: str) -> str:
        _ = self.catalogs.gettext(lang)
        words = []
        for code, value in match.reasons:
            if code == "language":
                words.append(_("speaks {language}").format(language=language_name(value, lang)))
            elif code == "hours":
                words.append(_("{hours} h of shared working hours").format(hours=value))
            elif code == "topic":
                topic = self.config.topic(value)
                label = topic.name(lang) if topic else value
                words.append(_("helps with {topic}").format(topic=label[:1].lower() + label[1:]))
            elif code == "free":
                words.append(_("has room for someone new"))
        return " · ".join(words)

    async def suggestions(
        self, uow: UnitOfWork, person: Person, spec: ProgramSpec, now: datetime, *,
        lead: str = "", topic: str = "", exclude: Sequence[int] = (),
        where: Callable[[Offer, int], bool] | None = None, intro: str = "",
    ) -> list[Outbound]:
        """The best three for this person, each with why, then a way to browse them all."""
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        program = await program_row(uow, spec)
        best = await matches_for(uow, person, program, now, topic=topic, exclude=exclude,
                                 limit=SUGGESTIONS, where=where)
        note = _("New message from Peerlink")
        browse = Button(_("Browse the directory"), "find.browse", f"{spec.key}||||0")
        if not best:
            text = _("Nobody in {program} can take a new request right now. Please try again "
                     "in a few days, or look at another program.").format(program=spec.name(lang))
            return [Outbound(person.id, Card(text="\n\n".join(filter(None, [lead, text])),
                                             buttons=(Button(_("Find support"), "menu.find"),)),
                             note, Priority.REPLY, lang=lang)]
        intro = intro or _("Suggested for you in {program}. Ask one of them to connect, or "
                           "browse everyone available.").format(program=spec.name(lang))
        head = Outbound(person.id, Card(text="\n\n".join(filter(None, [lead, intro]))), note,
                        Priority.REPLY, lang=lang)
        cards = [Outbound(person.id, card, note, Priority.REPLY, lang=lang)
                 for card in await self.cards(uow, best, lang)]
        tail = Outbound(person.id, Card(text=_("Not quite right?"), buttons=(browse,)), note,
                        Priority.REPLY, lang=lang)
        return [head, *cards, tail]

    # --- the request's lifecycle, from the timer ----------------------------------------

    async def remind(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                     ) -> Sequence[Outbound]:
        request = await uow.support.get(int(work.payload["request_id"]))
        if request is None or request.status != OPEN:
            return []
        parties = await self.parties(uow, request)
        if parties is None:
            return []
        seeker, supporter, _profile, spec = parties
        lang = lang_of(supporter)
        _ = self.catalogs.gettext(lang)
        text = _("A reminder: {name} is waiting for your answer to their request to connect "
                 "in {program}. Declining needs no reason.").format(
            name=name_of(seeker), program=spec.name(lang))
        return [Outbound(supporter.id, Card(text=text, buttons=decision_buttons(_, request)),
                         _("New message from Peerlink"), Priority.NOTIFICATION, lang=lang)]

    async def expire(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                     ) -> Sequence[Outbound]:
        request = await uow.support.get(int(work.payload["request_id"]))
        if request is None or not await uow.support.settle(request.id, EXPIRED, now):
            return []
        parties = await self.parties(uow, request)
        if parties is None:
            return []
        seeker, supporter, profile, spec = parties
        s_lang, p_lang = lang_of(supporter), lang_of(seeker)
        _ = self.catalogs.gettext(s_lang)
        out = [Outbound(supporter.id, Card(text=_(
            "The request from {name} expired without an answer, so it is closed. Nothing "
            "more is needed from you.").format(name=name_of(seeker))),
            _("New message from Peerlink"), Priority.NOTIFICATION, lang=s_lang)]
        _ = self.catalogs.gettext(p_lang)
        lead = _("{name} could not answer your request in time, so it is closed. That is "
                 "about their availability, not about you.").format(name=name_of(supporter))
        out += await self.suggestions(uow, seeker, spec, now, lead=lead,
                                      exclude=[profile.id])
        return out

    async def parties(
        self, uow: UnitOfWork, request: SupportRequest
    ) -> tuple[Person, Person, SupporterProfile, ProgramSpec] | None:
        """The seeker, the supporter, their profile and the program of a request."""
        profile = await uow.support.profile(request.supporter_id)
        program = await uow.programs.get(request.program_id)
        seeker = await uow.people.get(uow.support.seeker_of(request))
        supporter = await uow.people.get(profile.person_id) if profile else None
        spec = self.config.program(program.key) if program else None
        if profile is None or seeker is None or supporter is None or spec is None:
            return None
        return seeker, supporter, profile, spec

    async def set_state(self, uow: UnitOfWork, profile: SupporterProfile, state: str,
                        now: datetime) -> list[Outbound]:
        """A program-office decision: active, suspended (temporary) or revoked.

        Suspended and revoked supporters leave the directory at once; each seeker waiting
        on them is told kindly (never why) and offered others.
        """
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        profile.state = state
        if state == "active":
            profile.paused_until = None
            return []
        out: list[Outbound] = []
        for request in await uow.support.of_supporter([profile.id], (OPEN,)):
            if not await uow.support.settle(request.id, CLOSED, now):
                continue
            await cancel_timers(uow, request)
            parties = await self.parties(uow, request)
            if parties is None:
                continue
            seeker, supporter, _profile, spec = parties
            _ = self.catalogs.gettext(lang_of(seeker))
            lead = _("{name} can no longer take new requests, so your request is closed. "
                     "That is not about you. Here are others who could help.").format(
                name=name_of(supporter))
            out += await self.suggestions(uow, seeker, spec, now, lead=lead,
                                          exclude=[profile.id])
        log.info("supporter state changed", extra={"profile_id": profile.id, "state": state,
                                                    "requests_closed": len(out) > 0})
        return out

    def due_handlers(self) -> dict[str, DueHandler]:
        return {REMIND: self.remind, EXPIRE: self.expire}


def decision_buttons(_: Gettext, request: SupportRequest) -> tuple[Button, ...]:
    return (Button(_("Accept"), ACCEPT, str(request.id), style="primary"),
            Button(_("Decline"), DECLINE, str(request.id)))


async def schedule_timers(uow: UnitOfWork, request: SupportRequest) -> None:
    for n, after in enumerate(REMINDERS, 1):
        due = request.created_at + after
        if due < request.expires_at:
            await uow.due.schedule(REMIND, f"request:{request.id}:remind:{n}", due,
                                   {"request_id": request.id})
    await uow.due.schedule(EXPIRE, f"request:{request.id}:expire", request.expires_at,
                           {"request_id": request.id})


async def cancel_timers(uow: UnitOfWork, request: SupportRequest) -> None:
    for n in range(1, len(REMINDERS) + 1):
        await uow.due.cancel(f"request:{request.id}:remind:{n}")
    await uow.due.cancel(f"request:{request.id}:expire")

