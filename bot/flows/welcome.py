"""First contact: what Peerlink is and is not, and when confidentiality can be broken.

| input                              | answer                                         |
|------------------------------------|------------------------------------------------|
| first contact, anything            | welcome card, then the answer to the message   |
| "hello", "about", "bonjour"        | welcome card                                   |
| "Got it" (any time, old cards too) | the menu                                       |

The welcome holds no conversation state, so it never disturbs a flow the
person is in (a first message may itself open a form).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.buddy import schedule_on_join
from bot.flows.menu import menu_card
from bot.i18n import LANGUAGE_NAMES
from bot.messages import Outbound
from bot.turn import Turn
from bot.ui import Button, Card


def boundaries_text(turn: Turn) -> str:
    """The stated boundaries (PROGRAM_RULES.md, "Confidentiality and its limits")."""
    _ = turn.gettext
    return "\n\n".join(
        [
            _("Peerlink connects you with colleagues: trained peer supporters, experienced "
              "managers (ambassadors) and buddies. You can book private conversations with "
              "them and get check-in prompts."),
            _("Peerlink is not therapy and not a crisis service. Nobody here gives "
              "clinical advice."),
            _("What you share with a supporter stays between you. Confidentiality can be "
              "broken only for an imminent threat of harm to yourself or to others, or for "
              "suspected or known child abuse or serious neglect. Anything else is shared "
              "only with your written consent."),
            _("Peerlink does not keep what you write to it. Nobody, not your manager and not "
              "HR, is told that you asked for support."),
            _emergency(turn),
        ]
    )


def _emergency(turn: Turn) -> str:
    _ = turn.gettext
    line = turn.config.lines_for(turn.person.country or "")
    if not line.emergency:  # no entry for this country nor the default: the fallback
        return _("In an emergency, call your local emergency number.")
    return _("In an emergency call {emergency}. To talk to someone now: {line}.").format(
        emergency=line.emergency, line=line.line_name(turn.lang)
    )


async def welcome(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    other = "fr" if turn.lang == "en" else "en"
    card = Card(
        title=_("Welcome to Peerlink"),
        text=boundaries_text(turn),
        buttons=(
            Button(_("Got it"), "welcome.ack", style="primary"),
            Button(LANGUAGE_NAMES[other], "language.set", other),
        ),
    )
    return [turn.reply(card, notification=_("Welcome to Peerlink"))]


async def joined(turn: Turn) -> Sequence[Outbound]:
    """A platform says this person just joined the workplace: the welcome now, and a
    buddy offer soon after (once; bot/buddy.py)."""
    await schedule_on_join(turn.uow, turn.person, turn.now)
    return await welcome(turn)


# Handlers whose answer is the welcome: the engine adds no second one at first contact.
GREETINGS = (welcome, joined)


async def acknowledge(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    return [turn.reply(menu_card(turn, _("You're all set.")))]
