"""The transactional outbox and the delivery worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from sqlalchemy import select

from bot.arrivals import Arrivals
from bot.clock import FrozenClock
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Outbound, Platform, Priority
from bot.outbox import enqueue
from bot.outbox_worker import OutboxWorker, WorkerOptions
from bot.ui import Card
from storage.db import Database
from storage.models import Identity, OutboxItem, Person
from tests.harness import RecordingSender


class CountingMetrics:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str]] = []

    def delivered(self, platform: str, outcome: str, reason: str) -> None:
        self.outcomes.append((outcome, reason))


async def _person(db: Database, email: str = "ana@example.com") -> int:
    async with db.transaction() as uow:
        person = Person(email=email, display_name="Ana")
        uow.session.add(person)
        await uow.session.flush()
        uow.session.add(Identity(person_id=person.id, platform="web", tenant="local",
                                 user_id=email))
        return person.id


async def _enqueue(db: Database, clock: FrozenClock, person_id: int, source: str,
                   *bodies: tuple[str, Priority]) -> list[int]:
    outbound = [Outbound(person_id, Card(text=t), "New message", priority=p)
                for t, p in bodies]
    async with db.transaction() as uow:
        return await enqueue(uow, source, outbound, clock.now())


def _worker(db: Database, sender: RecordingSender, clock: FrozenClock, owner: str = "w1",
            metrics: CountingMetrics | None = None, arrivals: Arrivals | None = None,
            **options: object) -> OutboxWorker:
    opts = WorkerOptions(owner=owner, **options)  # type: ignore[arg-type]
    return OutboxWorker(db, {Platform.WEB: sender}, clock, opts, metrics=metrics,
                        rng=random.Random(1), arrivals=arrivals)


async def test_crisis_messages_are_delivered_before_everything_else(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "a", ("bulk", Priority.BULK),
                   ("note", Priority.NOTIFICATION))
    await _enqueue(database, clock, pid, "b", ("crisis", Priority.CRISIS))
    await _worker(database, sender, clock, concurrency=1).drain()
    texts = [d.body.text for d in sender.deliveries]
    assert texts[0] == "crisis" and sorted(texts) == ["bulk", "crisis", "note"]


async def test_while_requests_arrive_deliveries_go_one_per_wait(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "a", *((f"note {n}", Priority.REPLY) for n in range(3)))
    arrivals = Arrivals(give_way_s=0.3)
    worker = _worker(database, sender, clock, arrivals=arrivals)
    with arrivals.arriving():  # a flood: never quiet while the worker runs
        draining = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.1)
        assert sender.deliveries == []  # the first wait is not over
        await asyncio.sleep(0.35)
        assert 1 <= len(sender.deliveries) < 3  # one row per wait, not the whole batch
        assert await asyncio.wait_for(draining, 5) == 3


async def test_a_crisis_reply_cuts_in_while_requests_arrive(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    arrivals = Arrivals(give_way_s=30.0)
    worker = _worker(database, sender, clock, arrivals=arrivals)
    with arrivals.arriving():
        await _enqueue(database, clock, pid, "a", ("note", Priority.REPLY))
        draining = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.02)
        assert sender.deliveries == []  # giving way
        await _enqueue(database, clock, pid, "c", ("crisis", Priority.CRISIS))
        worker.wake(urgent=True)
        await asyncio.wait_for(draining, 5)
    assert sender.deliveries[0].body.text == "crisis"


async def test_enqueue_is_idempotent_per_source(database: Database) -> None:
    clock = FrozenClock()
    pid = await _person(database)
    first = await _enqueue(database, clock, pid, "same", ("hi", Priority.REPLY))
    again = await _enqueue(database, clock, pid, "same", ("hi", Priority.REPLY))
    assert len(first) == 1 and again == []


async def test_payload_is_encrypted_at_rest_and_erased_once_sent(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "s", ("a private invitation", Priority.REPLY))
    async with database.transaction() as uow:
        payload = await uow.session.scalar(select(OutboxItem.payload))
    assert payload and "private" not in payload
    await _worker(database, sender, clock).drain()
    async with database.transaction() as uow:
        item = (await uow.session.scalars(select(OutboxItem))).one()
    assert (item.status, item.payload) == ("sent", None)


async def test_retry_after_is_honoured(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "r", ("hello", Priority.REPLY))
    sender.fail_next = [DeliveryResult.retry(30, "rate_limited")]
    worker = _worker(database, sender, clock)
    await worker.drain()
    assert sender.deliveries == []
    clock.advance(timedelta(seconds=29))
    await worker.drain()
    assert sender.deliveries == []
    clock.advance(timedelta(seconds=2))
    await worker.drain()
    assert [d.body.text for d in sender.deliveries] == ["hello"]


async def test_failures_back_off_then_dead_letter_counted(database: Database) -> None:
    clock, sender, metrics = FrozenClock(), RecordingSender(), CountingMetrics()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "f", ("doomed", Priority.REPLY))
    sender.fail_next = [DeliveryResult.failed("boom")] * 3
    worker = _worker(database, sender, clock, metrics=metrics, max_attempts=3)
    for _ in range(3):
        await worker.drain()
        clock.advance(timedelta(hours=1))
    async with database.transaction() as uow:
        assert await uow.outbox.counts() == {"dead": 1}
    assert metrics.outcomes[-1] == ("failed", "dead_letter")
    assert sender.deliveries == []


async def test_crash_between_claim_and_send_is_recovered_after_the_lease(
    database: Database,
) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "c", ("survives", Priority.REPLY))
    async with database.transaction() as uow:  # worker A claims, then "dies"
        claimed = await uow.outbox.claim("dead-worker", clock.now(), timedelta(seconds=60), 10,
                                         platforms=["web"])
    assert len(claimed) == 1
    survivor = _worker(database, sender, clock, owner="w2")
    await survivor.drain()
    assert sender.deliveries == []  # the lease still holds
    clock.advance(timedelta(seconds=61))
    await survivor.drain()
    assert [d.body.text for d in sender.deliveries] == ["survives"]
    # Nobody knows whether the dead worker's attempt reached the platform: the sender is
    # told, so it can look before posting again (Slack does).
    assert [d.in_doubt for d in sender.deliveries] == [True]


async def test_a_retry_the_worker_recorded_is_not_in_doubt(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    sender.fail_next = [DeliveryResult.retry(1.0, "network")]
    pid = await _person(database)
    await _enqueue(database, clock, pid, "r", ("again", Priority.REPLY))
    worker = _worker(database, sender, clock)
    await worker.drain()
    clock.advance(timedelta(seconds=5))
    await worker.drain()
    assert [d.in_doubt for d in sender.deliveries] == [False]


class SendsThenCrashes(RecordingSender):
    """Delivers, then dies before the worker can record it (the worst moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    async def send(self, delivery: Delivery) -> DeliveryResult:
        await super().send(delivery)
        if self.crash:
            self.crash = False
            raise ConnectionResetError("process died")
        return DeliveryResult.sent()


async def test_a_send_that_fails_midway_is_retried_never_lost_never_doubled(
    database: Database,
) -> None:
    clock, sender = FrozenClock(), SendsThenCrashes()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "m", ("exactly once", Priority.REPLY))
    worker = _worker(database, sender, clock)
    await worker.drain()
    clock.advance(timedelta(minutes=5))
    await worker.drain()
    assert [d.body.text for d in sender.deliveries] == ["exactly once"]
    keys = {d.key for d in sender.deliveries}
    assert len(keys) == 1
    async with database.transaction() as uow:
        assert await uow.outbox.counts() == {"sent": 1}


