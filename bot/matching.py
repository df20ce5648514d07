"""Who may be offered to whom, and who fits best: pure functions, no I/O.

Offered only: active (or back from a pause), trained, in term, with spare capacity
(the storage query applies these). Never: the seeker themself, anyone in their
reporting line up or down, anyone either side declared a conflict with, anyone the
seeker hid. Suggestions rank on a shared language, the topic asked about, shared
working hours and load (the less loaded first), with ties broken by profile id so
the same question always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK = 7 * 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A seeker's working hours, when they have set none: weekdays, 09:00 to 17:00 local.
WORKDAY = (time(9), time(17))
MIN_SHARED_HOURS = 1.0


@dataclass(frozen=True)
class Window:
    """A weekly window, in the owner's local time."""

    day: int  # 0 is Monday
    start: time
    end: time


@dataclass(frozen=True)
class Candidate:
    profile_id: int
    person_id: int
    name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    timezone: str
    availability: tuple[Window, ...]
    load: int
    capacity: int
    reporting_path: str = ""
    bio_en: str = ""
    bio_fr: str = ""
    location: str = ""


@dataclass(frozen=True)
class Seeker:
    person_id: int
    lang: str
    timezone: str
    reporting_path: str = ""
    conflicts: frozenset[int] = frozenset()  # people either side declared a conflict with
    hidden: frozenset[int] = frozenset()  # supporter profiles the seeker hid


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    speaks_language: bool
    topic: str  # the topic asked about, when the supporter helps with it
    shared_hours: float
    reasons: tuple[tuple[str, str], ...] = field(default=())

    def sort_key(self) -> tuple[int, int, float, float, int]:
        c = self.candidate
        return (-int(self.speaks_language), -int(bool(self.topic)),
                -round(self.shared_hours), c.load / max(c.capacity, 1), c.profile_id)


def windows(raw: Iterable[object]) -> tuple[Window, ...]:
    """Availability as stored ({"day": "mon", "start": "09:00", "end": "12:00"});
    anything malformed is left out rather than trusted."""
    found = []
    for slot in raw:
        if not isinstance(slot, dict):
            continue
        try:
            day = DAYS.index(str(slot.get("day")))
            start = time.fromisoformat(str(slot.get("start")))
            end = time.fromisoformat(str(slot.get("end")))
        except ValueError:
            continue
        if start < end:
            found.append(Window(day, start, end))
    return tuple(found)


def conflicted(seeker: Seeker, candidate: Candidate) -> bool:
    """True when the candidate must never be offered to this seeker."""
    if candidate.person_id == seeker.person_id:
        return True
    if candidate.person_id in seeker.conflicts or candidate.profile_id in seeker.hidden:
        return True
    # Up: the candidate manages the seeker, directly or not. Down: the reverse.
    if str(candidate.person_id) in seeker.reporting_path.split("/"):
        return True
    return str(seeker.person_id) in candidate.reporting_path.split("/")


def rank(
    seeker: Seeker,
    candidates: Iterable[Candidate],
    *,
    topic: str = "",
    now: datetime,
    limit: int | None = None,
) -> list[Match]:
    """Every offerable candidate, best first."""
    week = _monday(now)
    mine = _seeker_week(seeker.timezone, week)
    matches = []
    for c in candidates:
        if conflicted(seeker, c) or c.load >= c.capacity:
            continue
        hours = _overlap(mine, _utc_week(c.timezone, c.availability, week)) / 60
        speaks = seeker.lang in c.languages
        helps = topic if topic and topic in c.topics else ""
        matches.append(Match(c, speaks, helps, hours, _reasons(seeker, c, speaks, helps, hours)))
    matches.sort(key=Match.sort_key)
    return matches[:limit] if limit is not None else matches


def _reasons(seeker: Seeker, c: Candidate, speaks: bool, topic: str,
             hours: float) -> tuple[tuple[str, str], ...]:
    """Why this one: codes the flow turns into words ("speaks French · 3 h ...")."""
    reasons: list[tuple[str, str]] = []
    if speaks:
        reasons.append(("language", seeker.lang))
    if hours >= MIN_SHARED_HOURS:
        reasons.append(("hours", str(round(hours))))
    if topic:
        reasons.append(("topic", topic))
    if c.load == 0:
        reasons.append(("free", ""))
    return tuple(reasons)


def _monday(now: datetime) -> date:
    today = now.date()
    return today - timedelta(days=today.weekday())


@lru_cache(maxsize=4096)
def _offset_minutes(zone: str, day: date) -> int:
    """The zone's UTC offset at noon on ``day``, in minutes (UTC when unknown)."""
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    offset = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _utc_week(zone: str, slots: Sequence[Window], monday: date) -> list[tuple[int, int]]:
    """Local weekly windows as UTC minute-of-week intervals, split at the week's edge."""
    intervals = []
    for w in slots:
        offset = _offset_minutes(zone, monday + timedelta(days=w.day))
        start = w.day * 1440 + w.start.hour * 60 + w.start.minute - offset
        end = w.day * 1440 + w.end.hour * 60 + w.end.minute - offset
        intervals.extend(_wrap(start, end))
    return intervals


@lru_cache(maxsize=1024)
def _seeker_week_cached(zone: str, monday: date) -> tuple[tuple[int, int], ...]:
    workdays = [Window(day, *WORKDAY) for day in range(5)]
    return tuple(_utc_week(zone, workdays, monday))


def _seeker_week(zone: str, monday: date) -> tuple[tuple[int, int], ...]:
    return _seeker_week_cached(zone, monday)


def _wrap(start: int, end: int) -> list[tuple[int, int]]:
    start, end = start % WEEK, start % WEEK + (end - start)
    if end <= WEEK:
        return [(start, end)]
    return [(start, WEEK), (0, end - WEEK)]


def _overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int:
    """Minutes shared by two sets of intervals (each set without overlaps of its own)."""
    total = 0
    for a0, a1 in a:
        for b0, b1 in b:
            if b0 < a1 and a0 < b1:
                total += min(a1, b1) - max(a0, b0)
    return total
