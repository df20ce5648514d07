"""Places: the IANA timezones and ISO countries Peerlink accepts."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale

from storage.models import Person

# Zones that name no place: "localtime" is whatever the host machine uses.
_NOT_ZONES = frozenset({"localtime", "Factory"})
# CLDR region codes babel knows that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_ZONES)


@cache
def _zone_spellings() -> dict[str, str]:
    return {key.lower(): key for key in known_timezones()}


def is_timezone(name: str) -> bool:
    """An exact IANA key that loads here (so it loads on every host)."""
    if name not in known_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@cache
def zone(name: str) -> ZoneInfo:
    """A zone by IANA name; UTC for an empty or unknown one, so a bad value never raises."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def zone_of(person: Person) -> ZoneInfo:
    """The person's own timezone, else the directory's, else UTC."""
    return zone(person.effective_timezone)


def timezone_spelling(name: str) -> str | None:
    """The right spelling of a zone written in the wrong case, if there is one."""
    return _zone_spellings().get(name.lower())


@cache
def _countries() -> frozenset[str]:
    codes = Locale("en").territories.keys()
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha()) - _NOT_COUNTRIES


def is_country(code: str) -> bool:
    return code in _countries()
