"""Language: English or French, per person, changeable at any time.

| input                                   | answer                                |
|-----------------------------------------|---------------------------------------|
| "language" / "langue" / menu button     | a card with both languages            |
| "language fr", "français", "english"    | set it, confirm in the new language   |
| button "language.set" with en or fr     | set it, confirm in the new language   |
| an unsupported value                    | kind error, nothing changed           |
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import LANGUAGE_NAMES, SUPPORTED, language_for
from bot.messages import Outbound
from bot.turn import Turn
from bot.ui import Button, Card


async def language(turn: Turn) -> Sequence[Outbound]:
    """The command: with a language word it switches, else it offers the choice."""
    named = [language_for(w) for w in turn.words[1:]] or [
        language_for(w) for w in turn.words[:1] if w in ("english", "francais")
    ]
    wanted = [lang for lang in named if lang]
    if wanted:
        return await _switch(turn, wanted[0])
    return [turn.reply(choice_card(turn))]


async def choose(turn: Turn) -> Sequence[Outbound]:
    return [turn.reply(choice_card(turn))]


async def set_from_action(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    value = language_for(action.value) if action is not None else None
    if value is None:
        _ = turn.gettext
        card = choice_card(turn, _("I can speak English or French only. Nothing was changed."))
        return [turn.reply(card)]
    return await _switch(turn, value)


def choice_card(turn: Turn, lead: str = "") -> Card:
    _ = turn.gettext
    text = _("Which language would you like?")
    return Card(
        text=f"{lead}\n{text}" if lead else text,
        buttons=tuple(
            Button(LANGUAGE_NAMES[lang], "language.set", lang,
                   style="primary" if lang == turn.lang else "default")
            for lang in SUPPORTED
        ),
    )


async def _switch(turn: Turn, lang: str) -> Sequence[Outbound]:
    turn.person.language = lang
    turn.switch_language(lang)
    _ = turn.gettext
    card = Card(text=_("From now on I will write to you in English."))
    return [turn.reply(card)]
