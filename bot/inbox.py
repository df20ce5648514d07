"""Take now, turn soon: events recorded before the platform is answered, handled after.

Slack wants an answer within 3 s and a bare acknowledgement costs a fraction of a
millisecond, while a whole turn costs a few. An adapter that must answer fast
hands each event to :meth:`Inbox.accept`:

- free text is screened first; a crisis message has its whole turn there and
  then, ahead of anything waiting, so its reply is in the outbox before the ack;
- anything else is sealed into the inbox, many events to a commit under load
  (``storage/inbox.py``), and ``accept`` returns once it is durable: the ack
  follows the write, so a crash loses nothing.

:meth:`Inbox.run` then gives each waiting event its turn through
:meth:`Engine.handle`, which deduplicates on the event id (a platform's retry, or
a batch taken again after a crash, changes nothing twice), and deletes each batch
once its turns are done. A crash mid-batch leaves it leased; another pass takes
it when the lease ends. Turns give way to arriving requests (``bot/arrivals.py``),
so a burst is acknowledged at close to the platform SDK's own rate and its turns
follow as the load allows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.arrivals import Arrivals
from bot.clock import Clock
from bot.engine import Engine
from bot.errors import TemporarilyUnavailable
from bot.messages import Action, Author, Inbound, Platform
from bot.passes import run_passes
from storage.db import Database, DatabaseUnavailable
from storage.inbox import Event, InboxWriter, WaitingBatch

log = logging.getLogger("peerlink.inbox")


@dataclass(frozen=True)
class InboxOptions:
    owner: str
    lease: timedelta = timedelta(seconds=60)  # a batch of 100 turns giving way: ~6 s at most
    batch: int = 4  # batches (of up to 100 events) per claim
    max_attempts: int = 5  # a turn that keeps failing (a crash each time) is dropped, logged
    poll_interval: float = 1.0  # seconds; events another process took in, expired leases


class Inbox:
    def __init__(self, engine: Engine, db: Database, clock: Clock, options: InboxOptions,
                 arrivals: Arrivals) -> None:
        self._engine = engine
        self._db = db
        self._clock = clock
        self._opt = options
        self._arrivals = arrivals
        self._writer = InboxWriter(db, clock, arriving=lambda: arrivals.count)
        self._wake = asyncio.Event()

    async def accept(self, inbound: Inbound) -> None:
        """Return once ``inbound`` is recorded (a crisis message: once its turn is).

        Raises :class:`TemporarilyUnavailable` when it could not be recorded, so the
        platform retries; a crisis message is answered even then (``Engine.handle``).
        """
        if self._engine.is_crisis(inbound):
            await self._engine.handle(inbound)
            return
        try:
            await self._writer.add(_dump(inbound))
        except DatabaseUnavailable as exc:
            log.error("an inbound event could not be recorded",
                      extra={"event_id": inbound.event_id, "reason": type(exc).__name__})
            raise TemporarilyUnavailable("the event could not be recorded") from exc
        self._wake.set()

    async def run(self) -> None:
        """Give waiting events their turns until cancelled; errors are logged, the loop
        goes on."""
        await run_passes(self.drain, self._wake, lambda: self._opt.poll_interval, log,
                         "inbox pass")

    async def drain(self) -> int:
        """Turn every event waiting now, oldest first; returns how many batches were
        settled."""
        settled = 0
        while True:
            try:
                async with self._db.transaction() as uow:
                    batches = await uow.inbox.claim(
                        self._opt.owner, self._clock.now(), self._opt.lease, self._opt.batch)
            except DatabaseUnavailable:
                log.warning("inbox not read: the database did not answer")
                return settled
            if not batches:
                return settled
            for batch in batches:
                if not await self._turns(batch):
                    return settled  # the database is down: the leases bring them back
                settled += 1

    async def settle(self) -> None:
        """Turn what is waiting, alongside the background pass, until nothing is (at
        shutdown, events already acknowledged get their turns now rather than at the
        next start). Bound it with ``asyncio.timeout``; raises ``DatabaseUnavailable``."""
        while True:
            await self.drain()
            count, _age = await self.waiting()
            if not count:
                return
            await asyncio.sleep(0.01)  # a batch the background pass holds is finishing

    async def waiting(self) -> tuple[int, float | None]:
        """Events waiting for their turn, and the oldest one's age in seconds."""
        async with self._db.transaction() as uow:
            count, oldest = await uow.inbox.waiting()
        age = (self._clock.now() - oldest).total_seconds() if oldest is not None else None
        return count, age

    async def _turns(self, batch: WaitingBatch) -> bool:
        """Every turn of one batch, then the batch goes; False when the database
        stopped answering."""
        if batch.events is None:
            log.error("inbound events sealed with a key no longer configured were dropped",
                      extra={"batch": batch.id})
        elif batch.attempts > self._opt.max_attempts:
            log.error("inbound events failed every attempt and were dropped",
                      extra={"batch": batch.id, "attempts": batch.attempts - 1})
        else:
            for event in batch.events:
                await self._arrivals.give_way()
                if not await self._turn(event):
                    return False
        try:
            async with self._db.transaction() as uow:
                await uow.inbox.done(batch.id)
        except DatabaseUnavailable:
            return False  # its turns are recorded: taken again, they are duplicates
        return True

    async def _turn(self, event: Event) -> bool:
        try:
            inbound = _load(event)
        except (KeyError, TypeError, ValueError):
            log.error("an inbound event could not be read and was dropped")
            return True
        try:
            await self._engine.handle(inbound)
        except TemporarilyUnavailable:
            log.warning("inbound events wait: the database did not answer",
                        extra={"event_id": inbound.event_id})
            return False
        return True


def _dump(inbound: Inbound) -> Event:
    a, action = inbound.author, inbound.action
    return {
        "author": {"platform": a.platform.value, "tenant": a.tenant, "user_id": a.user_id,
                   "email": a.email, "display_name": a.display_name, "locale": a.locale,
                   "timezone": a.timezone, "address": dict(a.address)},
        "event_id": inbound.event_id,
        "text": inbound.text,
        "action": None if action is None else {
            "id": action.id, "value": action.value, "values": dict(action.values)},
    }


def _load(data: Mapping[str, Any]) -> Inbound:
    a = data["author"]
    author = Author(Platform(a["platform"]), a["tenant"], a["user_id"], email=a["email"],
                    display_name=a["display_name"], locale=a["locale"],
                    timezone=a["timezone"], address=a["address"])
    action = data["action"]
    return Inbound(
        author, data["event_id"], text=data["text"],
        action=None if action is None else Action(action["id"], action["value"],
                                                  action["values"]),
    )
