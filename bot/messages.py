"""Neutral types that flow through the engine: what came in, what goes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from bot.ui import Body


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    WEB = "web"
    CONSOLE = "console"


class Priority(IntEnum):
    """Lower goes first. Crisis replies overtake everything else in the outbox."""

    CRISIS = 0
    REPLY = 10
    NOTIFICATION = 50
    BULK = 90


@dataclass(frozen=True)
class Author:
    """Who wrote: a platform identity, plus what the platform told us about them."""

    platform: Platform
    tenant: str
    user_id: str
    email: str = ""
    display_name: str = ""
    locale: str = ""
    timezone: str = ""
    # How the platform reaches this person again (a Teams conversation reference):
    # kept with the identity so later messages can be delivered proactively.
    address: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """A button press, a select choice or a form submission."""

    id: str
    value: str = ""
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inbound:
    """One event from a person: either free text or an action, never both."""

    author: Author
    event_id: str
    text: str | None = None
    action: Action | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outbound:
    """A message the engine wants delivered to a person.

    ``notification`` is the lock-screen text: it must reveal nothing sensitive.
    ``platform`` pins delivery to one platform (the one the person just wrote
    from); ``None`` means the person's preferred reachable identity.
    """

    person_id: int
    body: Body
    notification: str
    priority: Priority = Priority.NOTIFICATION
    platform: Platform | None = None
    lang: str = "en"
