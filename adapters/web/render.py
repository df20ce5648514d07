"""Render the engine's UI vocabulary as HTML fragments for the local web chat.

Pure functions. Every piece of text and every attribute value goes through
``html.escape``, so the page may insert the result with ``innerHTML``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.delivery import Delivery
from bot.ui import (
    CANCEL_ACTION,
    Body,
    Button,
    Card,
    ChoiceInput,
    Fact,
    Form,
    Option,
    Select,
    TextInput,
)

_STYLES = frozenset({"default", "primary", "danger"})


def render_html(body: Body) -> str:
    """Render a card or a form as an HTML fragment."""
    if isinstance(body, Card):
        return _card(body)
    return _form(body)


def render_json(delivery: Delivery) -> dict[str, Any]:
    """What the browser receives for one delivery."""
    return {
        "key": delivery.key,
        "html": render_html(delivery.body),
        "notification": delivery.notification,
        "priority": int(delivery.priority),
        "locale": delivery.locale,
    }


def _card(card: Card) -> str:
    parts = ['<div class="pl-card">']
    if card.title:
        parts.append(f"<h3>{_e(card.title)}</h3>")
    parts.append(_text(card.text))
    if card.facts:
        parts.append(_facts(card.facts))
    if card.buttons:
        buttons = "".join(_button(b) for b in card.buttons)
        parts.append(f'<div class="pl-actions">{buttons}</div>')
    parts.extend(_select(s) for s in card.selects)
    parts.append("</div>")
    return "".join(parts)


def _text(text: str) -> str:
    """Blank lines separate paragraphs; single newlines become ``<br>``."""
    paragraphs = text.replace("\r\n", "\n").split("\n\n")
    return "".join(_paragraph(p.strip("\n")) for p in paragraphs if p.strip("\n"))


def _paragraph(text: str) -> str:
    return "<p>" + "<br>".join(_e(line) for line in text.split("\n")) + "</p>"


def _facts(facts: tuple[Fact, ...]) -> str:
    rows = "".join(f"<div><dt>{_e(f.label)}</dt><dd>{_e(f.value)}</dd></div>" for f in facts)
    return f'<dl class="pl-facts">{rows}</dl>'


def _style(button: Button) -> str:
    return button.style if button.style in _STYLES else "default"


def _button(button: Button) -> str:
    if button.url:
        return (f'<a class="pl-btn pl-{_style(button)}" href="{_e(button.url)}" '
                f'rel="noopener" target="_blank">{_e(button.label)}</a>')
    return (
        f'<button type="button" class="pl-btn pl-{_style(button)}"'
        f' data-action="{_e(button.action)}" data-value="{_e(button.value)}">'
        f"{_e(button.label)}</button>"
    )


def _select(select: Select) -> str:
    placeholder = f'<option value="" disabled selected>{_e(select.placeholder)}</option>'
    options = "".join(_option(o, selected=False) for o in select.options)
    return (
        f'<div class="pl-select"><select data-action="{_e(select.action)}"'
        f' aria-label="{_e(select.placeholder)}">{placeholder}{options}</select></div>'
    )


def _option(option: Option, *, selected: bool) -> str:
    mark = " selected" if selected else ""
    return f'<option value="{_e(option.value)}"{mark}>{_e(option.label)}</option>'


def _form(form: Form) -> str:
    parts = [
        f'<form class="pl-form" data-action="{_e(form.submit.action)}"'
        f' data-value="{_e(form.submit.value)}">'
    ]
    if form.title:
        parts.append(f"<h3>{_e(form.title)}</h3>")
    parts.append(_text(form.text))
    parts.extend(_input(i) for i in form.inputs)
    parts.append('<div class="pl-actions">')
    parts.append(
        f'<button type="submit" class="pl-btn pl-{_style(form.submit)}">'
        f"{_e(form.submit.label)}</button>"
    )
    if form.cancel_label:
        # The cancel carries the form's live token (its submit value): the engine
        # cancels that form only, and not one that has since replaced it.
        parts.append(
            f'<button type="button" class="pl-btn pl-cancel" data-action="{CANCEL_ACTION}"'
            f' data-value="{_e(form.submit.value)}">{_e(form.cancel_label)}</button>'
        )
    parts.append("</div></form>")
    return "".join(parts)


def _input(item: TextInput | ChoiceInput) -> str:
    control = _text_control(item) if isinstance(item, TextInput) else _choice_control(item)
    # Wrapping <label> ties label and control without ids, which would clash between cards.
    label = f'<span class="pl-label">{_e(item.label)}</span>'
    return f'<label class="pl-field">{label}{control}</label>'


def _text_control(item: TextInput) -> str:
    attrs = f' name="{_e(item.id)}" maxlength="{int(item.max_length)}"'
    if item.required:
        attrs += " required"
    if item.placeholder:
        attrs += f' placeholder="{_e(item.placeholder)}"'
    if item.multiline:
        return f'<textarea{attrs} rows="4">{_e(item.initial)}</textarea>'
    return f'<input type="text"{attrs} value="{_e(item.initial)}">'


def _choice_control(item: ChoiceInput) -> str:
    values = {o.value for o in item.options}
    # An empty first option makes ``required`` meaningful when nothing is chosen yet.
    blank = "" if item.initial in values else '<option value="" selected>—</option>'
    options = "".join(_option(o, selected=o.value == item.initial) for o in item.options)
    required = " required" if item.required else ""
    return f'<select name="{_e(item.id)}"{required}>{blank}{options}</select>'


def _e(text: str) -> str:
    return escape(text, quote=True)
