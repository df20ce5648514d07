"""A supporter's own profile: bio, topics, languages, capacity, weekly hours, and pausing.

| input                                  | answer                                           |
|----------------------------------------|--------------------------------------------------|
| "profile" / "mon profil"               | a card per program they support in (or why not)  |
| Edit bio (button) then the form        | bios saved (600 characters each at most)         |
| Topics / Languages (buttons)           | toggles, saved at each press                     |
| Capacity (select)                      | saved (1 to 10)                                  |
| Weekly hours: add (form), remove       | saved; shown in the supporter's timezone         |
| Away until (form with a date)          | paused until then, back automatically            |
| Back now                               | active again                                     |

Every button carries the profile id; a profile that is not the presser's own is
refused. Suspended or revoked profiles can be read but not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from babel.dates import format_date, get_day_names

from bot.flows.menu import bad_until, not_understood, stale_card, until_form
from bot.i18n import LANGUAGE_NAMES, SUPPORTED, Gettext
from bot.matching import DAYS
from bot.messages import Action, Outbound
from bot.support import language_name
from bot.text import as_id, clean, future_day
from bot.turn import Turn
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, Select, TextInput
from storage.models import SupporterProfile

FLOW = "profile"
BIO_LIMIT = 600
LINK_LIMIT, PLACE_LIMIT = 300, 200
MAX_CAPACITY = 10
MAX_AWAY = timedelta(days=366)
_TIMES = (*(f"{h:02d}:{m:02d}" for h in range(6, 22) for m in (0, 30)), "22:00")
_LOCKED = ("suspended", "revoked")


async def show(turn: Turn) -> Sequence[Outbound]:
    """The command: each of the person's supporter profiles."""
    profiles = await turn.uow.programs.supporters_of(turn.person.id)
    if not profiles:
        _ = turn.gettext
        return [turn.reply(Card(text=_(
            "You are not a supporter in any program. Supporters are trained volunteers "
            "invited by the program office; if that interests you, ask them.")))]
    return [turn.reply(await profile_card(turn, p)) for p in profiles]


async def profile_card(turn: Turn, profile: SupporterProfile, lead: str = "") -> Card:
    _ = turn.gettext
    program = await turn.uow.programs.get(profile.program_id)
    spec = turn.config.program(program.key) if program else None
    name = spec.name(turn.lang) if spec else "?"
    topics = [turn.config.topic(t) for t in profile.topics]
    pid = str(profile.id)
    facts = (
        Fact(_("State"), _state(_, profile, turn.lang, turn.now.date())),
        Fact(_("English bio"), profile.bio_en or "—"),
        Fact(_("French bio"), profile.bio_fr or "—"),
        Fact(_("Topics"), ", ".join(t.name(turn.lang) for t in topics if t) or "—"),
        Fact(_("Languages"), ", ".join(language_name(c, turn.lang)
                                       for c in profile.languages) or "—"),
        Fact(_("Capacity"), _("{load} of {capacity} places taken").format(
            load=profile.load, capacity=profile.capacity)),
        Fact(_("Weekly hours"), _hours(_, profile, turn.person.effective_timezone, turn.lang)),
        Fact(_("Video link"), profile.video_link or "—"),
        Fact(_("Place to meet in person"), profile.place or "—"),
        Fact(_("Training completed"), format_date(profile.trained_on, "long", locale=turn.lang)
             if profile.trained_on else _("not yet")),
        Fact(_("Term ends"), format_date(profile.term_end, "long", locale=turn.lang)
             if profile.term_end else "—"),
    )
    text = _("Your profile in {program}. Seekers see your bio in their language (or the "
             "other one), your topics and languages.").format(program=name)
    if profile.state in _LOCKED:
        return Card(title=_("Your supporter profile"),
                    text="\n\n".join(filter(None, [lead, text])), facts=facts)
    away = (Button(_("Back now"), "profile.back", pid) if profile.state == "paused"
            else Button(_("Away until…"), "profile.away", pid))
    return Card(
        title=_("Your supporter profile"),
        text="\n\n".join(filter(None, [lead, text])),
        facts=facts,
        buttons=(Button(_("Edit bio"), "profile.bio", pid),
                 Button(_("Meeting details"), "profile.details", pid),
                 Button(_("Topics"), "profile.topics", pid),
                 Button(_("Languages"), "profile.languages", pid),
                 Button(_("Weekly hours"), "profile.hours", pid), away),
        selects=(Select("profile.capacity", _("Capacity"),
                        tuple(Option(str(n), f"{pid}|{n}")
                              for n in range(1, MAX_CAPACITY + 1))),),
    )


