"""A buddy for new joiners: offered once, from the buddy program's pool.

A new joiner is someone whose start date (org data) is recent or near, or whom a
platform announced as joining (Slack's ``team_join``). They are offered, once,
the best buddies from another team, in the same location or with at least an
hour of shared working hours a week, never their own reporting line; pressing
"Ask to connect" sends the usual request, which the buddy accepts or declines.

Both triggers schedule the same due work, keyed by person, so nobody is offered
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

from bot.config import ProgramConfig
from bot.i18n import Catalogs
from bot.matching import Offer
from bot.messages import Outbound
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.support import Support, lang_of, matches_for
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person
from storage.support import ACCEPTED, OPEN

OFFER = "buddy.offer"
PROGRAM = "buddy"
# Joined this long ago or less: still new. Further ahead than this: too early to plan.
RECENT, AHEAD = timedelta(days=30), timedelta(days=90)
MIN_SHARED_MINUTES = 60


def offer_key(person_id: int) -> str:
    return f"buddy-offer:{person_id}"


async def schedule_buddy_offers(uow: UnitOfWork, people: Sequence[Person], now: datetime
                                ) -> int:
    """Schedule the offer for new joiners: at 10:00 on their first day (their time), or
    now for those who started recently. Returns how many were newly scheduled."""
    scheduled = 0
    for person in people:
        if person.start_date is None:
            continue
        first_day = datetime.combine(person.start_date, time(10), tzinfo=zone_of(person))
        if not now - RECENT <= first_day <= now + AHEAD:
            continue
        if await uow.due.schedule(OFFER, offer_key(person.id), max(first_day, now),
                                  {"person_id": person.id}):
            scheduled += 1
    return scheduled


async def schedule_on_join(uow: UnitOfWork, person: Person, now: datetime) -> None:
    """A platform said this person just joined: offer a buddy now (once)."""
    await uow.due.schedule(OFFER, offer_key(person.id), now, {"person_id": person.id})


class Buddies:
    """The offer itself, run as due work."""

    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self._config = config
        self._catalogs = catalogs
        self._support = Support(config, catalogs)

    async def offer(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                    ) -> Sequence[Outbound]:
        person = await uow.people.get(int(work.payload["person_id"]))
        spec = self._config.program(PROGRAM)
        if person is None or spec is None:
            return []
        program = await uow.programs.by_key(PROGRAM)
        if program is not None and await uow.support.of_seeker(
            person.id, (OPEN, ACCEPTED), program.id
        ):
            return []  # they already asked for a buddy themselves
        keep = _good_buddy_for(person)
        if program is None or not await matches_for(uow, person, program, now, limit=1,
                                                     where=keep):
            return []  # an offer nobody asked for: only when there is someone to offer
        _ = self._catalogs.gettext(lang_of(person))
        intro = _("Welcome aboard! A buddy is a colleague from another team who can show "
                  "you around, answer the questions nobody writes down, and have a coffee "
                  "with you. Here is who could be yours; ask one, or ignore this message.")
        return await self._support.suggestions(
            uow, person, spec, now, intro=intro, where=keep)

    def due_handlers(self) -> dict[str, DueHandler]:
        return {OFFER: self.offer}


def _good_buddy_for(person: Person) -> Callable[[Offer, int], bool]:
    """Another team, and the same location or an hour a week of shared working hours."""
    def keep(offer: Offer, shared_minutes: int) -> bool:
        other_team = not person.department or offer.department != person.department
        near = bool(person.location) and offer.location == person.location
        return other_team and (near or shared_minutes >= MIN_SHARED_MINUTES)
    return keep
