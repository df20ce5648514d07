"""Private meetings of a connection: free times, booking, invites, reminders.

A connection is an accepted request. Either of its two people can book, move or
cancel its meetings. Times are offered from the supporter's weekly hours over the
next working days (bot/slots.py) and shown in both people's timezones. Booking
holds 15-minute cells in the database, so two people racing for one time cannot
both get it: the loser's turn is retried and finds the time gone.

Each confirmation carries a link to its calendar invite (bot/invites.py), signed
for that person. Reminders go 24 hours and 15 minutes before; a moved or
cancelled meeting's old reminders do nothing when they come due.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from babel.dates import format_datetime

from bot.config import ProgramConfig, ProgramSpec
from bot.i18n import N_, Catalogs, Gettext
from bot.invites import invite
from bot.matching import windows
from bot.messages import Outbound, Priority
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.slots import Busy, free_slots
from bot.support import Support, lang_of, name_of
from bot.ui import Button, Card, Fact, Option, Select
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.meetings import BOOKED
from storage.models import Meeting, Person, SupporterProfile, SupportRequest
from storage.support import ACCEPTED

log = logging.getLogger("peerlink.meetings")

REMIND = "meeting.remind"
REMINDERS = (("24h", timedelta(hours=24)), ("15m", timedelta(minutes=15)))
SLOTS_PER_CARD = 8
MODES: dict[str, str] = {
    "video": N_("Video call"),
    "phone": N_("Phone"),
    "in_person": N_("In person"),
    "chat": N_("Chat"),
}


@dataclass(frozen=True)
class Connection:
    """An accepted request and its two people."""

    request: SupportRequest
    seeker: Person
    supporter: Person
    profile: SupporterProfile
    spec: ProgramSpec

    def other(self, person: Person) -> Person:
        return self.supporter if person.id == self.seeker.id else self.seeker

    def includes(self, person: Person) -> bool:
        return person.id in (self.seeker.id, self.supporter.id)


def when(moment: datetime, person: Person, lang: str) -> str:
    """"Tue, Nov 24, 10:00" in the person's timezone and language."""
    local = moment.astimezone(zone_of(person))
    return format_datetime(local, "EEE d MMM, HH:mm", locale=lang)


@dataclass(frozen=True)
class Invite:
    """A calendar file and whether it cancels the meeting (METHOD:CANCEL)."""

    cancelled: bool
    body: bytes


