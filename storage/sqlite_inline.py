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
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect

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


class Appender:
    """Single-row inserts, each in a transaction of its own, on a connection of its own.

    For the inbox's group commit, which runs on every platform request: through
    SQLAlchemy's execution path a transaction costs about 0.4 ms of Python, straight
    to the driver about a tenth of that. SQLAlchemy still compiles each statement
    (once per table and set of columns) and its columns' bind processors turn the
    values into what it would have stored. The write lock is taken up front
    (``BEGIN IMMEDIATE``), with the same asyncio waits as every other statement when
    someone else holds it, and nothing is awaited while it is held.
    """

    def __init__(self, path: str, dialect: Dialect, prepare: Callable[[Any], None]) -> None:
        self._path = path
        self._dialect = dialect
        self._prepare = prepare  # the pragmas every connection of the engine gets
        self._conn: sqlite3.Connection | None = None
        self._statements: dict[tuple[str, tuple[str, ...]], _Statement] = {}

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        statement = self._statement(table, tuple(row))
        conn = self._connection()
        cursor = conn.cursor()
        try:
            await InlineCursor(cursor).execute("BEGIN IMMEDIATE")
            try:
                cursor.execute(statement.sql, statement.parameters(row))
                conn.commit()
            except BaseException:
                if conn.in_transaction:  # the next append must find no transaction open
                    conn.rollback()
                raise
        finally:
            cursor.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, timeout=0, isolation_level=None,
                                   check_same_thread=False, uri=self._path.startswith("file:"))
            self._prepare(conn)
            self._conn = conn
        return self._conn

    def _statement(self, table: Table, keys: tuple[str, ...]) -> _Statement:
        found = self._statements.get((table.name, keys))
        if found is None:
            compiled = insert(table).compile(dialect=self._dialect, column_keys=list(keys))
            order = list(compiled.positiontup or ())
            if sorted(order) != sorted(keys):  # a default SQLAlchemy would have added
                raise ValueError(f"{table.name}: give every column to insert ({order})")
            found = _Statement(compiled.string, [
                (key, table.c[key].type.bind_processor(self._dialect)) for key in order])
            self._statements[(table.name, keys)] = found
        return found


class _Statement:
    def __init__(self, sql: str, binds: list[tuple[str, Callable[[Any], Any] | None]]) -> None:
        self.sql = sql
        self._binds = binds

    def parameters(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[key] if process is None else process(row[key])
                for key, process in self._binds]
