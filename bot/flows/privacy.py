"""Privacy: what Peerlink keeps about a person, and the limits of confidentiality."""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import Outbound
from bot.turn import Turn
from bot.ui import Button, Card


async def privacy(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    text = "\n\n".join(
        [
            _("Peerlink does not keep what you write to it. It keeps your name, email, "
              "department, location, language and timezone from your organisation's "
              "directory, and the settings you choose."),
            _("Who you talk to is private: only you and the person you meet can see it, "
              "and it is stored encrypted. The program office sees only anonymous totals, "
              "never a group smaller than five people."),
            _("Confidentiality can be broken only for an imminent threat of harm to yourself "
              "or to others, or for suspected or known child abuse or serious neglect. "
              "Anything else is shared only with your written consent."),
            _escalation_note(turn),
        ]
    )
    card = Card(
        title=_("Your privacy"),
        text=text,
        buttons=(Button(_("Back to the menu"), "menu.help"),),
    )
    return [turn.reply(card)]


def _escalation_note(turn: Turn) -> str:
    """When a person on call learns who you are (bot/escalation.py), as the policy says."""
    _ = turn.gettext
    if turn.config.escalation.policy == "imminent":
        return _("If you press *Talk to someone now*, or if a message shows an imminent "
                 "danger, a trained person on call is told your name and how to reach you, "
                 "never what you wrote.")
    return _("If you press *Talk to someone now*, a trained person on call is told your name "
             "and how to reach you, never what you wrote.")
