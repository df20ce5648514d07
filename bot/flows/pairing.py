"""Pairing rounds: join or leave the pool, skip a round, pause, "never pair me with",
and the answers to "did you meet?".

| input                                  | answer                                           |
|----------------------------------------|--------------------------------------------------|
| "pairing" / "buddy" / "jumelage"       | the pool: in or out, next round, settings        |
| Join / Leave                           | in the pool from the next round / out of it      |
| Skip (a round, or the next one)        | sat out; back for the one after                  |
| Pause until (a date)                   | no rounds until then                             |
| a date that is past, too far or wrong  | what is wrong; nothing changed                   |
| Never pair me with (an email)          | never paired with them; they are not told        |
| an unknown email, or oneself           | a clear message; nothing changed                 |
| did you meet? (round, yes or no)       | counted once, with no name                       |
| pressed twice, or not in that round    | a kind reply; nothing counted again              |
| Don't pair us again (round)            | the others of your group added to your list      |
| "pause"                                | pause check-ins or pairing rounds                |
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_date, format_datetime

from bot.config import ProgramSpec
from bot.flows.menu import bad_until, not_understood, stale_card, until_form
from bot.messages import Action, Outbound
from bot.pairing import local_day, next_round, pairing_programs, schedule_round
from bot.places import zone_of
from bot.support import name_of, program_row
from bot.text import as_id, future_day, parse_day
from bot.turn import Turn
from bot.ui import Button, Card, Fact, Form, TextInput
from storage.models import PairingMember

FLOW = "pairing"
MAX_NEVER = 50


def _spec(turn: Turn, key: str) -> ProgramSpec | None:
    spec = turn.config.program(key.partition("|")[0])
    return spec if spec is not None and spec.pairing is not None else None


async def _member(turn: Turn, spec: ProgramSpec) -> PairingMember | None:
    program = await turn.uow.programs.by_key(spec.key)
    return await turn.uow.pairing.member(program.id, turn.person.id) if program else None


async def show(turn: Turn) -> Sequence[Outbound]:
    specs = pairing_programs(turn.config)
    chosen = _spec(turn, turn.value) if turn.value else None
    if chosen is not None:
        specs = [chosen]
    if not specs:
        return await not_understood(turn)
    return [turn.reply(await _card(turn, spec)) for spec in specs]


async def _card(turn: Turn, spec: ProgramSpec, lead: str = "") -> Card:
    _ = turn.gettext
    assert spec.pairing is not None
    member = await _member(turn, spec)
    about = _("Pairing rounds: every round, people who joined are paired with a colleague "
              "from another team for a coffee, a walk or lunch. You get a heads-up the day "
              "before and can skip any round.")
    title = _("Pairing rounds: {program}").format(program=spec.name(turn.lang))
    if member is None or not member.active:
        return Card(title=title, text="\n\n".join(filter(None, [lead, about])),
                    buttons=(Button(_("Join the pairing rounds"), "pairing.join", spec.key,
                                    style="primary"),
                             Button(_("Find a buddy now"), "find.program", spec.key)))
    today = turn.now.date()
    upcoming = next_round(spec.pairing, turn.now)
    facts = [Fact(_("Next round"), format_datetime(upcoming.astimezone(zone_of(turn.person)),
                                                   "EEE d MMM, HH:mm", locale=turn.lang))]
    buttons = [Button(_("Skip the next round"), "pairing.skip", spec.key)]
    if member.paused_until and member.paused_until > today:
        facts.append(Fact(_("Paused until"), format_date(member.paused_until, "long",
                                                         locale=turn.lang)))
        buttons = [Button(_("Resume now"), "pairing.resume", spec.key)]
    elif member.skip_on and member.skip_on >= today:
        facts.append(Fact(_("Skipping the round of"),
                          format_date(member.skip_on, "long", locale=turn.lang)))
        buttons = [Button(_("Don't skip it"), "pairing.resume", spec.key)]
    else:
        buttons.append(Button(_("Pause"), "pairing.pause", spec.key))
    buttons += [Button(_("Never pair me with…"), "pairing.never", spec.key),
                Button(_("Leave the pairing rounds"), "pairing.leave", spec.key)]
    return Card(title=title, text=lead or _("You are in the pool."), facts=tuple(facts),
                buttons=tuple(buttons))


async def join(turn: Turn) -> Sequence[Outbound]:
    spec = _spec(turn, turn.value)
    if spec is None or spec.pairing is None:
        return await not_understood(turn)
    program = await program_row(turn.uow, spec)
    await turn.uow.pairing.join(program.id, turn.person.id, turn.now)
    await schedule_round(turn.uow, spec.pairing, program.id, turn.now)
    _ = turn.gettext
    return [turn.reply(await _card(turn, spec, _("You are in. You will hear from me the day "
                                                 "before the next round.")))]


async def leave(turn: Turn) -> Sequence[Outbound]:
    spec = _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    if spec is None:
        return await not_understood(turn)
    if member is not None:
        member.active = False
    _ = turn.gettext
    return [turn.reply(await _card(turn, spec, _("You have left the pairing rounds. Nobody "
                                                 "is told; join again whenever you like.")))]


async def skip(turn: Turn) -> Sequence[Outbound]:
    """Skip the round named on a heads-up ("key|YYYY-MM-DD"), or the next one."""
    spec = _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    if spec is None or spec.pairing is None:
        return await not_understood(turn)
    _ = turn.gettext
    if member is None or not member.active:
        return [turn.reply(await _card(turn, spec))]
    named = turn.value.partition("|")[2]
    day = parse_day(named, "en") if named else local_day(spec.pairing,
                                                         next_round(spec.pairing, turn.now))
    if day is None:
        return await not_understood(turn)
    if await turn.uow.pairing.round_on(member.program_id, day) is not None:
        return [turn.reply(Card(text=_("That round has already taken place; nothing was "
                                       "changed.")))]
    member.skip_on = day
    return [turn.reply(await _card(turn, spec, _(
        "You will sit out the round of {date}; you stay in the pool for the next one.").format(
        date=format_date(day, "long", locale=turn.lang))))]


async def resume(turn: Turn) -> Sequence[Outbound]:
    """Back in the next round: no pause, no skip."""
    spec = _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    if spec is None:
        return await not_understood(turn)
    if member is not None:
        member.paused_until = member.skip_on = None
    _ = turn.gettext
    return [turn.reply(await _card(turn, spec, _("You are back in for the next round.")))]


async def pause(turn: Turn) -> Sequence[Outbound]:
    spec = _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    if spec is None:
        return await not_understood(turn)
    if member is None or not member.active:
        return [turn.reply(await _card(turn, spec))]
    token = await turn.enter(FLOW, "pause", {"program": spec.key})
    return [turn.reply(_pause_form(turn, token))]


def _pause_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return until_form(turn, _("Pause the pairing rounds"),
                      _("No rounds for you until the date you give; you are back in by "
                        "yourself after it."), "pairing.savepause", token, problem)


async def _submitted(turn: Turn) -> tuple[Action, ProgramSpec, PairingMember] | None:
    """A live form of this flow, its program and the person's place in the pool; None
    for an old card."""
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value) or turn.state is None:
        return None
    spec = _spec(turn, str(turn.state.data.get("program", "")))
    member = await _member(turn, spec) if spec else None
    return (action, spec, member) if spec is not None and member is not None else None


async def save_pause(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if found is None:
        return [stale_card(turn)]
    action, spec, member = found
    _ = turn.gettext
    until = future_day(action.values.get("until", ""), turn.lang, turn.now.date())
    if until is None:
        return [turn.reply(_pause_form(turn, action.value, bad_until(turn)))]
    await turn.leave()
    member.paused_until = until
    return [turn.reply(await _card(turn, spec, _("Paused until {date}.").format(
        date=format_date(until, "long", locale=turn.lang))))]


async def never(turn: Turn, lead: str = "", spec: ProgramSpec | None = None
                ) -> Sequence[Outbound]:
    """The confidential list, each with Remove, and a form to add someone."""
    spec = spec or _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    if spec is None:
        return await not_understood(turn)
    if member is None or not member.active:
        return [turn.reply(await _card(turn, spec))]
    _ = turn.gettext
    listed = await turn.uow.people.many(turn.uow.pairing.never(member))
    listed.sort(key=lambda p: name_of(p).casefold())
    text = [lead, _("You will never be paired with the people on this list. It is "
                    "confidential: they are not told, and nobody else sees it.")]
    if not listed:
        text.append(_("Nobody is on your list."))
    token = await turn.enter(FLOW, "never", {"program": spec.key})
    card = Card(title=_("Never pair me with"), text="\n\n".join(filter(None, text)),
                facts=tuple(Fact(name_of(p), p.email or "") for p in listed),
                buttons=tuple(Button(_("Remove {name}").format(name=name_of(p)),
                                     "pairing.unblock", f"{spec.key}|{p.id}") for p in listed))
    return [turn.reply(card), turn.reply(_never_form(turn, token))]


def _never_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Add someone"),
        text=problem or _("Their work email address."),
        inputs=(TextInput("email", _("Email"), max_length=320),),
        submit=Button(_("Add"), "pairing.addnever", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def add_never(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if found is None:
        return [stale_card(turn)]
    action, spec, member = found
    _ = turn.gettext
    email = action.values.get("email", "").strip()
    other = await turn.uow.people.by_email(email) if "@" in email else None
    listed = turn.uow.pairing.never(member)
    problem = ""
    if other is None:
        problem = _("I could not find a colleague with that email address. Nothing was "
                    "changed.")
    elif other.id == turn.person.id:
        problem = _("That is your own address. Nothing was changed.")
    elif len(listed) >= MAX_NEVER and other.id not in listed:
        problem = _("Your list is full ({count} people). Remove someone first.").format(
            count=MAX_NEVER)
    if problem or other is None:
        return [turn.reply(_never_form(turn, action.value, problem))]
    await turn.leave()
    turn.uow.pairing.set_never(member, [*listed, other.id])
    return await never(turn, _("Added {name}.").format(name=name_of(other)), spec)


async def unblock(turn: Turn) -> Sequence[Outbound]:
    spec = _spec(turn, turn.value)
    member = await _member(turn, spec) if spec else None
    other_id = as_id(turn.value.partition("|")[2])
    if spec is None or member is None or other_id is None:
        return await not_understood(turn)
    listed = turn.uow.pairing.never(member)
    turn.uow.pairing.set_never(member, [i for i in listed if i != other_id])
    _ = turn.gettext
    return await never(turn, _("Removed."), spec)


async def _round_group(turn: Turn, value: str) -> tuple[int, list[int]] | None:
    """The round named by a follow-up and the others of the person's group in it."""
    round_id = as_id(value.partition("|")[0])
    found = await turn.uow.pairing.get_round(round_id) if round_id is not None else None
    if found is None:
        return None
    for group in turn.uow.pairing.groups(found):
        if turn.person.id in group:
            return found.id, [pid for pid in group if pid != turn.person.id]
    return None


