"""Leader nudges: a regular reminder to check in with each direct report.

Every ``nudge_every_days`` (a week by default), on Monday at 10:00 in the leader's
timezone, each leader is named the direct reports they have not marked as
checked in with for ``nudge_after_days``, each with "Done", and given one
practical tip in turn. A leader with nobody to name gets nothing; a snoozed one
nothing until the snooze ends. Nudges know only the leader's own marks: leaders
never see anyone's check-in answers, nor whether someone uses Peerlink.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.config import ProgramConfig
from bot.i18n import Catalogs
from bot.messages import Outbound, Priority
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.support import lang_of, name_of
from bot.ui import Button, Card
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person

SEND = "nudge.send"
AT = time(10)
EPOCH = date(2024, 1, 1)  # a Monday: nudge weeks are counted from it
MAX_NAMED = 10


def next_nudge(leader: Person, now: datetime, every_days: int) -> datetime:
    """The next Monday 10:00 (leader's time) of a nudge week, after ``now``."""
    tz = zone_of(leader)
    weeks = max(1, every_days // 7)
    day = now.astimezone(tz).date()
    day -= timedelta(days=day.weekday())
    while True:
        if ((day - EPOCH).days // 7) % weeks == 0:
            moment = datetime.combine(day, AT, tzinfo=tz).astimezone(UTC)
            if moment > now:
                return moment
        day += timedelta(days=7)


async def ensure_nudges(uow: UnitOfWork, config: ProgramConfig, now: datetime) -> int:
    """Every leader has their next nudge scheduled (idempotent: one key per date)."""
    scheduled = 0
    for leader in await uow.nudges.leaders():
        when = next_nudge(leader, now, config.nudge_every_days)
        if await uow.due.schedule(SEND, f"nudge:{leader.id}:{when.date().isoformat()}", when,
                                  {"leader_id": leader.id}):
            scheduled += 1
    return scheduled


class Nudges:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    async def due_reports(self, uow: UnitOfWork, leader: Person, now: datetime
                          ) -> list[Person]:
        """Direct reports not marked as checked in with for ``nudge_after_days``."""
        reports = await uow.people.direct_reports(leader.id)
        marks = await uow.nudges.marks(leader.id)
        since = now - timedelta(days=self.config.nudge_after_days)
        return sorted((r for r in reports if marks.get(r.id) is None or marks[r.id] < since),
                      key=lambda r: (r.display_name.casefold(), r.id))

    async def send(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                   ) -> Sequence[Outbound]:
        leader = await uow.people.get(int(work.payload["leader_id"]))
        if leader is None:
            return []
        state = await uow.nudges.state(leader.id)
        if state.snoozed_until and state.snoozed_until > now.astimezone(zone_of(leader)).date():
            return []
        due = await self.due_reports(uow, leader, now)
        if not due:
            return []
        lang = lang_of(leader)
        _ = self.catalogs.gettext(lang)
        named = due[:MAX_NAMED]
        text = [_("Checking in regularly helps each person on your team have someone they "
                  "feel safe talking to. Not marked as checked in with for {days} days or "
                  "more:").format(days=self.config.nudge_after_days),
                "\n".join(f"• {name_of(p)}" for p in named)]
        if len(due) > len(named):
            text.append(_("and {count} more").format(count=len(due) - len(named)))
        tips = self.config.leader_tips
        if tips:
            text.append(_("Tip: {tip}").format(tip=tips[state.tip % len(tips)](lang)))
            state.tip += 1
        buttons = (*(Button(_("Done: {name}").format(name=name_of(p)), "nudge.done", str(p.id))
                     for p in named),
                   Button(_("Snooze a week"), "nudge.snooze"))
        return [Outbound(leader.id, Card(title=_("Checking in with your team"),
                                         text="\n\n".join(text), buttons=buttons),
                         _("A message from Peerlink"), Priority.BULK, lang=lang)]

    def due_handlers(self) -> dict[str, DueHandler]:
        return {SEND: self.send}
