"""The engine's small UI vocabulary: cards and forms, rendered by every adapter.

Every element here must be rendered on every platform. Bodies round-trip through
plain dicts (``to_dict`` / ``from_dict``) so they can wait in the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ButtonStyle = Literal["default", "primary", "danger"]

# A form's cancel: every renderer sends Action(CANCEL_ACTION, <the form's submit value>).
CANCEL_ACTION = "form.cancel"


@dataclass(frozen=True)
class Fact:
    """A labelled value shown as a pair ("Language: Français")."""

    label: str
    value: str


@dataclass(frozen=True)
class Button:
    """Presses send ``Action(id=action, value=value)`` back to the engine.

    With ``url`` (an https, or a loopback http, address the engine built) it is a link
    instead: it opens the address and sends nothing back.
    """

    label: str
    action: str
    value: str = ""
    style: ButtonStyle = "default"
    url: str = ""


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Select:
    """A drop-down on a card; choosing sends ``Action(id=action, value=option.value)``."""

    action: str
    placeholder: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Card:
    """A message: text, optional title, facts, buttons and selects."""

    text: str
    title: str = ""
    facts: tuple[Fact, ...] = ()
    buttons: tuple[Button, ...] = ()
    selects: tuple[Select, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextInput:
    id: str
    label: str
    multiline: bool = False
    required: bool = True
    max_length: int = 500
    placeholder: str = ""
    initial: str = ""


@dataclass(frozen=True)
class ChoiceInput:
    id: str
    label: str
    options: tuple[Option, ...]
    initial: str = ""
    required: bool = True


Input = TextInput | ChoiceInput


@dataclass(frozen=True)
class Form:
    """Inputs and one submit action; the submission carries every input's value."""

    title: str
    inputs: tuple[Input, ...]
    submit: Button
    text: str = ""
    cancel_label: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


Body = Card | Form


def to_dict(body: Body) -> dict[str, Any]:
    """Serialise a body for the outbox."""
    if isinstance(body, Card):
        return {
            "type": "card",
            "text": body.text,
            "title": body.title,
            "facts": [[f.label, f.value] for f in body.facts],
            "buttons": [_button_dict(b) for b in body.buttons],
            "selects": [
                {
                    "action": s.action,
                    "placeholder": s.placeholder,
                    "options": [[o.label, o.value] for o in s.options],
                }
                for s in body.selects
            ],
            "raw": dict(body.raw),
        }
    return {
        "type": "form",
        "title": body.title,
        "text": body.text,
        "inputs": [_input_dict(i) for i in body.inputs],
        "submit": _button_dict(body.submit),
        "cancel_label": body.cancel_label,
        "raw": dict(body.raw),
    }


def from_dict(data: Mapping[str, Any]) -> Body:
    """Rebuild a body serialised by :func:`to_dict`."""
    if data["type"] == "card":
        return Card(
            text=data["text"],
            title=data.get("title", ""),
            facts=tuple(Fact(label, value) for label, value in data.get("facts", [])),
            buttons=tuple(_button(b) for b in data.get("buttons", [])),
            selects=tuple(
                Select(s["action"], s["placeholder"], _options(s["options"]))
                for s in data.get("selects", [])
            ),
            raw=data.get("raw", {}),
        )
    return Form(
        title=data["title"],
        text=data.get("text", ""),
        inputs=tuple(_input(i) for i in data["inputs"]),
        submit=_button(data["submit"]),
        cancel_label=data.get("cancel_label", ""),
        raw=data.get("raw", {}),
    )


def _button_dict(b: Button) -> dict[str, str]:
    data = {"label": b.label, "action": b.action, "value": b.value, "style": b.style}
    if b.url:
        data["url"] = b.url
    return data


def _button(d: Mapping[str, Any]) -> Button:
    return Button(d["label"], d["action"], d.get("value", ""), d.get("style", "default"),
                  d.get("url", ""))


def _options(pairs: list[list[str]]) -> tuple[Option, ...]:
    return tuple(Option(label, value) for label, value in pairs)


def _input_dict(i: Input) -> dict[str, Any]:
    if isinstance(i, TextInput):
        return {
            "kind": "text",
            "id": i.id,
            "label": i.label,
            "multiline": i.multiline,
            "required": i.required,
            "max_length": i.max_length,
            "placeholder": i.placeholder,
            "initial": i.initial,
        }
    return {
        "kind": "choice",
        "id": i.id,
        "label": i.label,
        "options": [[o.label, o.value] for o in i.options],
        "initial": i.initial,
        "required": i.required,
    }


def _input(d: Mapping[str, Any]) -> Input:
    if d["kind"] == "text":
        return TextInput(
            id=d["id"],
            label=d["label"],
            multiline=d.get("multiline", False),
            required=d.get("required", True),
            max_length=d.get("max_length", 500),
            placeholder=d.get("placeholder", ""),
            initial=d.get("initial", ""),
        )
    return ChoiceInput(
        id=d["id"],
        label=d["label"],
        options=_options(d["options"]),
        initial=d.get("initial", ""),
        required=d.get("required", True),
    )
