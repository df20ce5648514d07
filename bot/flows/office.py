"""The program office's way into /admin: a single-use sign-in link, by DM.

| input              | who may          | answer                                          |
|--------------------|------------------|-------------------------------------------------|
| "admin"            | program office   | a link button: works once, for 15 minutes       |
|                    | anyone else      | not understood (nothing says the pages exist)   |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.flows.menu import not_understood
from bot.messages import Outbound
from bot.turn import Turn
from bot.ui import Button, Card

LINK_TTL = timedelta(minutes=15)


async def admin_link(turn: Turn) -> Sequence[Outbound]:
    if not turn.person.program_office:
        return await not_understood(turn)
    token = await turn.uow.admin.new_link(turn.person.id, turn.now, LINK_TTL)
    url = f"{turn.config.public_url.rstrip('/')}/admin/signin?t={token}"
    _ = turn.gettext
    return [turn.reply(Card(
        title=_("Program office pages"),
        text=_("Insights with charts, and supporters. This sign-in link works once, for 15 "
               "minutes; do not forward it."),
        buttons=(Button(_("Open the program office pages"), "", url=url),)))]
