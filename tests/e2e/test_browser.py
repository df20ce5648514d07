"""The local web chat in a real headless Chromium, against the real ``peerlink serve``.

Each test speaks as a different demo person (bot/demo.py), so the tests share one
server without seeing each other's conversations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    # Only for annotations: importing conftest at run time would load it a second time.
    from tests.e2e.conftest import ChatPage

pytestmark = pytest.mark.e2e

MENU = "Here is what you can do:"


def _get_welcomed(chat: ChatPage) -> None:
    """Say hello and press "Got it", as a new person would."""
    from playwright.sync_api import expect

    chat.send("hello")
    welcome = chat.messages.locator(".pl-card", has_text="Welcome to Peerlink")
    expect(welcome).to_be_visible()
    welcome.get_by_role("button", name="Got it").click()
    expect(chat.messages).to_contain_text("You're all set.")


def test_welcome_then_got_it(open_chat: Callable[[], ChatPage]) -> None:
    from playwright.sync_api import expect

    chat = open_chat()
    page = chat.page
    page.goto("/")
    page.get_by_role("button", name="Sam Okafor").click()
    expect(page.locator("#chat-title")).to_have_text("Sam Okafor")
    assert unquote(urlsplit(page.url).fragment) == "as=sam.okafor@example.com", page.url
    chat.wait_connected()

    chat.send("hello")
    expect(page.locator("#messages .pl-out .pl-bubble").first).to_have_text("hello")
    welcome = chat.messages.locator(".pl-card", has_text="Welcome to Peerlink")
    expect(welcome).to_be_visible()
    expect(page.locator("#text")).to_have_value("")

    welcome.get_by_role("button", name="Got it").click()
    expect(chat.messages).to_contain_text("You're all set.")
    # The used card can't be pressed twice.
    expect(welcome.get_by_role("button", name="Got it")).to_be_disabled()
    expect(page.locator("#send-error")).to_be_hidden()


def test_settings_form_switches_to_french(open_chat: Callable[[], ChatPage]) -> None:
    from playwright.sync_api import expect

    chat = open_chat()
    chat.open_as("arjun.mehta@example.com")
    _get_welcomed(chat)

    chat.send("settings")
    form = chat.messages.locator("form.pl-form", has_text="Your settings")
    expect(form).to_be_visible()
    form.locator("select[name=language]").select_option(label="Français")
    form.locator("select[name=timezone]").select_option("Europe/Paris")
    form.get_by_role("button", name="Save").click()

    saved = chat.incoming().last
    expect(saved).to_contain_text("Vos paramètres sont enregistrés.")
    expect(saved).to_contain_text("Europe/Paris")
    expect(saved.locator("[lang]")).to_have_attribute("lang", "fr")
    expect(form.get_by_role("button", name="Save")).to_be_disabled()


def test_settings_form_works_on_first_contact(open_chat: Callable[[], ChatPage]) -> None:
    from playwright.sync_api import expect

    chat = open_chat()
    chat.open_as("lucas.gagnon@example.com")  # a French speaker, never welcomed

    chat.send("settings")
    expect(chat.messages).to_contain_text("Bienvenue")
    form = chat.messages.locator("form.pl-form")
    expect(form).to_be_visible()
    form.locator("select[name=language]").select_option("en")
    form.locator("select[name=timezone]").select_option("America/Vancouver")
    replies = chat.incoming().count()
    form.locator("button[type=submit]").click()
    expect(chat.incoming()).to_have_count(replies + 1)
    assert "Your settings are saved." in chat.incoming().last.inner_text()


def test_replies_reach_only_their_own_page(open_chat: Callable[[], ChatPage]) -> None:
    from playwright.sync_api import expect

    a, b = open_chat(), open_chat()
    a.open_as("kenji.watanabe@example.com")
    b.open_as("emily.carter@example.com")
    # First contact: each is welcomed, each in its own page.
    for chat in (a, b):
        chat.send("hello")
        welcome = chat.messages.locator(".pl-card", has_text="Welcome to Peerlink")
        expect(welcome).to_have_count(1)

    a.send("help")
    expect(a.messages.locator(".pl-card", has_text=MENU)).to_have_count(1)
    b.send("privacy")
    expect(b.messages.locator(".pl-card", has_text="Your privacy")).to_have_count(1)

    # B's privacy card arrived after A's menu was sent, so a stray copy would be here by now.
    expect(b.messages).not_to_contain_text(MENU)
    expect(a.messages).not_to_contain_text("Your privacy")
    expect(a.incoming()).to_have_count(2)
    expect(b.incoming()).to_have_count(2)
    # Each page shows only what its own person wrote.
    expect(a.page.locator("#messages .pl-out .pl-bubble")).to_have_text(["hello", "help"])
    expect(b.page.locator("#messages .pl-out .pl-bubble")).to_have_text(["hello", "privacy"])


def test_hostile_text_is_shown_as_text(open_chat: Callable[[], ChatPage]) -> None:
    from playwright.sync_api import expect

    hostile = "<img src=x onerror=alert(1)>"
    chat = open_chat()
    chat.open_as("grace.mensah@example.com")
    _get_welcomed(chat)

    chat.send(hostile)
    expect(chat.page.locator("#messages .pl-out .pl-bubble").last).to_have_text(hostile)
    # The reply is in, so the page has rendered everything this message caused.
    expect(chat.incoming().last).to_contain_text("Sorry, I didn't understand that.")
    expect(chat.messages.locator("img")).to_have_count(0)
    assert chat.page.locator("img").count() == 0
    assert chat.dialogs == []


def test_page_speaks_french_to_a_french_browser(browser: Browser, peerlink_server: str) -> None:
    from playwright.sync_api import expect

    # Its own context: the open_chat fixture makes its contexts without a locale.
    context = browser.new_context(base_url=peerlink_server, locale="fr-CA")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("#picker-title")).to_have_text("Qui êtes-vous aujourd'hui ?")
        # Role words are translated; names and departments are data, shown as they are.
        expect(page.get_by_role("button", name="Amara Diallo")).to_contain_text(
            "personne employée · People & Culture")
        expect(page.get_by_role("button", name="Marie-Ève Lavoie")).to_contain_text(
            "bureau du programme")

        page.get_by_role("button", name="Amara Diallo").click()
        expect(page.locator("#status")).to_have_text("Connecté")
        send = page.locator("#composer button[type=submit]")
        expect(send).to_have_text("Envoyer")
        expect(page.locator("#text")).to_have_attribute("placeholder", re.compile("^Écrivez"))

        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(send).to_have_text("Send")
        expect(page.locator("#status")).to_have_text("Connected")
        expect(page.get_by_role("button", name="English")).to_have_attribute(
            "aria-pressed", "true")
        # The choice is remembered over the browser's language.
        page.reload()
        expect(page.locator("#composer button[type=submit]")).to_have_text("Send")
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()
