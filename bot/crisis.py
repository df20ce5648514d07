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

from bot.messages import Outbound, Priority
from bot.text import fold
from bot.turn import Turn
from bot.ui import Button, Card, Fact

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "’": "'", "‘": "'", "`": "'"})
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w']+")

# Category -> phrases, matched on folded text at word boundaries.
PHRASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "suicide": (
            r"kill(ing)? my ?self", r"end(ing)? (my life|it all)", r"(want|wanna|going) to die",
            r"wanna die", r"kms", r"suicidal", r"take my (own )?life",
            r"(commit|thinking about|considering) suicide", r"better off dead",
            r"no reason to (live|go on)", r"don'?t want to (live|be alive|wake up)",
        ),
        "self_harm": (r"(hurt|hurting|cut|cutting|harm|harming) my ?self", r"self[ -]?harm"),
        "harm_others": (r"(kill|hurt|shoot|stab) (him|her|my (boss|manager|wife|husband|partner))",
                        r"going to (kill|hurt|shoot) (someone|people|everyone)"),
        "danger": (r"(he|she|they) (hits|beats|is hitting|is beating) me",
                   r"i('m| am) not safe at home"),
        "overdose": (r"overdos(e|ed|ing)", r"took (all|too many) (my |the )?pills"),
    },
    "fr": {
        "suicide": (
            r"me suicider", r"suicidaire", r"mettre fin a (mes jours|ma vie)", r"en finir",
            r"envie de mourir", r"veux mourir", r"me tuer", r"plus envie de vivre",
        ),
        "self_harm": (r"me faire du mal", r"me blesser", r"me mutiler", r"m'automutiler"),
        "harm_others": (r"(le|la|les) tuer", r"tuer (mon|ma) (patron|patronne|gestionnaire)"),
        "danger": (r"(il|elle) me (frappe|bat)", r"je ne suis pas en securite"),
        "overdose": (r"surdose", r"overdose", r"avale (tous|toutes) (mes|les) (pilules|comprimes)"),
    },
}


@dataclass(frozen=True)
class Screening:
    crisis: bool
    category: str = ""
    lang: str = ""


SAFE = Screening(False)


def normalise(text: str) -> str:
    """Fold text so spelling games don't hide a phrase."""
    folded = fold(text).translate(_LEET)
    folded = _REPEATS.sub(r"\1", folded)
    return " " + _NON_WORD.sub(" ", folded).strip() + " "


class CrisisScreen:
    """Phrases compiled once into one pattern per language."""

    def __init__(self, phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = PHRASES) -> None:
        self._patterns = {
            lang: re.compile(
                "|".join(
                    f"(?P<{category}_{i}> {phrase} )"
                    for category, items in table.items()
                    for i, phrase in enumerate(items)
                )
            )
            for lang, table in phrases.items()
        }

    def screen(self, texts: Iterable[str]) -> Screening:
        for text in texts:
            folded = normalise(text)
            for lang, pattern in self._patterns.items():
                match = pattern.search(folded)
                if match and match.lastgroup:
                    return Screening(True, match.lastgroup.rsplit("_", 1)[0], lang)
        return SAFE


def crisis_card(turn: Turn) -> Card:
    _ = turn.gettext
    line = turn.config.crisis_line(turn.person.country or "")
    text = "\n".join(
        [
            _("Thank you for telling me. You don't have to go through this alone, and "
              "help is available right now."),
            _("If you are in immediate danger, call {emergency} now.").format(
                emergency=line.emergency
            ),
            _("You can talk to someone now, any time: {line}.").format(
                line=line.line_name(turn.lang)
            ),
        ]
    )
    return Card(
        title=_("You are not alone"),
        text=text,
        facts=(
            Fact(_("Emergency number"), line.emergency),
            Fact(_("Crisis line"), line.line),
            Fact(turn.config.eap_name(turn.lang), turn.config.eap_contact),
        ),
        buttons=(Button(_("Talk to someone now"), "crisis.talk", style="primary"),),
    )


def crisis_reply(turn: Turn) -> Outbound:
    """Sent ahead of all other traffic; the lock-screen text reveals nothing."""
    return turn.reply(crisis_card(turn), priority=Priority.CRISIS)


async def talk_now(turn: Turn) -> list[Outbound]:
    """The "Talk to someone now" button: the lines to call, again, first in line."""
    return [crisis_reply(turn)]
