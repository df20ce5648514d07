"""The inbox: events recorded before the ack, their turns after it, nothing lost or doubled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.arrivals import Arrivals
from bot.errors import TemporarilyUnavailable
from bot.inbox import Inbox, InboxOptions
from bot.messages import Action, Inbound, Priority
from storage.db import Database, DatabaseUnavailable
from storage.models import InboundBatch, OutboxItem, ProcessedEvent
from tests.harness import Harness, PersonRef


async def _rows(db: Database, model: type[InboundBatch] | type[OutboxItem]) -> int:
    async with db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def _handled(db: Database) -> int:
    async with db.transaction() as uow:
        return int(await uow.session.scalar(
            select(func.count()).select_from(ProcessedEvent)) or 0)


def _restarted(h: Harness, owner: str = "restarted") -> Inbox:
    """The inbox of a new process on the same database (the old one died)."""
    return Inbox(h.runtime.engine, h.runtime.db, h.clock, InboxOptions(owner=owner),
                 Arrivals())


@pytest.fixture
async def ana(database: Database) -> tuple[Harness, PersonRef]:
    h = await Harness.start(database)
    return h, await h.person("Ana", email="ana@example.com")


async def test_an_accepted_event_is_recorded_sealed_and_has_its_turn_after(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    await h.runtime.inbox.accept(Inbound(h.author(who), "ev-1", text="my private words"))

    db = h.runtime.db
    assert await _handled(db) == 0 and await _rows(db, OutboxItem) == 0  # not yet its turn
    async with db.transaction() as uow:
        sealed = await uow.session.scalar(select(InboundBatch.sealed))
        assert await uow.inbox.waiting() == (1, h.clock.now())
    assert sealed and "private" not in sealed and "ana@" not in sealed

    assert await h.runtime.inbox.drain() == 1
    await h.runtime.worker.drain()
    assert await _rows(db, InboundBatch) == 0  # gone once its turn committed
    assert h.inbox(who).text()  # the reply went out
    assert (await h.runtime.inbox.waiting()) == (0, None)


async def test_crisis_language_has_its_turn_before_the_ack(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    await h.runtime.inbox.accept(Inbound(h.author(who), "ev-c", text="I want to end my life"))

    # Nothing waits behind anything: the crisis reply is in the outbox already.
    assert await _rows(h.runtime.db, InboundBatch) == 0
    await h.runtime.worker.drain()
    assert Priority.CRISIS in h.inbox(who).priorities


async def test_form_fields_are_screened_too(ana: tuple[Harness, PersonRef]) -> None:
    h, who = ana
    action = Action("form.submit", "t", {"note": "I am going to kill myself"})
    await h.runtime.inbox.accept(Inbound(h.author(who), "ev-f", action=action))
    assert await _rows(h.runtime.db, InboundBatch) == 0
    assert await _handled(h.runtime.db) == 1


async def test_a_crash_after_the_ack_loses_nothing(ana: tuple[Harness, PersonRef]) -> None:
    h, who = ana
    await h.runtime.inbox.accept(Inbound(h.author(who), "ev-1", text="help"))
    # The process dies here: nothing of the turn ran. A new one takes the event.
    assert await _restarted(h).drain() == 1
    await h.runtime.worker.drain()
    assert await _handled(h.runtime.db) == 1
    assert len(h.inbox(who)) == 1


async def test_a_batch_taken_again_after_a_crash_mid_way_changes_nothing_twice(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    await asyncio.gather(*(h.runtime.inbox.accept(Inbound(h.author(who), f"ev-{n}", text="help"))
                           for n in range(3)))
    async with h.runtime.db.transaction() as uow:  # the dying process's claim
        [batch] = await uow.inbox.claim("dead", h.clock.now(), timedelta(seconds=60), 10)
    assert batch.events is not None and len(batch.events) == 3
    await h.runtime.engine.handle(Inbound(h.author(who), "ev-0", text="help"))  # one turn done
    outbox = await _rows(h.runtime.db, OutboxItem)

    assert await _restarted(h).drain() == 0  # the lease still holds
    h.clock.advance(timedelta(seconds=61))
    assert await _restarted(h).drain() == 1
    assert await _handled(h.runtime.db) == 3
    assert await _rows(h.runtime.db, OutboxItem) == outbox + 2  # ev-0 was not turned twice
    assert await _rows(h.runtime.db, InboundBatch) == 0


async def test_a_platform_retry_of_a_waiting_event_has_one_effect(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    for _ in range(3):
        await h.runtime.inbox.accept(Inbound(h.author(who), "ev-same", text="help"))
    await h.runtime.inbox.drain()
    await h.runtime.worker.drain()
    assert await _handled(h.runtime.db) == 1
    assert len(h.inbox(who)) == 1


async def test_a_burst_shares_commits_and_keeps_its_order(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    await asyncio.gather(*(
        h.runtime.inbox.accept(Inbound(h.author(who), f"ev-{n:02d}", text="help"))
        for n in range(40)))
    batches = await _rows(h.runtime.db, InboundBatch)
    assert batches < 40
    async with h.runtime.db.transaction() as uow:
        waiting = await uow.inbox.claim("o", h.clock.now(), timedelta(seconds=60), 100)
    ids = [e["event_id"] for b in waiting for e in (b.events or [])]
    assert ids == [f"ev-{n:02d}" for n in range(40)]


async def test_events_received_in_the_next_loop_turns_share_the_commit(
    ana: tuple[Harness, PersonRef]
) -> None:
    """While requests are being received, a commit waits a few loop turns for those the
    loop reads meanwhile: under load, one commit for many requests."""
    h, who = ana

    async def request(n: int, turns_later: int) -> None:
        for _ in range(turns_later):
            await asyncio.sleep(0)
        with h.runtime.arrivals.arriving():
            await h.runtime.inbox.accept(Inbound(h.author(who), f"ev-{n}", text="help"))

    await asyncio.gather(request(0, 0), request(1, 2))
    assert await _rows(h.runtime.db, InboundBatch) == 1


async def test_an_event_outside_any_request_is_committed_at_once(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    first = asyncio.create_task(
        h.runtime.inbox.accept(Inbound(h.author(who), "ev-0", text="help")))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the commit has no request to wait for
    await h.runtime.inbox.accept(Inbound(h.author(who), "ev-1", text="help"))
    await first
    assert await _rows(h.runtime.db, InboundBatch) == 2


async def test_turns_give_way_to_requests_being_received(
    ana: tuple[Harness, PersonRef]
) -> None:
    h, who = ana
    arrivals = Arrivals(give_way_s=5.0)
    inbox = Inbox(h.runtime.engine, h.runtime.db, h.clock, InboxOptions(owner="o"), arrivals)
    await inbox.accept(Inbound(h.author(who), "ev-1", text="help"))
    with arrivals.arriving():
        turning = asyncio.create_task(inbox.drain())
        await asyncio.sleep(0.05)
        assert not turning.done()  # waiting for the request to be answered
        assert await _handled(h.runtime.db) == 0
    assert await turning == 1


async def test_when_nothing_can_be_recorded_the_platform_is_asked_to_retry(
    ana: tuple[Harness, PersonRef], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, who = ana

    async def down(*_args: object) -> None:
        raise DatabaseUnavailable("database is down")

    monkeypatch.setattr("storage.inbox.InboxWriter._write", down)
    with pytest.raises(TemporarilyUnavailable):
        await h.runtime.inbox.accept(Inbound(h.author(who), "ev-1", text="help"))
    monkeypatch.undo()
    assert await _rows(h.runtime.db, InboundBatch) == 0
    assert await _handled(h.runtime.db) == 0


async def test_settle_turns_everything_waiting(ana: tuple[Harness, PersonRef]) -> None:
    h, who = ana
    for n in range(5):
        await h.runtime.inbox.accept(Inbound(h.author(who), f"ev-{n}", text="help"))
    async with asyncio.timeout(5):
        await h.runtime.inbox.settle()
    assert await _handled(h.runtime.db) == 5


async def test_a_writer_stopped_mid_commit_leaves_nobody_waiting(
    ana: tuple[Harness, PersonRef], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, who = ana

    async def stuck(*_args: object) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr("storage.inbox.InboxWriter._write", stuck)
    accepting = [asyncio.create_task(h.runtime.inbox.accept(
        Inbound(h.author(who), f"ev-{n}", text="help"))) for n in range(3)]
    await asyncio.sleep(0.01)
    flusher = h.runtime.inbox._writer._flusher  # the process is stopping
    assert flusher is not None
    flusher.cancel()
    results = await asyncio.wait_for(asyncio.gather(*accepting, return_exceptions=True), 1)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
