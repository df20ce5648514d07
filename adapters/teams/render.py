"""Render the engine's UI vocabulary as Adaptive Cards for Teams, and read Teams' answers back.

Pure functions returning plain dicts (schema 1.5, which Teams supports for bots).
Buttons are ``Action.Submit`` whose ``data`` names the engine's action; Teams
delivers a press as a message activity whose ``value`` is that data merged with
the card's inputs, which :func:`submitted` reads back.

TextBlocks and facts are parsed as a CommonMark subset, so the engine's Slack-style
``*bold*`` becomes ``**bold**`` and link syntax is taken apart: a card shows only
links the engine put there, and it puts none. ``<at>`` mentions need
``msteams.entities``, which we never send, so they stay literal text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from adapters.textfit import split_text
from bot.delivery import Delivery
from bot.ui import (
    CANCEL_ACTION,
    Body,
    Button,
    Card,
    ChoiceInput,
    Fact,
    Form,
    Input,
    Option,
    Select,
    TextInput,
)

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

ACTION_KEY = "peerlink_action"
VALUE_KEY = "peerlink_value"
SELECT_KEY = "peerlink_select"
RESERVED_PREFIX = "peerlink_"
SELECT_ID_PREFIX = "peerlink_select_"
SELECT_SUBMIT_LABEL = "OK"

# Teams refuses messages over roughly 28 KB; keep a margin.
CARD_BYTES = 25_000
# Facts and choices are grouped into elements of at most this size, so they can be spread.
UNIT_BYTES = CARD_BYTES // 3
TEXT_PIECE = 1000
ACTION_TITLE = 100
CHOICE_TITLE = 100
PLACEHOLDER_TEXT = 150
FACT_LABEL = 100
FACT_VALUE = 1000
NOTIFICATION_TEXT = 150
# Shown when a delivery arrives without a notification: never the card's own text.
NEUTRAL_NOTIFICATION = "Peerlink"

SUBMITTED_ACTION = 200
SUBMITTED_KEYS = 50
SUBMITTED_VALUE = 100_000

_ELLIPSIS = "…"
_STYLES = {"primary": "positive", "danger": "destructive"}
_SEPARATORS = ("\n", " ")
_JOIN = len(", ")  # json.dumps' item separator, counted when packing

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(([^()\n]*)\)")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")
_LINK_JOINTS = (("](", "] ("), ("][", "] ["), ("]:", "] :"))
_BOLD = re.compile(r"(?<![*\w])\*(?![\s*])([^*\n]*?[^\s*])\*(?![*\w])")

Element = dict[str, Any]


# --- Public API ------------------------------------------------------------------------

def render_card(body: Body) -> list[Element]:
    """Render a card or a form as Adaptive Cards, each under ``CARD_BYTES`` serialized.

    A long card continues, in order, in the next ones; its buttons go on the last.
    Always at least one card (possibly with an empty body: send the summary instead).
    A form is always one card. Raises ``ValueError`` when a form, or one indivisible
    piece of a card (a button's or an option's value), cannot fit.
    """
    if isinstance(body, Form):
        return [_form_card(body)]
    return _pack(_card_units(body), [_button(b) for b in body.buttons])


def attachment(card: Element) -> Element:
    """A Bot Framework attachment carrying one Adaptive Card."""
    return {"contentType": CONTENT_TYPE, "content": card}


def submitted(value: Any) -> tuple[str, str, dict[str, str]] | None:
    """Read an ``Action.Submit`` activity's ``value`` as ``(action, value, form values)``.

    Form values are the other string entries (input id -> text). A select's OK button
    carries the value chosen in its drop-down. ``None`` for anything we did not
    render: junk, wrong types, oversized payloads, or a select submitted with no choice.
    """
    if not isinstance(value, Mapping) or len(value) > SUBMITTED_KEYS:
        return None
    if not all(isinstance(k, str) for k in value):
        return None
    if any(isinstance(v, str) and len(v) > SUBMITTED_VALUE for v in value.values()):
        return None
    action, chosen = value.get(ACTION_KEY), value.get(VALUE_KEY, "")
    if not isinstance(action, str) or not action or len(action) > SUBMITTED_ACTION:
        return None
    if SELECT_KEY in value:
        chosen = _chosen(value)
    if not isinstance(chosen, str):
        return None
    form = {
        k: v for k, v in value.items() if isinstance(v, str) and not k.startswith(RESERVED_PREFIX)
    }
    return action, chosen, form


def summary(delivery: Delivery) -> str:
    """The activity's ``summary`` and plain ``text`` fallback: the neutral notification."""
    text = " ".join(delivery.notification.split()) or NEUTRAL_NOTIFICATION
    return _clip(_unlink(text), NOTIFICATION_TEXT)