def _state(_: Gettext, profile: SupporterProfile, lang: str, today: date) -> str:
    if profile.state == "paused":
        if profile.paused_until is None:
            return _("Paused")
        if profile.paused_until <= today:
            return _("Active")
        return _("Away until {date}").format(
            date=format_date(profile.paused_until, "long", locale=lang))
    return {"active": _("Active"), "suspended": _("Suspended"),
            "revoked": _("Revoked")}.get(profile.state, profile.state)


def _hours(_: Gettext, profile: SupporterProfile, zone: str, lang: str) -> str:
    slots = [s for s in profile.availability if isinstance(s, dict)]
    if not slots:
        return _("none yet: add some so seekers can see when you are free")
    return ", ".join(_slot_text(s, lang) for s in slots) + f" ({zone or 'UTC'})"


def _slot_text(slot: dict[str, object], lang: str) -> str:
    """"Mon 09:00–12:00" in the person's language (day names from CLDR)."""
    day = str(slot.get("day"))
    name = _day_names(lang)[DAYS.index(day)] if day in DAYS else "?"
    return f"{name} {slot.get('start')}–{slot.get('end')}"


def _day_names(lang: str) -> list[str]:
    names = get_day_names("abbreviated", locale=lang)
    return [str(names[i]) for i in range(7)]


async def _own(turn: Turn, value: str) -> SupporterProfile | None:
    """The presser's own, changeable profile named by a button value ("12" or "12|...")."""
    profile_id = as_id(value.split("|", 1)[0])
    if profile_id is None:
        return None
    profile = await turn.uow.support.profile(profile_id)
    if profile is None or profile.person_id != turn.person.id or profile.state in _LOCKED:
        return None
    return profile


async def _open_form(
    turn: Turn, step: str, build: Callable[[str, SupporterProfile], Form]
) -> Sequence[Outbound]:
    """A form about the presser's own profile, in the profile flow with a live token."""
    profile = await _own(turn, turn.value)
    if profile is None:
        return await not_understood(turn)
    token = await turn.enter(FLOW, step, {"profile": profile.id})
    return [turn.reply(build(token, profile))]


async def edit_bio(turn: Turn) -> Sequence[Outbound]:
    return await _open_form(turn, "bio", lambda token, profile: _bio_form(
        turn, token, profile.bio_en, profile.bio_fr))


