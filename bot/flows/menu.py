"""Help, the menu of what a person can do, and kind answers to what we don't understand.

| input                         | answer                                    |
|-------------------------------|-------------------------------------------|
| "help", "aide", "menu", "?"   | the menu                                  |
| anything else not understood  | "I didn't catch that" + the menu          |
| an empty message              | "I didn't get any text" + the menu        |
| a message over MAX_TEXT       | "that's longer than I can read" + menu    |
| an unknown or retired button  | "that button no longer works" + the menu  |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.messages import Outbound
from bot.text import MAX_TEXT
from bot.turn import Turn
from bot.ui import Button, Card, Form, TextInput


def menu_card(turn: Turn, lead: str = "") -> Card:
    _ = turn.gettext
    lines = [
        _("Here is what you can do:"),
        _("• *find*: a peer supporter, a manager ambassador or a buddy to talk to"),
        _("• *requests*: your requests to connect, and their answers"),
        _("• *meetings*: your private meetings, to book, move or cancel"),
        _("• *check-in*: a short private check-in, at a time you choose"),
        _("• *pairing*: meet a colleague from another team for a coffee, now and then"),
        _("• *pause*: pause check-ins or pairing rounds until a date"),
        _("• *settings*: your language and timezone"),
        _("• *language*: switch between English and French"),
        _("• *privacy*: what Peerlink keeps, and the limits of confidentiality"),
        _("• *about*: what Peerlink is, and what it is not"),
        _("If you are in danger or thinking about ending your life, call your local "
          "emergency number now."),
    ]
    text = "\n".join([lead, *lines] if lead else lines)
    return Card(
        title=_("Peerlink"),
        text=text,
        buttons=(
            Button(_("Find support"), "menu.find", style="primary"),
            Button(_("My requests"), "menu.requests"),
            Button(_("Settings"), "menu.settings"),
            Button(_("Language"), "menu.language"),
            Button(_("Privacy"), "menu.privacy"),
            Button(_("About Peerlink"), "menu.about"),
        ),
    )


async def show_help(turn: Turn) -> Sequence[Outbound]:
    return [turn.reply(menu_card(turn))]


async def not_understood(turn: Turn) -> Sequence[Outbound]:
    """The fallback: a kind answer that says what is possible."""
    _ = turn.gettext
    if turn.inbound.action is not None:
        lead = _("Sorry, that button no longer works. Nothing was changed.")
    elif not turn.text:
        lead = _("I didn't receive any text. Write a word from the list below.")
    elif len(turn.text) > MAX_TEXT:
        lead = _(
            "That message is longer than I can read ({limit} characters at most), "
            "so I did not act on it."
        ).format(limit=format_decimal(MAX_TEXT, locale=turn.lang))
    else:
        lead = _("Sorry, I didn't understand that.")
    return [turn.reply(menu_card(turn, lead))]


async def mentioned(turn: Turn) -> Sequence[Outbound]:
    """Someone called Peerlink in a shared space: answer privately, never there."""
    _ = turn.gettext
    lead = _("You called me in a shared space. Personal matters stay private, so I answer "
             "you here, in our direct messages.")
    return [turn.reply(menu_card(turn, lead))]


def stale_card(turn: Turn) -> Outbound:
    """A reply to a press on a card that is no longer live."""
    _ = turn.gettext
    lead = _("That card is out of date, so nothing was changed. Here is the menu again.")
    return turn.reply(menu_card(turn, lead))


def until_form(turn: Turn, title: str, text: str, action: str, token: str,
               problem: str = "", label: str = "") -> Form:
    """A form that asks for one date (pause until, away until), with an example."""
    _ = turn.gettext
    example = format_date(turn.now.date() + timedelta(days=14), "short", locale=turn.lang)
    return Form(
        title=title,
        text=problem or text,
        inputs=(TextInput("until", (label or _("Until (a date, e.g. {example})")).format(
            example=example), max_length=20, placeholder=example),),
        submit=Button(_("Pause"), action, token, style="primary"),
        cancel_label=_("Cancel"),
    )


def bad_until(turn: Turn) -> str:
    _ = turn.gettext
    return _("Please give a date after today and within a year. Nothing was changed.")
