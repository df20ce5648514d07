"""Cleaning free text before anything reads it, and matching command words."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from babel.dates import parse_date

# The longest message the engine reads as a request; the crisis screen reads more.
MAX_TEXT = 4000
# What the crisis screen reads of a very long message.
MAX_SCREENED = 100_000

_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
     *range(0x2060, 0x2070), 0xFEFF],
)
_SPACES = re.compile(r"\s+")
# Combining marks left by NFKD (accents): dropping them folds "é" to "e".
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\w?]+")


def clean(text: str) -> str:
    """NFC-normalised text without control or invisible characters, spaces collapsed."""
    text = text[:MAX_SCREENED]
    if not text.isascii():  # ASCII is NFC already, and has no invisible characters
        text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    if text.isprintable():  # nearly always: the only whitespace is the ASCII space
        return (_SPACES.sub(" ", text) if "  " in text else text).strip()
    # Control, format or unassigned characters, or other whitespace: one by one.
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Case- and accent-insensitive form used to match command words."""
    folded = text.casefold()
    if folded.isascii():  # the common case, and the cheap one
        return folded
    return _COMBINING.sub("", unicodedata.normalize("NFKD", folded))


def words(text: str) -> tuple[str, ...]:
    """Folded words of a message, a leading slash dropped ("/Aide" -> ("aide",))."""
    return tuple(w for w in _WORD.split(fold(text).lstrip("/")) if w)


def as_id(text: str, digits: int = 12) -> int | None:
    """A number a button carries (an id, a page, a capacity), or None.

    ASCII digits only: ``str.isdigit`` also accepts "²" or "٣", which ``int`` then
    refuses or reads in a way no button of ours ever sent.
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def parse_day(text: str, lang: str) -> date | None:
    """A date typed by a person: ISO (2026-12-01), else their language's short form."""
    text = clean(text or "").strip()
    if not text or len(text) > 20:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_date(text, locale=lang)
    except (ValueError, IndexError):
        return None


def future_day(text: str, lang: str, today: date, within: timedelta = timedelta(days=366)
               ) -> date | None:
    """A typed date after ``today`` and no further than ``within`` (None otherwise)."""
    day = parse_day(text, lang)
    return day if day is not None and today < day <= today + within else None
