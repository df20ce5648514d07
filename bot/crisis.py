"""The crisis screen and the crisis reply.

The screen runs first on every piece of free text, before routing, in any
state. It folds case, accents, curly quotes, repeated letters and light
leetspeak, then looks for crisis phrases in English and French. The reply
follows safe-messaging practice: warm, short, no method details, hope, and one
clear next step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.config import CrisisLine, ProgramConfig
from bot.crisis_lexicon import CATEGORIES, Lexicon, bundled_lexicon, load_lexicon, phrase_regex
from bot.i18n import Gettext
from bot.messages import Outbound, Priority
from bot.text import fold
from bot.turn import Turn
from bot.ui import Button, Card, Fact

_QUOTES = {ord(c): "'" for c in "’‘‛`´ʼʹ′＇"}
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, *range(0x200B, 0x2010),
     *range(0x202A, 0x202F), *range(0x2060, 0x2070), *range(0xFE00, 0xFE10), 0xFEFF],
)
_PRE = {**_QUOTES, **_INVISIBLE, ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae"}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "i"})
# A contraction keeps its letters together ("don't" -> "dont", "I'm" -> "im"); any other
# apostrophe, French elision included, separates words ("j'ai" -> "j ai").
_CONTRACTION = re.compile(r"'(?=(?:t|m|s|d|re|ve|ll)\b)")
# Words that mix letters with leetspeak characters ("su1c1de", "k!ll", "$elf"), not
# quantities like "10kms" or "3rd", which keep their digits.
_LEETISH = re.compile(r"[\d@$!|]")
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[\w@$!|]*[a-z])(?=[\w@$!|]*[\d@$!|])[\w@$]+(?:[!|][\w@$]+)*"
)
_QUANTITY = re.compile(r"\d+[a-z]*")
_DOUBLES = re.compile(r"([a-z])\1+")
_NON_WORD = re.compile(r"[\W_]+")
_Variants = tuple[tuple[re.Pattern[str], str], ...]

# The "Talk to someone now" button (handled in bot/escalation.py).
TALK_ACTION = "crisis.talk"

__all__ = ["CATEGORIES", "CrisisScreen", "Lexicon", "Screening", "load_lexicon", "normalise"]


def _variants(misspellings: Iterable[tuple[str, str]]) -> _Variants:
    return tuple(
        (re.compile(_DOUBLES.sub(r"\1", pattern)), spelling) for pattern, spelling in misspellings
    )


@dataclass(frozen=True)
class Screening:
    crisis: bool
    category: str = ""
    lang: str = ""


SAFE = Screening(False)


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    return word if _QUANTITY.fullmatch(word) else word.translate(_LEET)


def normalise(text: str) -> str:
    """Fold text as the bundled lexicon's screen does (see ``_normalise``)."""
    return _normalise(text, _bundled_variants())


@lru_cache(maxsize=1)
def _bundled_variants() -> _Variants:
    return _variants(bundled_lexicon().misspellings)


def _normalise(text: str, variants: _Variants) -> str:
    """Fold text so spelling games don't hide a phrase.

    Invisible characters go, case and accents are folded, leetspeak inside words is read as
    letters ("su1c1de"), doubled letters are squashed ("diiiie", "kill" -> "die", "kil"),
    punctuation and emoji become single spaces, and common misspellings are folded to one
    spelling. The result starts and ends with a space.
    """
    folded = fold(text.translate(_PRE))
    if _LEETISH.search(folded):
        folded = _LEET_WORD.sub(_unleet, folded)
    folded = _DOUBLES.sub(r"\1", folded)
    folded = _NON_WORD.sub(" ", _CONTRACTION.sub("", folded))
    for pattern, spelling in variants:
        folded = pattern.sub(spelling, folded)
    return " " + folded.strip() + " "


