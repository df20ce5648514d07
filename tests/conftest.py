"""Shared fixtures: a network guard, databases (SQLite always, PostgreSQL when set)."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.crypto import Cipher
from storage.db import Database
from storage.models import Base

PG_ENV = "PEERLINK_TEST_DATABASE_URL"
TEST_KEY = Cipher.generate_key()


# --- No test reaches beyond loopback -------------------------------------------------

def _is_loopback(host: Any) -> bool:
    if host in (None, "localhost", "") or not isinstance(host, str | bytes):
        return host in (None, "localhost")
    name = host.decode() if isinstance(host, bytes) else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guard_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback(host):
            raise RuntimeError(f"a test tried to reach the network: {host!r}")


def _connect(self: socket.socket, address: Any) -> None:
    _guard_address(self, address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _guard_address(self, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback(host):
        raise RuntimeError(f"a test tried to resolve a network name: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


# --- Databases ------------------------------------------------------------------------

def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh, migrated PostgreSQL database for this test session (None if not set)."""
    admin = _pg_admin_url()
    if admin is None:
        yield None
        return
    name = f"peerlink_test_{uuid.uuid4().hex[:10]}"
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)

    async def create() -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        db = Database(url, Cipher([TEST_KEY]))
        await db.migrate()
        await db.dispose()

    async def drop() -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    asyncio.run(create())
    yield url
    asyncio.run(drop())


async def _truncate(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite always, PostgreSQL when PEERLINK_TEST_DATABASE_URL
    is set."""
    if request.param == "postgres":
        if postgres_url is None:
            pytest.skip(f"{PG_ENV} is not set")
        db = Database(postgres_url, Cipher([TEST_KEY]))
        await _truncate(db)
    else:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/test.db", Cipher([TEST_KEY]))
        await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/test.db", Cipher([TEST_KEY]))
    await db.migrate()
    yield db
    await db.dispose()
