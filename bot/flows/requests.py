"""Answering requests to connect: accept, decline, withdraw, and "my requests".

| input                  | who may      | answer                                              |
|------------------------|--------------|-----------------------------------------------------|
| Accept (open request)  | supporter    | a place taken (or "no free place"); both introduced |
| Decline (open request) | supporter    | thanks; the seeker told kindly, with others         |
| Withdraw (open)        | seeker       | done; the supporter told                            |
| any, not open any more | either       | what became of it; nothing changed                  |
| any, someone else's    | anyone else  | "not yours"; nothing changed                        |
| "requests"             | anyone       | their open requests, as seeker and as supporter     |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.config import ProgramSpec
from bot.flows.menu import not_understood
from bot.i18n import Gettext
from bot.messages import Outbound, Priority
from bot.support import (
    Support,
    cancel_timers,
    decision_buttons,
    lang_of,
    name_of,
)
from bot.text import as_id
from bot.turn import Turn
from bot.ui import Button, Card, Fact
from storage.models import Person, SupporterProfile, SupportRequest
from storage.support import ACCEPTED, CLOSED, DECLINED, EXPIRED, OPEN, WITHDRAWN

_NOTE = "New message from Peerlink"


def _support(turn: Turn) -> Support:
    return Support(turn.config, turn.catalogs)


async def _request(turn: Turn) -> SupportRequest | None:
    request_id = as_id(turn.value)
    return await turn.uow.support.get(request_id) if request_id is not None else None


def _closed(turn: Turn, request: SupportRequest) -> Outbound:
    """What became of a request that is no longer open."""
    _ = turn.gettext
    text = {
        ACCEPTED: _("This request was already accepted. Nothing was changed."),
        DECLINED: _("This request was already declined. Nothing was changed."),
        EXPIRED: _("This request expired. Nothing was changed."),
        WITHDRAWN: _("This request was withdrawn. Nothing was changed."),
        CLOSED: _("This request is closed. Nothing was changed."),
    }.get(request.status, _("This request is closed. Nothing was changed."))
    return turn.reply(Card(text=text))


def _to(turn: Turn, person: Person, text: str, title: str = "") -> Outbound:
    lang = lang_of(person)
    _ = turn.catalogs.gettext(lang)
    return Outbound(person.id, Card(title=title, text=text), _(_NOTE), Priority.REPLY,
                    lang=lang)


Parties = tuple[SupportRequest, Person, Person, SupporterProfile, ProgramSpec]


async def _settled(turn: Turn, status: str, *, by_seeker: bool) -> Parties | list[Outbound]:
    """The request named by the button, moved from open to ``status`` by the one person
    allowed to (its supporter, or with ``by_seeker`` its seeker); else the replies that
    say why nothing changed."""
    request = await _request(turn)
    parties = await _support(turn).parties(turn.uow, request) if request else None
    if request is None or parties is None:
        return list(await not_understood(turn))
    seeker, supporter, profile, spec = parties
    _ = turn.gettext
    if (seeker if by_seeker else supporter).id != turn.person.id:
        text = (_("This request is someone else's, so nothing was changed.") if by_seeker
                else _("This request was sent to someone else, so nothing was changed."))
        return [turn.reply(Card(text=text))]
    if request.status != OPEN or not await turn.uow.support.settle(request.id, status,
                                                                    turn.now):
        return [_closed(turn, request)]
    return request, seeker, supporter, profile, spec


async def accept(turn: Turn) -> Sequence[Outbound]:
    found = await _settled(turn, ACCEPTED, by_seeker=False)
    if isinstance(found, list):
        return found
    request, seeker, supporter, profile, spec = found
    _ = turn.gettext
    if not await turn.uow.support.take_slot(profile.id):
        request.status, request.decided_at = OPEN, None  # keep it open: nothing changed
        return [turn.reply(Card(text=_(
            "You have no free place right now ({capacity} people at once), so the request "
            "is still open. End a connection or raise your capacity to accept it, or "
            "decline it.").format(capacity=profile.capacity),
            buttons=decision_buttons(_, request)))]
    await cancel_timers(turn.uow, request)
    book = f"{request.id}|30||0"  # the booking card (bot/flows/meetings.py)
    out = [turn.reply(Card(
        title=_("You are connected"),
        text=_("You accepted {name}'s request in {program}. Book a first private meeting "
               "of 30 to 60 minutes, during work hours, or write to each other.").format(
            name=name_of(seeker), program=spec.name(turn.lang)),
        facts=(Fact(_("Email"), seeker.email or "—"),),
        buttons=(Button(_("Book a first meeting"), "meeting.slots", book, style="primary"),),
    ))]
    s_lang = lang_of(seeker)
    g = turn.catalogs.gettext(s_lang)
    accepted_card = _accepted_card(g, s_lang, supporter, spec)
    accepted_card = dataclasses.replace(accepted_card, buttons=(
        Button(g("Book a first meeting"), "meeting.slots", book, style="primary"),))
    out.append(Outbound(seeker.id, accepted_card, g(_NOTE), Priority.REPLY, lang=s_lang))
    out += await _withdraw_others(turn, seeker, request)
    return out


def _accepted_card(_: Gettext, lang: str, supporter: Person, spec: ProgramSpec) -> Card:
    return Card(
        title=_("Your request was accepted"),
        text=_("{name} accepted your request in {program}. Book a first private meeting "
               "below, or write to each other.").format(
            name=name_of(supporter), program=spec.name(lang)),
        facts=(Fact(_("Email"), supporter.email or "—"),),
    )


def _withdrawn(_: Gettext, seeker: Person) -> str:
    return _("{name} withdrew their request to connect. Nothing more is needed from "
             "you.").format(name=name_of(seeker))


async def _withdraw_others(turn: Turn, seeker: Person, accepted: SupportRequest
                           ) -> list[Outbound]:
    """Once one is accepted, the seeker's other open requests in the program are withdrawn."""
    out = []
    s = _support(turn)
    for other in await turn.uow.support.of_seeker(seeker.id, (OPEN,), accepted.program_id):
        if not await turn.uow.support.settle(other.id, WITHDRAWN, turn.now):
            continue
        await cancel_timers(turn.uow, other)
        parties = await s.parties(turn.uow, other)
        if parties is None:
            continue
        supporter = parties[1]
        out.append(_to(turn, supporter,
                       _withdrawn(turn.catalogs.gettext(lang_of(supporter)), seeker)))
    return out


