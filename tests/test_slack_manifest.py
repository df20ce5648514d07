"""The Slack app manifest: complete, within Slack's limits, least privilege, neutral wording.

Limits are those of Slack's app manifest reference (docs.slack.dev/reference/app-manifest)
and of slack_sdk's manifest types: name 35, description 140, long description 174..4000
(we keep 175..4000), slash command 32 with its description 2000 and usage hint 1000,
shortcut callback_id 255 and description 150, bot display name 80, at most 10 shortcuts
and 100 bot events. Slack documents no maximum for a shortcut's name; ours is kept to 24
characters (house rule) so the shortcuts menu never cuts it.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.cli import main
from adapters.slack.manifest import (
    EXAMPLE_URL,
    MANIFEST_FILE,
    ManifestError,
    slack_manifest,
)

PEERLINK = Path(sys.executable).parent / "peerlink"
REPO_COPY = Path(__file__).resolve().parents[1] / "manifest" / "slack" / "manifest.yaml"
REGENERATE = f"peerlink manifest slack --url {EXAMPLE_URL} > manifest/slack/manifest.yaml"

URL = "https://peer.acme.test"
SCOPES = {
    "app_mentions:read",
    "chat:write",
    "commands",
    "im:history",
    "im:write",
    "users:read",
    "users:read.email",
}
EVENTS = {"app_home_opened", "app_mention", "message.im", "team_join"}
SUBCOMMANDS = ["help", "find", "buddy", "check-in", "meetings", "pause", "language",
               "privacy", "my data"]


def load(url: str | None = URL, *, socket_mode: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(slack_manifest(url, socket_mode=socket_mode))
    return data


def command(data: dict[str, Any]) -> dict[str, Any]:
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/peer"]
    result: dict[str, Any] = commands[0]
    return result


def shown_to_people(data: dict[str, Any]) -> list[str]:
    """Text a channel, a search result, a hovercard or the composer can show."""
    info, features = data["display_information"], data["features"]
    shortcut = features["shortcuts"][0]
    peer = command(data)
    return [info["name"], info["description"], features["bot_user"]["display_name"],
            shortcut["name"], shortcut["description"], peer["description"],
            peer["usage_hint"]]


# --- What the app needs --------------------------------------------------------------

def test_metadata_and_top_level_sections() -> None:
    data = load()
    assert data["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert list(data) == ["_metadata", "display_information", "features", "oauth_config",
                          "settings"]


def test_bot_events_are_exactly_what_the_adapter_handles() -> None:
    events = load()["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == EVENTS
    assert len(events) == len(set(events)) <= 100
    assert "user_events" not in load()["settings"]["event_subscriptions"]


def test_bot_scopes_are_the_least_privilege_set() -> None:
    scopes = load()["oauth_config"]["scopes"]
    assert set(scopes["bot"]) == SCOPES
    assert len(scopes["bot"]) == len(SCOPES)
    assert "user" not in scopes  # Peerlink never acts as a person


def test_every_scope_and_event_is_justified_in_a_comment() -> None:
    text = slack_manifest(URL)
    for item in SCOPES | EVENTS:
        line = next(line for line in text.splitlines() if line.strip().startswith(f"- {item} "))
        assert re.search(r"\s#\s\S", line), f"no reason given for {item}"


def test_slash_command() -> None:
    peer = command(load())
    assert len(peer["command"]) <= 32
    assert 0 < len(peer["description"]) <= 2000
    assert 0 < len(peer["usage_hint"]) <= 1000
    hint = peer["usage_hint"]
    for word in SUBCOMMANDS:
        assert word in hint
    assert peer["should_escape"] is False


def test_global_shortcut() -> None:
    shortcuts = load()["features"]["shortcuts"]
    assert len(shortcuts) == 1 <= 10
    (shortcut,) = shortcuts
    assert shortcut["type"] == "global"
    assert shortcut["callback_id"] == "talk_to_someone"
    assert shortcut["name"] == "Talk to someone"
    assert len(shortcut["name"]) <= 24
    assert len(shortcut["callback_id"]) <= 255
    assert 0 < len(shortcut["description"]) <= 150


def test_app_home_and_bot_user() -> None:
    features = load()["features"]
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    bot = features["bot_user"]
    assert bot == {"display_name": "Peerlink", "always_online": False}
    assert len(bot["display_name"]) <= 80


def test_display_information_within_slack_limits() -> None:
    info = load()["display_information"]
    assert info["name"] == "Peerlink"
    assert len(info["name"]) <= 35
    assert 0 < len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", info["background_color"])


def test_wording_people_see_is_neutral() -> None:
    data = load()
    for text in shown_to_people(data):
        lowered = text.lower()
        for word in ("mental", "health", "therapy", "crisis", "counsel", "psych"):
            assert word not in lowered, f"{word!r} in {text!r}"
    assert "Private conversations with trained colleagues" in data["display_information"][
        "description"]
    # The long description is what admins read: plain about boundaries.
    assert "not therapy and not a crisis service" in data["display_information"][
        "long_description"]


def test_settings() -> None:
    settings = load()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False


# --- URLs ------------------------------------------------------------------------------

def request_urls(data: dict[str, Any]) -> list[str | None]:
    settings = data["settings"]
    return [settings["event_subscriptions"].get("request_url"),
            settings["interactivity"].get("request_url"),
            command(data).get("url")]


@pytest.mark.parametrize("given, base", [
    ("https://peer.acme.test", "https://peer.acme.test"),
    ("https://peer.acme.test/", "https://peer.acme.test"),
    ("  https://Peer.Acme.test:8443  ", "https://peer.acme.test:8443"),
    ("http://localhost:3978", "http://localhost:3978"),
    ("http://127.0.0.1:3978/", "http://127.0.0.1:3978"),
    ("http://[::1]:3978", "http://[::1]:3978"),
])
def test_every_request_url_is_filled(given: str, base: str) -> None:
    data = load(given)
    assert request_urls(data) == [f"{base}/slack/events"] * 3
    assert data["oauth_config"]["redirect_urls"] == [f"{base}/slack/oauth_redirect"]
    assert "peerlink.example.com" not in slack_manifest(given).split("\n_metadata:")[1]


def test_socket_mode_has_no_request_urls() -> None:
    data = load(None, socket_mode=True)
    assert data["settings"]["socket_mode_enabled"] is True
    assert request_urls(data) == [None, None, None]
    assert data["settings"]["interactivity"] == {"is_enabled": True}
    assert "redirect_urls" not in data["oauth_config"]
    # Everything else is the same app.
    http = load()
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == EVENTS
    assert data["oauth_config"]["scopes"] == http["oauth_config"]["scopes"]
    assert data["features"]["shortcuts"] == http["features"]["shortcuts"]


def test_socket_mode_with_a_url_keeps_only_the_oauth_redirect() -> None:
    data = load(URL, socket_mode=True)
    assert request_urls(data) == [None, None, None]
    assert data["oauth_config"]["redirect_urls"] == [f"{URL}/slack/oauth_redirect"]


@pytest.mark.parametrize("bad", [
    "",
    "   ",
    "peer.acme.test",
    "http://peer.acme.test",
    "ftp://peer.acme.test",
    "https://",
    "https:///slack/events",
    "https://peer.acme.test/slack/events",
    "https://peer.acme.test/bot/",
    "https://peer.acme.test?x=1",
    "https://peer.acme.test/?",
    "https://peer.acme.test#top",
    "https://user:pw@peer.acme.test",
    "https://peer.acme.test:99999",
    "https://peer.acme.test:port",
    "https://peer acme.test",
])
def test_bad_urls_are_rejected(bad: str) -> None:
    with pytest.raises(ManifestError) as caught:
        slack_manifest(bad)
    assert "\n" not in str(caught.value)


def test_http_mode_needs_a_url() -> None:
    with pytest.raises(ManifestError):
        slack_manifest(None)


# --- The copies ------------------------------------------------------------------------

def test_canonical_file_is_the_example_output() -> None:
    assert MANIFEST_FILE.read_text(encoding="utf-8") == slack_manifest(EXAMPLE_URL), (
        f"{MANIFEST_FILE} must stay in the generated form: write it with "
        f"peerlink manifest slack --url {EXAMPLE_URL}"
    )


def test_repo_copy_is_in_sync() -> None:
    assert REPO_COPY.read_text(encoding="utf-8") == slack_manifest(EXAMPLE_URL), (
        f"{REPO_COPY} is out of date; run: {REGENERATE}"
    )


# --- The command -----------------------------------------------------------------------

def test_cli_prints_the_manifest() -> None:
    done = subprocess.run([str(PEERLINK), "manifest", "slack", "--url", URL],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == slack_manifest(URL)
    assert done.stderr == ""


@pytest.fixture
def root_logging() -> Iterator[None]:
    """``main`` configures the root logger; put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_cli_socket_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "slack", "--socket-mode"]) == 0
    out, err = capsys.readouterr()
    assert out == slack_manifest(None, socket_mode=True)
    assert err == ""


@pytest.mark.parametrize("argv", [
    ["manifest", "slack", "--url", "http://peer.acme.test"],
    ["manifest", "slack", "--url", "https://peer.acme.test/slack/events"],
    ["manifest", "slack"],
])
@pytest.mark.usefixtures("root_logging")
def test_cli_bad_url_is_one_line_and_exit_2(argv: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("peerlink: ") and err.count("\n") == 1