async def test_undeliverable_address_is_marked_and_not_retried(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "u", ("gone", Priority.REPLY))
    sender.fail_next = [DeliveryResult.undeliverable("user_not_found")]
    await _worker(database, sender, clock).drain()
    await _enqueue(database, clock, pid, "u2", ("next", Priority.REPLY))
    async with database.transaction() as uow:
        counts = await uow.outbox.counts()
        identity = (await uow.session.scalars(select(Identity))).one()
    assert counts == {"undeliverable": 1, "unaddressed": 1}
    assert identity.undeliverable == "user_not_found"


async def test_a_sender_that_raises_is_retried_with_backoff(database: Database) -> None:
    clock = FrozenClock()

    class Flaky(RecordingSender):
        calls = 0

        async def send(self, delivery: Delivery) -> DeliveryResult:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise TimeoutError
            return await super().send(delivery)

    sender = Flaky()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "t", ("later", Priority.REPLY))
    worker = _worker(database, sender, clock)
    await worker.drain()
    assert sender.deliveries == []
    clock.advance(timedelta(seconds=3))  # the first backoff is at most 2 s
    await worker.drain()
    assert [d.body.text for d in sender.deliveries] == ["later"]


async def test_an_unreadable_row_is_set_aside_and_the_rest_still_go(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "old", ("sealed with a retired key", Priority.REPLY))
    from storage.crypto import Cipher

    retired = Cipher([Cipher.generate_key()])
    async with database.transaction() as uow:
        item = (await uow.session.scalars(select(OutboxItem))).one()
        item.payload = retired.encrypt({"body": {}})
    await _enqueue(database, clock, pid, "crisis", ("help now", Priority.CRISIS))
    await _worker(database, sender, clock).drain()
    assert [d.body.text for d in sender.deliveries] == ["help now"]
    async with database.transaction() as uow:
        assert await uow.outbox.counts() == {"dead": 1, "sent": 1}


