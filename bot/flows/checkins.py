"""Check-ins: opt in, change, pause, opt out; answer a prompt; see your own trend.

| input                                   | answer                                           |
|-----------------------------------------|--------------------------------------------------|
| "check-in" / "bilan"                    | your plan and its next date, or how to start     |
| Start / Change (form)                   | saved; the next prompt scheduled                 |
| the form with a bad value               | what is wrong; nothing changed                   |
| Pause until (a date), Stop              | saved; prompts stop until then / at all          |
| an answer (prompt id and 1-5 or skip)   | one recorded; a kind word, resources when low    |
| an answer pressed twice or too late     | a kind reply; nothing recorded again             |
| "my check-ins"                          | your last answers (only you see them)            |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from babel.dates import format_date, format_datetime, get_day_names

from bot.aggregates import MIN_GROUP, month_name, recent_months
from bot.checkins import CADENCES, HIGH, LOW, LOWS_IN_A_ROW, TIMES, schedule_next
from bot.flows.menu import bad_until, not_understood, stale_card, until_form
from bot.messages import Outbound
from bot.places import zone_of
from bot.text import as_id, future_day
from bot.turn import Turn
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option
from storage.checkins import ANSWERED
from storage.models import CheckinPlan

FLOW = "checkins"


async def show(turn: Turn, lead: str = "") -> Sequence[Outbound]:
    _ = turn.gettext
    plan = await turn.uow.checkins.plan(turn.person.id)
    if plan is None or not plan.active:
        text = _("A short, private check-in on how you are doing: every weekday, every week "
                 "or every two weeks, at a time you choose. Only you see your answers; "
                 "nobody else, your manager included, is told whether you take part.")
        return [turn.reply(Card(title=_("Check-ins"), text="\n\n".join(filter(None, [lead,
                                                                                   text])),
                                buttons=(Button(_("Start check-ins"), "checkin.edit",
                                                style="primary"),)))]
    facts = [Fact(_("How often"), _cadence(turn, plan)),
             Fact(_("Next check-in"), format_datetime(plan.next_at.astimezone(zone_of(turn.person)),
                                             "EEE d MMM, HH:mm", locale=turn.lang)
                  if plan.next_at else "—")]
    if plan.paused_until and plan.paused_until > turn.now.date():
        facts.append(Fact(_("Paused until"), format_date(plan.paused_until, "long",
                                                         locale=turn.lang)))
    return [turn.reply(Card(
        title=_("Check-ins"), text=lead, facts=tuple(facts),
        buttons=(Button(_("Change"), "checkin.edit"), Button(_("Pause"), "checkin.pause"),
                 Button(_("My answers"), "checkin.trend"),
                 Button(_("Stop check-ins"), "checkin.stop")),
    ))]


def _cadence(turn: Turn, plan: CheckinPlan) -> str:
    _ = turn.gettext
    day = _days(turn.lang)[plan.weekday]
    text = {"daily": _("Every weekday"), "weekly": _("Every {day}").format(day=day),
            "biweekly": _("Every other {day}").format(day=day)}[plan.cadence]
    return f"{text}, {plan.at} ({zone_of(turn.person).key})"


def _days(lang: str) -> list[str]:
    names = get_day_names("wide", locale=lang)
    return [str(names[i]) for i in range(7)]


async def edit(turn: Turn) -> Sequence[Outbound]:
    plan = await turn.uow.checkins.plan(turn.person.id)
    token = await turn.enter(FLOW, "form")
    return [turn.reply(_form(turn, token, plan))]


def _form(turn: Turn, token: str, plan: CheckinPlan | None, problem: str = "") -> Form:
    _ = turn.gettext
    cadences = (Option(_("Every weekday"), "daily"), Option(_("Every week"), "weekly"),
                Option(_("Every two weeks"), "biweekly"))
    days = tuple(Option(name, str(i)) for i, name in enumerate(_days(turn.lang)[:5]))
    return Form(
        title=_("Check-ins"),
        text=problem or _("Times are in your timezone ({zone}); change it in settings.")
        .format(zone=zone_of(turn.person).key),
        inputs=(
            ChoiceInput("cadence", _("How often"), cadences,
                        initial=plan.cadence if plan else "weekly"),
            ChoiceInput("weekday", _("Day (weekly or every two weeks)"), days,
                        initial=str(plan.weekday) if plan else "0"),
            ChoiceInput("at", _("Time"), tuple(Option(t, t) for t in TIMES),
                        initial=plan.at if plan else "09:00"),
        ),
        submit=Button(_("Save"), "checkin.save", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def save(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value):
        return [stale_card(turn)]
    _ = turn.gettext
    cadence, weekday, at = (action.values.get(k, "") for k in ("cadence", "weekday", "at"))
    plan = await turn.uow.checkins.plan(turn.person.id)
    if cadence not in CADENCES or weekday not in {"0", "1", "2", "3", "4"} or at not in TIMES:
        problem = _("Please choose how often, a weekday and a time in working hours from the "
                    "lists. Nothing was changed.")
        return [turn.reply(_form(turn, action.value, plan, problem))]
    await turn.leave()
    if plan is None:
        plan = CheckinPlan(person_id=turn.person.id, cadence=cadence, weekday=int(weekday),
                           at=at, started_on=turn.now.date(), active=True)
        turn.uow.checkins.add_plan(plan)
    plan.cadence, plan.weekday, plan.at, plan.active = cadence, int(weekday), at, True
    await schedule_next(turn.uow, plan, turn.person, turn.now, turn.config)
    return await show(turn, _("Saved. You can change or stop your check-ins at any time."))


async def pause(turn: Turn) -> Sequence[Outbound]:
    plan = await turn.uow.checkins.plan(turn.person.id)
    if plan is None or not plan.active:
        return await show(turn)
    token = await turn.enter(FLOW, "pause")
    return [turn.reply(_pause_form(turn, token))]


def _pause_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return until_form(turn, _("Pause check-ins"),
                      _("No check-ins until the date you give; they start again by "
                        "themselves."), "checkin.savepause", token, problem)


async def save_pause(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    plan = await turn.uow.checkins.plan(turn.person.id)
    if action is None or not turn.holds(FLOW, action.value) or plan is None:
        return [stale_card(turn)]
    _ = turn.gettext
    until = future_day(action.values.get("until", ""), turn.lang, turn.now.date())
    if until is None:
        return [turn.reply(_pause_form(turn, action.value, bad_until(turn)))]
    await turn.leave()
    plan.paused_until = until
    await schedule_next(turn.uow, plan, turn.person, turn.now, turn.config)
    return await show(turn, _("Paused until {date}.").format(
        date=format_date(until, "long", locale=turn.lang)))


async def stop(turn: Turn) -> Sequence[Outbound]:
    plan = await turn.uow.checkins.plan(turn.person.id)
    if plan is not None and plan.active:
        plan.active = False
        await schedule_next(turn.uow, plan, turn.person, turn.now, turn.config)
    _ = turn.gettext
    return await show(turn, _("Check-ins are stopped. Your past answers stay yours; nobody "
                              "is told."))


async def answer(turn: Turn) -> Sequence[Outbound]:
    head, _sep, score = turn.value.partition("|")
    prompt_id = as_id(head)
    prompt = await turn.uow.checkins.get_prompt(prompt_id) if prompt_id is not None else None
    if prompt is None or prompt.person_id != turn.person.id or score not in (
        "1", "2", "3", "4", "5", "skip"
    ):
        return await not_understood(turn)
    _ = turn.gettext
    if not await turn.uow.checkins.answer(prompt.id):
        if prompt.status == ANSWERED:
            return [turn.reply(Card(text=_("You have already answered this check-in. "
                                           "Thank you.")))]
        return [turn.reply(Card(text=_("That check-in has passed, so it was not recorded. "
                                       "The latest one is waiting for you.")))]
    await turn.uow.checkins.record(turn.person.id, score, turn.now)
    if score == "skip":
        return [turn.reply(Card(text=_("That's fine. Thank you for checking in.")))]
    if int(score) >= HIGH:
        return [turn.reply(Card(text=_("Good to hear. Keep doing what helps you.")))]
    if int(score) > LOW:
        return [turn.reply(Card(text=_("Thank you for checking in. If something is weighing "
                                       "on you, a colleague can listen.")))]
    history = await turn.uow.checkins.history(turn.person.id, LOWS_IN_A_ROW)
    lows = len(history) == LOWS_IN_A_ROW and all(h["score"] <= LOW for h in history)
    text = [_("Thank you for telling me. It is all right not to be all right. Talking to "
              "someone can help: a buddy or a trained colleague, in confidence.")]
    if lows:
        text.append(_("It has been a hard few weeks. The {eap} is there for you, "
                      "confidentially: {contact}.").format(
            eap=turn.config.eap_name(turn.lang), contact=turn.config.eap_contact))
    text.append(_("If you are in danger or thinking about ending your life, call your local "
                  "emergency number now."))
    return [turn.reply(Card(text="\n\n".join(text), buttons=(
        Button(_("Find someone to talk to"), "menu.find", style="primary"),)))]


async def trend(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    history = await turn.uow.checkins.history(turn.person.id)
    if not history:
        return [turn.reply(Card(text=_("No answers yet.")))]
    lines = [f"{_day(h['at'], turn)}: {'●' * int(h['score'])}{'○' * (5 - int(h['score']))} "
             f"{h['score']}" for h in history]
    return [turn.reply(Card(title=_("Your recent check-ins"),
                            text=_("Only you can see these.") + "\n" + "\n".join(lines)))]


def _day(iso: str, turn: Turn) -> str:
    moment = datetime.fromisoformat(iso).astimezone(zone_of(turn.person))
    return str(format_date(moment, "d MMM", locale=turn.lang))


async def results(turn: Turn) -> Sequence[Outbound]:
    """For the program office: answers per month and how they spread, groups under five
    never shown (a month under five is left out, and no total is given)."""
    if not turn.person.program_office:
        return await not_understood(turn)
    _ = turn.gettext
    months = recent_months(turn.now.date(), 6)
    by_month: dict[str, list[str]] = {}
    for month_key, score in await turn.uow.checkins.scores(months):
        by_month.setdefault(month_key, []).append(score)
    facts = []
    for month in months:
        scores = by_month.get(month, [])
        if len(scores) < MIN_GROUP:
            continue
        spread = " · ".join(
            f"{label} {round(100 * scores.count(value) / len(scores))}%"
            for value, label in (("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"),
                                 ("skip", _("rather not say"))))
        count = _("{count} answers").format(count=len(scores))
        facts.append(Fact(month_name(month, turn.lang), f"{count}: {spread}"))
    text = _("Check-in answers over the last six months, with no link to anyone. A month "
             "with fewer than five answers is not shown.")
    if not facts:
        text += "\n\n" + _("Not enough answers yet to show anything.")
    return [turn.reply(Card(title=_("Check-in results"), text=text, facts=tuple(facts)))]
