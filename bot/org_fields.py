"""Checks for one org-data field each: clean, validate, normalise, or say what is wrong.

Messages are for an operator at a terminal, in English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from bot.i18n import language_for
from bot.places import is_country, is_timezone, timezone_spelling

MAX_EMAIL = 320
MAX_TEXT = 200
EARLIEST_START = date(1950, 1, 1)
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Bidi embeddings, overrides and isolates reorder what an operator sees in a terminal.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Invalid(ValueError):
    """A field value was rejected; the message is for the operator."""


def quoted(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f'"{shown}"'


def clean(raw: str) -> str:
    """Strip zero-width characters and surrounding whitespace, NFC-normalise, reject controls."""
    value = unicodedata.normalize("NFC", raw.translate(ZERO_WIDTH).strip())
    for char in value:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise Invalid(f"contains a control character (U+{ord(char):04X})")
    return value


def text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise Invalid(f"is {len(value)} characters long; the limit is {MAX_TEXT}")
    return value


def email(value: str) -> str:
    address = value.lower()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in address):
        raise Invalid(f"{quoted(value)} is not an email address")
    if len(address) > MAX_EMAIL:
        raise Invalid(f"is {len(address)} characters long; the limit is {MAX_EMAIL}")
    return address


def required(check: Callable[[str], str]) -> Callable[[str], str]:
    def checked(value: str) -> str:
        if not value:
            raise Invalid("is required")
        return check(value)

    return checked


def optional(check: Callable[[str], str]) -> Callable[[str], str]:
    return lambda value: check(value) if value else ""


def country(value: str) -> str:
    code = value.upper()
    if not is_country(code):
        raise Invalid(f"{quoted(value)} is not an ISO 3166 two-letter country code (e.g. FR)")
    return code


def timezone(value: str) -> str:
    if is_timezone(value):
        return value
    close = timezone_spelling(value)
    hint = f'; did you mean "{close}"?' if close else " (e.g. Europe/Paris)"
    raise Invalid(f"{quoted(value)} is not an IANA timezone{hint}")


def language(value: str) -> str:
    found = language_for(value)
    if found is None:
        raise Invalid(f"{quoted(value)} is not a supported language (en or fr)")
    return found


def start_date(value: str, today: date) -> date:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{quoted(value)} is not a date in the form YYYY-MM-DD") from None
    try:
        latest = today.replace(year=today.year + 2)
    except ValueError:  # 29 February
        latest = date(today.year + 2, 2, 28)
    if not EARLIEST_START <= day <= latest:
        raise Invalid(f"{value} is not between {EARLIEST_START} and {latest}")
    return day


CHECKS: dict[str, Callable[[str], str]] = {
    "email": required(email),
    "name": required(text),
    "manager_email": optional(email),
    "department": text,
    "location": text,
    "country": optional(country),
    "timezone": optional(timezone),
    "language": optional(language),
}