class CrisisScreen:
    """Phrases compiled once into one pattern per language, exclusions into one more.

    Exclusions (idioms, questions, negations) are blanked first; then each language's
    pattern is searched and the match that starts first wins. The combined patterns have no
    groups, so the regex engine can skip a phrase on its first letter; the phrase (and so
    the category) is worked out only when something matched.
    """

    def __init__(
        self,
        lexicon: Lexicon | Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        exclusions: Iterable[str] | None = None,
    ) -> None:
        """Compile a lexicon (default: the bundled one, see ``load_lexicon``).

        Plain phrase tables are accepted too, with the bundled misspellings; ``exclusions``
        replaces the lexicon's own.
        """
        if lexicon is None:
            lexicon = bundled_lexicon()
        elif not isinstance(lexicon, Lexicon):
            lexicon = Lexicon(lexicon, (), bundled_lexicon().misspellings)
        phrases = lexicon.phrases
        if exclusions is None:
            exclusions = lexicon.exclusions
        self._variants = _variants(lexicon.misspellings)
        self._patterns: list[tuple[str, re.Pattern[str], list[tuple[str, re.Pattern[str]]]]] = []
        for lang, table in phrases.items():
            items = [(category, phrase_regex(p)) for category, ps in table.items() for p in ps]
            if not items:  # an empty alternation would match everywhere
                continue
            combined = re.compile("(?<= )(?:" + "|".join(p for _, p in items) + ")(?= )")
            each = [(category, re.compile(f"(?:{p})(?= )")) for category, p in items]
            self._patterns.append((lang, combined, each))
        excluded = "|".join(phrase_regex(pattern) for pattern in exclusions)
        self._exclusions = re.compile(f"(?<= )(?:{excluded})(?= )") if excluded else None

    def screen(self, texts: Iterable[str]) -> Screening:
        for text in texts:
            found = self.match(text)
            if found.crisis:
                return found
        return SAFE

    def match(self, text: str) -> Screening:
        """Screen one piece of text."""
        folded = _normalise(text, self._variants)
        if self._exclusions is not None:
            folded = self._exclusions.sub(".", folded)
        best: tuple[int, str, str] | None = None
        for lang, combined, each in self._patterns:
            found = combined.search(folded)
            if found and (best is None or found.start() < best[0]):
                start = found.start()
                category = next((c for c, p in each if p.match(folded, start)), "")
                best = (start, category, lang)
        return Screening(True, best[1], best[2]) if best else SAFE


def crisis_card(turn: Turn, category: str = "") -> Card:
    return crisis_card_for(turn.gettext, turn.config, turn.person.country or "", turn.lang,
                           category)


def crisis_card_for(
    _: Gettext, config: ProgramConfig, country: str, lang: str, category: str = ""
) -> Card:
    """The crisis card from configuration alone: it must work when the database does not.

    Safe messaging: warm, short, no method details, hope, one clear next step. The
    emergency number, every line of the person's country (else the default country's)
    with its phone, text and chat options and hours, and the assistance program.
    """
    found = config.lines_for(country)
    if found.emergency:
        emergency = found.emergency
        danger = _("If you are in immediate danger, call {emergency} now.").format(
            emergency=emergency
        )
    else:
        emergency = _("your local emergency number")
        danger = _("If you are in immediate danger, call your local emergency number now.")
    paragraphs = [
        _("Thank you for telling me. You don't have to go through this alone, and "
          "help is available right now."),
        danger,
    ]
    if found.lines:
        paragraphs.append(
            _("Your next step: reach out to one of these lines now. Talking to someone "
              "can help.")
        )
        paragraphs.append("\n".join("• " + _line_text(_, line, lang) for line in found.lines))
        if found.name is not None and country.upper() not in config.crisis_lines:
            paragraphs.append(
                _("These numbers are for {country}. Anywhere else, call your local "
                  "emergency number.").format(country=found.name(lang))
            )
    paragraphs.append(
        _("Or press *Talk to someone now*, and I will ask a trained person from our "
          "support team to contact you.")
    )
    return Card(
        title=_("You are not alone"),
        text="\n".join(paragraphs),
        facts=(
            Fact(_("Emergency number"), emergency),
            Fact(config.eap_name(lang), config.eap_contact),
        ),
        # The press is the person's consent to be contacted (bot/escalation.py); the
        # category tells the responder what kind of help to bring, never the words.
        buttons=(Button(_("Talk to someone now"), TALK_ACTION, value=category,
                        style="primary"),),
    )


def _line_text(_: Gettext, line: CrisisLine, lang: str) -> str:
    """One line of the card: "Name: call 116 123, text 85258 (24/7; EN)"."""
    ways = []
    if line.phone:
        ways.append(_("call {phone}").format(phone=line.phone))
    if line.text:
        ways.append(_("text {number}").format(number=line.text))
    if line.chat:
        ways.append(_("chat at {address}").format(address=line.chat))
    about = [line.hours(lang)] if line.hours is not None else []
    if line.languages:
        about.append("/".join(code.upper() for code in line.languages))
    text = _("{name}: {ways}").format(name=line.name(lang), ways=", ".join(ways))
    return f"{text} ({' · '.join(about)})" if about else text


def crisis_reply(turn: Turn, category: str = "") -> Outbound:
    """Sent ahead of all other traffic; the lock-screen text reveals nothing."""
    return turn.reply(crisis_card(turn, category), priority=Priority.CRISIS)
