"""Free meeting times of a supporter: pure functions, no I/O.

Slots come from the supporter's weekly windows, in their own timezone, over the
next working days (Monday to Friday, less the public holidays of their country),
every 30 minutes, for the length asked. A slot is free when it starts far
enough ahead and keeps a buffer clear of every meeting already booked. Local
times are built with ``zoneinfo``, so a window at 09:00 is at 09:00 on both
sides of a daylight-saving change.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.matching import Window
from bot.places import zone as zone_named

DURATIONS = (30, 45, 60)
STEP = timedelta(minutes=30)
BUFFER = timedelta(minutes=15)
NOTICE = timedelta(hours=2)  # the earliest a meeting can start, from now
WORKING_DAYS = 10


@dataclass(frozen=True)
class Busy:
    """Booked meetings as sorted (start, end) pairs in UTC, searched by bisection."""

    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]

    @classmethod
    def of(cls, meetings: Iterable[tuple[datetime, datetime]]) -> Busy:
        ordered = sorted(meetings)
        return cls(tuple(s for s, _ in ordered), tuple(e for _, e in ordered))

    def clear(self, start: datetime, end: datetime, buffer: timedelta) -> bool:
        """No meeting within ``buffer`` of [start, end)."""
        # Meetings are short, so only those starting before end + buffer and at most a
        # day earlier can touch it.
        hi = bisect.bisect_left(self.starts, end + buffer)
        lo = bisect.bisect_left(self.starts, start - buffer - timedelta(days=1))
        return all(self.ends[i] + buffer <= start or self.starts[i] >= end + buffer
                   for i in range(lo, hi))


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of a country (ISO code) in a year; none for an unknown code."""
    try:
        return frozenset(holidays.country_holidays(country.upper(), years=year))
    except (NotImplementedError, KeyError, ValueError):
        return frozenset()


def working_days(first: date, count: int, country: str) -> list[date]:
    """``count`` weekdays from ``first`` on, skipping the country's public holidays."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5 and day not in public_holidays(country, day.year):
            days.append(day)
        day += timedelta(days=1)
    return days


def free_slots(
    windows: Sequence[Window],
    zone: str,
    country: str,
    busy: Busy,
    *,
    now: datetime,
    minutes: int,
    days: int = WORKING_DAYS,
    buffer: timedelta = BUFFER,
    notice: timedelta = NOTICE,
) -> list[datetime]:
    """Start times (UTC) of free slots of ``minutes`` over the next ``days`` working days."""
    tz = zone_named(zone)
    length = timedelta(minutes=minutes)
    earliest = now + notice
    by_day: dict[int, list[Window]] = {}
    for w in windows:
        by_day.setdefault(w.day, []).append(w)
    slots: list[datetime] = []
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    for day in working_days(tomorrow, days, country):
        for w in sorted(by_day.get(day.weekday(), ()), key=lambda w: w.start):
            start = datetime.combine(day, w.start, tzinfo=tz)
            close = datetime.combine(day, w.end, tzinfo=tz)
            while start + length <= close:
                utc = start.astimezone(UTC)
                if utc >= earliest and busy.clear(utc, utc + length, buffer):
                    slots.append(utc)
                start = _next(start, tz)
    return slots


def _next(moment: datetime, tz: ZoneInfo) -> datetime:
    """Thirty minutes later on the wall clock (a local time, not an elapsed one)."""
    wall = datetime.combine(moment.date(), moment.time()) + STEP
    return wall.replace(tzinfo=tz)

