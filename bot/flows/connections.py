"""A connection after its meetings: held or not, more or end, surveys, resources, goals.

| input                                   | who may    | answer                                   |
|-----------------------------------------|------------|------------------------------------------|
| Held (meeting id)                       | seeker     | counted; the stage to both; from the 2nd |
|                                         |            | on, "more meetings?" to both             |
| Not held / moved (meeting id)           | seeker     | noted; a way to book again               |
| More: yes / no ("request|held|answer")  | either     | yes: book on; no: the connection ends    |
| the survey / the report (token)         | whoever    | kept anonymously, once                   |
| Send a resource, then one               | supporter  | sent to the seeker; follow-up in a week  |
| My goals (form), Share my goal          | seeker     | kept sealed; the goal line to supporter  |
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.aggregates import recent_months
from bot.config import Resource
from bot.connections import FOLLOW_UP, FOLLOW_UP_AFTER, Arc, survey_summary
from bot.flows.menu import not_understood, stale_card
from bot.i18n import Gettext
from bot.meetings import Connection
from bot.messages import Outbound, Priority
from bot.support import lang_of, name_of
from bot.text import as_id, clean
from bot.turn import Turn
from bot.ui import Button, Card, Fact, Form, TextInput
from storage.meetings import BOOKED

GOAL_FIELDS = ("goal", "benefits_me", "benefits_org", "barriers", "resources", "progress")
GOAL_LIMIT = 300


def _arc(turn: Turn) -> Arc:
    return Arc(turn.config, turn.catalogs)


async def _connection(turn: Turn, request_id: int | None) -> Connection | None:
    if request_id is None:
        return None
    c = await _arc(turn).meetings.connection(turn.uow, request_id)
    return c if c is not None and c.includes(turn.person) else None


async def held(turn: Turn) -> Sequence[Outbound]:
    meeting = await turn.uow.meetings.get(as_id(turn.value) or 0)
    c = await _connection(turn, meeting.request_id) if meeting else None
    if meeting is None or c is None or turn.person.id != c.seeker.id:
        return await not_understood(turn)
    _ = turn.gettext
    if meeting.status != BOOKED or meeting.outcome:
        return [turn.reply(Card(text=_("Already noted. Thank you.")))]
    meeting.outcome = "held"
    arc = _arc(turn)
    count = await arc.held(turn.uow, c.request.id)
    if count >= turn.config.meetings_cap:
        return [turn.reply(Card(text=_("Thank you. That was the last meeting this program "
                                       "offers for one connection."))),
                *await arc.end(turn.uow, c, turn.now)]
    if count >= 2:
        return [turn.reply(Card(text=_("Thank you."))), arc.more_card(c, c.seeker, count),
                arc.more_card(c, c.supporter, count)]
    g = turn.catalogs.gettext(lang_of(c.supporter))
    return [turn.reply(Card(text=arc.stage_text(_, count, ended=False))),
            Outbound(c.supporter.id, Card(text=arc.stage_text(g, count, ended=False)),
                     g("New message from Peerlink"), Priority.REPLY,
                     lang=lang_of(c.supporter))]


async def missed(turn: Turn) -> Sequence[Outbound]:
    head, _sep, how = turn.value.partition("|")
    meeting = await turn.uow.meetings.get(as_id(head) or 0)
    c = await _connection(turn, meeting.request_id) if meeting else None
    if meeting is None or c is None or turn.person.id != c.seeker.id:
        return await not_understood(turn)
    _ = turn.gettext
    if meeting.outcome:
        return [turn.reply(Card(text=_("Already noted. Thank you.")))]
    meeting.outcome = "moved" if how == "moved" else "missed"
    book = Button(_("Book a time"), "meeting.slots", f"{c.request.id}|{meeting.minutes}|"
                  f"{meeting.mode}|0", style="primary")
    return [turn.reply(Card(text=_("Noted. When you are ready, book another time."),
                            buttons=(book,)))]


async def more(turn: Turn) -> Sequence[Outbound]:
    rid, _held, answer = [*turn.value.split("|"), "", ""][:3]
    c = await _connection(turn, as_id(rid))
    if c is None or answer not in ("yes", "no"):
        _ = turn.gettext
        if as_id(rid) is not None and answer in ("yes", "no"):
            return [turn.reply(Card(text=_("This connection has already ended. Nothing was "
                                           "changed.")))]
        return await not_understood(turn)
    _ = turn.gettext
    if answer == "no":
        return list(await _arc(turn).end(turn.uow, c, turn.now))
    book = Button(_("Book the next meeting"), "meeting.slots", f"{c.request.id}|30||0",
                  style="primary")
    return [turn.reply(Card(text=_("Noted: more meetings. You will be asked again after "
                                   "the next one."), buttons=(book,)))]


async def survey(turn: Turn) -> Sequence[Outbound]:
    """A survey or report sent: kept by program and month only, once per token."""
    action = turn.inbound.action
    if action is None:
        return await not_understood(turn)
    kind = "seeker" if action.id == "survey.seeker" else "supporter"
    arc = _arc(turn)
    answers = arc.answers(kind, dict(action.values))
    _ = turn.gettext
    if answers is None:
        return [turn.reply(Card(text=_("Please choose from the lists only. Nothing was "
                                       "saved.")))]
    invite = await turn.uow.surveys.take(action.value, kind, turn.now)
    if invite is None:
        return [turn.reply(Card(text=_("This form was already sent, or has expired. "
                                       "Thank you.")))]
    await turn.uow.surveys.answer(kind, invite.program, turn.now.strftime("%Y-%m"), answers)
    return [turn.reply(Card(text=_("Thank you. Your answers help the program, and nobody "
                                   "can tell they are yours.")))]


async def resources(turn: Turn) -> Sequence[Outbound]:
    c = await _connection(turn, as_id(turn.value))
    if c is None or turn.person.id != c.supporter.id:
        return await not_understood(turn)
    _ = turn.gettext
    buttons = tuple(Button(r.name(turn.lang), "connection.refer", f"{c.request.id}|{r.key}")
                    for r in turn.config.resources)
    text = _("Which resource would you like to send {name}? They get its description and "
             "link; a week later I will remind you to follow up.").format(
        name=name_of(c.seeker))
    if not buttons:
        text = _("The program office has not added any resources yet.")
    return [turn.reply(Card(text=text, buttons=buttons))]


async def refer(turn: Turn) -> Sequence[Outbound]:
    rid, _sep, key = turn.value.partition("|")
    c = await _connection(turn, as_id(rid))
    resource = turn.config.resource(key)
    if c is None or resource is None or turn.person.id != c.supporter.id:
        return await not_understood(turn)
    c.request.referrals += 1
    await turn.uow.due.schedule(
        FOLLOW_UP, f"referral:{c.request.id}:{c.request.referrals}",
        turn.now + FOLLOW_UP_AFTER, {"request_id": c.request.id, "resource": resource.key})
    lang = lang_of(c.seeker)
    g = turn.catalogs.gettext(lang)
    card = _resource_card(g, lang, resource, name_of(c.supporter))
    _ = turn.gettext
    return [turn.reply(Card(text=_("Sent to {name}.").format(name=name_of(c.seeker)))),
            Outbound(c.seeker.id, card, g("New message from Peerlink"), Priority.REPLY,
                     lang=lang)]


def _resource_card(_: Gettext, lang: str, resource: Resource, sender: str) -> Card:
    return Card(
        title=resource.name(lang),
        text=_("{name} thought this could help you:").format(name=sender)
        + "\n\n" + resource.description(lang),
        buttons=(Button(_("Open"), "", url=resource.link),) if resource.link else (),
    )


async def goals(turn: Turn) -> Sequence[Outbound]:
    """The seeker's goals checklist as a form, filled with what they saved."""
    c = await _connection(turn, as_id(turn.value))
    if c is None or turn.person.id != c.seeker.id:
        return await not_understood(turn)
    token = await turn.enter("goals", "form", {"request": c.request.id})
    saved = turn.uow.support.unseal(c.request.goals) or {}
    return [turn.reply(_goals_form(turn, token, saved))]


