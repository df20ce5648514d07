"""The web chat renders every element of the UI vocabulary, escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from adapters.web.render import render_html, render_json
from bot.delivery import Delivery
from bot.messages import Platform, Priority
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, Select, TextInput

HOSTILE = """<script>alert("x")</script> & 'quotes' "double" é ✓"""
LANGUAGES = (Option("English", "en"), Option("Français", "fr"))
_VOID = {"br", "input", "hr", "img", "meta", "link"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def find_all(self, tag: str) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    def find(self, tag: str) -> Node:
        (node,) = self.find_all(tag)
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(fragment: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def make_card(**overrides: Any) -> Card:
    fields: dict[str, Any] = {
        "text": "Hello there.\nSecond line.\n\nNew paragraph.",
        "title": "Find a buddy",
        "facts": (Fact("Language", "Français"), Fact("Team", "Finance")),
        "buttons": (
            Button("Yes", "buddy.accept", "17", "primary"),
            Button("No", "buddy.decline", "17", "danger"),
            Button("Later", "buddy.later"),
        ),
        "selects": (
            Select(
                "checkin.when",
                "Pick a day",
                (Option("Monday", "mon"), Option("Friday", "fri")),
            ),
        ),
    }
    return Card(**(fields | overrides))


def make_form(**overrides: Any) -> Form:
    fields: dict[str, Any] = {
        "title": "Your bio",
        "text": "Tell people about you.",
        "inputs": (
            TextInput("headline", "Headline", max_length=80, placeholder="One line", initial="Hi"),
            TextInput("bio", "About you", multiline=True, required=False, initial="Line 1\nLine 2"),
            ChoiceInput("lang", "Language", LANGUAGES, initial="fr"),
        ),
        "submit": Button("Save", "bio.save", "42", "primary"),
        "cancel_label": "Cancel",
    }
    return Form(**(fields | overrides))


def test_card_renders_title_paragraphs_and_facts() -> None:
    (card,) = parse(render_html(make_card())).children
    assert isinstance(card, Node)

    assert card.attrs["class"] == "pl-card"
    assert card.find("h3").text == "Find a buddy"
    paragraphs = card.find_all("p")
    assert [p.text for p in paragraphs] == ["Hello there.Second line.", "New paragraph."]
    assert len(paragraphs[0].find_all("br")) == 1
    facts = card.find("dl")
    assert [d.text for d in facts.find_all("dt")] == ["Language", "Team"]
    assert [d.text for d in facts.find_all("dd")] == ["Français", "Finance"]


def test_card_buttons_carry_action_value_and_style() -> None:
    buttons = parse(render_html(make_card())).find_all("button")

    assert [(b.text, b.attrs["data-action"], b.attrs["data-value"]) for b in buttons] == [
        ("Yes", "buddy.accept", "17"),
        ("No", "buddy.decline", "17"),
        ("Later", "buddy.later", ""),
    ]
    assert [b.attrs["class"] for b in buttons] == [
        "pl-btn pl-primary",
        "pl-btn pl-danger",
        "pl-btn pl-default",
    ]
    assert all(b.attrs["type"] == "button" for b in buttons)


def test_card_select_has_disabled_placeholder_first() -> None:
    select = parse(render_html(make_card())).find("select")

    assert select.attrs["data-action"] == "checkin.when"
    first, *options = select.find_all("option")
    assert first.text == "Pick a day"
    assert "disabled" in first.attrs and "selected" in first.attrs
    assert [(o.text, o.attrs["value"]) for o in options] == [("Monday", "mon"), ("Friday", "fri")]


def test_minimal_card_has_no_empty_sections() -> None:
    fragment = render_html(Card(text="Just text"))

    assert fragment == '<div class="pl-card"><p>Just text</p></div>'


def test_hostile_text_is_escaped_everywhere() -> None:
    card = make_card(
        title=HOSTILE,
        text=HOSTILE,
        facts=(Fact(HOSTILE, HOSTILE),),
        buttons=(Button(HOSTILE, HOSTILE, HOSTILE),),
        selects=(Select(HOSTILE, HOSTILE, (Option(HOSTILE, HOSTILE),)),),
    )
    fragment = render_html(card)

    assert "<script" not in fragment
    root = parse(fragment)
    assert root.find_all("script") == []
    assert root.find("h3").text == HOSTILE
    assert root.find("p").text == HOSTILE
    button = root.find("button")
    assert (button.text, button.attrs["data-action"], button.attrs["data-value"]) == (
        HOSTILE,
        HOSTILE,
        HOSTILE,
    )
    assert root.find("select").attrs["data-action"] == HOSTILE
    assert root.find_all("option")[1].attrs["value"] == HOSTILE


def test_unknown_button_style_cannot_inject_a_class() -> None:
    button = Button("x", "a", style='primary" onclick="evil()')  # type: ignore[arg-type]
    rendered = parse(render_html(Card(text="", buttons=(button,)))).find("button")

    assert rendered.attrs["class"] == "pl-btn pl-default"
    assert "onclick" not in rendered.attrs


def test_form_carries_submit_action_and_value() -> None:
    form = parse(render_html(make_form())).find("form")

    assert form.attrs["class"] == "pl-form"
    assert (form.attrs["data-action"], form.attrs["data-value"]) == ("bio.save", "42")
    assert form.find("h3").text == "Your bio"
    assert form.find("p").text == "Tell people about you."


def test_form_inputs_are_named_by_id_with_limits_and_initial_values() -> None:
    form = parse(render_html(make_form())).find("form")

    text = form.find("input")
    assert text.attrs["name"] == "headline"
    assert text.attrs["maxlength"] == "80"
    assert text.attrs["placeholder"] == "One line"
    assert text.attrs["value"] == "Hi"
    assert "required" in text.attrs
    area = form.find("textarea")
    assert area.attrs["name"] == "bio"
    assert area.attrs["maxlength"] == "500"
    assert "required" not in area.attrs
    assert area.text == "Line 1\nLine 2"
    labels = [label.find("span").text for label in form.find_all("label")]
    assert labels == ["Headline", "About you", "Language"]


def test_form_choice_selects_initial_option() -> None:
    select = parse(render_html(make_form())).find("form").find("select")

    assert select.attrs["name"] == "lang"
    assert "required" in select.attrs
    options = select.find_all("option")
    assert [o.attrs["value"] for o in options] == ["en", "fr"]
    assert ["selected" in o.attrs for o in options] == [False, True]


def test_form_choice_without_initial_starts_on_a_blank_option() -> None:
    form = make_form(inputs=(ChoiceInput("lang", "Language", (Option("English", "en"),)),))
    options = parse(render_html(form)).find("select").find_all("option")

    assert [(o.attrs["value"], "selected" in o.attrs) for o in options] == [
        ("", True),
        ("en", False),
    ]


def test_form_submit_and_cancel_buttons() -> None:
    buttons = parse(render_html(make_form())).find_all("button")

    submit, cancel = buttons
    assert (submit.attrs["type"], submit.text) == ("submit", "Save")
    assert "data-action" not in submit.attrs
    assert cancel.attrs["type"] == "button"
    assert cancel.attrs["class"] == "pl-btn pl-cancel"
    assert cancel.attrs["data-action"] == "form.cancel"
    assert cancel.text == "Cancel"


def test_form_cancel_carries_the_forms_live_token_not_its_action() -> None:
    form = make_form(submit=Button("Save", "bio.save", "tok-9f2"))

    cancel = parse(render_html(form)).find_all("button")[1]

    # The engine cancels only the form whose token this is, never a newer one.
    assert (cancel.attrs["data-action"], cancel.attrs["data-value"]) == ("form.cancel", "tok-9f2")


def test_form_without_cancel_label_has_no_cancel_button() -> None:
    buttons = parse(render_html(make_form(cancel_label=""))).find_all("button")

    assert [b.attrs["type"] for b in buttons] == ["submit"]


def test_hostile_form_is_escaped() -> None:
    form = make_form(
        title=HOSTILE,
        text=HOSTILE,
        inputs=(
            TextInput(HOSTILE, HOSTILE, placeholder=HOSTILE, initial=HOSTILE),
            TextInput("t", HOSTILE, multiline=True, initial=HOSTILE),
            ChoiceInput(HOSTILE, HOSTILE, (Option(HOSTILE, HOSTILE),), initial=HOSTILE),
        ),
        submit=Button(HOSTILE, HOSTILE, HOSTILE),
        cancel_label=HOSTILE,
    )
    fragment = render_html(form)

    assert "<script" not in fragment
    root = parse(fragment)
    rendered = root.find("form")
    assert (rendered.attrs["data-action"], rendered.attrs["data-value"]) == (HOSTILE, HOSTILE)
    field = root.find("input")
    assert field.attrs["name"] == field.attrs["placeholder"] == field.attrs["value"] == HOSTILE
    assert root.find("textarea").text == HOSTILE
    assert root.find("select").attrs["name"] == HOSTILE
    assert "selected" in root.find("option").attrs
    assert [b.text for b in root.find_all("button")] == [HOSTILE, HOSTILE]
    assert root.find_all("button")[1].attrs["data-value"] == HOSTILE


def test_render_json_for_the_browser() -> None:
    delivery = Delivery(
        key="out-7",
        platform=Platform.WEB,
        address={"user_id": "ana@example.org"},
        body=Card(text="Hi <b>"),
        notification="New message",
        priority=Priority.CRISIS,
        locale="fr",
    )

    assert render_json(delivery) == {
        "key": "out-7",
        "html": '<div class="pl-card"><p>Hi &lt;b&gt;</p></div>',
        "notification": "New message",
        "priority": 0,
        "locale": "fr",
    }
    assert type(render_json(delivery)["priority"]) is int