class Meetings:
    """The meeting rules, with what they need to write to people in their language."""

    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    async def connection(self, uow: UnitOfWork, request_id: int) -> Connection | None:
        """An accepted request and its people; None for anything else."""
        request = await uow.support.get(request_id)
        if request is None or request.status != ACCEPTED:
            return None
        parties = await Support(self.config, self.catalogs).parties(uow, request)
        return Connection(request, *parties) if parties is not None else None

    async def free(self, uow: UnitOfWork, c: Connection, minutes: int, now: datetime, *,
                   moving: Meeting | None = None) -> list[datetime]:
        """Free start times; a meeting being moved does not block its own time."""
        slots = tuple((str(s.get("day")), str(s.get("start")), str(s.get("end")))
                      for s in c.profile.availability if isinstance(s, dict))
        busy = Busy.of(await uow.meetings.busy(c.profile.id, now, now + timedelta(days=31),
                                               exclude=moving.id if moving else None))
        return free_slots(windows(slots), c.supporter.effective_timezone,
                          c.supporter.country or self.config.default_country, busy,
                          now=now, minutes=minutes)

    def slot_card(self, c: Connection, me: Person, slots: Sequence[datetime], *,
                  minutes: int, mode: str, page: int, moving: Meeting | None = None,
                  lead: str = "") -> Card:
        """Free times in both timezones; duration and mode choices; later times."""
        lang = lang_of(me)
        _ = self.catalogs.gettext(lang)
        other = c.other(me)
        rid = c.request.id
        shown = slots[page * SLOTS_PER_CARD:(page + 1) * SLOTS_PER_CARD]
        buttons = []
        for start in shown:
            label = when(start, me, lang)
            if zone_of(other).key != zone_of(me).key:
                label += " · " + _("{name} {time}").format(
                    name=other.display_name.split(" ")[0] or "?",
                    time=start.astimezone(zone_of(other)).strftime("%H:%M"))
            action, value = (("meeting.move", f"{moving.id}|{int(start.timestamp())}")
                             if moving else
                             ("meeting.book", f"{rid}|{int(start.timestamp())}|{minutes}|{mode}"))
            buttons.append(Button(label, action, value))
        if (page + 1) * SLOTS_PER_CARD < len(slots):
            target = (f"m{moving.id}|{minutes}|{mode}|{page + 1}" if moving
                      else f"{rid}|{minutes}|{mode}|{page + 1}")
            buttons.append(Button(_("Later times"), "meeting.slots", target))
        if moving:
            title = _("Move your meeting with {name}").format(name=name_of(other))
        else:
            title = _("Book a meeting with {name}").format(name=name_of(other))
        text = _("Times are in your timezone ({zone}). Meetings are private, during work "
                 "hours, {minutes} minutes.").format(zone=zone_of(me).key, minutes=minutes)
        if not slots:
            text = _("No free time in the next two working weeks. {name} can add weekly "
                     "hours in their profile; you can also write to each other.").format(
                name=name_of(c.supporter))
        selects: tuple[Select, ...] = ()
        if not moving:
            modes = [m for m in c.profile.modes if m in MODES] or ["video"]
            selects = (
                Select("meeting.slots", _("Length"), tuple(
                    Option(_("{minutes} minutes").format(minutes=n), f"{rid}|{n}|{mode}|0")
                    for n in (30, 45, 60))),
                Select("meeting.slots", _("How"), tuple(
                    Option(_(MODES[m]), f"{rid}|{minutes}|{m}|0") for m in modes)),
            )
        return Card(title=title, text="\n\n".join(filter(None, [lead, text])),
                    buttons=tuple(buttons), selects=selects)

    def invite_link(self, uow: UnitOfWork, meeting: Meeting, person: Person) -> str:
        sig = uow.meetings.signature(meeting.uid, person.id)
        return (f"{self.config.public_url}/invites/{quote(meeting.uid)}.ics"
                f"?p={person.id}&s={sig}")

    def how(self, _: Gettext, c: Connection, meeting: Meeting) -> str:
        mode = _(MODES.get(meeting.mode, MODES["video"]))
        where = {"video": c.profile.video_link, "in_person": c.profile.place}.get(
            meeting.mode, "")
        return f"{mode}: {where}" if where else mode

    def confirmation(self, uow: UnitOfWork, c: Connection, meeting: Meeting, to: Person,
                     lead: str) -> Outbound:
        lang = lang_of(to)
        _ = self.catalogs.gettext(lang)
        other = c.other(to)
        facts = [Fact(_("When"), f"{when(meeting.starts_at, to, lang)} ({zone_of(to).key})"),
                 Fact(_("With"), name_of(other)),
                 Fact(_("Length"), _("{minutes} minutes").format(minutes=meeting.minutes)),
                 Fact(_("How"), self.how(_, c, meeting))]
        if zone_of(other).key != zone_of(to).key:
            facts.insert(1, Fact(_("For {name}").format(name=name_of(other)),
                                 f"{when(meeting.starts_at, other, lang)} "
                                 f"({zone_of(other).key})"))
        buttons = [Button(_("Add to my calendar"), "", url=self.invite_link(uow, meeting, to))]
        if meeting.status == BOOKED:
            buttons += [Button(_("Move"), "meeting.reschedule", str(meeting.id)),
                        Button(_("Cancel it"), "meeting.cancel", str(meeting.id))]
        return Outbound(to.id, Card(title=_("Private conversation"), text=lead,
                                    facts=tuple(facts), buttons=tuple(buttons)),
                        _("New message from Peerlink"), Priority.REPLY, lang=lang)

    async def schedule_reminders(self, uow: UnitOfWork, meeting: Meeting, now: datetime
                                 ) -> None:
        for label, before in REMINDERS:
            due = meeting.starts_at - before
            if due > now:
                await uow.due.schedule(REMIND, f"meeting:{meeting.id}:{meeting.sequence}:{label}",
                                       due, {"meeting_id": meeting.id,
                                             "sequence": meeting.sequence, "label": label})

    async def cancel_reminders(self, uow: UnitOfWork, meeting: Meeting) -> None:
        for label, _before in REMINDERS:
            await uow.due.cancel(f"meeting:{meeting.id}:{meeting.sequence}:{label}")

    async def remind(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                     ) -> Sequence[Outbound]:
        meeting = await uow.meetings.get(int(work.payload["meeting_id"]))
        if (meeting is None or meeting.status != BOOKED
                or meeting.sequence != int(work.payload["sequence"])):
            return []  # moved or cancelled since: this reminder is void
        c = await self.connection(uow, meeting.request_id)
        if c is None:
            return []
        out = []
        for person in (c.seeker, c.supporter):
            lang = lang_of(person)
            _ = self.catalogs.gettext(lang)
            if work.payload.get("label") == "15m":
                text = _("Your private conversation with {name} starts in 15 minutes.")
            else:
                text = _("A reminder: your private conversation with {name} is tomorrow.")
            out.append(self.confirmation(uow, c, meeting, person,
                                         text.format(name=name_of(c.other(person)))))
        return out

    async def invite_file(self, uow: UnitOfWork, uid: str, person_id: int, signature: str,
                          now: datetime) -> Invite | None:
        """The calendar invite behind a confirmation's link, for the person it was made
        for (its signature says so), as the meeting stands now; None for anything else."""
        meeting = await uow.meetings.by_uid(uid)
        if meeting is None or not uow.meetings.signed(uid, person_id, signature):
            return None
        c = await self.connection(uow, meeting.request_id)
        if c is None:
            return None
        person = c.seeker if c.seeker.id == person_id else c.supporter
        if person.id != person_id:
            return None
        _ = self.catalogs.gettext(lang_of(person))
        cancelled = meeting.status != BOOKED
        return Invite(cancelled, invite(
            _, uid=meeting.uid, sequence=meeting.sequence, starts_at=meeting.starts_at,
            ends_at=meeting.ends_at, zone=zone_of(person).key,
            cancelled=cancelled, location=self.how(_, c, meeting),
            organizer=c.supporter.email or "",
            attendees=tuple(e for e in (c.seeker.email, c.supporter.email) if e), now=now,
        ))

    def due_handlers(self) -> dict[str, DueHandler]:
        return {REMIND: self.remind}
