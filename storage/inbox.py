"""Inbound events between the platform's acknowledgement and their turns.

:class:`InboxWriter` records events many to a commit (group commit): each
caller waits for the commit that holds its event, so an acknowledgement never
comes before the write. Everything waiting when a commit starts goes into one
sealed row, so a burst costs one encryption, one row and one transaction per
batch instead of per event. :class:`InboxRepository`, in a unit of work, leases
waiting batches to a worker and deletes each once all its turns have committed.
Stored events live only until then.

No key on the event id here: a platform's retry of an event still waiting is
written again, and its turn is the one skipped (the engine records each event id
it handles, in the turn's transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.crypto import Cipher, CipherError
from storage.models import InboundBatch

# Events per row: a worker turns a whole row under one lease, so it stays small
# enough to finish well within the lease even when turns give way to arrivals.
MAX_BATCH = 100
# Loop turns a commit waits, while platform requests are being received, for the
# requests read meanwhile to add their events.
GATHER_TURNS = 4

Event = dict[str, Any]


@dataclass(frozen=True)
class WaitingBatch:
    id: int
    events: list[Event] | None  # None: sealed with a key no longer configured
    attempts: int  # this claim included


class Clock(Protocol):
    def now(self) -> datetime: ...


class Appends(Protocol):
    cipher: Cipher

    async def append(self, table: Table, row: Mapping[str, Any]) -> None: ...


class InboxWriter:
    """Group commit for inbound events: ``add`` returns once its event is committed."""

    def __init__(
        self,
        db: Appends,
        clock: Clock,
        *,
        max_batch: int = MAX_BATCH,
        arriving: Callable[[], int] = lambda: 0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._max = max_batch
        # Requests being received now: each will likely add an event, so a commit
        # about to start waits a few loop turns for them (bigger batches, fewer commits).
        self._arriving = arriving
        self._waiting: list[tuple[Event, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, event: Event) -> None:
        """Commit ``event`` (a JSON-able mapping) with whatever else is waiting; raises
        what the database raised (``DatabaseUnavailable``) when it was not written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, future))
        if self._flusher is None:
            # A task of its own: the batch outlives any one caller (a client that
            # hangs up does not cancel the write of everyone else's events).
            self._flusher = asyncio.create_task(self._flush(), name="inbox-writer")
        await future

    async def _flush(self) -> None:
        batch: list[tuple[Event, asyncio.Future[None]]] = []
        try:
            # While requests are being received, those the loop reads in its next few
            # turns add their events too: a commit holds a flood's worth of events, not
            # just the turn's (a commit costs about as much for 1 event as for 20).
            for _ in range(GATHER_TURNS):
                if len(self._waiting) >= self._max or not self._arriving():
                    break
                await asyncio.sleep(0)
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max], self._waiting[self._max:]
                try:
                    await self._write([event for event, _ in batch])
                except Exception as exc:
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
                batch = []
        finally:
            # Cancelled (the process is stopping): nobody may wait for a commit that
            # will never come; their requests fail and the platform sends them again.
            _settle(batch + self._waiting, asyncio.CancelledError())
            self._waiting = []
            self._flusher = None

    async def _write(self, events: Sequence[Event]) -> None:
        await self._db.append(cast(Table, InboundBatch.__table__), {
            "sealed": self._db.cipher.encrypt(list(events)), "events": len(events),
            "received_at": self._clock.now(), "status": "pending", "attempts": 0,
            "lease_owner": "", "lease_until": None,
        })


def _settle(waiting: Sequence[tuple[Event, asyncio.Future[None]]],
            error: BaseException | None) -> None:
    for _, future in waiting:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        elif isinstance(error, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(error)


class InboxRepository:
    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def claim(
        self, owner: str, now: datetime, lease: timedelta, limit: int
    ) -> list[WaitingBatch]:
        """Lease up to ``limit`` waiting batches, oldest first (and any whose lease ran
        out)."""
        ids = await leases.claim(
            self._session, InboundBatch, ready=InboundBatch.status == "pending",
            order_by=[InboundBatch.id], owner=owner, now=now, lease=lease, limit=limit,
        )
        if not ids:
            return []
        rows = await self._session.execute(
            select(InboundBatch.id, InboundBatch.sealed, InboundBatch.attempts)
            .where(InboundBatch.id.in_(ids)).order_by(InboundBatch.id)
        )
        return [WaitingBatch(row.id, self._open(row.sealed), row.attempts) for row in rows]

    def _open(self, sealed: str) -> list[Event] | None:
        try:
            events = self._cipher.decrypt(sealed)
        except CipherError:
            return None
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else None

    async def done(self, batch_id: int) -> None:
        """Every turn in the batch is committed (or was a duplicate): the events go."""
        await self._session.execute(delete(InboundBatch).where(InboundBatch.id == batch_id))

    async def waiting(self) -> tuple[int, datetime | None]:
        """How many events wait for their turns, and when the oldest batch was written."""
        row = (await self._session.execute(
            select(func.coalesce(func.sum(InboundBatch.events), 0),
                   func.min(InboundBatch.received_at))
        )).one()
        return int(row[0]), row[1]
