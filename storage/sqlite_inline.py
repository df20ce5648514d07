"""SQLite for SQLAlchemy's asyncio engine, run inline on the event loop.

aiosqlite runs every call on a helper thread: each statement costs four thread
hops, more than SQLite's own work on a local file (bench/engine.py measured 290
turns/s through aiosqlite and 560 inline). This module hands SQLAlchemy,
through its public ``async_creator`` hook, the awaitable connection API its
aiosqlite adapter expects, and does each call directly.

What keeps the loop from waiting on a lock: ``Database`` gives SQLite a pool of
one connection (work in this process queues for it without blocking the loop),
every transaction starts with ``BEGIN IMMEDIATE``, and when another process
(``peerlink chat``, ``import-org``) holds the lock, the statement is retried
after an asyncio sleep instead of SQLite's blocking busy wait. Nothing may
await anything but the database inside a unit of work.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from typing import Any

# How long to keep retrying while another process holds the write lock. The
# waits are asyncio sleeps: the loop serves everything else meanwhile.
BUSY_TIMEOUT_S = 10.0
_FIRST_WAIT_S = 0.002
_MAX_WAIT_S = 0.1


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        waited, pause = 0.0, _FIRST_WAIT_S
        while True:
            try:
                self._cursor.execute(sql, parameters)
                return self
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or waited >= BUSY_TIMEOUT_S:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, _MAX_WAIT_S)

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, seq)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row


class _CursorContext:
    """What aiosqlite's ``cursor()`` returns: awaitable, and an async context manager."""

    def __init__(self, cursor: InlineCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        return self._ready().__await__()

    async def _ready(self) -> InlineCursor:
        return self._cursor

    async def __aenter__(self) -> InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class _Immediate:
    """Stands in for aiosqlite's request queue: runs the request at once."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # the adapter checks it is open
        self._tx = _Immediate()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _CursorContext:
        return _CursorContext(InlineCursor(self._conn.cursor()))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def creator(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine`` opening ``path``."""

    async def connect() -> InlineConnection:
        # isolation_level=None: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE.
        conn = sqlite3.connect(
            path, timeout=0, isolation_level=None, check_same_thread=False,
            uri=path.startswith("file:"),
        )
        return InlineConnection(conn)

    return connect
