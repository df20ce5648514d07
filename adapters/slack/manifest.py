"""The Slack app manifest, with this deployment's request URLs filled in.

The canonical manifest is ``adapters/slack/manifest.yaml`` (package data). Its
leading comment block and its end-of-line comments (why each scope and event is
needed) are carried into the output, so the printed manifest explains itself.
``manifest/slack/manifest.yaml`` is the output for ``EXAMPLE_URL``; a test keeps
the two in sync.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.urls import public_base_url

EXAMPLE_URL = "https://peerlink.example.com"
EVENTS_PATH = "/slack/events"  # events, interactivity and the slash command share it
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
MANIFEST_FILE = Path(__file__).with_name("manifest.yaml")

_COMMENT = re.compile(r"^(?P<content>\s*\S.*?)\s+#\s(?P<comment>.*)$")


class ManifestError(ValueError):
    """A URL the manifest cannot use; the message says why, in one line."""


def slack_manifest(url: str | None = None, *, socket_mode: bool = False) -> str:
    """The manifest as YAML text for an app served at ``url``.

    HTTP mode needs ``url`` (https, or http on localhost for local testing; no
    path, query or fragment). In Socket Mode Slack takes no request URLs, so
    they are removed; ``url`` is then optional and only keeps the OAuth
    redirect for a multi-workspace install.
    """
    base = None if url is None and socket_mode else _base_url(url)
    source = MANIFEST_FILE.read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(source)
    features, settings = data["features"], data["settings"]
    events = f"{base}{EVENTS_PATH}"

    if base is None:
        del data["oauth_config"]["redirect_urls"]
    else:
        data["oauth_config"]["redirect_urls"] = [f"{base}{OAUTH_REDIRECT_PATH}"]
    for command in features["slash_commands"]:
        command["url"] = events
    settings["event_subscriptions"]["request_url"] = events
    settings["interactivity"]["request_url"] = events
    settings["socket_mode_enabled"] = socket_mode
    if socket_mode:
        for command in features["slash_commands"]:
            del command["url"]
        del settings["event_subscriptions"]["request_url"]
        del settings["interactivity"]["request_url"]

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)
    return _header(source) + _with_comments(body, source)


def _base_url(url: str | None) -> str:
    try:
        return public_base_url(url, endpoint_hint=f"Peerlink adds {EVENTS_PATH} itself")
    except ValueError as exc:
        raise ManifestError(str(exc)) from None


def _header(source: str) -> str:
    lines = []
    for line in source.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def _with_comments(body: str, source: str) -> str:
    """Put back the canonical file's end-of-line comments on the same lines of ``body``."""
    comments: dict[str, str] = {}
    for line in source.splitlines():
        match = _COMMENT.match(line)
        if match and not line.lstrip().startswith("#"):
            comments[match["content"].strip()] = match["comment"]
    out = []
    for line in body.splitlines():
        comment = comments.get(line.strip())
        out.append(f"{line}  # {comment}" if comment else line)
    return "\n".join(out) + "\n"


def bot_scopes() -> tuple[str, ...]:
    """The bot scopes the manifest asks for: the OAuth install asks for the same."""
    data = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    return tuple(data["oauth_config"]["scopes"]["bot"])
