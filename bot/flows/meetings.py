"""Booking, moving and cancelling meetings, and "my meetings".

| input                                  | who may          | answer                               |
|----------------------------------------|------------------|--------------------------------------|
| "meetings" / "rencontres"              | anyone           | upcoming and recent meetings         |
| Book (value "request|minutes|mode|page")| the connection  | free times in both timezones         |
| a time (value "request|epoch|min|mode")| the connection   | booked, both confirmed with invites  |
| a time no longer free                  | the connection   | "just taken" and fresh times         |
| Move (meeting id), then a time         | the connection   | moved (same invite UID, SEQUENCE+1)  |
| Cancel it (meeting id)                 | the connection   | cancelled for both, invite CANCEL    |
| anything else, someone else's          | anyone else      | not understood; nothing changed      |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.connections import Arc
from bot.flows.menu import not_understood
from bot.meetings import MODES, Connection, Meetings, when
from bot.messages import Outbound
from bot.slots import BUFFER, DURATIONS
from bot.support import lang_of, name_of
from bot.text import as_id
from bot.turn import Turn
from bot.ui import Button, Card
from storage.meetings import BOOKED
from storage.models import Meeting
from storage.support import ACCEPTED


def _rules(turn: Turn) -> Meetings:
    return Meetings(turn.config, turn.catalogs)


def _parts(turn: Turn, count: int) -> list[str]:
    return [*turn.value.split("|"), *[""] * count][:count]


async def _connection_of(turn: Turn, request_id: int | None) -> Connection | None:
    if request_id is None:
        return None
    c = await _rules(turn).connection(turn.uow, request_id)
    return c if c is not None and c.includes(turn.person) else None


async def _meeting_of(turn: Turn, meeting_id: int | None
                      ) -> tuple[Meeting, Connection] | None:
    meeting = await turn.uow.meetings.get(meeting_id) if meeting_id is not None else None
    if meeting is None:
        return None
    c = await _connection_of(turn, meeting.request_id)
    return (meeting, c) if c is not None else None


def _choice(c: Connection, minutes: str, mode: str) -> tuple[int, str]:
    length = as_id(minutes, digits=2) or 30
    length = length if length in DURATIONS else 30
    modes = [m for m in c.profile.modes if m in MODES] or ["video"]
    return length, mode if mode in modes else modes[0]


async def slots(turn: Turn) -> Sequence[Outbound]:
    """Free times for a connection (or to move a meeting: "m<id>|...")."""
    head, minutes, mode, page = _parts(turn, 4)
    moving = None
    if head.startswith("m"):
        found = await _meeting_of(turn, as_id(head[1:]))
        if found is None or found[0].status != BOOKED:
            return await not_understood(turn)
        moving, c = found
        length, mode = moving.minutes, moving.mode
    else:
        connection = await _connection_of(turn, as_id(head))
        if connection is None:
            return await not_understood(turn)
        c = connection
        length, mode = _choice(c, minutes, mode)
    rules = _rules(turn)
    free = await rules.free(turn.uow, c, length, turn.now, moving=moving)
    page_no = min(as_id(page, 4) or 0, max(0, (len(free) - 1) // 8))
    return [turn.reply(rules.slot_card(c, turn.person, free, minutes=length, mode=mode,
                                       page=page_no, moving=moving))]


async def book(turn: Turn) -> Sequence[Outbound]:
    rid, epoch, minutes, mode = _parts(turn, 4)
    c = await _connection_of(turn, as_id(rid))
    start = _moment(epoch)
    if c is None or start is None:
        return await not_understood(turn)
    rules = _rules(turn)
    length, mode = _choice(c, minutes, mode)
    free = await rules.free(turn.uow, c, length, turn.now)
    _ = turn.gettext
    if start not in free:
        lead = _("That time is no longer free. Here are the times that are.")
        return [turn.reply(rules.slot_card(c, turn.person, free, minutes=length, mode=mode,
                                           page=0, lead=lead))]
    # Two people racing for this time: the second insert of its cells fails, the turn is
    # retried, and the retry finds the time gone (above).
    meeting = await turn.uow.meetings.book(c.request, start, length, mode, BUFFER, turn.now)
    await rules.schedule_reminders(turn.uow, meeting, turn.now)
    await Arc(turn.config, turn.catalogs).schedule_after(turn.uow, meeting)
    return _confirm_both(turn, c, meeting, "booked")


async def _changeable(turn: Turn, meeting_id: int | None
                      ) -> tuple[Meeting, Connection] | list[Outbound]:
    """A booked, future meeting of this person's, else the replies that say why not."""
    found = await _meeting_of(turn, meeting_id)
    if found is None:
        return list(await not_understood(turn))
    meeting = found[0]
    if meeting.status != BOOKED or meeting.starts_at <= turn.now:
        return [_closed(turn, meeting)]
    return found


async def reschedule(turn: Turn) -> Sequence[Outbound]:
    """"Move": the free times, as for booking, for this meeting's length."""
    found = await _changeable(turn, as_id(_parts(turn, 1)[0]))
    if isinstance(found, list):
        return found
    meeting, c = found
    rules = _rules(turn)
    free = await rules.free(turn.uow, c, meeting.minutes, turn.now, moving=meeting)
    return [turn.reply(rules.slot_card(c, turn.person, free, minutes=meeting.minutes,
                                       mode=meeting.mode, page=0, moving=meeting))]


