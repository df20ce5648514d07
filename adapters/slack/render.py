"""Render the engine's UI vocabulary as Slack Block Kit, and read Slack's answers back.

Pure functions. Blocks are built with ``slack_sdk.models`` so the library checks
Slack's limits, and returned as plain dicts. Text that Slack parses as mrkdwn has
``&``, ``<`` and ``>`` escaped, so nothing the engine relays can ping or link;
plain_text fields are shown literally by Slack and need no escaping.

Block Kit wants every ``action_id`` unique within a message or view, so each
button and select gets ``f"{action}#{n}"``; :func:`action_id_to_action` strips it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

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
    Select,
    TextInput,
)

FORM_CALLBACK = "peerlink.form"
SUBMIT_SUFFIX = "submit"
CANCEL_SUFFIX = "cancel"

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
ACTIONS_ELEMENTS = 25
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
SELECT_OPTIONS = 100
PLACEHOLDER_TEXT = 150
INPUT_LABEL = 2000
INPUT_MAX_LENGTH = 3000
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
NOTIFICATION_TEXT = 150
# Shown when a body arrives without a notification: never the card's own text.
NEUTRAL_NOTIFICATION = "Peerlink"

_ELLIPSIS = "…"
_STYLES = frozenset({"primary", "danger"})
_SEPARATORS = ("\n\n", "\n", " ")

Ids = Iterator[int]


# --- Public API ------------------------------------------------------------------------

def render_message(body: Body) -> list[list[dict[str, Any]]]:
    """Render a card, or a form that cannot be a modal, as one or more messages.

    Each message holds at most 50 blocks; long content continues, in order, in the
    next. Always at least one message (possibly with no blocks: send the fallback text).
    """
    ids = itertools.count()
    blocks = _card_blocks(body, ids) if isinstance(body, Card) else _form_blocks(body)
    dicts = [b.to_dict() for b in blocks]
    pages = [dicts[i : i + MESSAGE_BLOCKS] for i in range(0, len(dicts), MESSAGE_BLOCKS)]
    return pages or [[]]


def render_modal(form: Form) -> dict[str, Any]:
    """Render a form as a modal view; its submission and closing carry the submit action.

    Raises ``ValueError`` when the submit action and value do not fit in
    ``private_metadata``.
    """
    metadata = json.dumps(
        {"action": form.submit.action, "value": form.submit.value},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    if len(metadata) > PRIVATE_METADATA:
        raise ValueError("the form's submit action does not fit in a modal's metadata")
    title = form.title.strip() or NEUTRAL_NOTIFICATION
    blocks: list[Block] = []
    if len(title) > VIEW_TITLE:  # the view title is cut short: show it whole too
        blocks.append(_header(title))
    blocks.extend(_text_sections(form.text))
    blocks.extend(_input_block(item) for item in form.inputs)
    if not blocks:
        blocks.append(_header(title))
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=_plain(title, VIEW_TITLE),
        submit=_plain(form.submit.label, VIEW_TITLE),
        close=_plain(form.cancel_label, VIEW_TITLE) if form.cancel_label else None,
        blocks=blocks,
        private_metadata=metadata,
        notify_on_close=True,
    )
    return view.to_dict()


def render_home(card: Card, *, more: str = _ELLIPSIS) -> dict[str, Any]:
    """Render a card as the App Home tab, cut to Slack's 100 blocks.

    When the card does not fit, the tail (selects, buttons, then facts) is dropped
    and a context block saying ``more`` ends the view.
    """
    blocks = _card_blocks(card, itertools.count())
    if len(blocks) > VIEW_BLOCKS:
        note = ContextBlock(elements=[MarkdownTextObject(text=_clip(_escape(more), SECTION_TEXT))])
        blocks = [*blocks[: VIEW_BLOCKS - 1], note]
    if not blocks:
        blocks = [_header(NEUTRAL_NOTIFICATION)]
    return View(type="home", blocks=blocks).to_dict()


def action_id_to_action(action_id: str) -> str:
    """The engine's action for an ``action_id`` made unique by :func:`render_message`."""
    head, sep, tail = action_id.rpartition("#")
    if sep and (tail.isdigit() or tail in (SUBMIT_SUFFIX, CANCEL_SUFFIX)):
        return head
    return action_id