# --- Cards -----------------------------------------------------------------------------

def _card_units(card: Card) -> list[list[Element]]:
    """The card's body as units: runs of elements that must stay on the same card."""
    units = [[element] for element in _heading(card.title)]
    units.extend([element] for element in _text_blocks(card.text))
    units.extend([element] for element in _fact_sets(card.facts))
    ids = itertools.count()
    for select in card.selects:
        units.extend(_select_units(select, ids))
    return units


def _heading(title: str) -> list[Element]:
    if not title.strip():
        return []
    text = _markdown(_clip(" ".join(title.split()), ACTION_TITLE * 2))
    return [_text_block(text, size="Medium", weight="Bolder")]


def _text_blocks(text: str) -> list[Element]:
    """A TextBlock per paragraph (or piece of one); lines become markdown paragraphs.

    Markdown needs a blank line to break a line, so single newlines are doubled.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = []
    for paragraph in _PARAGRAPHS.split(text):
        for piece in _split(paragraph.strip("\n"), TEXT_PIECE):
            lines = [_markdown(line) for line in piece.split("\n") if line.strip()]
            blocks.append(_text_block("\n\n".join(lines)))
    return blocks


def _text_block(text: str, **style: str) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _fact_sets(facts: tuple[Fact, ...]) -> list[Element]:
    items = [
        {
            "title": _markdown(_clip(f.label.strip(), FACT_LABEL)),
            "value": _markdown(_clip(f.value.strip(), FACT_VALUE)),
        }
        for f in facts
    ]
    return [{"type": "FactSet", "facts": chunk} for chunk in _chunks(items, "facts", "FactSet")]


def _select_units(select: Select, ids: Iterator[int]) -> list[list[Element]]:
    """A drop-down and its OK button per chunk of options, so each fits on a card."""
    choices = [_choice(o) for o in select.options]
    units = []
    for chunk in _chunks(choices, "choices", "Input.ChoiceSet"):
        input_id = f"{SELECT_ID_PREFIX}{next(ids)}"
        choice_set = {
            "type": "Input.ChoiceSet",
            "id": input_id,
            "style": "compact",
            "placeholder": _clip(select.placeholder.strip() or _ELLIPSIS, PLACEHOLDER_TEXT),
            "choices": chunk,
        }
        ok = _submit(SELECT_SUBMIT_LABEL, {ACTION_KEY: select.action, SELECT_KEY: input_id})
        units.append([choice_set, {"type": "ActionSet", "actions": [ok]}])
    return units


def _choice(option: Option) -> Element:
    title = _clip(option.label.strip() or option.value, CHOICE_TITLE)
    return {"title": title, "value": option.value}


def _chunks(items: list[Element], key: str, kind: str) -> list[list[Element]]:
    """Group items so that ``{"type": kind, key: group}`` stays within ``UNIT_BYTES``."""
    groups: list[list[Element]] = []
    used = UNIT_BYTES
    for item in items:
        cost = _size(item) + _JOIN
        if used + cost > UNIT_BYTES:
            groups.append([])
            used = _size({"type": kind, key: []})
        groups[-1].append(item)
        used += cost
    return groups


def _button(button: Button) -> Element:
    if button.url:
        return {"type": "Action.OpenUrl", "title": _clip(button.label, ACTION_TITLE),
                "url": button.url}
    # A button carries only its own action, never the values of a select on the card.
    data = {ACTION_KEY: button.action, VALUE_KEY: button.value}
    return _submit(button.label, data, button.style, associatedInputs="none")


def _submit(title: str, data: Element, style: str = "default", **extra: str) -> Element:
    action: Element = {
        "type": "Action.Submit",
        "title": _clip(" ".join(title.split()) or _ELLIPSIS, ACTION_TITLE),
        "data": data,
    }
    if style in _STYLES:
        action["style"] = _STYLES[style]
    return action | extra


# --- Packing ---------------------------------------------------------------------------

def _pack(units: list[list[Element]], actions: list[Element]) -> list[Element]:
    """Spread units over as few cards as fit, in order; the actions end the last card."""
    bodies: list[list[Element]] = [[]]
    empty = _size(_card([]))
    used = empty
    for unit in units:
        cost = sum(_size(element) + _JOIN for element in unit)
        if empty + cost >= CARD_BYTES:
            raise ValueError("a piece of this card is too large for a Teams card")
        if used + cost >= CARD_BYTES:
            bodies.append([])
            used = empty
        bodies[-1].extend(unit)
        used += cost
    cards = [_card(body) for body in bodies]
    if actions:
        if _fits(_card(bodies[-1], actions)):
            cards[-1] = _card(bodies[-1], actions)
        else:
            cards.append(_card([], actions))
    if not all(_fits(card) for card in cards):
        raise ValueError("this card's buttons are too large for a Teams card")
    return cards


def _card(body: list[Element], actions: list[Element] | None = None) -> Element:
    card: Element = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


def _size(element: Any) -> int:
    """Serialized length as a sender would write it: ASCII-escaped, so also in bytes.

    Escaping makes this an upper bound of the compact UTF-8 size too.
    """
    return len(json.dumps(element))


def _fits(card: Element) -> bool:
    return _size(card) < CARD_BYTES


# --- Forms -----------------------------------------------------------------------------

def _form_card(form: Form) -> Element:
    _check_ids(form.inputs)
    body = [*_heading(form.title), *_text_blocks(form.text)]
    body.extend(_input(item) for item in form.inputs)
    submit_data = {ACTION_KEY: form.submit.action, VALUE_KEY: form.submit.value}
    actions = [_submit(form.submit.label, submit_data, form.submit.style)]
    if form.cancel_label:
        # The cancel carries the form's live token (its submit value), as on Slack and
        # the web, and skips validation so that empty required inputs cannot block it.
        cancel_data = {ACTION_KEY: CANCEL_ACTION, VALUE_KEY: form.submit.value}
        actions.append(_submit(form.cancel_label, cancel_data, associatedInputs="none"))
    card = _card(body, actions)
    if not _fits(card):
        raise ValueError("this form is too large for a Teams card")
    return card


def _check_ids(inputs: tuple[Input, ...]) -> None:
    ids = [item.id for item in inputs]
    if len(set(ids)) != len(ids) or not all(ids):
        raise ValueError("a form's input ids must be unique and not empty")
    if any(i.startswith(RESERVED_PREFIX) for i in ids):
        raise ValueError(f"a form's input ids must not start with {RESERVED_PREFIX!r}")


def _input(item: Input) -> Element:
    element = _text_input(item) if isinstance(item, TextInput) else _choice_input(item)
    element["label"] = " ".join(item.label.split()) or item.id
    element["isRequired"] = item.required
    if item.required:
        # Teams shows this under an empty input; the label is the words we have in the
        # person's language.
        element["errorMessage"] = element["label"]
    return element


def _text_input(item: TextInput) -> Element:
    max_length = max(1, int(item.max_length))
    element: Element = {
        "type": "Input.Text",
        "id": item.id,
        "isMultiline": item.multiline,
        "maxLength": max_length,
    }
    if item.placeholder:
        element["placeholder"] = _clip(item.placeholder.strip(), PLACEHOLDER_TEXT)
    if item.initial:
        element["value"] = item.initial[:max_length]
    return element


def _choice_input(item: ChoiceInput) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": item.id,
        "style": "compact",
        "choices": [_choice(o) for o in item.options],
    }
    if item.initial and any(o.value == item.initial for o in item.options):
        element["value"] = item.initial
    return element


# --- Reading answers -------------------------------------------------------------------

def _chosen(value: Mapping[str, Any]) -> str | None:
    """The option picked in the drop-down a select's OK button names; None if none."""
    input_id = value.get(SELECT_KEY)
    if not isinstance(input_id, str) or not input_id.startswith(SELECT_ID_PREFIX):
        return None
    chosen = value.get(input_id)
    return chosen if isinstance(chosen, str) and chosen else None


# --- Text ------------------------------------------------------------------------------

def _markdown(text: str) -> str:
    """Slack-style text as Adaptive Card markdown, with no links and no date templates."""
    text = _BOLD.sub(r"**\1**", _unlink(text))
    return text.replace("{{", "{\u200b{")  # {{DATE(...)}} would be rewritten by Teams


def _unlink(text: str) -> str:
    """Take markdown links apart: ``[label](url)`` is shown as ``label (url)``."""
    text = _AUTOLINK.sub(r"\1", _LINK.sub(r"\1 (\2)", text))
    for joint, apart in _LINK_JOINTS:
        text = text.replace(joint, apart)
    return text


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + _ELLIPSIS


def _split(text: str, limit: int) -> list[str]:
    """Cut text at lines, then words, then anywhere."""
    return split_text(text, limit, _SEPARATORS)
