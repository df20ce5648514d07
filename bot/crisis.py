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

from bot.config import ProgramConfig
from bot.crisis_lexicon import EXCLUSIONS, MISSPELLINGS, PHRASES
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
_VARIANTS = tuple(
    (re.compile(_DOUBLES.sub(r"\1", pattern)), spelling) for pattern, spelling in MISSPELLINGS
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
    for pattern, spelling in _VARIANTS:
        folded = pattern.sub(spelling, folded)
    return " " + folded.strip() + " "


def _phrase(pattern: str) -> str:
    """A phrase as matched: doubled letters squashed, groups made non-capturing."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", _DOUBLES.sub(r"\1", pattern))


class CrisisScreen:
    """Phrases compiled once into one pattern per language, exclusions into one more.

    Exclusions (idioms, questions, negations) are blanked first; then each language's
    pattern is searched and the match that starts first wins. The combined patterns have no
    groups, so the regex engine can skip a phrase on its first letter; the phrase (and so
    the category) is worked out only when something matched.
    """

    def __init__(
        self,
        phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = PHRASES,
        exclusions: Iterable[str] = EXCLUSIONS,
    ) -> None:
        self._patterns: list[tuple[str, re.Pattern[str], list[tuple[str, re.Pattern[str]]]]] = []
        for lang, table in phrases.items():
            items = [(category, _phrase(p)) for category, ps in table.items() for p in ps]
            combined = re.compile("(?<= )(?:" + "|".join(p for _, p in items) + ")(?= )")
            each = [(category, re.compile(f"(?:{p})(?= )")) for category, p in items]
            self._patterns.append((lang, combined, each))
        excluded = "|".join(_phrase(pattern) for pattern in exclusions)
        self._exclusions = re.compile(f"(?<= )(?:{excluded})(?= )") if excluded else None

    def screen(self, texts: Iterable[str]) -> Screening:
        for text in texts:
            found = self.match(text)
            if found.crisis:
                return found
        return SAFE

    def match(self, text: str) -> Screening:
        """Screen one piece of text."""
        folded = normalise(text)
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


def crisis_card(turn: Turn) -> Card:
    return crisis_card_for(turn.gettext, turn.config, turn.person.country or "", turn.lang)


def crisis_card_for(_: Gettext, config: ProgramConfig, country: str, lang: str) -> Card:
    """The crisis card from configuration alone: it must work when the database does not."""
    line = config.crisis_line(country)
    text = "\n".join(
        [
            _("Thank you for telling me. You don't have to go through this alone, and "
              "help is available right now."),
            _("If you are in immediate danger, call {emergency} now.").format(
                emergency=line.emergency
            ),
            _("You can talk to someone now, any time: {line}.").format(
                line=line.line_name(lang)
            ),
        ]
    )
    return Card(
        title=_("You are not alone"),
        text=text,
        facts=(
            Fact(_("Emergency number"), line.emergency),
            Fact(_("Crisis line"), line.line),
            Fact(config.eap_name(lang), config.eap_contact),
        ),
        buttons=(Button(_("Talk to someone now"), "crisis.talk", style="primary"),),
    )


def crisis_reply(turn: Turn) -> Outbound:
    """Sent ahead of all other traffic; the lock-screen text reveals nothing."""
    return turn.reply(crisis_card(turn), priority=Priority.CRISIS)


async def talk_now(turn: Turn) -> list[Outbound]:
    """The "Talk to someone now" button: the lines to call, again, first in line."""
    return [crisis_reply(turn)]
