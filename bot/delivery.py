"""What a platform sender is asked to do, and what it answers.

The delivery worker (``bot.outbox_worker``) claims outbox rows, hands each one to
the sender of its platform as a :class:`Delivery`, and records the
:class:`DeliveryResult`. Senders live in ``adapters/``; they render and send,
and must treat ``Delivery.key`` as an idempotency key: a delivery offered twice
with the same key is shown once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from bot.messages import Platform, Priority
from bot.ui import Body


@dataclass(frozen=True)
class Delivery:
    key: str
    platform: Platform
    address: Mapping[str, Any]
    body: Body
    notification: str
    priority: Priority
    locale: str
    attempt: int = 1
    # Taken again after a crash: it may have been delivered. A sender that can ask the
    # platform (Slack's message metadata) checks before sending again.
    in_doubt: bool = False


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    DEFERRED = "deferred"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    retry_after: float | None = None
    reason: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def sent(cls) -> DeliveryResult:
        return cls(Outcome.SENT)

    @classmethod
    def retry(cls, after: float | None, reason: str = "") -> DeliveryResult:
        """The platform asked us to wait (HTTP 429 ``Retry-After``) or was briefly down."""
        return cls(Outcome.RETRY, retry_after=after, reason=reason)

    @classmethod
    def defer(cls, after: float, reason: str = "paced") -> DeliveryResult:
        """Not sent yet by our own pacing: not an attempt, and never a failure."""
        return cls(Outcome.DEFERRED, retry_after=after, reason=reason)

    @classmethod
    def undeliverable(cls, reason: str) -> DeliveryResult:
        """The address can never receive this (user gone, app uninstalled)."""
        return cls(Outcome.UNDELIVERABLE, reason=reason)

    @classmethod
    def failed(cls, reason: str) -> DeliveryResult:
        """An unexpected failure; retried with backoff until the attempt limit."""
        return cls(Outcome.FAILED, reason=reason)


class PlatformSender(Protocol):
    """Renders a neutral body for one platform and sends it."""

    platform: Platform

    async def send(self, delivery: Delivery) -> DeliveryResult: ...
