"""The terminal chat: text rendering, the console sender, and whole chats end to end."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console import Choice, ConsoleSender, _Chat, render_text, run_chat
from bot.config import load_config
from bot.delivery import Delivery, Outcome
from bot.demo import PEOPLE, seed_demo
from bot.flows.preferences import COMMON_ZONES
from bot.i18n import Catalogs
from bot.messages import Author, Inbound, Platform, Priority
from bot.settings import Settings
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, Select, TextInput
from storage.crypto import Cipher
from storage.db import Database

ANA = "ana@example.org"
BEN = "ben@example.org"


def make_card(**overrides: Any) -> Card:
    fields: dict[str, Any] = {
        "title": "Peerlink",
        "text": "Here is what you can do:\n• *settings*: your language and timezone",
        "facts": (Fact("Language", "English"),),
        "buttons": (Button("Settings", "menu.settings"), Button("Got it", "welcome.ack", "t1")),
        "selects": (
            Select("language.set", "Language", (Option("English", "en"),
                                                Option("Français", "fr"))),
        ),
    }
    return Card(**(fields | overrides))


def make_form(**overrides: Any) -> Form:
    fields: dict[str, Any] = {
        "title": "Your settings",
        "text": "Choose what suits you.",
        "inputs": (
            ChoiceInput("language", "Language", (Option("English", "en"),
                                                 Option("Français", "fr")), initial="en"),
            TextInput("goal", "Your goal", required=False, max_length=20),
        ),
        "submit": Button("Save", "settings.save", "tok"),
        "cancel_label": "Cancel",
    }
    return Form(**(fields | overrides))


def make_delivery(**overrides: Any) -> Delivery:
    fields: dict[str, Any] = {
        "key": "out-1",
        "platform": Platform.CONSOLE,
        "address": {"tenant": "local", "user_id": ANA},
        "body": make_card(),
        "notification": "New message",
        "priority": Priority.REPLY,
        "locale": "en",
    }
    return Delivery(**(fields | overrides))


# Rendering -------------------------------------------------------------------


def test_card_renders_title_text_facts_and_numbered_choices() -> None:
    text, choices = render_text(make_card())

    assert text.splitlines()[:2] == ["Peerlink", "========"]
    assert "• *settings*: your language and timezone" in text
    assert "Language: English" in text
    assert "[1] Settings" in text
    assert "[2] Got it" in text
    assert "[3] Language: English" in text
    assert "[4] Language: Français" in text
    assert choices == [
        Choice("menu.settings", ""),
        Choice("welcome.ack", "t1"),
        Choice("language.set", "en"),
        Choice("language.set", "fr"),
    ]


def test_long_text_wraps_keeping_paragraphs_and_bullet_indent() -> None:
    body = Card(text="First paragraph " * 8 + "\n\n• " + "bullet words " * 10)

    text, choices = render_text(body, width=40)

    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert "" in lines  # the blank line between paragraphs survives
    bullet = lines.index(next(line for line in lines if line.startswith("• ")))
    assert lines[bullet + 1].startswith("  bullet")
    assert choices == []


def test_form_lists_its_fields_and_offers_only_submit_and_cancel() -> None:
    text, choices = render_text(make_form())

    assert text.startswith("Your settings\n=============\nChoose what suits you.")
    assert "- Language: English, Français" in text
    assert "- Your goal (optional, up to 20 characters)" in text
    assert "[1] Save" in text
    assert "[2] Cancel" in text
    # The cancel carries the form's live token, so it can only cancel this form.
    assert choices == [Choice("settings.save", "tok"), Choice("form.cancel", "tok")]


def test_form_without_cancel_offers_only_submit() -> None:
    _, choices = render_text(make_form(cancel_label=""))

    assert choices == [Choice("settings.save", "tok")]


def test_form_fields_are_described_in_french() -> None:
    text, _ = render_text(make_form(), gettext=Catalogs().gettext("fr"))

    assert "- Language : English, Français" in text
    assert "- Your goal (facultatif, jusqu'à 20 caractères)" in text


# Sender ----------------------------------------------------------------------


async def test_sender_prints_once_per_key_and_remembers_choices() -> None:
    out = io.StringIO()
    sender = ConsoleSender(ANA, out)

    first = await sender.send(make_delivery())
    again = await sender.send(make_delivery())

    assert first.outcome is Outcome.SENT
    assert again.outcome is Outcome.SENT
    assert out.getvalue().count("[1] Settings") == 1
    assert sender.choices[0] == Choice("menu.settings", "")
    assert sender.form is None
    assert sender.platform is Platform.CONSOLE


async def test_every_message_replaces_the_choices_and_one_without_clears_them() -> None:
    sender = ConsoleSender(ANA, io.StringIO())

    await sender.send(make_delivery(key="f", body=make_form()))
    assert sender.form == make_form()
    assert sender.choices == [Choice("settings.save", "tok"), Choice("form.cancel", "tok")]

    await sender.send(make_delivery(key="plain", body=Card(text="Saved.")))
    assert sender.form is None
    assert sender.choices == []

    await sender.send(make_delivery(key="menu", body=make_card()))
    assert sender.form is None
    assert sender.choices[0] == Choice("menu.settings", "")

    await sender.send(make_delivery(key="menu", body=Card(text="again")))  # a retry
    assert sender.choices[0] == Choice("menu.settings", "")


async def test_the_consoles_own_words_follow_the_latest_delivery() -> None:
    sender = ConsoleSender(ANA, io.StringIO(), lang="en")

    await sender.send(make_delivery(key="1", locale="fr-CA"))
    assert (sender.lang, sender.gettext("Choose a number:")) == ("fr", "Choisissez un numéro :")

    await sender.send(make_delivery(key="2", locale=""))
    assert sender.lang == "fr"  # no locale said: unchanged

    await sender.send(make_delivery(key="3", locale="en"))
    assert sender.gettext("Choose a number:") == "Choose a number:"


async def test_delivery_for_someone_else_waits_in_the_outbox() -> None:
    out = io.StringIO()
    sender = ConsoleSender(ANA, out)

    result = await sender.send(make_delivery(address={"tenant": "local", "user_id": BEN}))

    assert result.outcome is Outcome.RETRY
    assert result.reason == "not_here"
    assert out.getvalue() == ""


# Form fields -----------------------------------------------------------------


def scripted(lines: list[str]) -> Iterator[str | None]:
    yield from lines
    while True:
        yield None


async def next_inbound(
    sender: ConsoleSender, lines: list[str], said: list[str] | None = None
) -> Inbound | None:
    """What the chat sends the engine after the person types ``lines``."""
    answers = scripted(lines)

    async def read() -> str | None:
        return next(answers)

    author = Author(Platform.CONSOLE, "local", ANA, email=ANA)
    return await _Chat(author, sender, read, (said if said is not None else []).append
                       ).next_inbound()


async def test_form_fields_are_asked_in_turn_then_submitted() -> None:
    said: list[str] = []
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form()))

    inbound = await next_inbound(sender, ["1", "2", "walk daily"], said)

    assert inbound is not None and inbound.action is not None
    assert inbound.text is None
    assert inbound.action.id == "settings.save"
    assert inbound.action.value == "tok"
    assert dict(inbound.action.values) == {"language": "fr", "goal": "walk daily"}
    assert "Choose a number (Enter keeps English):" in said
    assert "Your goal (optional, up to 20 characters):" in said
    assert inbound.event_id.startswith("console:")


async def test_text_fields_take_any_text_for_the_engine_to_check_and_screen() -> None:
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form()))
    long_answer = "I can't cope any more and I don't see the point " * 3

    inbound = await next_inbound(sender, ["1", "", long_answer])

    assert inbound is not None and inbound.action is not None
    assert inbound.action.values["goal"] == long_answer.strip()


async def test_a_form_cancel_sends_the_forms_token() -> None:
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form()))

    inbound = await next_inbound(sender, ["2"])

    assert inbound is not None and inbound.action is not None
    assert (inbound.action.id, inbound.action.value) == ("form.cancel", "tok")


async def test_a_stale_number_after_a_message_without_choices_is_plain_text() -> None:
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(key="form", body=make_form()))
    await sender.send(make_delivery(key="saved", body=Card(text="Your settings are saved.")))

    inbound = await next_inbound(sender, ["1"])

    assert inbound is not None
    assert (inbound.text, inbound.action) == ("1", None)  # the old form is not reopened


async def test_words_instead_of_a_choice_leave_the_form_and_reach_the_engine() -> None:
    said: list[str] = []
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form()))

    inbound = await next_inbound(sender, ["1", "I want to hurt myself", "2"], said)

    assert inbound is not None
    assert inbound.action is None
    assert inbound.text == "I want to hurt myself"
    assert said[-1] == "The form was left as it is, and your message was sent on its own."


async def test_a_number_out_of_range_is_asked_again() -> None:
    said: list[str] = []
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form()))

    inbound = await next_inbound(sender, ["1", "7", "2", "", "/ignored"], said)

    assert inbound is not None and inbound.action is not None
    assert dict(inbound.action.values) == {"language": "fr", "goal": ""}
    assert "Please type a number from 1 to 2." in said


async def test_form_prompts_are_in_french_after_a_french_delivery() -> None:
    said: list[str] = []
    sender = ConsoleSender(ANA, io.StringIO())
    await sender.send(make_delivery(body=make_form(), locale="fr"))

    inbound = await next_inbound(sender, ["1", "9", "tout doux", ""], said)

    assert "Language :" in said
    assert "  [1] English (choix actuel)" in said
    assert "Choisissez un numéro (Entrée pour garder English) :" in said
    assert "Veuillez taper un numéro de 1 à 2." in said
    assert said[-1] == "Le formulaire est resté tel quel, et votre message a été envoyé séparément."
    assert inbound is not None and inbound.text == "tout doux"


# End to end ------------------------------------------------------------------


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        secret_keys=(Cipher.generate_key(),),
    )
    db = Database(settings.database_url, Cipher(settings.secret_keys))
    try:
        await db.migrate()
        await seed_demo(db, load_config(None))
    finally:
        await db.dispose()
    return settings


async def chat(settings: Settings, email: str, *lines: str) -> tuple[int, str]:
    stdout = io.StringIO()
    code = await run_chat(settings, email, io.StringIO("".join(f"{x}\n" for x in lines)), stdout)
    return code, stdout.getvalue()


async def test_chat_welcomes_shows_the_menu_and_saves_settings(settings: Settings) -> None:
    person = PEOPLE[0]
    paris = str(COMMON_ZONES.index("Europe/Paris") + 1)

    code, out = await chat(
        settings, person.email,
        "hello",
        "1",  # "Got it" on the welcome card
        "help",
        "settings",
        "1", "", paris,  # Save: keep the language, pick Paris
        "/quit",
        "help",  # never read
    )

    assert code == 0
    assert out.startswith(f"Chatting as {person.name}.")
    assert "Welcome to Peerlink" in out
    assert "You're all set." in out
    assert "[1] Find support" in out and "[3] Settings" in out
    assert "Choose a number (Enter keeps English):" in out
    assert "Your settings are saved." in out
    assert "Timezone: Europe/Paris" in out
    assert out.count("Here is what you can do:") == 2  # after "Got it", and for "help"


async def test_chat_cancels_a_form_and_ends_at_end_of_input(settings: Settings) -> None:
    code, out = await chat(settings, PEOPLE[0].email, "settings", "2")

    assert code == 0
    assert "Your settings" in out
    assert "Cancelled. Nothing was changed." in out


async def test_unknown_email_is_refused_kindly(settings: Settings) -> None:
    code, out = await chat(settings, "nobody@example.com", "hello")

    assert code == 2
    assert out.startswith("No one with the email nobody@example.com;")
    assert "peerlink seed-demo" in out


async def test_a_french_person_is_greeted_and_prompted_in_french(settings: Settings) -> None:
    person = next(p for p in PEOPLE if p.language == "fr")

    code, out = await chat(settings, person.email, "paramètres", "1", "", "")

    assert code == 0
    assert out.startswith(f"Vous discutez en tant que {person.name}. Écrivez un message")
    assert "Choisissez un numéro (Entrée pour garder Français) :" in out
    assert "Chatting as" not in out and "Choose a number" not in out


async def test_the_cards_of_one_answer_share_one_numbering() -> None:
    out = io.StringIO()
    sender = ConsoleSender(ANA, out)
    two = Card(text="Grace",
               buttons=(Button("Ask", "find.ask", "1"), Button("Hide", "find.hide", "1")))
    await sender.send(make_delivery(key="a", body=two))
    await sender.send(make_delivery(key="b", body=Card(text="Camille", buttons=(
        Button("Ask", "find.ask", "2"),))))
    await sender.send(make_delivery(key="c", body=Card(text="No choices here.")))
    assert "[3] Ask" in out.getvalue()
    assert sender.choices == [Choice("find.ask", "1"), Choice("find.hide", "1"),
                              Choice("find.ask", "2")]
    sender.new_turn()  # the person typed something: the old numbers mean nothing now
    assert sender.choices == []
    await sender.send(make_delivery(key="d", body=two))
    assert "[1] Ask" in out.getvalue().rsplit("Grace", 1)[1]
