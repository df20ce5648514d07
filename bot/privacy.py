"""A person's own data: everything Peerlink holds about them ("my data"), and erasing it
("forget me"); and the retention of ended connections.

Forgetting runs as due work a minute after the person confirms, so their goodbye is
delivered first. In one transaction it:

- ends each connection and request they are part of; the other person is told only
  that it ended (or that the request was withdrawn or closed) and, for a seeker,
  offered others; a supporter's place is freed;
- deletes every request they made (with its meetings and goals), the supporters they
  hid, their scheduled check-ins, buddy offer and nudges;
- takes them out of other people's "never pair me with" lists and the rounds' sealed
  groups, and erases who crisis escalations were about (the audit stays);
- deletes the person, and with them (by cascade) their platform accounts, supporter
  profiles, check-ins, pairing pool places, nudge marks, conversation state and any
  message still waiting for them.

Anonymous counts (survey answers, check-in scores, round sizes) never named anyone and
stay. Retention: ``retention_days`` after a connection or request is over, who asked
and their goals are erased; dates and status stay for the counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import ProgramConfig
from bot.i18n import Catalogs
from bot.messages import Outbound, Priority
from bot.scheduling import DueHandler
from bot.support import Support, cancel_timers, lang_of, name_of
from bot.ui import Button, Card
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person
from storage.support import ACCEPTED, CLOSED, ENDED, OPEN, WITHDRAWN

log = logging.getLogger("peerlink.privacy")

FORGET = "privacy.forget"
DELAY = timedelta(minutes=1)


def forget_key(person_id: int) -> str:
    return f"forget:{person_id}"


async def schedule_forget(uow: UnitOfWork, person: Person, now: datetime) -> bool:
    """Erase the person a minute from now (once); False if it is already planned."""
    return await uow.due.schedule(FORGET, forget_key(person.id), now + DELAY,
                                  {"person_id": person.id})


@dataclass(frozen=True)
class Holding:
    """One line of "my data": what, and how much or which."""

    what: str
    detail: str


class Privacy:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs
        self.support = Support(config, catalogs)

    async def forget(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                     ) -> Sequence[Outbound]:
        person = await uow.people.get(int(work.payload["person_id"]))
        if person is None:
            return []
        out: list[Outbound] = []
        # As a seeker: each request and connection they made.
        for request in await uow.support.of_seeker(person.id, (OPEN, ACCEPTED)):
            parties = await self.support.parties(uow, request)
            if parties is None:
                continue
            _seeker, supporter, profile, _spec = parties
            if request.status == ACCEPTED and await uow.support.finish(request.id, ENDED, now):
                await uow.support.free_slot(profile.id)
                out.append(self._ended(supporter, person))
            elif await uow.support.settle(request.id, WITHDRAWN, now):
                await cancel_timers(uow, request)
                _ = self.catalogs.gettext(lang_of(supporter))
                out.append(Outbound(supporter.id, Card(text=_(
                    "{name} withdrew their request to connect. Nothing more is needed from "
                    "you.").format(name=name_of(person))), _("A message from Peerlink"),
                    Priority.BULK, lang=lang_of(supporter)))
        await uow.privacy.erase_seeker(person.id)
        # As a supporter: waiting seekers are offered others; connections end.
        for profile in await uow.programs.supporters_of(person.id):
            out += await self.support.set_state(uow, profile, "revoked", now)
            for request in await uow.support.of_supporter([profile.id], (ACCEPTED,)):
                parties = await self.support.parties(uow, request)
                if parties is not None and await uow.support.finish(request.id, CLOSED, now):
                    out.append(self._ended(parties[0], person, offer=True))
        await uow.privacy.cancel_due(person.id)
        await uow.privacy.erase_from_pairing(person.id)
        await uow.privacy.erase_escalation_subject(person.id)
        await uow.concerns.forget_reporter(person.id)
        await uow.privacy.delete_person(person.id)
        if person.manager_id is not None or await uow.people.direct_reports(person.id):
            await uow.people.refresh_reporting_paths()
        log.info("person forgotten", extra={"messages": len(out)})
        return out

    def _ended(self, other: Person, gone: Person, *, offer: bool = False) -> Outbound:
        """The other person learns only that the connection ended."""
        lang = lang_of(other)
        _ = self.catalogs.gettext(lang)
        text = _("Your connection with {name} has ended, and any meetings you had booked "
                 "together are cancelled. Thank you for the trust you gave it.").format(
            name=name_of(gone))
        buttons: tuple[Button, ...] = ()
        if offer:
            text += "\n\n" + _("If you would like to go on talking with someone, others can "
                               "help.")
            buttons = (Button(_("Find support"), "menu.find", style="primary"),)
        return Outbound(other.id, Card(text=text, buttons=buttons),
                        _("A message from Peerlink"), Priority.BULK, lang=lang)

    async def holdings(self, uow: UnitOfWork, person: Person, lang: str) -> list[Holding]:
        """Everything Peerlink holds about ``person``, in their language."""
        _ = self.catalogs.gettext(lang)
        none = _("none")
        directory = ", ".join(filter(None, [person.display_name, person.email or "",
                                            person.department, person.location,
                                            person.country]))
        items = [Holding(_("From your organisation's directory"), directory or none),
                 Holding(_("Your settings"), _("language {language}, timezone {zone}").format(
                     language=person.language or person.org_language or "—",
                     zone=person.effective_timezone or "UTC"))]
        accounts = await uow.people.identities_of(person.id)
        items.append(Holding(_("Accounts Peerlink writes to"), ", ".join(
            sorted({i.platform.capitalize() for i in accounts})) or none))
        states = {"active": _("active"), "paused": _("away"), "suspended": _("suspended"),
                  "revoked": _("revoked")}
        for profile in await uow.programs.supporters_of(person.id):
            program = await uow.programs.get(profile.program_id)
            spec = self.config.program(program.key) if program else None
            items.append(Holding(_("Supporter profile: {program}").format(
                program=spec.name(lang) if spec else "—"),
                _("{state}; {count} of {capacity} places taken; bio, topics, languages, "
                  "weekly hours").format(state=states.get(profile.state, profile.state),
                                         count=profile.load,
                                         capacity=profile.capacity)))
            waiting = await uow.support.of_supporter([profile.id], (OPEN, ACCEPTED))
            if waiting:
                items.append(Holding(_("Requests and connections with you"),
                                     str(len(waiting))))
        mine = await uow.support.of_seeker(person.id, (OPEN, ACCEPTED))
        items.append(Holding(_("Your requests and connections (encrypted)"),
                             str(len(mine)) if mine else none))
        plan = await uow.checkins.plan(person.id)
        items.append(Holding(_("Check-ins"), _("{state}; {count} answers (encrypted, only "
                                               "you see them)").format(
            state=_("on") if plan and plan.active else _("off"),
            count=await uow.checkins.answers(person.id))))
        pools = [(m, self.config.program(p.key)) for m, p in
                 await uow.pairing.memberships(person.id)]
        left = _("left")
        items.append(Holding(_("Pairing rounds"), ", ".join(
            (spec.name(lang) if spec else "—") + ("" if m.active else f" ({left})")
            for m, spec in pools) or none))
        marks = await uow.nudges.marks(person.id)
        if marks:
            items.append(Holding(_("Check-ins you marked with your reports"), str(len(marks))))
        return items

    def due_handlers(self) -> dict[str, DueHandler]:
        return {FORGET: self.forget}
