"""Writing outbound messages to the outbox, inside the caller's transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.messages import Outbound
from bot.ui import to_dict
from storage.db import UnitOfWork
from storage.outbox import OutboxEntry


def idempotency_key(source: str, index: int) -> str:
    """A stable key per message of one source (an inbound event, a due-work row)."""
    return f"{hashlib.sha256(source.encode()).hexdigest()[:40]}:{index}"


async def enqueue(
    uow: UnitOfWork,
    source: str,
    outbound: Sequence[Outbound],
    now: datetime,
    known: Mapping[tuple[int, str], tuple[int, str]] | None = None,
) -> list[int]:
    """Write messages with keys derived from ``source``; a replay writes nothing new.

    ``known`` passes identities already resolved (the author's) to skip lookups.
    """
    entries = [
        OutboxEntry(
            key=idempotency_key(source, i),
            person_id=o.person_id,
            priority=int(o.priority),
            payload={"body": to_dict(o.body), "notification": o.notification, "lang": o.lang},
            platform=o.platform.value if o.platform else None,
        )
        for i, o in enumerate(outbound)
    ]
    return await uow.outbox.add(entries, now, known)
