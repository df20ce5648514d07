"""Teams renders every element of the UI vocabulary as Adaptive Cards within Teams' limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botbuilder.schema import Activity

from adapters.teams.render import (
    attachment,
    render_card,
    submitted,
    summary,
)
from bot.delivery import Delivery
from bot.messages import Platform, Priority
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, Select, TextInput

HOSTILE = "[click](javascript:alert(1)) <at>x</at> ![img](https://evil.example/p.png)"
LANGUAGES = (Option("English", "en"), Option("Français", "fr"))
CARD_BYTES = 25_000  # below Teams' ~28 KB message limit


def make_card(**overrides: Any) -> Card:
    fields: dict[str, Any] = {
        "text": "*Maya* can meet this week.\n\n• Mondays\n• Thursdays",
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
            TextInput("topic", "Topic", multiline=True, max_length=300, initial="Work",
                      placeholder="A few words"),
            ChoiceInput("lang", "Language", LANGUAGES, initial="fr", required=False),
        ),
        "submit": Button("Send", "request.submit", "form-token-1", "primary"),
        "cancel_label": "Cancel",
    }
    return Form(**(fields | overrides))


def make_delivery(body: Card | Form, notification: str = "Private conversation") -> Delivery:
    return Delivery(
        key="k1",
        platform=Platform.TEAMS,
        address={"conversation": "a:1"},
        body=body,
        notification=notification,
        priority=Priority.NOTIFICATION,
        locale="en",
    )


def teams_value(data: dict[str, Any], **inputs: Any) -> Any:
    """The ``value`` of the message activity Teams posts for an Action.Submit press."""
    payload = {
        "type": "message",
        "id": "1700000000000",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:1abc", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
        "conversation": {"conversationType": "personal", "id": "a:1xyz"},
        "recipient": {"id": "28:bot", "name": "Peerlink"},
        "replyToId": "1699999999999",
        "value": data | inputs,
        "channelData": {"tenant": {"id": "00000000-0000-0000-0000-0000000000aa"}},
    }
    return Activity().deserialize(payload).value


def only(cards: list[dict[str, Any]]) -> dict[str, Any]:
    (card,) = cards
    return card


def of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in card["body"] if e["type"] == kind]


def size(card: dict[str, Any]) -> int:
    return max(
        len(json.dumps(card).encode()),
        len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode()),
    )


def all_text(cards: list[dict[str, Any]]) -> str:
    return json.dumps(cards, ensure_ascii=False)


# --- Cards -----------------------------------------------------------------------------

def test_a_card_is_one_adaptive_card_with_every_element() -> None:
    card = only(render_card(make_card()))
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, *texts = of_type(card, "TextBlock")
    assert title == {
        "type": "TextBlock", "text": "A buddy for you", "wrap": True,
        "size": "Medium", "weight": "Bolder",
    }
    assert all(t["wrap"] for t in texts)
    (facts,) = of_type(card, "FactSet")
    assert facts["facts"] == [
        {"title": "Language", "value": "Français"},
        {"title": "Team", "value": "Design"},
    ]


def test_slack_bold_becomes_card_markdown_and_bullets_stay_on_their_lines() -> None:
    card = only(render_card(make_card()))
    texts = [t["text"] for t in of_type(card, "TextBlock")[1:]]
    assert texts == ["**Maya** can meet this week.", "• Mondays\n\n• Thursdays"]


def test_bold_is_not_invented_from_lone_stars() -> None:
    card = only(render_card(make_card(text="2*3*4 and * not bold * and **kept**", title="")))
    assert of_type(card, "TextBlock")[0]["text"] == "2*3*4 and * not bold * and **kept**"


def test_buttons_submit_their_action_and_value_with_styles() -> None:
    actions = only(render_card(make_card()))["actions"]
    assert [a["type"] for a in actions] == ["Action.Submit"] * 3
    assert [a["title"] for a in actions] == ["Book", "Not now", "Later"]
    assert [a.get("style") for a in actions] == ["positive", "destructive", None]
    assert actions[0]["data"] == {"peerlink_action": "buddy.book", "peerlink_value": "p-42"}
    assert actions[2]["data"] == {"peerlink_action": "buddy.later", "peerlink_value": ""}
    assert all(a["associatedInputs"] == "none" for a in actions)


def test_button_titles_are_cut_to_100_characters() -> None:
    card = only(render_card(make_card(buttons=(Button("B" * 300, "a"),))))
    assert len(card["actions"][0]["title"]) == 100
    assert card["actions"][0]["title"].endswith("…")


def test_a_select_is_a_compact_choice_set_with_its_own_ok_button() -> None:
    card = only(render_card(make_card()))
    (choice_set,) = of_type(card, "Input.ChoiceSet")
    assert choice_set["id"] == "peerlink_select_0"
    assert choice_set["style"] == "compact"
    assert choice_set["placeholder"] == "Choose a language"
    assert choice_set["choices"] == [
        {"title": "English", "value": "en"}, {"title": "Français", "value": "fr"},
    ]
    (action_set,) = of_type(card, "ActionSet")
    (ok,) = action_set["actions"]
    assert ok["type"] == "Action.Submit"
    assert ok["data"] == {
        "peerlink_action": "settings.language", "peerlink_select": "peerlink_select_0",
    }
    assert card["body"].index(action_set) == card["body"].index(choice_set) + 1


def test_each_select_gets_its_own_input_id() -> None:
    selects = (Select("a", "A", LANGUAGES), Select("b", "B", LANGUAGES))
    card = only(render_card(make_card(selects=selects)))
    assert [c["id"] for c in of_type(card, "Input.ChoiceSet")] == [
        "peerlink_select_0", "peerlink_select_1",
    ]


def test_an_empty_card_is_still_one_card() -> None:
    card = only(render_card(Card(text="")))
    assert card["body"] == []
    assert "actions" not in card


def test_attachment_carries_an_adaptive_card() -> None:
    card = only(render_card(make_card()))
    assert attachment(card) == {
        "contentType": "application/vnd.microsoft.card.adaptive", "content": card,
    }


# --- Size ------------------------------------------------------------------------------

def test_four_hundred_facts_spread_over_cards_in_order() -> None:
    facts = tuple(Fact(f"Label {i}", f"Value {i} " + "x" * 100) for i in range(400))
    cards = render_card(make_card(facts=facts))
    assert len(cards) > 1
    assert all(size(c) < CARD_BYTES for c in cards)
    shown = [f["title"] for c in cards for s in of_type(c, "FactSet") for f in s["facts"]]
    assert shown == [f"Label {i}" for i in range(400)]
    assert "actions" in cards[-1]
    assert all("actions" not in c for c in cards[:-1])
    assert of_type(cards[0], "TextBlock")[0]["text"] == "A buddy for you"


def test_long_text_splits_into_cards_keeping_every_word_in_order() -> None:
    words = [f"word{i}" for i in range(4000)]  # about 35,000 characters
    cards = render_card(make_card(text=" ".join(words), title="", facts=(), selects=()))
    assert len(cards) > 1
    assert all(size(c) < CARD_BYTES for c in cards)
    shown = " ".join(t["text"] for c in cards for t in of_type(c, "TextBlock")).split()
    assert shown == words


def test_wide_characters_and_escapes_count_towards_the_limit() -> None:
    text = "😀\"\\" * 20_000
    cards = render_card(make_card(text=text, facts=()))
    assert len(cards) > 1
    assert all(size(c) < CARD_BYTES for c in cards)


def test_a_select_with_many_options_is_split_into_drop_downs_that_fit() -> None:
    options = tuple(Option(f"Option {i} " + "o" * 80, f"value-{i}") for i in range(1000))
    cards = render_card(make_card(selects=(Select("pick", "Pick one", options),)))
    assert all(size(c) < CARD_BYTES for c in cards)
    sets = [s for c in cards for s in of_type(c, "Input.ChoiceSet")]
    assert len(sets) > 1
    assert [o["value"] for s in sets for o in s["choices"]] == [o.value for o in options]
    for card in cards:  # every drop-down has its OK button on the same card
        ids = {s["id"] for s in of_type(card, "Input.ChoiceSet")}
        named = {a["data"]["peerlink_select"] for s in of_type(card, "ActionSet")
                 for a in s["actions"]}
        assert ids == named


def test_a_button_too_large_for_any_card_raises() -> None:
    with pytest.raises(ValueError):
        render_card(make_card(buttons=(Button("Book", "buddy.book", "v" * 30_000),)))


def test_a_huge_form_raises() -> None:
    inputs = tuple(TextInput(f"field{i}", "L" * 500, placeholder="P" * 150) for i in range(100))
    with pytest.raises(ValueError):
        render_card(make_form(inputs=inputs))


def test_a_form_with_reserved_or_duplicate_input_ids_raises() -> None:
    with pytest.raises(ValueError):
        render_card(make_form(inputs=(TextInput("peerlink_action", "x"),)))
    with pytest.raises(ValueError):
        render_card(make_form(inputs=(TextInput("a", "x"), TextInput("a", "y"))))


# --- Forms -----------------------------------------------------------------------------

def test_a_form_is_one_card_with_inputs_submit_and_cancel() -> None:
    card = only(render_card(make_form()))
    title, text = of_type(card, "TextBlock")
    assert title["text"] == "Request a meeting" and title["weight"] == "Bolder"
    assert text["text"] == "Say a word about what you would like to talk about."
    (topic,) = of_type(card, "Input.Text")
    assert topic == {
        "type": "Input.Text", "id": "topic", "label": "Topic", "isMultiline": True,
        "maxLength": 300, "placeholder": "A few words", "value": "Work",
        "isRequired": True, "errorMessage": "Topic",
    }
    (lang,) = of_type(card, "Input.ChoiceSet")
    assert lang["id"] == "lang" and lang["label"] == "Language"
    assert lang["value"] == "fr" and lang["isRequired"] is False
    assert lang["choices"][1] == {"title": "Français", "value": "fr"}
    submit, cancel = card["actions"]
    assert submit["title"] == "Send" and submit["style"] == "positive"
    assert submit["data"] == {"peerlink_action": "request.submit", "peerlink_value": "form-token-1"}
    assert "associatedInputs" not in submit
    assert cancel["title"] == "Cancel"
    assert cancel["data"] == {"peerlink_action": "form.cancel", "peerlink_value": "form-token-1"}
    assert cancel["associatedInputs"] == "none"


def test_a_form_without_cancel_label_has_only_submit() -> None:
    card = only(render_card(make_form(cancel_label="")))
    assert [a["title"] for a in card["actions"]] == ["Send"]


def test_an_initial_value_is_cut_to_the_max_length_and_unknown_choices_dropped() -> None:
    inputs = (
        TextInput("t", "T", max_length=5, initial="abcdefgh"),
        ChoiceInput("c", "C", LANGUAGES, initial="de"),
    )
    card = only(render_card(make_form(inputs=inputs)))
    assert of_type(card, "Input.Text")[0]["value"] == "abcde"
    assert "value" not in of_type(card, "Input.ChoiceSet")[0]


# --- Hostile text ----------------------------------------------------------------------

@pytest.mark.parametrize("where", ["text", "title", "fact"])
def test_hostile_text_carries_no_link(where: str) -> None:
    body = {
        "text": make_card(text=HOSTILE),
        "title": make_card(title=HOSTILE),
        "fact": make_card(facts=(Fact(HOSTILE, HOSTILE),)),
    }[where]
    rendered = all_text(render_card(body))
    assert "](" not in rendered
    assert "click" in rendered and "javascript:alert(1)" in rendered  # shown, not linked
    assert "msteams" not in rendered and "entities" not in rendered  # no mention can ping


def test_reference_links_autolinks_and_date_templates_are_taken_apart() -> None:
    text = (
        "[a][ref] and <https://evil.example> and {{DATE(2017-02-14T06:00:00Z, SHORT)}}"
        "\n\n[ref]: https://evil.example"
    )
    rendered = all_text(render_card(make_card(text=text)))
    assert "][" not in rendered and "]:" not in rendered
    assert "<https://" not in rendered
    assert "{{DATE" not in rendered


def test_hostile_labels_on_buttons_and_forms_stay_plain() -> None:
    card = only(render_card(make_form(title=HOSTILE, text=HOSTILE)))
    assert "](" not in all_text([card])


# --- Submissions -----------------------------------------------------------------------

def test_a_button_press_round_trips() -> None:
    card = only(render_card(make_card()))
    value = teams_value(card["actions"][0]["data"])
    assert submitted(value) == ("buddy.book", "p-42", {})


def test_a_select_round_trips_the_chosen_option() -> None:
    card = only(render_card(make_card()))
    (action_set,) = of_type(card, "ActionSet")
    value = teams_value(action_set["actions"][0]["data"], peerlink_select_0="fr")
    assert submitted(value) == ("settings.language", "fr", {})


def test_a_select_submitted_without_a_choice_is_not_an_action() -> None:
    data = {"peerlink_action": "settings.language", "peerlink_select": "peerlink_select_0"}
    assert submitted(teams_value(data)) is None
    assert submitted(teams_value(data, peerlink_select_0="")) is None
    assert submitted(teams_value(data | {"peerlink_select": "topic"}, topic="x")) is None


def test_a_form_round_trips_every_input() -> None:
    card = only(render_card(make_form()))
    value = teams_value(card["actions"][0]["data"], topic="Career", lang="en")
    assert submitted(value) == ("request.submit", "form-token-1", {"topic": "Career", "lang": "en"})


def test_a_cancel_round_trips_the_form_token() -> None:
    card = only(render_card(make_form()))
    assert submitted(teams_value(card["actions"][1]["data"])) == ("form.cancel", "form-token-1", {})


def test_non_string_inputs_are_left_out_of_form_values() -> None:
    data = {"peerlink_action": "a", "peerlink_value": "v"}
    assert submitted(data | {"topic": ["x"], "n": 3, "ok": "y"}) == ("a", "v", {"ok": "y"})


@pytest.mark.parametrize(
    "value",
    [
        None,
        "buddy.book",
        ["peerlink_action", "a"],
        {},
        {"text": "hello"},
        {"peerlink_action": ""},
        {"peerlink_action": ["a"]},
        {"peerlink_action": {"a": 1}},
        {"peerlink_action": "a", "peerlink_value": ["v"]},
        {"peerlink_action": "a", "peerlink_value": 3},
        {"peerlink_action": "a" * 201},
        {"peerlink_action": "a", "topic": "x" * 100_001},
        {"peerlink_action": "a"} | {f"k{i}": "v" for i in range(50)},
        {"peerlink_action": "a", 1: "v"},
    ],
)
def test_junk_is_not_an_action(value: Any) -> None:
    assert submitted(value) is None


def test_limits_are_inclusive() -> None:
    value = {"peerlink_action": "a" * 200, "topic": "x" * 100_000}
    value |= {f"k{i}": "v" for i in range(48)}
    assert submitted(value) is not None


# --- Summary ---------------------------------------------------------------------------

def test_summary_is_the_notification_never_the_card_text() -> None:
    delivery = make_delivery(make_card(text="Something private"), "You have  a\nmessage")
    assert summary(delivery) == "You have a message"


def test_summary_is_cut_to_150_characters_and_never_empty() -> None:
    assert len(summary(make_delivery(make_card(), "n" * 400))) == 150
    assert summary(make_delivery(make_card(text="private"), " ")) == "Peerlink"


def test_summary_carries_no_link() -> None:
    assert "](" not in summary(make_delivery(make_card(), HOSTILE))
