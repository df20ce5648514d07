"""Languages: English and French, through Babel gettext catalogs.

Catalogs are read from the ``.po`` sources at start (compiled in memory with
Babel), so there is no build step and no binary file to keep in sync.
"""

from __future__ import annotations

import gettext
import io
import unicodedata
from collections.abc import Callable, Iterable
from importlib.resources import files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SUPPORTED = ("en", "fr")
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

Gettext = Callable[[str], str]


def negotiate(*candidates: str) -> str:
    """The first supported language among platform locales ("fr-CA" -> "fr")."""
    for candidate in candidates:
        primary = candidate.replace("_", "-").split("-")[0].strip().lower()
        if primary in SUPPORTED:
            return primary
    return DEFAULT


# Words people use for a language, in either language, folded (no accents).
_LANGUAGE_WORDS = {
    "en": "en", "english": "en", "anglais": "en",
    "fr": "fr", "french": "fr", "francais": "fr",
}


def language_for(word: str) -> str | None:
    """The supported language a word or tag names ("Français", "fr-CA"), or None."""
    decomposed = unicodedata.normalize("NFKD", word.strip().casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _LANGUAGE_WORDS.get(folded.replace("_", "-").split("-")[0])


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


class Catalogs:
    """Every language's translations, loaded once per process."""

    def __init__(self, languages: Iterable[str] = SUPPORTED) -> None:
        self._translations: dict[str, gettext.NullTranslations] = {}
        for lang in languages:
            self._translations[lang] = _load(lang)

    def gettext(self, lang: str) -> Gettext:
        return self._translations.get(lang, self._translations[DEFAULT]).gettext


def _load(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    source = files("bot") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
