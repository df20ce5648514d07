"""The delivery worker: claims outbox rows with a lease and hands them to senders.

Crisis messages are claimed and sent first. While platform requests are being
received (``bot/arrivals.py``), everything else gives way to them: deliveries
go one at a time, each after its wait, and a crisis reply cuts in at once. Each
delivery carries the row's idempotency key, so a retry after a crash between
"sent" and "marked sent" is shown once. A claim never finished (the process
died) is taken again when its lease ends. After ``max_attempts`` failures a row
becomes a dead letter: logged and counted, never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.arrivals import Arrivals
from bot.clock import Clock
from bot.delivery import Delivery, DeliveryResult, Outcome, PlatformSender
from bot.messages import Platform, Priority
from bot.passes import run_passes
from bot.ui import from_dict
from storage.db import Database, UnitOfWork
from storage.outbox import ClaimedMessage

log = logging.getLogger("peerlink.delivery")

# A platform asking us to wait (HTTP 429) gets this many times the attempts.
RETRY_PATIENCE = 4


def _is_crisis(item: ClaimedMessage) -> bool:
    return item.priority <= Priority.CRISIS


class DeliveryMetrics(Protocol):
    def delivered(self, platform: str, outcome: str, reason: str) -> None: ...


@dataclass(frozen=True)
class WorkerOptions:
    owner: str
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    # One claim is sent in parallel; a crisis written meanwhile waits one round at most.
    batch: int = 16
    concurrency: int = 16
    base_backoff: float = 2.0
    max_backoff: float = 900.0
    poll_interval: float = 1.0
    user_id: str | None = None  # deliver only to this platform account


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[Platform, PlatformSender],
        clock: Clock,
        options: WorkerOptions,
        *,
        metrics: DeliveryMetrics | None = None,
        rng: random.Random | None = None,
        arrivals: Arrivals | None = None,
    ) -> None:
        self._db = db
        self._senders = dict(senders)
        self._clock = clock
        self._opt = options
        self._metrics = metrics
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._arrivals = arrivals or Arrivals()
        self._urgent = False  # a crisis reply was written: no giving way before its claim
        self._limit = asyncio.Semaphore(options.concurrency)
        # The soonest a message our own pacing deferred may go (seconds from the last
        # pass): the loop looks again then rather than at the next poll.
        self._soonest: float | None = None

    def wake(self, urgent: bool = False) -> None:
        """Deliver now rather than at the next poll (a reply was just written);
        ``urgent``: a crisis reply, which waits for no arriving request."""
        if urgent:
            self._urgent = True
            self._arrivals.hurry()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; errors are logged and the loop goes on."""
        await run_passes(self.drain, self._wake, self._next_wait, log, "delivery pass")

    def _next_wait(self) -> float:
        wait = self._opt.poll_interval
        if self._soonest is not None:
            wait = min(wait, max(self._soonest, 0.001))
        self._soonest = None
        return wait

    async def drain(self) -> int:
        """Deliver everything ready now; returns how many rows were settled."""
        settled = 0
        while True:
            if not self._urgent:
                await self._arrivals.give_way()
            self._urgent = False
            # Crisis rows are claimed first; while requests arrive, one row per wait.
            limit = 1 if self._arrivals.count else self._opt.batch
            async with self._db.transaction() as uow:
                claimed = await uow.outbox.claim(
                    self._opt.owner, self._clock.now(), self._opt.lease, limit,
                    platforms=[p.value for p in self._senders], user_id=self._opt.user_id,
                )
            if not claimed:
                return settled
            urgent = [c for c in claimed if c.priority <= Priority.CRISIS]
            for item in urgent:  # crisis first, one by one, each recorded at once
                await self._settle_all([(item, await self._attempt(item))])
            rest = [c for c in claimed if c not in urgent]
            outcomes = await asyncio.gather(*(self._bounded(c) for c in rest))
            await self._settle_all(list(zip(rest, outcomes, strict=True)))
            settled += len(claimed)

    async def _bounded(self, item: ClaimedMessage) -> tuple[DeliveryResult, bool]:
        async with self._limit:
            return await self._attempt(item)

    async def _attempt(self, item: ClaimedMessage) -> tuple[DeliveryResult, bool]:
        """Offer one message to its sender; returns the result and whether it is final."""
        if item.attempts > self._opt.max_attempts * RETRY_PATIENCE and not _is_crisis(item):
            # Claimed over and over without ever settling: a crash loop.
            return DeliveryResult.failed("attempts_exhausted"), True
        try:
            delivery = self._delivery(item)
        except (KeyError, TypeError, ValueError):
            log.error("unreadable outbox message", extra={"outbox_id": item.id})
            return DeliveryResult.failed("bad_payload"), True
        try:
            return await self._senders[delivery.platform].send(delivery), False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("sender raised", extra={"outbox_id": item.id}, exc_info=True)
            return DeliveryResult.failed(type(exc).__name__), False

    @staticmethod
    def _delivery(item: ClaimedMessage) -> Delivery:
        return Delivery(
            key=item.key,
            platform=Platform(item.platform),
            address=item.address,
            body=from_dict(item.payload["body"]),
            notification=item.payload.get("notification", ""),
            priority=Priority(item.priority),
            locale=item.payload.get("lang", "en"),
            attempt=item.attempts,
            in_doubt=item.in_doubt,
        )

    async def _settle_all(
        self, attempts: list[tuple[ClaimedMessage, tuple[DeliveryResult, bool]]]
    ) -> None:
        """Record a round's results in one transaction, then count them."""
        if not attempts:
            return
        async with self._db.transaction() as uow:
            counted = [await self._record(uow, item, result, final)
                       for item, (result, final) in attempts]
        if self._metrics is not None:
            for (item, _), (outcome, reason) in zip(attempts, counted, strict=True):
                self._metrics.delivered(item.platform, outcome.value, reason)

    async def _record(
        self, uow: UnitOfWork, item: ClaimedMessage, result: DeliveryResult, final: bool
    ) -> tuple[Outcome, str]:
        now = self._clock.now()
        owner = self._opt.owner
        outcome, reason = result.outcome, result.reason or result.outcome.value
        address = result.extra.get("address")
        if isinstance(address, Mapping) and address:
            # The platform gave us a way back to this person (a new Teams chat).
            await uow.outbox.remember_address(item.id, dict(address))
        if outcome is Outcome.SENT:
            held = await uow.outbox.mark_sent(item.id, owner, now)
        elif outcome is Outcome.DEFERRED:
            after = max(result.retry_after or 0.0, 0.0)
            self._soonest = after if self._soonest is None else min(self._soonest, after)
            when = now + timedelta(seconds=after)
            held = await uow.outbox.defer(item.id, owner, when)
        elif outcome is Outcome.UNDELIVERABLE:
            held = await uow.outbox.undeliverable(item.id, owner, reason)
        elif final or self._exhausted(item, result):
            outcome = Outcome.FAILED
            held = await uow.outbox.dead_letter(item.id, owner, reason)
            log.error("dead letter",
                      extra={"outbox_id": item.id, "platform": item.platform, "reason": reason})
            reason = "dead_letter"
        else:
            when = now + timedelta(seconds=self._delay(item, result.retry_after))
            held = await uow.outbox.retry_at(item.id, owner, when, reason)
        if not held:
            # Our lease ran out and another worker took the row: its result stands.
            log.warning("lease lost before settling", extra={"outbox_id": item.id})
            return Outcome.FAILED, "lease_lost"
        return outcome, reason

    def _exhausted(self, item: ClaimedMessage, result: DeliveryResult) -> bool:
        if _is_crisis(item):
            return False  # a crisis reply is never given up on; it keeps retrying, logged
        # Being asked to wait (429) is not a failure: it gets more patience.
        patience = RETRY_PATIENCE if result.outcome is Outcome.RETRY else 1
        return item.attempts >= self._opt.max_attempts * patience

    def _delay(self, item: ClaimedMessage, retry_after: float | None) -> float:
        # Crisis replies retry at least every 30 s, whatever the backoff has reached.
        cap = min(self._opt.max_backoff, 30.0) if _is_crisis(item) else self._opt.max_backoff
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, cap)
        ceiling = min(self._opt.base_backoff * 2 ** max(item.attempts - 1, 0), cap)
        return float(ceiling * self._rng.uniform(0.5, 1.0))
