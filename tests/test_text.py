"""Cleaning free text: the fast paths give what reading each character would."""

from __future__ import annotations

import random
import unicodedata

import pytest

from bot.text import MAX_SCREENED, clean


def _one_by_one(text: str) -> str:
    """What ``clean`` promises, character by character."""
    invisible = {0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                 *range(0x2060, 0x2070), 0xFEFF}
    text = unicodedata.normalize("NFC", text[:MAX_SCREENED])
    kept = (" " if unicodedata.category(ch)[0] == "C" else ch
            for ch in text if ord(ch) not in invisible)
    return " ".join("".join(kept).split())


@pytest.mark.parametrize(("text", "cleaned"), [
    ("I had a long week", "I had a long week"),
    ("  two  spaces  here ", "two spaces here"),
    ("line one\nline two\ttab\r\n", "line one line two tab"),
    ("bell\x07 and delete\x7f", "bell and delete"),
    ("no\u00a0break and\u3000ideographic", "no break and ideographic"),
    ("zero\u200bwidth joiner\u200d and bom\ufeff", "zerowidth joiner and bom"),
    ("e\u0301te\u0301", "été"),  # composed (NFC)
    ("J'ai passé une semaine très difficile", "J'ai passé une semaine très difficile"),
    ("line\u2028separator", "line separator"),
    ("", ""),
])
def test_clean(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned


def test_clean_reads_a_very_long_message_up_to_the_screened_length() -> None:
    assert len(clean("a" * (MAX_SCREENED + 50))) == MAX_SCREENED


def test_clean_matches_reading_each_character() -> None:
    alphabet = [chr(c) for c in [*range(0x00, 0x250), *range(0x2000, 0x2070), 0x0301, 0x034F,
                                 0x061C, 0x0378, 0x3000, 0xD7FF, 0xE000, 0xFEFF, 0x1F600]]
    alphabet += [" "] * 60 + ["a"] * 30  # runs of spaces, and plain words
    rng = random.Random(20261123)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert clean(text) == _one_by_one(text), repr(text)
