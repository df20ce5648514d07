"""Factories for test data: ``make_delivery(**overrides)``."""

from __future__ import annotations

from typing import Any

from bot.delivery import Delivery
from bot.messages import Platform, Priority
from bot.ui import Button, Card

ANA = "ana@example.org"
BEN = "ben@example.org"


def make_delivery(**overrides: Any) -> Delivery:
    fields: dict[str, Any] = {
        "key": "out-1",
        "platform": Platform.WEB,
        "address": {"user_id": ANA},
        "body": Card(text="Hello", buttons=(Button("OK", "ok"),)),
        "notification": "New message",
        "priority": Priority.REPLY,
        "locale": "en",
    }
    return Delivery(**(fields | overrides))
