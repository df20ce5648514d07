"""Well-being check-ins: when the next one comes, the prompt, and what an answer gets.

A person opts in with a cadence (every weekday, weekly, every two weeks), a
weekday and a time in working hours, in their own timezone. The next prompt is
worked out with ``zoneinfo`` (so 09:00 stays 09:00 across daylight saving),
skipping weekends, the public holidays of their country and the days they are
away. Each prompt is due work that schedules the one after it; changing the plan
or the timezone moves the next one.

Answers: 1 to 5, or "rather not say". High: a short encouragement. Low (1 or 2):
resources and an offer to connect with a buddy or supporter; three lows in a
row: a gentle pointer to the employee assistance program. Each person's history
is sealed and only they see it; aggregates keep month and score only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.config import ProgramConfig
from bot.i18n import Catalogs
from bot.messages import Outbound, Priority
from bot.places import zone_of
from bot.scheduling import DueHandler
from bot.slots import public_holidays
from bot.support import lang_of
from bot.ui import Button, Card
from storage.db import UnitOfWork
from storage.duework import ClaimedWork
from storage.models import CheckinPlan, Person

PROMPT = "checkin.prompt"
CADENCES = ("daily", "weekly", "biweekly")
# Working hours: a check-in comes between these, on a weekday.
TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(8, 18) for m in (0, 30))
LOW, HIGH = 2, 4
LOWS_IN_A_ROW = 3
HORIZON = timedelta(days=120)


def next_prompt(plan: CheckinPlan, person: Person, after: datetime, default_country: str
                ) -> datetime | None:
    """The first time after ``after`` the plan says to ask (UTC), or None in the horizon."""
    tz = zone_of(person)
    at = time.fromisoformat(plan.at)
    country = person.country or default_country
    day = after.astimezone(tz).date()
    anchor = plan.started_on - timedelta(days=plan.started_on.weekday())
    while day <= (after + HORIZON).date():
        if _asks_on(plan, day, anchor) and day not in public_holidays(country, day.year) and (
            plan.paused_until is None or day >= plan.paused_until
        ):
            moment = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
            if moment > after:
                return moment
        day += timedelta(days=1)
    return None


def _asks_on(plan: CheckinPlan, day: date, anchor: date) -> bool:
    if day.weekday() >= 5:
        return False
    if plan.cadence == "daily":
        return True
    if day.weekday() != plan.weekday:
        return False
    return plan.cadence == "weekly" or ((day - anchor).days // 7) % 2 == 0


def prompt_key(person_id: int, at: datetime) -> str:
    return f"checkin:{person_id}:{int(at.timestamp())}"


async def schedule_next(uow: UnitOfWork, plan: CheckinPlan, person: Person, after: datetime,
                        config: ProgramConfig) -> None:
    """Move the plan's next prompt to the first time after ``after`` (cancelling the one
    scheduled before, if any)."""
    if plan.next_at is not None:
        await uow.due.cancel(prompt_key(person.id, plan.next_at))
    plan.next_at = next_prompt(plan, person, after, config.default_country) if plan.active \
        else None
    if plan.next_at is not None:
        await uow.due.schedule(PROMPT, prompt_key(person.id, plan.next_at), plan.next_at,
                               {"person_id": person.id, "at": int(plan.next_at.timestamp())})


class Checkins:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    async def send(self, uow: UnitOfWork, work: ClaimedWork, now: datetime
                   ) -> Sequence[Outbound]:
        """The prompt, then the next one scheduled: each prompt carries the chain on."""
        person = await uow.people.get(int(work.payload["person_id"]))
        plan = await uow.checkins.plan(person.id) if person else None
        if (person is None or plan is None or not plan.active or plan.next_at is None
                or int(plan.next_at.timestamp()) != int(work.payload["at"])):
            return []  # opted out, or the plan changed since this was scheduled
        prompt = await uow.checkins.prompt(person.id, now)
        plan.next_at = None  # this one is done; schedule_next must not cancel it
        await schedule_next(uow, plan, person, now, self.config)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        pid = str(prompt.id)
        card = Card(
            title=_("Check-in"),
            text=_("How are you doing this week, from 1 (not well at all) to 5 (very well)? "
                   "Only you will see your answers."),
            buttons=(*(Button(str(n), "checkin.answer", f"{pid}|{n}") for n in range(1, 6)),
                     Button(_("Rather not say"), "checkin.answer", f"{pid}|skip")),
        )
        return [Outbound(person.id, card, _("A message from Peerlink"), Priority.BULK,
                         lang=lang)]

    def due_handlers(self) -> dict[str, DueHandler]:
        return {PROMPT: self.send}
