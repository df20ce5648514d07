"""Storage rules that the rest of the program relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from bot.clock import FrozenClock
from bot.errors import ConfigError
from bot.settings import database_url
from storage.db import Conflict, Database, DatabaseUnavailable, NestedTransaction
from storage.models import InboundBatch
from storage.people import IdentityKey


async def test_a_unit_of_work_inside_another_is_refused(database: Database) -> None:
    async with database.transaction():
        with pytest.raises(NestedTransaction):
            async with database.transaction():
                pass


async def test_event_ids_are_deduplicated_per_tenant(database: Database) -> None:
    now = FrozenClock().now()
    async with database.transaction() as uow:
        assert await uow.events.first_time("teams", "tenant-a", "1", now)
        assert await uow.events.first_time("teams", "tenant-b", "1", now)
        assert not await uow.events.first_time("teams", "tenant-a", "1", now)


async def test_one_person_across_platforms_is_linked_by_email(database: Database) -> None:
    now = FrozenClock().now()
    async with database.transaction() as uow:
        slack, _, first = await uow.people.resolve(
            IdentityKey("slack", "T1", "U1", email="Ana@Example.com"), now)
        teams, _, _ = await uow.people.resolve(
            IdentityKey("teams", "tid", "aad-1", email="ana@example.com"), now)
        again, _, later = await uow.people.resolve(IdentityKey("slack", "T1", "U1"), now)
    assert first and not later
    assert slack.id == teams.id == again.id


async def test_scheduling_the_same_key_twice_keeps_one_row(database: Database) -> None:
    now = FrozenClock().now()
    async with database.transaction() as uow:
        assert await uow.due.schedule("x", "same", now)
    async with database.transaction() as uow:
        assert not await uow.due.schedule("x", "same", now)


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("", "sqlite+aiosqlite:///peerlink.db"),
        ("postgres://u:p@db/x", "postgresql+asyncpg://u:p@db/x"),
        ("postgresql://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("sqlite:///data/p.db", "sqlite+aiosqlite:///data/p.db"),
    ],
)
def test_database_urls_are_normalised_to_the_async_drivers(raw: str, url: str) -> None:
    assert database_url(raw) == url


@pytest.mark.parametrize("raw", ["foo", "mysql://u@db/x", "postgresql+psycopg2://u@db/x"])
def test_unsupported_database_urls_are_configuration_errors(raw: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database_url(raw)


async def test_another_process_holding_sqlite_does_not_freeze_the_loop(
    sqlite_db: Database,
) -> None:
    """While another process holds the write lock, we wait with the loop still serving."""
    import asyncio
    import sqlite3

    from sqlalchemy.engine import make_url

    path = make_url(sqlite_db.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # "another process" takes the write lock
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with sqlite_db.transaction() as uow:
            await uow.due.schedule("x", "waited", FrozenClock().now())

    beat = asyncio.create_task(heartbeat())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done() and ticks >= 10  # waiting, and the loop kept running
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, timeout=5)
    beat.cancel()
    async with sqlite_db.transaction() as uow:
        assert not await uow.due.schedule("x", "waited", FrozenClock().now())


@contextlib.contextmanager
def _locked_too_long(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another process holds the SQLite write lock for longer than we wait."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from storage import sqlite_inline

    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.05)
    path = make_url(db.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _batch_row(sealed: str, events: int, when: datetime) -> dict[str, object]:
    return {"sealed": sealed, "events": events, "received_at": when, "status": "pending",
            "attempts": 0, "lease_owner": "", "lease_until": None}


BATCHES = cast(Table, InboundBatch.__table__)


async def test_sqlite_held_by_another_process_too_long_is_unavailable(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write lock never given back: the transaction fails as unavailable, not hung."""
    with _locked_too_long(sqlite_db, monkeypatch), pytest.raises(DatabaseUnavailable):
        async with sqlite_db.transaction() as uow:
            await uow.due.schedule("x", "never", FrozenClock().now())
    async with sqlite_db.transaction() as uow:  # the connection is fine afterwards
        assert await uow.due.schedule("x", "now", FrozenClock().now())


async def test_append_stores_what_the_orm_reads_back(database: Database) -> None:
    """The inbox's cheap insert (straight to the driver on SQLite) stores values as
    SQLAlchemy would: an aware UTC time comes back equal, text and numbers unchanged."""
    when = FrozenClock().now()
    for n in (1, 2):
        await database.append(BATCHES, _batch_row(f"sealed-{n} é", n, when))
    async with database.transaction() as uow:
        rows = (await uow.session.scalars(select(InboundBatch).order_by(InboundBatch.id))).all()
    assert [(r.sealed, r.events, r.received_at, r.lease_until) for r in rows] == [
        ("sealed-1 é", 1, when, None), ("sealed-2 é", 2, when, None)]


async def test_a_refused_append_is_a_conflict_and_changes_nothing(database: Database) -> None:
    when = FrozenClock().now()
    with pytest.raises(Conflict):
        await database.append(BATCHES, {**_batch_row("x", 1, when), "sealed": None})
    await database.append(BATCHES, _batch_row("y", 1, when))  # no transaction left open
    async with database.transaction() as uow:
        assert await uow.inbox.waiting() == (1, when)


async def test_append_gives_up_as_unavailable_when_locked_too_long(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _batch_row("x", 1, FrozenClock().now())
    with _locked_too_long(sqlite_db, monkeypatch), pytest.raises(DatabaseUnavailable):
        await sqlite_db.append(BATCHES, row)
    await sqlite_db.append(BATCHES, row)  # the lock is free again: written
    async with sqlite_db.transaction() as uow:
        count, _oldest = await uow.inbox.waiting()
    assert count == 1


async def test_long_event_ids_are_kept_as_digests(database: Database) -> None:
    now = FrozenClock().now()
    long_id = "web:" + "x" * 300
    async with database.transaction() as uow:
        assert await uow.events.first_time("web", "local", long_id, now)
        assert not await uow.events.first_time("web", "local", long_id, now)
        assert await uow.events.first_time("web", "local", long_id + "y", now)


async def test_the_migrations_build_exactly_the_models(database: Database) -> None:
    """Alembic's autogenerate finds nothing to do: no model change lacks a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_a_sqlite_checkpoint_copies_the_log_off_the_event_loop(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as uow:
        await uow.programs.ensure("peer_support")
    found = await sqlite_db.checkpoint()
    assert found is not None
    log_pages, copied = found
    assert log_pages > 0 and copied == log_pages
