"""Durable due work: handlers by kind, run on claimed rows, each in its own transaction.

Later capabilities (check-ins, reminders, request expiry, pairing rounds)
register a handler per kind. A handler returns the messages to send; they are
written to the outbox in the same transaction that completes the row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.messages import Outbound, Priority
from bot.outbox import enqueue
from storage.db import Database, UnitOfWork
from storage.duework import ClaimedWork

log = logging.getLogger("peerlink.scheduling")

DueHandler = Callable[[UnitOfWork, ClaimedWork, datetime], Awaitable[Sequence[Outbound]]]


@dataclass(frozen=True)
class RunnerOptions:
    owner: str
    # Long enough for a batch to run; short, so a batch claimed by a process that died
    # is run by another soon (each item's effects commit with its completion, and its
    # messages have one outbox key, so running it twice sends nothing twice).
    lease: timedelta = timedelta(seconds=60)
    batch: int = 100
    max_attempts: int = 5
    retry_delay: timedelta = timedelta(minutes=1)


class DueWorkRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, DueHandler],
        options: RunnerOptions,
        *,
        on_enqueued: Callable[[bool], None] | None = None,  # (urgent: a crisis message)
    ) -> None:
        self._db = db
        self._clock = clock
        self._handlers = dict(handlers)
        self._opt = options
        self._on_enqueued = on_enqueued

    async def tick(self) -> int:
        """Claim due rows in a short transaction, then run each; returns how many ran."""
        async with self._db.transaction() as uow:
            claimed = await uow.due.claim(
                self._opt.owner, self._clock.now(), self._opt.lease, self._opt.batch
            )
        for work in claimed:
            await self._run(work)
        return len(claimed)

    async def drain(self, budget: float = 4.0) -> int:
        """Tick while full batches keep coming, for at most ``budget`` seconds of wall time.

        A fan-out (thousands of check-ins at 09:00) is then worked through at once
        rather than one batch per scheduler interval; the budget keeps one call from
        outliving the interval that calls it.
        """
        started, ran = time.monotonic(), 0
        while True:
            done = await self.tick()
            ran += done
            if done < self._opt.batch or time.monotonic() - started >= budget:
                return ran

    async def _run(self, work: ClaimedWork) -> None:
        handler = self._handlers.get(work.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for due work kind {work.kind!r}")
            async with self._db.transaction() as uow:
                now = self._clock.now()
                outbound = await handler(uow, work, now)
                ids = await enqueue(uow, f"due|{work.key}", outbound, now)
                await uow.due.complete(work.id, self._opt.owner, now)
        except Exception as exc:
            log.exception("due work failed", extra={"due_id": work.id, "kind": work.kind})
            await self._failed(work, type(exc).__name__)
            return
        if ids and self._on_enqueued is not None:
            # An escalation's next round is a crisis message: it waits for no flood.
            self._on_enqueued(any(o.priority <= Priority.CRISIS for o in outbound))

    async def _failed(self, work: ClaimedWork, reason: str) -> None:
        async with self._db.transaction() as uow:
            if work.attempts >= self._opt.max_attempts:
                await uow.due.dead_letter(work.id, self._opt.owner, reason)
                log.error("due work dead letter", extra={"due_id": work.id, "kind": work.kind})
            else:
                when = self._clock.now() + self._opt.retry_delay * work.attempts
                await uow.due.retry_at(work.id, self._opt.owner, when, reason)


async def housekeeping(db: Database, clock: Clock, retention_days: int = 180) -> None:
    """Drop expired conversation state, old event ids and finished due work; erase who
    asked in connections and requests over for ``retention_days``."""
    now = clock.now()
    async with db.transaction() as uow:
        expired = await uow.conversations.purge_expired(now)
        events = await uow.events.purge_before(now - timedelta(days=7))
        done = await uow.due.purge_done(now - timedelta(days=30))
        outbox = await uow.outbox.purge_settled(now - timedelta(days=7), now - timedelta(days=30))
        # Who an escalation was about is kept a week after it settled, then forgotten.
        escalations = await uow.escalations.erase_subjects(now - timedelta(days=7))
        returned = await uow.programs.resume_returned(now.date())
        surveys = await uow.surveys.purge_expired(now)
        # Who met whom in a pairing round: kept while it helps avoid repeats, then erased.
        pairings = await uow.pairing.forget_groups(now.date() - timedelta(weeks=13))
        settled = await uow.privacy.purge_settled(now - timedelta(days=retention_days))
        admin = await uow.admin.purge(now)
    log.info(
        "housekeeping",
        extra={"states": expired, "events": events, "due_work": done, "outbox": outbox,
               "escalations": escalations, "supporters_back": returned,
               "survey_invites": surveys, "pairing_rounds": pairings,
               "connections_anonymised": settled, "admin_links_and_sessions": admin},
    )