def _bio_form(turn: Turn, token: str, en: str, fr: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Your bio"),
        text=problem or _("What you can help with, and any lived experience you are willing "
                          "to share. At least one of the two."),
        inputs=(TextInput("bio_en", _("In English"), multiline=True, required=False,
                          max_length=BIO_LIMIT, initial=en),
                TextInput("bio_fr", _("In French"), multiline=True, required=False,
                          max_length=BIO_LIMIT, initial=fr)),
        submit=Button(_("Save"), "profile.savebio", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def _submitted(turn: Turn) -> tuple[Action, SupporterProfile] | list[Outbound]:
    """A profile form sent with its live token, and the profile it edits; else replies."""
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value) or turn.state is None:
        return [stale_card(turn)]
    profile = await _own(turn, str(turn.state.data.get("profile", "")))
    if profile is None:
        await turn.leave()
        return list(await not_understood(turn))
    return action, profile


async def save_bio(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if isinstance(found, list):
        return found
    action, profile = found
    _ = turn.gettext
    en = clean(action.values.get("bio_en", "") or "").strip()
    fr = clean(action.values.get("bio_fr", "") or "").strip()
    if len(en) > BIO_LIMIT or len(fr) > BIO_LIMIT or not (en or fr):
        problem = _("Each bio can have up to {limit} characters, and at least one is needed. "
                    "Nothing was saved.").format(limit=BIO_LIMIT)
        return [turn.reply(_bio_form(turn, action.value, en, fr, problem))]
    await turn.leave()
    profile.bio_en, profile.bio_fr = en, fr
    return [turn.reply(await profile_card(turn, profile, _("Your bio is saved.")))]


async def edit_details(turn: Turn) -> Sequence[Outbound]:
    return await _open_form(turn, "details", lambda token, profile: _details_form(
        turn, token, profile.video_link, profile.place))


def _details_form(turn: Turn, token: str, link: str, place: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Meeting details"),
        text=problem or _("Your video link is given with each video meeting; a place lets "
                          "people meet you in person. Phone and chat are always offered."),
        inputs=(TextInput("video_link", _("Video link (https://…)"), required=False,
                          max_length=LINK_LIMIT, initial=link),
                TextInput("place", _("Place to meet in person"), required=False,
                          max_length=PLACE_LIMIT, initial=place)),
        submit=Button(_("Save"), "profile.savedetails", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def save_details(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if isinstance(found, list):
        return found
    action, profile = found
    _ = turn.gettext
    link = clean(action.values.get("video_link", "") or "").strip()
    place = clean(action.values.get("place", "") or "").strip()
    if ((link and (not link.startswith("https://") or " " in link or len(link) > LINK_LIMIT))
            or len(place) > PLACE_LIMIT):
        problem = _("The video link must start with https:// and have no spaces; the place "
                    "can have up to {limit} characters. Nothing was saved.").format(
            limit=PLACE_LIMIT)
        return [turn.reply(_details_form(turn, action.value, link, place, problem))]
    await turn.leave()
    profile.video_link, profile.place = link, place
    profile.modes = ["video", "phone", "chat", *(["in_person"] if place else [])]
    return [turn.reply(await profile_card(turn, profile, _("Your meeting details are "
                                                           "saved.")))]


async def topics(turn: Turn) -> Sequence[Outbound]:
    """The topic toggles; "profile.topic" with "id|key" flips one."""
    value = turn.value
    profile = await _own(turn, value)
    if profile is None:
        return await not_understood(turn)
    key = value.partition("|")[2]
    if key:
        if turn.config.topic(key) is None:
            return await not_understood(turn)
        chosen = list(profile.topics)
        profile.topics = [t for t in chosen if t != key] if key in chosen else [*chosen, key]
    _ = turn.gettext
    pid = str(profile.id)
    buttons = tuple(
        Button(("✓ " if t.key in profile.topics else "") + t.name(turn.lang), "profile.topic",
               f"{pid}|{t.key}", style="primary" if t.key in profile.topics else "default")
        for t in turn.config.topics
    )
    return [turn.reply(Card(text=_("What can you help with? Press a topic to add or remove "
                                   "it; it is saved at once."),
                            buttons=(*buttons, Button(_("Done"), "profile.done", pid))))]


async def languages(turn: Turn) -> Sequence[Outbound]:
    """The language toggles; "profile.language" with "id|code" flips one (one must stay)."""
    value = turn.value
    profile = await _own(turn, value)
    if profile is None:
        return await not_understood(turn)
    code = value.partition("|")[2]
    _ = turn.gettext
    lead = _("Which languages can you support people in? Press one to add or remove it.")
    if code:
        if code not in SUPPORTED:
            return await not_understood(turn)
        chosen = list(profile.languages)
        if code in chosen and len(chosen) == 1:
            lead = _("At least one language is needed, so it stays.")
        else:
            profile.languages = ([c for c in chosen if c != code] if code in chosen
                                 else [*chosen, code])
    pid = str(profile.id)
    buttons = tuple(
        Button(("✓ " if c in profile.languages else "") + LANGUAGE_NAMES[c], "profile.language",
               f"{pid}|{c}", style="primary" if c in profile.languages else "default")
        for c in SUPPORTED
    )
    return [turn.reply(Card(text=lead, buttons=(*buttons,
                                                Button(_("Done"), "profile.done", pid))))]


async def capacity(turn: Turn) -> Sequence[Outbound]:
    value = turn.value
    profile = await _own(turn, value)
    n = as_id(value.partition("|")[2], digits=2)
    if profile is None or n is None or not 1 <= n <= MAX_CAPACITY:
        return await not_understood(turn)
    profile.capacity = n
    _ = turn.gettext
    return [turn.reply(await profile_card(turn, profile, _("Your capacity is saved.")))]


async def done(turn: Turn) -> Sequence[Outbound]:
    profile = await _own(turn, turn.value)
    if profile is None:
        return await not_understood(turn)
    _ = turn.gettext
    return [turn.reply(await profile_card(turn, profile, _("Saved.")))]


async def hours(turn: Turn) -> Sequence[Outbound]:
    """Weekly hours; "profile.slot" with "id|n" removes the n-th."""
    value = turn.value
    profile = await _own(turn, value)
    if profile is None:
        return await not_understood(turn)
    removed = value.partition("|")[2]
    if removed:
        slots = [s for s in profile.availability if isinstance(s, dict)]
        index = as_id(removed, digits=3)
        if index is None or index >= len(slots):
            return [stale_card(turn)]
        profile.availability = [s for i, s in enumerate(slots) if i != index]
    return [turn.reply(_hours_card(turn, profile))]


def _hours_card(turn: Turn, profile: SupporterProfile) -> Card:
    """Each weekly time with a remove button, and a way to add one."""
    _ = turn.gettext
    pid = str(profile.id)
    slots = [s for s in profile.availability if isinstance(s, dict)]
    removes = tuple(
        Button(_("Remove {slot}").format(slot=_slot_text(s, turn.lang)), "profile.slot",
               f"{pid}|{i}")
        for i, s in enumerate(slots)
    )
    text = _("When are you usually free to meet, each week? Times are in your timezone "
             "({zone}).").format(zone=turn.person.effective_timezone or "UTC")
    return Card(text=text, buttons=(
        *removes, Button(_("Add a time"), "profile.addslot", pid, style="primary"),
        Button(_("Done"), "profile.done", pid)))


async def add_slot(turn: Turn) -> Sequence[Outbound]:
    return await _open_form(turn, "slot", lambda token, profile: _slot_form(turn, token))


def _slot_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    days = tuple(Option(name, day) for day, name in zip(DAYS, _day_names(turn.lang),
                                                        strict=True))
    times = tuple(Option(t, t) for t in _TIMES)
    return Form(
        title=_("Add a weekly time"),
        text=problem,
        inputs=(ChoiceInput("day", _("Day"), days, initial="mon"),
                ChoiceInput("start", _("From"), times, initial="09:00"),
                ChoiceInput("end", _("To"), times, initial="11:00")),
        submit=Button(_("Add"), "profile.saveslot", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def save_slot(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if isinstance(found, list):
        return found
    action, profile = found
    _ = turn.gettext
    day, start, end = (action.values.get(k, "") for k in ("day", "start", "end"))
    if day not in DAYS or start not in _TIMES or end not in _TIMES or start >= end:
        problem = _("Choose a day, then a start before the end. Nothing was saved.")
        return [turn.reply(_slot_form(turn, action.value, problem))]
    slots = [s for s in profile.availability if isinstance(s, dict)]
    if any(s.get("day") == day and s.get("start", "") < end and start < s.get("end", "")
           for s in slots):
        problem = _("That overlaps a time you already have. Nothing was saved.")
        return [turn.reply(_slot_form(turn, action.value, problem))]
    await turn.leave()
    profile.availability = sorted([*slots, {"day": day, "start": start, "end": end}],
                                  key=lambda s: (DAYS.index(str(s["day"])), str(s["start"])))
    return [turn.reply(_hours_card(turn, profile))]


async def away(turn: Turn) -> Sequence[Outbound]:
    return await _open_form(turn, "away", lambda token, profile: _away_form(turn, token))


def _away_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return until_form(turn, _("Away until"),
                      _("While you are away, nobody new is offered to you; your open "
                        "requests and connections stay. You are back automatically on "
                        "that day."), "profile.saveaway", token, problem,
                      label=_("Back on (a date, e.g. {example})"))


async def save_away(turn: Turn) -> Sequence[Outbound]:
    found = await _submitted(turn)
    if isinstance(found, list):
        return found
    action, profile = found
    _ = turn.gettext
    until = future_day(action.values.get("until", ""), turn.lang, turn.now.date(), MAX_AWAY)
    if until is None:
        return [turn.reply(_away_form(turn, action.value, bad_until(turn)))]
    await turn.leave()
    profile.state, profile.paused_until = "paused", until
    return [turn.reply(await profile_card(turn, profile, _(
        "You are away until {date}. Take good care of yourself.").format(
        date=format_date(until, "long", locale=turn.lang))))]


async def back(turn: Turn) -> Sequence[Outbound]:
    profile = await _own(turn, turn.value)
    if profile is None:
        return await not_understood(turn)
    profile.state, profile.paused_until = "active", None
    _ = turn.gettext
    return [turn.reply(await profile_card(turn, profile, _("Welcome back: you can be "
                                                           "offered to seekers again.")))]