async def move(turn: Turn) -> Sequence[Outbound]:
    mid, epoch = _parts(turn, 2)
    start = _moment(epoch)
    found = await _changeable(turn, as_id(mid) if start is not None else None)
    if isinstance(found, list):
        return found
    meeting, c = found
    assert start is not None
    rules = _rules(turn)
    free = await rules.free(turn.uow, c, meeting.minutes, turn.now, moving=meeting)
    if start not in free:
        _ = turn.gettext
        lead = _("That time is no longer free. Here are the times that are.")
        return [turn.reply(rules.slot_card(c, turn.person, free, minutes=meeting.minutes,
                                           mode=meeting.mode, page=0, moving=meeting,
                                           lead=lead))]
    await rules.cancel_reminders(turn.uow, meeting)
    await turn.uow.meetings.move(meeting, start, BUFFER)
    await rules.schedule_reminders(turn.uow, meeting, turn.now)
    await Arc(turn.config, turn.catalogs).schedule_after(turn.uow, meeting)
    return _confirm_both(turn, c, meeting, "moved")


async def cancel(turn: Turn) -> Sequence[Outbound]:
    found = await _changeable(turn, as_id(_parts(turn, 1)[0]))
    if isinstance(found, list):
        return found
    meeting, c = found
    rules = _rules(turn)
    await rules.cancel_reminders(turn.uow, meeting)
    await turn.uow.meetings.cancel(meeting)
    return _confirm_both(turn, c, meeting, "cancelled")


def _confirm_both(turn: Turn, c: Connection, meeting: Meeting, what: str) -> list[Outbound]:
    rules = _rules(turn)
    out = []
    for person in (turn.person, c.other(turn.person)):
        _ = turn.catalogs.gettext(lang_of(person))
        by = name_of(turn.person)
        lead = {
            "booked": _("Booked by {name}. Add it to your calendar: the invite has a neutral "
                        "title."),
            "moved": _("Moved by {name}. Your calendar invite is updated when you open it "
                       "again."),
            "cancelled": _("Cancelled by {name}. Open the invite again to remove it from "
                           "your calendar."),
        }[what].format(name=by)
        confirmation = rules.confirmation(turn.uow, c, meeting, person, lead)
        if person.id == turn.person.id:
            confirmation = turn.reply(confirmation.body)
        out.append(confirmation)
    return out


def _closed(turn: Turn, meeting: Meeting) -> Outbound:
    _ = turn.gettext
    if meeting.status != BOOKED:
        return turn.reply(Card(text=_("This meeting was cancelled. Nothing was changed.")))
    return turn.reply(Card(text=_("This meeting has already started. Nothing was changed.")))


def _moment(epoch: str) -> datetime | None:
    seconds = as_id(epoch, 11)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


async def my_meetings(turn: Turn) -> Sequence[Outbound]:
    """Upcoming meetings with their actions; recent ones; connections to book."""
    _ = turn.gettext
    rules = _rules(turn)
    key = turn.uow.support.seeker_keys(turn.person.id)
    profiles = [p.id for p in await turn.uow.programs.supporters_of(turn.person.id)]
    meetings = {m.id: m for m in [*await turn.uow.meetings.for_seeker(key),
                                  *await turn.uow.meetings.for_supporter(profiles)]}
    out = []
    upcoming = sorted((m for m in meetings.values()
                       if m.status == BOOKED and m.ends_at > turn.now), key=lambda m: m.starts_at)
    for meeting in upcoming:
        c = await rules.connection(turn.uow, meeting.request_id)
        if c is not None and c.includes(turn.person):
            card = rules.confirmation(turn.uow, c, meeting, turn.person, "").body
            out.append(turn.reply(card))
    past = sorted((m for m in meetings.values() if m.status == BOOKED and m.ends_at <= turn.now),
                  key=lambda m: m.starts_at, reverse=True)[:5]
    lines = []
    for meeting in past:
        c = await rules.connection(turn.uow, meeting.request_id)
        if c is not None and c.includes(turn.person):
            lines.append("• " + _("{when}, with {name}").format(
                when=when(meeting.starts_at, turn.person, turn.lang),
                name=name_of(c.other(turn.person))))
    if not upcoming:
        lines.insert(0, _("You have no upcoming meetings."))
    elif lines:
        lines.insert(0, _("Recent meetings:"))
    out.append(turn.reply(Card(title=_("My meetings"), text="\n".join(lines))))
    connections = [*await turn.uow.support.of_seeker(turn.person.id, (ACCEPTED,)),
                   *(await turn.uow.support.of_supporter(profiles, (ACCEPTED,))
                     if profiles else [])]
    for request in connections:
        c = await rules.connection(turn.uow, request.id)
        if c is not None and c.includes(turn.person):
            out.append(turn.reply(await _connection_card(turn, c)))
    return out


async def _connection_card(turn: Turn, c: Connection) -> Card:
    """One connection: its stage, and what this person can do with it."""
    _ = turn.gettext
    arc = Arc(turn.config, turn.catalogs)
    held = await arc.held(turn.uow, c.request.id)
    rid = str(c.request.id)
    buttons = [Button(_("Book with {name}").format(name=name_of(c.other(turn.person))),
                      "meeting.slots", f"{rid}|30||0")]
    if turn.person.id == c.seeker.id:
        buttons.append(Button(_("My goals"), "goals.show", rid))
    else:
        buttons.append(Button(_("Send a resource"), "connection.resources", rid))
    if held >= 1:
        buttons.append(Button(_("End the connection"), "connection.more", f"{rid}|{held}|no"))
    return Card(title=_("With {name}").format(name=name_of(c.other(turn.person))),
                text=arc.stage_text(_, held, ended=False), buttons=tuple(buttons))
