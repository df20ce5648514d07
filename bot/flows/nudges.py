"""A leader's answers to a nudge: "Done" for a report, or snooze a week.

| input                    | who may                 | answer                             |
|--------------------------|-------------------------|------------------------------------|
| Done (report id)         | that report's manager   | marked now; named again only after |
|                          |                         | the configured days                |
| Snooze a week            | anyone                  | no nudges for seven days           |
| Done for someone else's  | anyone else             | not understood; nothing changed    |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from babel.dates import format_date

from bot.flows.menu import not_understood
from bot.messages import Outbound
from bot.support import name_of
from bot.text import as_id
from bot.turn import Turn
from bot.ui import Card


async def done(turn: Turn) -> Sequence[Outbound]:
    report_id = as_id(turn.value)
    report = await turn.uow.people.get(report_id) if report_id is not None else None
    if report is None or report.manager_id != turn.person.id:
        return await not_understood(turn)
    await turn.uow.nudges.mark(turn.person.id, report.id, turn.now)
    _ = turn.gettext
    return [turn.reply(Card(text=_("Noted: {name}. Thank you for checking in.").format(
        name=name_of(report))))]


async def snooze(turn: Turn) -> Sequence[Outbound]:
    until = turn.now.date() + timedelta(days=7)
    await turn.uow.nudges.snooze(turn.person.id, until)
    _ = turn.gettext
    return [turn.reply(Card(text=_("No reminders until {date}.").format(
        date=format_date(until, "long", locale=turn.lang))))]
