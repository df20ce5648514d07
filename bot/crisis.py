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
from typing import NamedTuple

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
# The characters _PRE rewrites. Most messages have none, and looking for them is about ten
# times cheaper than str.translate, which looks each character of non-ASCII text up in _PRE.
_PRE_CHARS = re.compile("[" + re.escape("".join(map(chr, _PRE))) + "]")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "i"})
# A contraction keeps its letters together ("don't" -> "dont", "I'm" -> "im"); any other
# apostrophe, French elision included, separates words ("j'ai" -> "j ai").
_CONTRACTION = re.compile(r"'(?=(?:t|m|s|d|re|ve|ll)\b)")
# Words that mix letters with leetspeak characters ("su1c1de", "k!ll", "$elf"), not
# quantities like "10kms" or "3rd", which keep their digits. A word here is a run of
# [\w@$!|]; the first lookahead asks for a leetspeak character in it ([^\W\d] is \w without
# digits; possessive, so a plain word is read once and given up), the second for a letter.
_LEETISH = re.compile(r"[\d@$!|]")
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[^\W\d]*+[\d@$!|])(?=[\w@$!|]*[a-z])[\w@$]+(?:[!|][\w@$]+)*"
)
_QUANTITY = re.compile(r"\d+[a-z]*")
_DOUBLES = re.compile(r"([a-z])\1+")
_NON_WORD = re.compile(r"[\W_]+")
# _NON_WORD for ASCII text: every ASCII character but letters and digits becomes a space
# (one table lookup each), then the runs of spaces that leaves are collapsed.
_ASCII_NON_WORD = str.maketrans(dict.fromkeys(
    (c for c in map(chr, range(128)) if not c.isalnum()), " "
))
_SPACE_RUNS = re.compile(" {2,}")

# The "Talk to someone now" button (handled in bot/escalation.py).
TALK_ACTION = "crisis.talk"

__all__ = ["CATEGORIES", "CrisisScreen", "Lexicon", "Screening", "load_lexicon", "normalise"]


class _Misspelling(NamedTuple):
    pattern: re.Pattern[str]
    spelling: str
    # ``pattern`` without a leading \b: it finds everything ``pattern`` finds, and more.
    hint: re.Pattern[str]


_Variants = tuple[_Misspelling, ...]


