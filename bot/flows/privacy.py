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
        ]
    )
    card = Card(
        title=_("Your privacy"),
        text=text,
        buttons=(Button(_("Back to the menu"), "menu.help"),),
    )
    return [turn.reply(card)]