async def test_a_crisis_reply_is_never_given_up_on(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "c", ("stay", Priority.CRISIS))
    sender.fail_next = [DeliveryResult.failed("down")] * 12 + [DeliveryResult.retry(1)] * 12
    worker = _worker(database, sender, clock, max_attempts=2)
    for _ in range(30):
        await worker.drain()
        clock.advance(timedelta(seconds=31))  # crisis retries are capped at 30 s apart
    assert [d.body.text for d in sender.deliveries] == ["stay"]


async def test_waiting_messages_go_once_the_person_can_be_reached(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    async with database.transaction() as uow:
        person = Person(email="new@example.com")
        uow.session.add(person)
        await uow.session.flush()
        pid = person.id
    await _enqueue(database, clock, pid, "w", ("welcome aboard", Priority.NOTIFICATION))
    async with database.transaction() as uow:
        assert await uow.outbox.counts() == {"unaddressed": 1}
        identity = Identity(person_id=pid, platform="web", tenant="local",
                            user_id="new@example.com")
        uow.session.add(identity)
        await uow.session.flush()
        assert await uow.outbox.readdress(pid, identity.id, "web", clock.now()) == 1
    await _worker(database, sender, clock).drain()
    assert [d.body.text for d in sender.deliveries] == ["welcome aboard"]


async def test_settled_delivery_records_are_purged(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "p", ("old news", Priority.REPLY))
    await _worker(database, sender, clock).drain()
    async with database.transaction() as uow:
        assert await uow.outbox.purge_settled(clock.now(), clock.now()) == 0
        later = clock.now() + timedelta(days=8)
        assert await uow.outbox.purge_settled(later, later) == 1
        assert await uow.outbox.counts() == {}


async def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(
    database: Database,
) -> None:
    clock, metrics = FrozenClock(), CountingMetrics()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "l", ("slow", Priority.REPLY))
    taken_over: list[bool] = []

    class SlowSender(RecordingSender):
        async def send(self, delivery: Delivery) -> DeliveryResult:
            # While we were sending, our lease ended and another worker claimed the row.
            clock.advance(timedelta(minutes=5))
            async with database.transaction() as uow:
                got = await uow.outbox.claim("w2", clock.now(), timedelta(minutes=5), 10,
                                             platforms=["web"])
            taken_over.append(bool(got))
            return await super().send(delivery)

    await _worker(database, SlowSender(), clock, metrics=metrics).drain()
    assert taken_over == [True]
    assert metrics.outcomes == [("failed", "lease_lost")]
    async with database.transaction() as uow:
        assert await uow.outbox.counts() == {"claimed": 1}  # still w2's to settle


async def test_our_own_pacing_never_uses_up_attempts(database: Database) -> None:
    clock, sender = FrozenClock(), RecordingSender()
    pid = await _person(database)
    await _enqueue(database, clock, pid, "d", ("patience", Priority.BULK))
    sender.fail_next = [DeliveryResult.defer(1.0)] * 20
    worker = _worker(database, sender, clock, max_attempts=2)
    for _ in range(21):
        await worker.drain()
        clock.advance(timedelta(seconds=1))
    assert [d.body.text for d in sender.deliveries] == ["patience"]