def form_values(state_values: Mapping[str, Any]) -> dict[str, str]:
    """The form's inputs from Slack's ``state.values``, as ``{input id: value}``.

    Only our input blocks count (``block_id == action_id``); a card's selects and
    element types we never render are ignored. Empty inputs come back as ``""``.
    """
    values: dict[str, str] = {}
    if not isinstance(state_values, Mapping):
        return values
    for block_id, actions in state_values.items():
        if not isinstance(actions, Mapping):
            continue
        state = actions.get(block_id)
        if isinstance(state, Mapping):
            value = _state_value(state)
            if value is not None:
                values[block_id] = value
    return values


def form_metadata(private_metadata: str) -> tuple[str, str]:
    """Parse a modal's ``private_metadata`` back into ``(action, value)``.

    Raises ``ValueError`` on anything but what :func:`render_modal` wrote.
    """
    try:
        data = json.loads(private_metadata)
    except (TypeError, ValueError) as exc:
        raise ValueError("modal metadata is not JSON") from exc
    if not isinstance(data, dict):
        raise ValueError("modal metadata is not an object")
    action, value = data.get("action"), data.get("value")
    if not isinstance(action, str) or not action or not isinstance(value, str):
        raise ValueError("modal metadata lacks a submit action")
    return action, value


def notification_text(delivery: Delivery) -> str:
    """The message's fallback ``text`` (mrkdwn), shown on lock screens: the neutral notification."""
    text = " ".join(delivery.notification.split()) or NEUTRAL_NOTIFICATION
    return _clip(_escape(text), NOTIFICATION_TEXT)


# --- Cards -----------------------------------------------------------------------------

def _card_blocks(card: Card, ids: Ids) -> list[Block]:
    blocks: list[Block] = []
    if card.title.strip():
        blocks.append(_header(card.title))
    blocks.extend(_text_sections(card.text))
    blocks.extend(_fact_sections(card.facts))
    blocks.extend(_actions([_button(b, f"{b.action}#{next(ids)}") for b in card.buttons]))
    blocks.extend(_actions([e for s in card.selects for e in _selects(s, ids)]))
    return blocks


def _header(title: str) -> HeaderBlock:
    return HeaderBlock(text=_plain(title, HEADER_TEXT))


def _text_sections(text: str) -> list[Block]:
    escaped = _escape(text.replace("\r\n", "\n").strip())
    return [SectionBlock(text=_mrkdwn(piece)) for piece in _split(escaped, SECTION_TEXT)]


def _fact_sections(facts: tuple[Fact, ...]) -> list[Block]:
    fields = [_mrkdwn(_fact_field(f)) for f in facts]
    return [
        SectionBlock(fields=fields[i : i + SECTION_FIELDS])
        for i in range(0, len(fields), SECTION_FIELDS)
    ]