def _goals_form(turn: Turn, token: str, saved: dict[str, str], problem: str = "") -> Form:
    _ = turn.gettext
    labels = {
        "goal": _("Goal"), "benefits_me": _("Benefits to you"),
        "benefits_org": _("Benefits to the organisation"), "barriers": _("Barriers"),
        "resources": _("Resources needed"),
        "progress": _("How we will know there is progress"),
    }
    return Form(
        title=_("My goals"),
        text=problem or _("Only you can see this checklist; it is stored encrypted. You can "
                          "share the goal itself with your supporter."),
        inputs=tuple(TextInput(key, labels[key], multiline=key != "goal", required=False,
                               max_length=GOAL_LIMIT, initial=str(saved.get(key, "")))
                     for key in GOAL_FIELDS),
        submit=Button(_("Save"), "goals.save", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def save_goals(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    if action is None or not turn.holds("goals", action.value) or turn.state is None:
        return [stale_card(turn)]
    c = await _connection(turn, int(turn.state.data.get("request", 0)))
    if c is None or turn.person.id != c.seeker.id:
        await turn.leave()
        return await not_understood(turn)
    _ = turn.gettext
    values = {key: clean(action.values.get(key, "") or "").strip() for key in GOAL_FIELDS}
    if any(len(v) > GOAL_LIMIT for v in values.values()):
        problem = _("Each answer can have up to {limit} characters. Nothing was saved.").format(
            limit=GOAL_LIMIT)
        return [turn.reply(_goals_form(turn, action.value, values, problem))]
    await turn.leave()
    c.request.goals = turn.uow.support.seal(values)
    buttons = ((Button(_("Share my goal with {name}").format(name=name_of(c.supporter)),
                       "goals.share", str(c.request.id)),) if values["goal"] else ())
    return [turn.reply(Card(text=_("Your goals are saved."), facts=tuple(
        Fact(label, values[key]) for key, label in (("goal", _("Goal")),) if values[key]),
        buttons=buttons))]


async def share_goal(turn: Turn) -> Sequence[Outbound]:
    c = await _connection(turn, as_id(turn.value))
    if c is None or turn.person.id != c.seeker.id:
        return await not_understood(turn)
    goal = (turn.uow.support.unseal(c.request.goals) or {}).get("goal", "")
    _ = turn.gettext
    if not goal:
        return [turn.reply(Card(text=_("Write your goal first, then share it.")))]
    lang = lang_of(c.supporter)
    g = turn.catalogs.gettext(lang)
    shared = _shared_goal(g, name_of(c.seeker), goal)
    return [turn.reply(Card(text=_("Shared with {name}.").format(name=name_of(c.supporter)))),
            Outbound(c.supporter.id, shared, g("New message from Peerlink"), Priority.REPLY,
                     lang=lang)]


def _shared_goal(_: Gettext, seeker: str, goal: str) -> Card:
    return Card(text=_("{name} shared their goal with you:").format(name=seeker)
                + "\n> " + goal)


async def survey_results(turn: Turn) -> Sequence[Outbound]:
    """For the program office: the seekers' survey, month by month, small groups hidden."""
    if not turn.person.program_office:
        return await not_understood(turn)
    _ = turn.gettext
    months = recent_months(turn.now.date(), 6)
    rows = [(r.month, dict(r.answers)) for r in await turn.uow.surveys.answers("seeker", months)]
    lines = survey_summary(_, rows, months, turn.lang)
    text = _("The seekers' anonymous survey over the last six months. A month with fewer "
             "than five answers is never shown on its own.")
    if not lines:
        text += "\n\n" + _("Not enough answers yet to show anything.")
    return [turn.reply(Card(title=_("Survey results"), text=text,
                            facts=tuple(Fact(label, value) for label, value in lines)))]
