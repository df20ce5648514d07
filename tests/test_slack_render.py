"""Slack renders every element of the UI vocabulary as valid Block Kit, within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack.render import (
    action_id_to_action,
    form_metadata,
    form_values,
    notification_text,
    render_home,
    render_message,
    render_modal,
)
from bot.delivery import Delivery
from bot.messages import Platform, Priority
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, Select, TextInput

HOSTILE = "<script>alert('x')</script> & <@U123> <!channel> <https://evil.example|click>"
LANGUAGES = (Option("English", "en"), Option("Français", "fr"))


def make_card(**overrides: Any) -> Card:
    fields: dict[str, Any] = {
        "text": "*Maya* can meet this week.",
        "title": "A buddy for you",
        "facts": (Fact("Language", "Français"), Fact("Team", "Design")),
        "buttons": (
            Button("Book", "buddy.book", "p-42", "primary"),
            Button("Not now", "buddy.skip", "p-42", "danger"),
            Button("Later", "buddy.later"),
        ),
        "selects": (Select("settings.language", "Choose a language", LANGUAGES),),
    }
    return Card(**(fields | overrides))


def make_form(**overrides: Any) -> Form:
    fields: dict[str, Any] = {
        "title": "Request a meeting",
        "text": "Say a word about what you would like to talk about.",
        "inputs": (
            TextInput("topic", "Topic", multiline=True, max_length=300, initial="Work"),
            ChoiceInput("lang", "Language", LANGUAGES, initial="fr", required=False),
        ),
        "submit": Button("Send", "request.submit", "form-token-1", "primary"),
        "cancel_label": "Cancel",
    }
    return Form(**(fields | overrides))


def make_delivery(body: Card | Form, notification: str = "Private conversation") -> Delivery:
    return Delivery(
        key="k1",
        platform=Platform.SLACK,
        address={"user": "U1"},
        body=body,
        notification=notification,
        priority=Priority.NOTIFICATION,
        locale="en",
    )


def only(messages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    (blocks,) = messages
    return blocks


def of_type(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == kind]


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in of_type(blocks, "actions") for e in b["elements"]]


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- Cards -----------------------------------------------------------------------------

def test_card_renders_title_text_facts_buttons_and_select() -> None:
    blocks = only(render_message(make_card()))

    assert [b["type"] for b in blocks] == ["header", "section", "section", "actions", "actions"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "A buddy for you", "emoji": True}
    assert blocks[1]["text"] == {"type": "mrkdwn", "text": "*Maya* can meet this week."}
    assert [f["text"] for f in blocks[2]["fields"]] == [
        "*Language*\nFrançais",
        "*Team*\nDesign",
    ]
    book, skip, later = blocks[3]["elements"]
    assert (book["type"], book["text"]["text"], book["value"]) == ("button", "Book", "p-42")
    assert (book["style"], skip["style"]) == ("primary", "danger")
    assert "style" not in later and "value" not in later
    (select,) = blocks[4]["elements"]
    assert select["type"] == "static_select"
    assert select["placeholder"]["text"] == "Choose a language"
    assert [(o["text"]["text"], o["value"]) for o in select["options"]] == [
        ("English", "en"),
        ("Français", "fr"),
    ]


def test_card_with_text_only_is_one_section() -> None:
    blocks = only(render_message(Card(text="Hello")))
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}]


def test_duplicate_actions_get_unique_ids_that_map_back() -> None:
    card = make_card(
        buttons=(Button("One", "pick", "1"), Button("Two", "pick", "2")),
        selects=(Select("pick", "Or choose", LANGUAGES),),
    )
    ids = [e["action_id"] for e in elements(only(render_message(card)))]

    assert len(set(ids)) == 3
    assert {action_id_to_action(i) for i in ids} == {"pick"}


def test_action_id_to_action_leaves_plain_ids_alone() -> None:
    assert action_id_to_action("request.submit#submit") == "request.submit"
    assert action_id_to_action("form.cancel#cancel") == "form.cancel"
    assert action_id_to_action("topic") == "topic"
    assert action_id_to_action("tag#label#7") == "tag#label"
    assert action_id_to_action("tag#label") == "tag#label"


def test_hostile_text_cannot_ping_or_link() -> None:
    card = Card(
        text=HOSTILE,
        facts=(Fact(HOSTILE, HOSTILE),),
        buttons=(Button(HOSTILE, "a", "v"),),
    )
    blocks = only(render_message(card))
    mrkdwn = [blocks[0]["text"]["text"], blocks[1]["fields"][0]["text"]]

    for text in mrkdwn:
        assert "<" not in text and ">" not in text
        assert "&lt;@U123&gt;" in text and "&lt;!channel&gt;" in text
        assert "&amp; " in text
    # plain_text is shown literally by Slack: nothing to escape, and it cannot ping.
    assert elements(blocks)[0]["text"]["type"] == "plain_text"


def test_long_text_is_split_at_paragraphs_into_sections() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 5000
    sections = of_type(only(render_message(Card(text=text))), "section")

    assert len(sections) >= 2
    pieces = [s["text"]["text"] for s in sections]
    assert all(len(p) <= 3000 for p in pieces)
    assert all(p.startswith("Paragraph ") for p in pieces)
    assert "\n\n".join(pieces) == text


def test_one_huge_line_is_split_without_breaking_escapes() -> None:
    text = "&" * 5000
    pieces = [s["text"]["text"] for s in of_type(only(render_message(Card(text=text))), "section")]

    assert all(len(p) <= 3000 for p in pieces)
    assert "".join(pieces) == "&amp;" * 5000


def test_sixty_buttons_fill_several_actions_blocks() -> None:
    buttons = tuple(Button(f"Option {i}", "choose", str(i)) for i in range(60))
    blocks = only(render_message(Card(text="Pick", buttons=buttons)))
    actions = of_type(blocks, "actions")

    assert [len(a["elements"]) for a in actions] == [25, 25, 10]
    assert [e["value"] for e in elements(blocks)] == [str(i) for i in range(60)]


def test_long_labels_are_truncated() -> None:
    card = Card(
        text="x",
        title="T" * 200,
        buttons=(Button("B" * 200, "a"),),
        selects=(Select("s", "P" * 200, (Option("O" * 200, "v"),)),),
        facts=(Fact("Bio", "v" * 5000),),
    )
    blocks = only(render_message(card))
    button, select = elements(blocks)

    assert len(blocks[0]["text"]["text"]) == 150 and blocks[0]["text"]["text"].endswith("…")
    assert len(button["text"]["text"]) == 75 and button["text"]["text"].endswith("…")
    assert len(select["placeholder"]["text"]) == 150
    assert len(select["options"][0]["text"]["text"]) == 75
    assert len(of_type(blocks, "section")[1]["fields"][0]["text"]) == 2000


def test_many_facts_span_several_messages_in_order() -> None:
    # 600 facts: 60 sections of 10 fields, more than one message's 50 blocks.
    facts = tuple(Fact(f"Label {i}", f"value {i}") for i in range(600))
    messages = render_message(Card(text="Many", title="Facts", facts=facts))

    assert len(messages) > 1
    assert all(0 < len(m) <= 50 for m in messages)
    fields = [f["text"] for m in messages for b in m for f in b.get("fields", [])]
    assert all(len(b.get("fields", [])) <= 10 for m in messages for b in m)
    assert fields == [f"*Label {i}*\nvalue {i}" for i in range(600)]
    assert messages[0][0]["type"] == "header"


def test_select_with_many_options_keeps_every_option_reachable() -> None:
    options = tuple(Option(f"Person {i}", f"p{i}") for i in range(250))
    card = Card(text="Who?", selects=(Select("who", "Pick", options),))
    selects = elements(only(render_message(card)))

    assert [len(s["options"]) for s in selects] == [100, 100, 50]
    assert {action_id_to_action(s["action_id"]) for s in selects} == {"who"}
    assert [o["value"] for s in selects for o in s["options"]] == [o.value for o in options]


# --- Forms as messages -----------------------------------------------------------------

def test_form_as_message_has_inputs_and_submit_and_cancel() -> None:
    blocks = only(render_message(make_form()))

    assert [b["type"] for b in blocks] == ["header", "section", "input", "input", "actions"]
    topic, lang = of_type(blocks, "input")
    assert topic["block_id"] == topic["element"]["action_id"] == "topic"
    assert topic["element"] == {
        "type": "plain_text_input",
        "action_id": "topic",
        "multiline": True,
        "max_length": 300,
        "initial_value": "Work",
    }
    assert (topic["optional"], lang["optional"]) == (False, True)
    assert lang["element"]["type"] == "static_select"
    assert lang["element"]["initial_option"]["value"] == "fr"
    submit, cancel = blocks[-1]["elements"]
    assert (submit["action_id"], submit["value"], submit["style"]) == (
        "request.submit#submit",
        "form-token-1",
        "primary",
    )
    assert (cancel["action_id"], cancel["value"], cancel["text"]["text"]) == (
        "form.cancel#cancel",
        "form-token-1",
        "Cancel",
    )


def test_form_without_cancel_label_has_no_cancel_button() -> None:
    blocks = only(render_message(make_form(cancel_label="")))
    assert [e["action_id"] for e in elements(blocks)] == ["request.submit#submit"]


def test_choice_input_without_initial_has_no_initial_option() -> None:
    form = make_form(inputs=(ChoiceInput("lang", "Language", LANGUAGES),))
    (block,) = of_type(only(render_message(form)), "input")
    assert "initial_option" not in block["element"]


# --- Modals ----------------------------------------------------------------------------

def test_modal_carries_the_submit_action_and_notifies_on_close() -> None:
    view = render_modal(make_form())

    assert view["type"] == "modal"
    assert view["callback_id"] == "peerlink.form"
    assert view["title"]["text"] == "Request a meeting"
    assert view["submit"]["text"] == "Send"
    assert view["close"]["text"] == "Cancel"
    assert view["notify_on_close"] is True
    assert form_metadata(view["private_metadata"]) == ("request.submit", "form-token-1")
    assert [b["type"] for b in view["blocks"]] == ["section", "input", "input"]
    assert [b["block_id"] for b in of_type(view["blocks"], "input")] == ["topic", "lang"]
    assert of_type(view["blocks"], "input")[1]["optional"] is True


def test_modal_title_and_labels_truncated_to_24() -> None:
    form = make_form(
        title="A rather long title for a small modal",
        submit=Button("Send this request right now please", "request.submit", "t"),
        cancel_label="No thanks, not today at all",
    )
    view = render_modal(form)

    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= 24
        assert view[key]["text"].endswith("…")
    assert view["blocks"][0]["text"]["text"] == "A rather long title for a small modal"


def test_modal_without_cancel_label_omits_close() -> None:
    assert "close" not in render_modal(make_form(cancel_label=""))


def test_modal_metadata_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError):
        render_modal(make_form(submit=Button("Send", "a", "v" * 3000)))


def test_metadata_round_trip_keeps_unicode_and_quotes() -> None:
    submit = Button("Send", "goal.save", 'tok "é" <&>')
    view = render_modal(make_form(submit=submit))
    assert form_metadata(view["private_metadata"]) == ("goal.save", 'tok "é" <&>')


@pytest.mark.parametrize(
    "metadata",
    [
        "",
        "not json",
        "[]",
        '"action"',
        "{}",
        '{"action": "a"}',
        '{"value": "v"}',
        '{"action": 1, "value": "v"}',
        '{"action": "a", "value": null}',
        '{"action": "", "value": "v"}',
    ],
)
def test_malformed_metadata_is_rejected(metadata: str) -> None:
    with pytest.raises(ValueError):
        form_metadata(metadata)


# --- Reading state back ----------------------------------------------------------------

# view_submission: the shape of payload["view"]["state"]["values"] from Slack's docs.
VIEW_SUBMISSION_VALUES = {
    "topic": {"topic": {"type": "plain_text_input", "value": "A hard week"}},
    "lang": {
        "lang": {
            "type": "static_select",
            "selected_option": {
                "text": {"type": "plain_text", "text": "Français", "emoji": True},
                "value": "fr",
            },
        }
    },
}

# block_actions from a form posted as a message: payload["state"]["values"], with an
# empty text input, nothing chosen, a card's select and an element we never render.
BLOCK_ACTIONS_VALUES = {
    "topic": {"topic": {"type": "plain_text_input", "value": None}},
    "lang": {"lang": {"type": "static_select", "selected_option": None}},
    "Xa1b": {"settings.language#3": {"type": "static_select", "selected_option": None}},
    "when": {"when": {"type": "datepicker", "selected_date": "2024-05-01"}},
}


def test_form_values_from_view_submission() -> None:
    assert form_values(VIEW_SUBMISSION_VALUES) == {"topic": "A hard week", "lang": "fr"}


def test_form_values_from_block_actions_state() -> None:
    assert form_values(BLOCK_ACTIONS_VALUES) == {"topic": "", "lang": ""}


def test_form_values_ignores_garbage() -> None:
    garbage: dict[str, Any] = {
        "a": None,
        "b": {"b": "text"},
        "c": {"c": {"type": "plain_text_input", "value": 5}},
        "d": {"d": {"type": "static_select", "selected_option": {"value": 7}}},
    }
    assert form_values(garbage) == {"c": "", "d": ""}


def test_rendered_form_reads_back_through_form_values() -> None:
    blocks = only(render_message(make_form()))
    state = {
        b["block_id"]: {b["element"]["action_id"]: {"type": b["element"]["type"], "value": "x"}}
        for b in of_type(blocks, "input")
    }
    assert set(form_values(state)) == {i.id for i in make_form().inputs}


# --- Home tab --------------------------------------------------------------------------

def test_home_view_renders_the_card() -> None:
    view = render_home(make_card())

    assert view["type"] == "home"
    assert "submit" not in view and "close" not in view
    assert [b["type"] for b in view["blocks"]] == [
        "header",
        "section",
        "section",
        "actions",
        "actions",
    ]


def test_home_view_is_cut_to_a_hundred_blocks_with_a_note() -> None:
    facts = tuple(Fact(f"L{i}", str(i)) for i in range(2000))
    buttons = tuple(Button(f"B{i}", "b", str(i)) for i in range(100))
    view = render_home(Card(text="Home", title="Home", facts=facts, buttons=buttons), more="More…")

    assert len(view["blocks"]) == 100
    assert view["blocks"][0]["type"] == "header"
    assert view["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "More…"}],
    }


# --- Notifications ---------------------------------------------------------------------

def test_notification_is_the_neutral_text_never_the_card() -> None:
    card = make_card(text="Maya wants to talk about her anxiety")
    text = notification_text(make_delivery(card, "Private conversation"))

    assert text == "Private conversation"
    assert "anxiety" not in notification_text(make_delivery(card, ""))


def test_notification_is_short_and_escaped() -> None:
    text = notification_text(make_delivery(Card(text="x"), "<!channel> " + "n" * 300))
    assert len(text) <= 150
    assert text.startswith("&lt;!channel&gt;") and text.endswith("…")
