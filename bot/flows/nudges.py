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
from bot.turn import Turn
from bot.ui import Card
from storage.models import LeaderCheck, NudgeState


async def done(turn: Turn) -> Sequence[Outbound]:
    value = turn.inbound.action.value if turn.inbound.action else ""
    report = (await turn.uow.people.get(int(value))
              if value.isdigit() and len(value) < 12 else None)
    if report is None or report.manager_id != turn.person.id:
        return await not_understood(turn)
    mark = await turn.uow.session.get(LeaderCheck, (turn.person.id, report.id))
    if mark is None:
        turn.uow.session.add(LeaderCheck(leader_id=turn.person.id, report_id=report.id,
                                         marked_at=turn.now))
    else:
        mark.marked_at = turn.now
    _ = turn.gettext
    return [turn.reply(Card(text=_("Noted: {name}. Thank you for checking in.").format(
        name=name_of(report))))]


async def snooze(turn: Turn) -> Sequence[Outbound]:
    state = await turn.uow.session.get(NudgeState, turn.person.id)
    until = turn.now.date() + timedelta(days=7)
    if state is None:
        turn.uow.session.add(NudgeState(leader_id=turn.person.id, snoozed_until=until, tip=0))
    else:
        state.snoozed_until = until
    _ = turn.gettext
    return [turn.reply(Card(text=_("No reminders until {date}.").format(
        date=format_date(until, "long", locale=turn.lang))))]