def _fact_field(fact: Fact) -> str:
    label = _clip(_escape(fact.label.strip()), FIELD_TEXT // 4)
    head = f"*{label}*\n" if label else ""
    return (head + _clip(_escape(fact.value), FIELD_TEXT - len(head))) or _ELLIPSIS


def _actions(elements: list[Any]) -> list[Block]:
    return [
        ActionsBlock(elements=elements[i : i + ACTIONS_ELEMENTS])
        for i in range(0, len(elements), ACTIONS_ELEMENTS)
    ]


def _button(button: Button, action_id: str, value: str | None = None) -> ButtonElement:
    """A button; an empty value is left out, as Slack refuses an empty one."""
    return ButtonElement(
        text=_plain(button.label, BUTTON_TEXT),
        action_id=action_id,
        value=(button.value if value is None else value) or None,
        style=button.style if button.style in _STYLES else None,
        url=button.url or None,  # a link: Slack still sends a block_action, which we ack
    )


def _selects(select: Select, ids: Ids) -> list[StaticSelectElement]:
    """One drop-down per 100 options, so that every option stays reachable."""
    options = [_option(o.label, o.value) for o in select.options]
    return [
        StaticSelectElement(
            action_id=f"{select.action}#{next(ids)}",
            placeholder=_plain(select.placeholder or _ELLIPSIS, PLACEHOLDER_TEXT),
            options=options[i : i + SELECT_OPTIONS],
        )
        for i in range(0, len(options), SELECT_OPTIONS)
    ]


def _option(label: str, value: str) -> Option:
    return Option(value=value, text=_plain(label or value, OPTION_TEXT))


# --- Forms -----------------------------------------------------------------------------

def _form_blocks(form: Form) -> list[Block]:
    blocks: list[Block] = []
    if form.title.strip():
        blocks.append(_header(form.title))
    blocks.extend(_text_sections(form.text))
    blocks.extend(_input_block(item) for item in form.inputs)
    buttons = [_button(form.submit, f"{form.submit.action}#{SUBMIT_SUFFIX}")]
    if form.cancel_label:
        # The cancel carries the form's live token (its submit value), as on the web.
        cancel = Button(form.cancel_label, CANCEL_ACTION)
        buttons.append(_button(cancel, f"{CANCEL_ACTION}#{CANCEL_SUFFIX}", form.submit.value))
    blocks.extend(_actions(buttons))
    return blocks


def _input_block(item: Input) -> InputBlock:
    element = _text_input(item) if isinstance(item, TextInput) else _choice_input(item)
    return InputBlock(
        block_id=item.id,
        label=_plain(item.label or item.id, INPUT_LABEL),
        element=element,
        optional=not item.required,
    )


def _text_input(item: TextInput) -> PlainTextInputElement:
    max_length = max(1, min(int(item.max_length), INPUT_MAX_LENGTH))
    return PlainTextInputElement(
        action_id=item.id,
        multiline=item.multiline,
        max_length=max_length,
        initial_value=item.initial[:max_length] or None,
        placeholder=_plain(item.placeholder, PLACEHOLDER_TEXT) if item.placeholder else None,
    )


def _choice_input(item: ChoiceInput) -> StaticSelectElement:
    """A drop-down; an input block holds one element, so only the first 100 options show."""
    options = [_option(o.label, o.value) for o in item.options[:SELECT_OPTIONS]]
    initial = next((o for o in options if o.value == item.initial and item.initial), None)
    return StaticSelectElement(action_id=item.id, options=options, initial_option=initial)


def _state_value(state: Mapping[str, Any]) -> str | None:
    kind = state.get("type")
    if kind == "plain_text_input":
        value = state.get("value")
        return value if isinstance(value, str) else ""
    if kind == "static_select":
        option = state.get("selected_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        return value if isinstance(value, str) else ""
    return None


# --- Text ------------------------------------------------------------------------------

def _escape(text: str) -> str:
    """Escape what Slack's mrkdwn reserves; *bold* and _italic_ still work."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=_clip(text.strip() or _ELLIPSIS, limit), emoji=True)


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _clip(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis, never inside an ``&amp;`` entity."""
    if len(text) <= limit:
        return text
    return _cut(text, limit - 1).rstrip() + _ELLIPSIS


def _cut(text: str, limit: int) -> str:
    amp = text.rfind("&", max(0, limit - 4), limit)
    if amp != -1 and ";" not in text[amp:limit]:
        limit = amp
    return text[:limit]


def _split(text: str, limit: int) -> list[str]:
    """Cut escaped text at paragraphs, lines, then words; never inside an ``&amp;`` escape."""
    return split_text(text, limit, _SEPARATORS, _cut)