def _variants(misspellings: Iterable[tuple[str, str]]) -> _Variants:
    """Misspelling patterns, squashed as text is, each with a hint to skip it cheaply.

    Python's re tries a pattern that starts with \\b (as nearly all do) at every position
    of the text, while one that starts with letters is found with a fast string search.
    Leaving out an assertion only lets a pattern match in more places, so where the hint
    finds nothing the substitution would change nothing, and is skipped.
    """
    compiled = []
    for raw, spelling in misspellings:
        pattern = _DOUBLES.sub(r"\1", raw)
        compiled.append(_Misspelling(
            re.compile(pattern), spelling, re.compile(pattern.removeprefix(r"\b"))
        ))
    return tuple(compiled)


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

    Long messages are screened too, so each step skips what it can (see the helpers).
    """
    if _PRE_CHARS.search(text):
        text = text.translate(_PRE)
    folded = _unleet_words(fold(text))
    folded = _DOUBLES.sub(r"\1", folded)
    folded = _words_only(_CONTRACTION.sub("", folded))
    for misspelling in variants:
        if misspelling.hint.search(folded):
            folded = misspelling.pattern.sub(misspelling.spelling, folded)
    return " " + folded.strip() + " "


def _unleet_words(text: str) -> str:
    """Leetspeak words read as letters (``_LEET_WORD``), from the first leetspeak character on.

    Such a word contains a leetspeak character and no space, so the text up to the last
    space before the first one is left as it is, unread.
    """
    first = _LEETISH.search(text)
    if first is None:
        return text
    start = text.rfind(" ", 0, first.start()) + 1
    return text[:start] + _LEET_WORD.sub(_unleet, text[start:])


def _words_only(text: str) -> str:
    """Each run of non-word characters (``_NON_WORD``) as one space.

    The regex stops at every space; for ASCII text (nearly all text, once accents are
    folded) a translate table and collapsing the few runs of spaces it leaves is faster.
    """
    if text.isascii():
        return _SPACE_RUNS.sub(" ", text.translate(_ASCII_NON_WORD))
    return _NON_WORD.sub(" ", text)


# Searching for many phrases at once. Python's re tries the alternatives of "a|b|c" one by
# one at each position of the text. An alternative that starts with a letter other than the
# text's is skipped at once, but one that starts with a group, as most phrases do
# ("(?:want|wana|going) to die"), is entered every time. So the screen searches with the
# phrases rearranged as a tree of first letters (``_any_of``): at each word, re reads only
# the phrases that can start there.

# What normalised text is made of: an alternative starting with one of these (and no
# quantifier after it) starts with that letter.
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")
_QUANTIFIERS = frozenset("*+?{")
# Patterns that _any_of leaves whole: with group names or references (copies would clash
# or point elsewhere) or comments (which may hold brackets).
_OPAQUE = re.compile(r"\(\?[P(#]|\\[0-9]")


@lru_cache(maxsize=32)
def _any_of(patterns: tuple[str, ...]) -> str:
    """A regex that matches wherever one of ``patterns`` matches, shaped to search fast.

    Leading groups are spread to find the letters a pattern can start with: "(?:want|wana|
    going) to die" is "w" then "(?:ant|ana) to die", or "g" then "(?:oing) to die". Then
    alternatives with the same first letter are merged, and so on letter by letter: "want
    to die" and "wish i was dead" give "w(?:ant to die|ish i was dead)". Groups are spread
    for the first letter only, as each spread copies what follows the group.

    Alternatives are tried in another order, so a match starts at the same place but may
    end elsewhere: use this to find where a phrase starts, not which one it is.
    """
    alternatives = [
        alternative
        for pattern in patterns
        for alternative in ([f"(?:{pattern})"] if _OPAQUE.search(pattern)
                            else _alternatives(pattern))
    ]
    return "|".join(_letter_tree(alternatives, spread=True))


def _letter_tree(alternatives: list[str], *, spread: bool) -> list[str]:
    """``alternatives`` with those of the same first letter merged: ["ab", "ac", "d"] gives
    ["a(?:b|c)", "d"]."""
    branches, others = _by_first_letter(alternatives, spread=spread)
    merged = []
    for letter, tails in branches.items():
        tails = list(dict.fromkeys(tails))
        subtree = _letter_tree(tails, spread=False) if len(tails) > 1 else tails
        merged.append(letter + (subtree[0] if len(subtree) == 1 else f"(?:{'|'.join(subtree)})"))
    return merged + others


def _by_first_letter(
    alternatives: list[str], *, spread: bool
) -> tuple[dict[str, list[str]], list[str]]:
    """What follows each first letter in ``alternatives``, and the parts that don't start
    with a letter (see ``_first_letters``)."""
    branches: dict[str, list[str]] = {}
    others: list[str] = []
    for alternative in alternatives:
        pairs, rest = _first_letters(alternative, spread=spread)
        for letter, tail in pairs:
            branches.setdefault(letter, []).append(tail)
        others.extend(rest)
    return branches, others


def _first_letters(
    alternative: str, *, spread: bool
) -> tuple[list[tuple[str, str]], list[str]]:
    """``alternative`` as (first letter, what follows) pairs, and the parts that aren't.

    "ab" gives [("a", "b")]. With ``spread``, a leading group is spread over what follows:
    "(?:ab|ac|d)e" gives [("a", "(?:b|c)e"), ("d", "(?:)e")], and "(?:a)?b" is read as
    "(?:a)b" or "b". A part that starts otherwise (\\w, a class, "(?:a)*") is returned whole
    in the second list.
    """
    if alternative[:1] in _LETTERS and alternative[1:2] not in _QUANTIFIERS:
        return [(alternative[0], alternative[1:])], []
    if not (spread and alternative.startswith("(?:")) or _OPAQUE.search(alternative):
        return [], [alternative]
    end = _group_end(alternative)
    group, after = alternative[:end], alternative[end:]
    if after[:1] == "?" and after[1:2] != "+":  # optional, greedy or lazy (not possessive)
        rest = after[2:] if after[1:2] == "?" else after[1:]
        with_group, without = (_first_letters(a, spread=True) for a in (group + rest, rest))
        return with_group[0] + without[0], with_group[1] + without[1]
    if after[:1] in _QUANTIFIERS:
        return [], [alternative]
    branches, others = _by_first_letter(_alternatives(group[3:-1]), spread=True)
    pairs = [(letter, f"(?:{'|'.join(tails)}){after}") for letter, tails in branches.items()]
    return pairs, [f"(?:{'|'.join(others)}){after}"] if others else []


def _syntax(pattern: str) -> Iterable[tuple[int, str, int]]:
    """(index, character, bracket depth) of each character of ``pattern`` that is syntax:
    not escaped, not inside a character class."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 if pattern[i + 1:i + 2] == "^" else 0
            i += 1 if pattern[i + 1:i + 2] == "]" else 0  # "[]...]": the first ] is a member
        else:
            depth -= char == ")"
            yield i, char, depth
            depth += char == "("
        i += 1


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex: "a|(?:b|c)" -> ["a", "(?:b|c)"]."""
    cuts = [i for i, char, depth in _syntax(pattern) if char == "|" and depth == 0]
    return [pattern[i + 1:j] for i, j in zip([-1, *cuts], [*cuts, len(pattern)], strict=True)]


def _group_end(pattern: str) -> int:
    """Where the group that opens ``pattern`` ends (just past its bracket)."""
    return next(i + 1 for i, char, depth in _syntax(pattern) if char == ")" and depth == 0)


def _search_pattern(patterns: Iterable[str]) -> re.Pattern[str]:
    """One pattern that finds the earliest place one of ``patterns`` matches between spaces.

    The match includes the space before the phrase, so re goes from space to space with a
    fast string search: the phrase starts at ``start() + 1``.
    """
    return re.compile(f" (?:{_any_of(tuple(patterns))})(?= )")


class CrisisScreen:
    """Phrases compiled once into one pattern per language, exclusions into one more.

    Exclusions (idioms, questions, negations) are blanked first; then each language's
    pattern is searched and the match that starts first wins. The combined patterns have no
    groups, and are shaped so the regex engine reads only the phrases that start with the
    letters at hand (see ``_any_of``); the phrase (and so the category) is worked out only
    when something matched.
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
            combined = _search_pattern(p for _, p in items)
            each = [(category, re.compile(f"(?:{p})(?= )")) for category, p in items]
            self._patterns.append((lang, combined, each))
        excluded = [phrase_regex(pattern) for pattern in exclusions]
        blanked = "|".join(excluded)
        # Blanking replaces what the exclusions match, so it takes them as written, in their
        # order; the faster pattern of _any_of tells whether there is anything to blank.
        self._exclusions: tuple[re.Pattern[str], re.Pattern[str]] | None = None
        if blanked:
            self._exclusions = (
                _search_pattern(excluded), re.compile(f"(?<= )(?:{blanked})(?= )")
            )

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
            anywhere, blank = self._exclusions
            if anywhere.search(folded):
                folded = blank.sub(".", folded)
        best: tuple[int, str, str] | None = None
        for lang, combined, each in self._patterns:
            found = combined.search(folded)
            if found and (best is None or found.start() + 1 < best[0]):
                start = found.start() + 1  # past the space before the phrase
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
