"""Deliver to the local web chat: an in-memory mailbox per person, pushed to open pages.

Nothing here is persisted: a restart empties every mailbox. The delivery key is
the idempotency key, so a delivery offered twice is shown once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from adapters.dedupe import SeenKeys
from adapters.web.render import render_json
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Platform

log = logging.getLogger(__name__)

Message = dict[str, Any]


class WebSender:
    """A :class:`bot.delivery.PlatformSender` for the local web chat.

    ``Delivery.address`` is ``{"user_id": "<email>"}``.
    """

    platform: Platform = Platform.WEB

    def __init__(
        self, *, mailbox_size: int = 200, queue_size: int = 200, keys_kept: int = 10_000
    ) -> None:
        self._mailbox_size = mailbox_size
        self._queue_size = queue_size
        self._mailboxes: dict[str, deque[Message]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}
        # Keys outlive the mailboxes they went to, bounded, oldest forgotten first.
        self._delivered = SeenKeys(keys_kept)

    async def send(self, delivery: Delivery) -> DeliveryResult:
        user_id = delivery.address.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return DeliveryResult.undeliverable("no_address")
        message = render_json(delivery)
        if not self._delivered.add(delivery.key):
            return DeliveryResult.sent()
        mailbox = self._mailboxes.setdefault(user_id, deque(maxlen=self._mailbox_size))
        mailbox.append(message)
        for queue in self._subscribers.get(user_id, ()):
            _offer(queue, message)
        log.debug("web delivery %s queued", delivery.key)
        return DeliveryResult.sent()

    def subscribe(self, user_id: str) -> asyncio.Queue[Message]:
        """A queue that receives every message delivered to ``user_id`` from now on."""
        queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=self._queue_size)
        self._subscribers.setdefault(user_id, set()).add(queue)
        return queue

    def unsubscribe(self, user_id: str, queue: asyncio.Queue[Message]) -> None:
        queues = self._subscribers.get(user_id)
        if queues is None:
            return
        queues.discard(queue)
        if not queues:
            del self._subscribers[user_id]

    def subscriber_count(self, user_id: str) -> int:
        """How many open pages listen for ``user_id``."""
        return len(self._subscribers.get(user_id, ()))

    def backlog(self, user_id: str) -> list[Message]:
        """The messages kept for ``user_id``, oldest first."""
        return list(self._mailboxes.get(user_id, ()))


def _offer(queue: asyncio.Queue[Message], message: Message) -> None:
    """Push without blocking; a page that stopped reading loses its oldest message.

    A reload gets everything back from the backlog.
    """
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)
