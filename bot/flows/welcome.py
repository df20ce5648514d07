"""First contact: what Peerlink is and is not, and when confidentiality can be broken.

| state             | input                       | next              | answer                |
|-------------------|-----------------------------|-------------------|-----------------------|
| (first contact)   | anything                    | welcome/boundaries| welcome card          |
| any               | "hello", "about", "bonjour" | welcome/boundaries| welcome card          |
| welcome/boundaries| "Got it" (live token)       | (none)            | menu                  |
| other             | "Got it" on an old card     | unchanged         | menu, nothing changed |
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.flows.menu import menu_card
from bot.i18n import LANGUAGE_NAMES
from bot.messages import Outbound
from bot.turn import Turn
from bot.ui import Button, Card

FLOW = "welcome"


def boundaries_text(turn: Turn) -> str:
    """The stated boundaries (PROGRAM_RULES.md, "Confidentiality and its limits")."""
    _ = turn.gettext
    line = turn.config.crisis_line(turn.person.country or "")
    return "\n".join(
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
            _("In an emergency call {emergency}. To talk to someone now: {line}.").format(
                emergency=line.emergency, line=line.line_name(turn.lang)
            ),
        ]
    )


async def welcome(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    token = await turn.enter(FLOW, "boundaries")
    other = "fr" if turn.lang == "en" else "en"
    card = Card(
        title=_("Welcome to Peerlink"),
        text=boundaries_text(turn),
        buttons=(
            Button(_("Got it"), "welcome.ack", token, style="primary"),
            Button(LANGUAGE_NAMES[other], "language.set", other),
        ),
    )
    return [turn.reply(card, notification=_("Welcome to Peerlink"))]


async def acknowledge(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    action = turn.inbound.action
    if action is not None and turn.holds(FLOW, action.value):
        await turn.leave()
        turn.person.welcomed_at = turn.now
        return [turn.reply(menu_card(turn, _("You're all set.")))]
    lead = _("That card is out of date, so nothing was changed. Here is the menu again.")
    return [turn.reply(menu_card(turn, lead))]