async def decline(turn: Turn) -> Sequence[Outbound]:
    found = await _settled(turn, DECLINED, by_seeker=False)
    if isinstance(found, list):
        return found
    request, seeker, supporter, profile, spec = found
    _ = turn.gettext
    await cancel_timers(turn.uow, request)
    out = [turn.reply(Card(text=_("Thank you for answering. {name} will be told kindly, with "
                                  "no reason given, and offered others.").format(
        name=name_of(seeker))))]
    lead = _declined(turn.catalogs.gettext(lang_of(seeker)), supporter)
    out += await _support(turn).suggestions(turn.uow, seeker, spec, turn.now, lead=lead,
                                            exclude=[profile.id])
    return out


def _declined(_: Gettext, supporter: Person) -> str:
    return _("{name} can't take this on right now. That is about their availability, not "
             "about you.").format(name=name_of(supporter))


async def withdraw(turn: Turn) -> Sequence[Outbound]:
    found = await _settled(turn, WITHDRAWN, by_seeker=True)
    if isinstance(found, list):
        return found
    request, seeker, supporter, _profile, _spec = found
    _ = turn.gettext
    await cancel_timers(turn.uow, request)
    return [
        turn.reply(Card(text=_("Your request to {name} is withdrawn.").format(
            name=name_of(supporter)))),
        _to(turn, supporter, _withdrawn(turn.catalogs.gettext(lang_of(supporter)), seeker)),
    ]


async def my_requests(turn: Turn) -> Sequence[Outbound]:
    """Open requests this person made, and those waiting for their answer."""
    _ = turn.gettext
    s = _support(turn)
    out = []
    for request in await turn.uow.support.of_seeker(turn.person.id, (OPEN,)):
        parties = await s.parties(turn.uow, request)
        if parties is None:
            continue
        out.append(turn.reply(Card(
            text=_("Waiting for {name} to answer, in {program}.").format(
                name=name_of(parties[1]), program=parties[3].name(turn.lang)),
            buttons=(Button(_("Withdraw"), "request.withdraw", str(request.id)),))))
    profiles = [p.id for p in await turn.uow.programs.supporters_of(turn.person.id)]
    for request in await turn.uow.support.of_supporter(profiles, (OPEN,)) if profiles else []:
        parties = await s.parties(turn.uow, request)
        if parties is None:
            continue
        out.append(turn.reply(Card(
            text=_("{name} asked to connect with you, in {program}.").format(
                name=name_of(parties[0]), program=parties[3].name(turn.lang)),
            buttons=decision_buttons(_, request))))
    if not out:
        out.append(turn.reply(Card(text=_("You have no open requests."),
                                   buttons=(Button(_("Find support"), "menu.find"),))))
    return out
