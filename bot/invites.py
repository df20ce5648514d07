"""Calendar invites (.ics) for meetings, built with icalendar.

The title is neutral, "Private conversation", with no word of the program or of
well-being, since calendars are often shared. The UID stays the same for the life
of a meeting, so each new invite replaces the last; SEQUENCE counts the changes,
and a cancelled meeting gets METHOD:CANCEL. Times carry the person's timezone,
with its VTIMEZONE, so the calendar shows the right local time across
daylight-saving changes.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from bot.i18n import Gettext
from bot.places import zone as _zone

PRODID = "-//Peerlink//Private conversations//EN"


def invite(
    _: Gettext,
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    zone: str,
    cancelled: bool,
    location: str,
    organizer: str,
    attendees: tuple[str, ...],
    now: datetime,
) -> bytes:
    """One VEVENT in a VCALENDAR, as bytes (text/calendar)."""
    tz = _zone(zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", starts_at.astimezone(tz))
    event.add("dtend", ends_at.astimezone(tz))
    event.add("summary", _("Private conversation"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if location:
        event.add("location", vText(location))
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("ACCEPTED")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())

