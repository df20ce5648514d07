"""Settings: language and timezone, through a form.

| state              | input                           | next               | answer              |
|--------------------|---------------------------------|--------------------|---------------------|
| any                | "settings" / menu button        | settings/form      | the form            |
| settings/form      | submit, live token, valid       | (none)             | confirmation        |
| settings/form      | submit, live token, invalid     | settings/form      | what is wrong, form |
| settings/form      | cancel (live token)             | (none)             | "nothing changed"   |
| anything else      | submit or cancel (old card)     | unchanged          | stale-card reply    |
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.checkins import schedule_next
from bot.flows.menu import stale_card
from bot.i18n import LANGUAGE_NAMES, SUPPORTED
from bot.messages import Outbound
from bot.places import is_timezone
from bot.turn import Turn
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option

FLOW = "settings"
# Offered in the form; any other valid IANA zone already on file is offered too.
COMMON_ZONES = (
    "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Toronto",
    "America/Montreal", "America/Halifax", "America/St_Johns", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London",
    "Europe/Paris", "Europe/Brussels", "Europe/Zurich", "Africa/Casablanca", "Africa/Abidjan",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "UTC",
)


def _zones(current: str) -> tuple[str, ...]:
    return COMMON_ZONES if not current or current in COMMON_ZONES else (current, *COMMON_ZONES)


def settings_form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Your settings"),
        text=problem,
        inputs=(
            ChoiceInput(
                "language", _("Language"),
                tuple(Option(LANGUAGE_NAMES[lang], lang) for lang in SUPPORTED),
                initial=turn.lang,
            ),
            ChoiceInput(
                "timezone", _("Timezone"),
                tuple(Option(z.replace("_", " "), z)
                      for z in _zones(turn.person.effective_timezone)),
                initial=turn.person.effective_timezone,
            ),
        ),
        submit=Button(_("Save"), "settings.save", token, style="primary"),
        cancel_label=_("Cancel"),
    )


async def open_settings(turn: Turn) -> Sequence[Outbound]:
    token = await turn.enter(FLOW, "form")
    return [turn.reply(settings_form(turn, token))]


async def save(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value):
        return [stale_card(turn)]
    _ = turn.gettext
    lang = action.values.get("language", "")
    zone = action.values.get("timezone", "")
    if lang not in SUPPORTED or not is_timezone(zone):
        problem = _("Please choose a language and a timezone from the lists. Nothing was saved.")
        return [turn.reply(settings_form(turn, action.value, problem))]
    await turn.leave()
    moved = zone != turn.person.effective_timezone
    turn.person.language, turn.person.timezone = lang, zone
    turn.switch_language(lang)
    plan = await turn.uow.checkins.plan(turn.person.id) if moved else None
    if plan is not None and plan.active:  # the same local time in the new timezone
        await schedule_next(turn.uow, plan, turn.person, turn.now, turn.config)
    _ = turn.gettext
    card = Card(
        text=_("Your settings are saved."),
        facts=(Fact(_("Language"), LANGUAGE_NAMES[lang]), Fact(_("Timezone"), zone)),
    )
    return [turn.reply(card)]


async def cancel(turn: Turn) -> Sequence[Outbound]:
    """Any form's cancel button: leave the flow, change nothing."""
    _ = turn.gettext
    action = turn.inbound.action
    if turn.state is None or action is None or action.value != turn.state.token:
        return [stale_card(turn)]  # an old form's cancel leaves the live one alone
    await turn.leave()
    return [turn.reply(Card(text=_("Cancelled. Nothing was changed.")))]
