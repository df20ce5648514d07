"""Durable due work: scheduling, running, retries, and concurrent claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.messages import Outbound, Priority
from bot.scheduling import DueWorkRunner, RunnerOptions
from bot.ui import Card
from storage.crypto import Cipher
from storage.db import Database, UnitOfWork
from storage.duework import ClaimedWork
from storage.models import Person
from tests.conftest import TEST_KEY


async def _schedule(db: Database, clock: FrozenClock, n: int, kind: str = "nudge") -> None:
    async with db.transaction() as uow:
        for i in range(n):
            await uow.due.schedule(kind, f"{kind}:{i}", clock.now() - timedelta(seconds=1),
                                   {"n": i})


async def test_schedule_is_idempotent_per_key(database: Database) -> None:
    clock = FrozenClock()
    async with database.transaction() as uow:
        assert await uow.due.schedule("x", "k", clock.now())
        assert not await uow.due.schedule("x", "k", clock.now())


async def test_runner_runs_due_work_and_writes_its_messages(database: Database) -> None:
    clock = FrozenClock()
    async with database.transaction() as uow:
        person = Person(email="a@example.com")
        uow.session.add(person)
        await uow.session.flush()
        await uow.due.schedule("hello", "hello:1", clock.now() + timedelta(minutes=5),
                               {"person_id": person.id})

        await uow.due.schedule("alert", "alert:1", clock.now() + timedelta(minutes=6),
                               {"person_id": person.id})

    async def hello(uow: UnitOfWork, work: ClaimedWork, now: datetime) -> list[Outbound]:
        pid = int(work.payload["person_id"])
        return [Outbound(pid, Card(text="time to check in"), "Peerlink", Priority.BULK)]

    async def alert(uow: UnitOfWork, work: ClaimedWork, now: datetime) -> list[Outbound]:
        pid = int(work.payload["person_id"])
        return [Outbound(pid, Card(text="on call: please answer"), "Peerlink", Priority.CRISIS)]

    woken: list[bool] = []  # each wake: whether a crisis message is waiting (urgent)
    runner = DueWorkRunner(database, clock, {"hello": hello, "alert": alert},
                           RunnerOptions(owner="r"), on_enqueued=woken.append)
    assert await runner.tick() == 0  # not due yet
    clock.advance(timedelta(minutes=5))
    assert await runner.tick() == 1
    assert await runner.tick() == 0  # done, never twice
    async with database.transaction() as uow:
        assert sum((await uow.outbox.counts()).values()) == 1
    assert woken == [False]
    clock.advance(timedelta(minutes=1))
    assert await runner.tick() == 1
    assert woken == [False, True]


async def test_failing_work_is_retried_then_dead_lettered(database: Database) -> None:
    clock = FrozenClock()
    await _schedule(database, clock, 1, kind="broken")
    calls: list[int] = []

    async def broken(uow: UnitOfWork, work: ClaimedWork, now: datetime) -> list[Outbound]:
        calls.append(work.attempts)
        raise ValueError("nope")

    runner = DueWorkRunner(database, clock, {"broken": broken},
                           RunnerOptions(owner="r", max_attempts=3))
    for _ in range(5):
        await runner.tick()
        clock.advance(timedelta(hours=1))
    assert calls == [1, 2, 3]


async def test_concurrent_workers_never_take_the_same_row(database: Database) -> None:
    """Four workers with their own connections race to claim 300 due rows."""
    clock = FrozenClock()
    await _schedule(database, clock, 300)
    workers = [Database(database.url, Cipher([TEST_KEY])) for _ in range(4)]
    taken: list[list[int]] = [[] for _ in workers]

    async def drain(i: int) -> None:
        while True:
            async with workers[i].transaction() as uow:
                got = await uow.due.claim(f"w{i}", clock.now(), timedelta(minutes=5), 7)
            if not got:
                return
            taken[i] += [w.id for w in got]
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(drain(i) for i in range(len(workers))))
    finally:
        for w in workers:
            await w.dispose()
    every = [i for ids in taken for i in ids]
    assert len(every) == 300 and len(set(every)) == 300


async def test_skip_locked_hands_a_second_claimer_other_rows(database: Database) -> None:
    """Two open transactions claiming at once on PostgreSQL: disjoint rows, no waiting."""
    if not database.is_postgres:
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite has a single writer")
    clock = FrozenClock()
    await _schedule(database, clock, 10)
    other = Database(database.url, Cipher([TEST_KEY]))
    try:
        async with database.transaction() as a:
            first = await a.due.claim("a", clock.now(), timedelta(minutes=5), 6)
            async with other.transaction() as b:  # A has not committed yet
                second = await asyncio.wait_for(
                    b.due.claim("b", clock.now(), timedelta(minutes=5), 6), timeout=5
                )
    finally:
        await other.dispose()
    ids_a, ids_b = {w.id for w in first}, {w.id for w in second}
    assert len(ids_a) == 6 and len(ids_b) == 4 and not ids_a & ids_b


async def test_a_fan_out_is_worked_through_in_one_drain(sqlite_db: Database) -> None:
    """Thousands due at once (check-ins at 09:00) go in one call, batch after batch."""
    seen: list[str] = []

    async def handler(_uow: Any, work: Any, _now: Any) -> list[Any]:
        seen.append(work.key)
        return []

    clock = FrozenClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    async with sqlite_db.transaction() as uow:
        for n in range(250):
            await uow.due.schedule("fan", f"fan:{n}", clock.now())
    runner = DueWorkRunner(sqlite_db, clock, {"fan": handler},
                           RunnerOptions(owner="t", batch=100))
    assert await runner.drain() == 250
    assert sorted(seen) == sorted(f"fan:{n}" for n in range(250))
    assert await runner.drain() == 0
