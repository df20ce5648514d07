"""The program office's side of supporters: inviting someone, recording orientation,
training and their term, and the renewal reminder 30 days before the term ends.

An invited supporter has a profile but no training date, so nobody is offered them
until the office records the training. Changing state (suspend, revoke, reinstate)
is :meth:`bot.support.Support.set_state`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date

from bot.config import ProgramConfig, ProgramSpec
from bot.i18n import Catalogs
from bot.messages import Outbound, Priority
from bot.scheduling import DueHandler
from bot.support import lang_of, name_of, program_row
from bot.ui import Button, Card
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person, SupporterProfile

RENEWAL = "supporter.renewal"
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class Terms:
    oriented_on: date | None
    trained_on: date | None
    term_start: date | None
    term_end: date | None


class InviteError(ValueError):
    """Why an invitation cannot be made (shown to the program office as is)."""


class Supporters:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    async def invite(self, uow: UnitOfWork, email: str, program_key: str, lang: str
                     ) -> tuple[SupporterProfile, list[Outbound]]:
        """A profile for a person of the org data, and a DM telling them what comes next.
        Raises :class:`InviteError` with a message in ``lang``."""
        _ = self.catalogs.gettext(lang)
        spec = self.config.program(program_key)
        person = await uow.people.by_email(email.strip()) if "@" in email else None
        if spec is None:
            raise InviteError(_("Choose a program."))
        if person is None:
            raise InviteError(_("Nobody with that email is in the organisation's directory."))
        program = await program_row(uow, spec)
        if any(p.program_id == program.id for p in await uow.programs.supporters_of(person.id)):
            raise InviteError(_("{name} is already a supporter in {program}.").format(
                name=name_of(person), program=spec.name(lang)))
        profile = await uow.programs.add_supporter(
            person.id, program.id, bio_en="", bio_fr="", topics=[], languages=[],
            capacity=spec.capacity_default, trained_on=None, term_end=None)
        return profile, [self._invitation(person, spec)]

    def _invitation(self, person: Person, spec: ProgramSpec) -> Outbound:
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        card = Card(title=_("You are invited to be a supporter"), text=_(
            "The program office invited you to be a supporter in {program}. Once your "
            "orientation and training are recorded, colleagues can find you. Meanwhile, "
            "set up your bio, topics, languages and weekly hours.").format(
            program=spec.name(lang)),
            buttons=(Button(_("My profile"), "profile.show"),))
        return Outbound(person.id, card, _("A message from Peerlink"), Priority.BULK,
                        lang=lang)

    async def record(self, uow: UnitOfWork, profile: SupporterProfile, terms: Terms,
                     now: datetime) -> None:
        """Save the dates and (re)schedule the renewal reminder."""
        if profile.term_end is not None:
            await uow.due.cancel(_renewal_key(profile.id, profile.term_end))
        profile.oriented_on, profile.trained_on = terms.oriented_on, terms.trained_on
        profile.term_start, profile.term_end = terms.term_start, terms.term_end
        if terms.term_end is not None:
            when = datetime.combine(terms.term_end - RENEW_BEFORE, time(14), tzinfo=UTC)
            await uow.due.schedule(RENEWAL, _renewal_key(profile.id, terms.term_end),
                                   max(when, now), {"profile_id": profile.id})

    async def remind(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                     ) -> Sequence[Outbound]:
        """The supporter and the program office: the term ends in 30 days."""
        profile = await uow.programs.profile(int(work.payload["profile_id"]))
        person = await uow.people.get(profile.person_id) if profile else None
        if profile is None or person is None or profile.term_end is None or \
                profile.state == "revoked":
            return []
        program = await uow.programs.get(profile.program_id)
        spec = self.config.program(program.key) if program else None
        out = [self._note(person, person, profile.term_end, spec)]
        out += [self._note(member, person, profile.term_end, spec, office=True)
                for member in await uow.people.program_office()]
        return out

    def _note(self, to: Person, supporter: Person, ends: date, spec: ProgramSpec | None,
              office: bool = False) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        day = format_date(ends, "long", locale=lang)
        name = spec.name(lang) if spec else ""
        text = (_("{name}'s term as a supporter in {program} ends on {date}. Renew it, or "
                  "thank them, from the supporters page.").format(
                    name=name_of(supporter), program=name, date=day) if office else
                _("Your term as a supporter in {program} ends on {date}. If you would like "
                  "to go on, tell the program office; thank you for all you give.").format(
                    program=name, date=day))
        return Outbound(to.id, Card(text=text), _("A message from Peerlink"), Priority.BULK,
                        lang=lang)

    def due_handlers(self) -> dict[str, DueHandler]:
        return {RENEWAL: self.remind}


def _renewal_key(profile_id: int, term_end: date) -> str:
    return f"renewal:{profile_id}:{term_end.isoformat()}"