async def met(turn: Turn) -> Sequence[Outbound]:
    answer = turn.value.partition("|")[2]
    found = await _round_group(turn, turn.value)
    if found is None or answer not in ("yes", "no"):
        return await not_understood(turn)
    _ = turn.gettext
    if not await turn.uow.pairing.answer(found[0], turn.person.id, answer == "yes"):
        return [turn.reply(Card(text=_("You have already answered. Thank you.")))]
    if answer == "yes":
        return [turn.reply(Card(text=_("Wonderful. Thank you for telling me.")))]
    return [turn.reply(Card(text=_("Thank you for telling me. Maybe next round; and you "
                                   "can always write to them yourself.")))]


async def not_again(turn: Turn) -> Sequence[Outbound]:
    found = await _round_group(turn, turn.value)
    if found is None:
        return await not_understood(turn)
    round_row = await turn.uow.pairing.get_round(found[0])
    program = await turn.uow.programs.get(round_row.program_id) if round_row else None
    spec = _spec(turn, program.key) if program else None
    member = await _member(turn, spec) if spec else None
    if member is None:
        return await not_understood(turn)
    turn.uow.pairing.set_never(member, [*turn.uow.pairing.never(member), *found[1]])
    _ = turn.gettext
    return [turn.reply(Card(text=_("Done: you will not be paired with them again. They are "
                                   "not told.")))]


async def pause_menu(turn: Turn) -> Sequence[Outbound]:
    """"pause": what can be paused, each in its own place."""
    _ = turn.gettext
    buttons = [Button(_("Pause check-ins"), "checkin.pause")]
    buttons += [Button(_("Pause {program}").format(program=spec.name(turn.lang)),
                       "pairing.pause", spec.key) for spec in pairing_programs(turn.config)]
    return [turn.reply(Card(title=_("Pause"), text=_("What would you like to pause? It starts "
                                                     "again by itself on the date you give."),
                            buttons=tuple(buttons)))]
