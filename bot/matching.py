"""Who may be offered to whom, and who fits best: pure functions, no I/O.

Offered only: active (or back from a pause), trained, in term, with spare capacity
(the storage query applies these). Never: the seeker themself, anyone in their
reporting line up or down, anyone either side declared a conflict with, anyone the
seeker hid. Suggestions rank on a shared language, the topic asked about, shared
working hours and load (the less loaded first), with ties broken by profile id so
the same question always gets the same answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol

from bot.places import zone as zone_named

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


Slot = tuple[str, str, str]  # ("mon", "09:00", "12:00"), in the supporter's timezone


class Offer(Protocol):
    """A supporter on offer, as far as matching needs to know (storage's rows fit it)."""

    @property
    def profile_id(self) -> int: ...
    @property
    def person_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def languages(self) -> tuple[str, ...]: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def timezone(self) -> str: ...
    @property
    def availability(self) -> tuple[Slot, ...]: ...
    @property
    def load(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def reporting_path(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def location(self) -> str: ...


@dataclass(frozen=True)
class Candidate:
    """An :class:`Offer` built by hand (tests, single checks)."""

    profile_id: int
    person_id: int
    name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    timezone: str
    availability: tuple[Slot, ...]
    load: int
    capacity: int
    reporting_path: str = ""
    department: str = ""
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
    candidate: Offer
    speaks_language: bool
    topic: str  # the topic asked about, when the supporter helps with it
    shared_hours: float
    reasons: tuple[tuple[str, str], ...] = field(default=())


@lru_cache(maxsize=65536)
def windows(slots: tuple[Slot, ...]) -> tuple[Window, ...]:
    """Availability as stored, (day, start, end) like ("mon", "09:00", "12:00"); anything
    malformed is left out rather than trusted. Cached: the same slots come back often."""
    found = []
    for day_name, start_text, end_text in slots:
        try:
            day = DAYS.index(day_name)
            start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
        except ValueError:
            continue
        if start < end:
            found.append(Window(day, start, end))
    return tuple(found)


def conflicted(seeker: Seeker, candidate: Offer) -> bool:
    """True when the candidate must never be offered to this seeker."""
    return _Exclusions(seeker).exclude(candidate)


class _Exclusions:
    """The conflict-of-interest rules for one seeker, prepared once for many candidates."""

    def __init__(self, seeker: Seeker) -> None:
        self._seeker = seeker
        self._managers = frozenset(int(x) for x in seeker.reporting_path.split("/") if x)
        self._me = f"/{seeker.person_id}/"

    def exclude(self, c: Offer) -> bool:
        s = self._seeker
        return (
            c.person_id == s.person_id
            or c.person_id in s.conflicts
            or c.profile_id in s.hidden
            # Up: the candidate manages the seeker, directly or not. Down: the reverse.
            or c.person_id in self._managers
            or (bool(c.reporting_path) and self._me in f"/{c.reporting_path}/")
        )


def rank(
    seeker: Seeker,
    candidates: Sequence[Offer],
    *,
    topic: str = "",
    now: datetime,
    limit: int | None = None,
    where: Callable[[Offer, int], bool] | None = None,
) -> list[Match]:
    """Every offerable candidate (or the best ``limit``), best first; ``where`` (the
    candidate, minutes of shared working hours) narrows them further.

    Each candidate's rank is packed into one integer (see ``_score``), so ranking
    thousands allocates no tuples (which would wake the garbage collector); only the
    ones returned become :class:`Match`.
    """
    week = _monday(now)
    mine = _seeker_week(seeker.timezone, week)
    rules = _Exclusions(seeker)
    scores = []
    for index, c in enumerate(candidates):
        if c.load >= c.capacity or rules.exclude(c):
            continue
        minutes = _overlap(mine, _utc_week(c.timezone, windows(c.availability), week))
        if where is not None and not where(c, minutes):
            continue
        scores.append(_score(seeker.lang not in c.languages,
                             not (topic and topic in c.topics), minutes,
                             c.load, c.capacity, c.profile_id, index))
    best = heapq.nsmallest(limit, scores) if limit is not None else sorted(scores)
    chosen = [candidates[score & _INDEX] for score in best]
    return [_match(seeker, c, topic, _overlap(
        mine, _utc_week(c.timezone, windows(c.availability), week)) / 60) for c in chosen]


# Bits of a score, most significant first: another language, another topic, fewer shared
# hours, a higher load, a higher profile id (the tie-break), and where it is in the list.
_INDEX_BITS, _ID_BITS = 24, 32
_INDEX = (1 << _INDEX_BITS) - 1


def _score(other_language: bool, other_topic: bool, minutes: int, load: int, capacity: int,
           profile_id: int, index: int) -> int:
    hours = min(round(minutes / 60), 168)  # a week
    load_per_mille = min(load * 1000 // max(capacity, 1), 1023)
    score = (int(other_language) << 1 | int(other_topic)) << 8 | (168 - hours)
    score = (score << 10 | load_per_mille) << _ID_BITS | (profile_id & ((1 << _ID_BITS) - 1))
    return score << _INDEX_BITS | index


def _match(seeker: Seeker, c: Offer, topic: str, hours: float) -> Match:
    speaks = seeker.lang in c.languages
    helps = topic if topic and topic in c.topics else ""
    return Match(c, speaks, helps, hours, _reasons(seeker, c, speaks, helps, hours))


def _reasons(seeker: Seeker, c: Offer, speaks: bool, topic: str,
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
    tz = zone_named(zone)
    offset = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@lru_cache(maxsize=65536)
def _utc_week(zone: str, slots: tuple[Window, ...], monday: date) -> tuple[tuple[int, int], ...]:
    """Local weekly windows as UTC minute-of-week intervals, split at the week's edge.

    Cached: supporters' windows and zones repeat from one search to the next.
    """
    intervals: list[tuple[int, int]] = []
    for w in slots:
        offset = _offset_minutes(zone, monday + timedelta(days=w.day))
        start = w.day * 1440 + w.start.hour * 60 + w.start.minute - offset
        end = w.day * 1440 + w.end.hour * 60 + w.end.minute - offset
        intervals.extend(_wrap(start, end))
    return tuple(intervals)


def _seeker_week(zone: str, monday: date) -> tuple[tuple[int, int], ...]:
    """The seeker's working hours (``WORKDAY``, Monday to Friday) in UTC minutes."""
    return _utc_week(zone, _WORKWEEK, monday)


_WORKWEEK = tuple(Window(day, *WORKDAY) for day in range(5))


def _wrap(start: int, end: int) -> list[tuple[int, int]]:
    start, end = start % WEEK, start % WEEK + (end - start)
    if end <= WEEK:
        return [(start, end)]
    return [(start, WEEK), (0, end - WEEK)]


@lru_cache(maxsize=65536)
def _overlap(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> int:
    """Minutes shared by two sets of intervals (each set without overlaps of its own)."""
    total = 0
    for a0, a1 in a:
        for b0, b1 in b:
            if b0 < a1 and a0 < b1:
                total += min(a1, b1) - max(a0, b0)
    return total
