"""One database per process: engine, session factory, units of work, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, event, insert, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

from storage import sqlite_inline
from storage.admin import AdminRepository
from storage.checkins import CheckinRepository
from storage.concerns import ConcernRepository
from storage.content import ContentRepository
from storage.conversations import ConversationRepository
from storage.crypto import Cipher
from storage.duework import DueWorkRepository
from storage.escalations import EscalationRepository
from storage.events import EventRepository
from storage.inbox import InboxRepository
from storage.insights import InsightsRepository
from storage.installations import InstallationRepository, OAuthStateRepository
from storage.meetings import MeetingRepository
from storage.nudges import NudgeRepository
from storage.outbox import OutboxRepository
from storage.pairing import PairingRepository
from storage.people import PeopleRepository
from storage.privacy import PrivacyRepository
from storage.programs import ProgramRepository
from storage.roster import RosterCache
from storage.support import SupportRepository
from storage.surveys import SurveyRepository


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or stayed busy; safe to show an operator."""


class Conflict(RuntimeError):
    """A write collided with a concurrent one (a unique key); retrying usually succeeds."""


class NestedTransaction(RuntimeError):
    """A unit of work was opened inside another: with SQLite's single connection it
    would wait for itself forever."""



class NotMigrated(RuntimeError):
    """The schema is missing or behind the code."""


class UnitOfWork:
    """One transaction and the repositories that work inside it."""

    def __init__(
        self, session: AsyncSession, cipher: Cipher, rosters: RosterCache | None = None
    ) -> None:
        self.session = session
        self.people = PeopleRepository(session)
        self.programs = ProgramRepository(session)
        self.conversations = ConversationRepository(session)
        self.events = EventRepository(session)
        self.inbox = InboxRepository(session, cipher)
        self.outbox = OutboxRepository(session, cipher)
        self.due = DueWorkRepository(session)
        self.installations = InstallationRepository(session, cipher)
        self.oauth_states = OAuthStateRepository(session)
        self.escalations = EscalationRepository(session, cipher)
        self.support = SupportRepository(session, cipher, rosters or RosterCache())
        self.meetings = MeetingRepository(session, cipher)
        self.surveys = SurveyRepository(session)
        self.checkins = CheckinRepository(session, cipher)
        self.nudges = NudgeRepository(session)
        self.pairing = PairingRepository(session, cipher)
        self.privacy = PrivacyRepository(session, cipher)
        self.concerns = ConcernRepository(session, cipher)
        self.admin = AdminRepository(session)
        self.insights = InsightsRepository(session, cipher)
        self.content = ContentRepository(session)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints (which wait for the disk) run off the event loop (Database.checkpoint,
    # every second in `serve`); this one is the safety net for processes that run none.
    cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cur.close()


AUTOCHECKPOINT_PAGES = 10_000  # SQLite's default is 1,000 (4 MB of WAL)


def _begin_immediate(conn: Connection) -> None:
    # Take the write lock up front: no deferred read-to-write upgrade can fail later.
    # Straight on the driver's cursor: every transaction starts here, and a statement
    # through SQLAlchemy's execution path costs about a tenth of a millisecond more.
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except dbapi.Error as exc:  # as SQLAlchemy's own statements raise it (OperationalError)
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, dbapi.Error) from exc
    finally:
        cursor.close()


def _sqlite_engine_options(url: str) -> dict[str, Any]:
    """SQLite runs inline (storage/sqlite_inline.py) on one connection per process."""
    path = make_url(url).database or ":memory:"
    options: dict[str, Any] = {
        "async_creator": sqlite_inline.creator(path),
        "pool_reset_on_return": None,  # every unit of work ends in COMMIT or ROLLBACK
    }
    if path == ":memory:":
        options["poolclass"] = StaticPool
    else:
        options.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0,
                       pool_timeout=60)
    return options


class Database:
    """Owns the engine and the one ``async_sessionmaker`` of this process."""

    def __init__(self, url: str, cipher: Cipher) -> None:
        self.url = url
        self.cipher = cipher
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs = _sqlite_engine_options(url)
        # Bound parameters (emails, names) never reach logs or error messages.
        self.engine = create_async_engine(url, hide_parameters=True, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        # SQLite files: single-row appends (the inbox) skip SQLAlchemy's execution path.
        path = sqlite_file(url)
        self._appender = None if path is None else sqlite_inline.Appender(
            path, self.engine.dialect, lambda conn: _sqlite_pragmas(conn, None))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.rosters = RosterCache()
        self._open: ContextVar[bool] = ContextVar(f"peerlink_uow_{id(self)}", default=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """Commit on success, roll back on any exception.

        Database failures surface as :class:`DatabaseUnavailable` or
        :class:`Conflict`; anything else raised inside passes through unchanged.
        """
        if self._open.get():
            raise NestedTransaction("a unit of work is already open in this task")
        token = self._open.set(True)
        try:
            async with _translated(), self.sessions() as session, session.begin():
                yield UnitOfWork(session, self.cipher, self.rosters)
        finally:
            self._open.reset(token)

    async def append(self, table: Table, row: Mapping[str, Any]) -> None:
        """Insert one row (every column but generated keys given) and commit, outside any
        unit of work, as cheaply as this database allows; failures surface as in
        :meth:`transaction`."""
        async with _translated():
            if self._appender is not None:
                await self._appender.insert(table, row)
                return
            async with self.engine.begin() as conn:
                await conn.execute(insert(table), dict(row))

    async def checkpoint(self) -> tuple[int, int] | None:
        """SQLite: copy what the write-ahead log holds into the database file, on a
        thread of its own, so the disk waits it takes never hold up the event loop
        (done on the loop, as SQLite does by itself, every request waits with it).
        PASSIVE: it waits for no reader or writer, and leaves alone what a transaction
        still uses.
        Returns (pages in the log, pages copied); None for PostgreSQL or in memory."""
        path = sqlite_file(self.url)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(_checkpoint, path)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(_describe(exc)) from exc

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(_describe(exc)) from exc

    async def check_migrated(self) -> None:
        """Raise :class:`NotMigrated` unless the schema is at the newest revision."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        try:
            async with self.engine.connect() as conn:
                current = await conn.run_sync(_current_revision)
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(_describe(exc)) from exc
        if current != head:
            raise NotMigrated(f"database is at {current or 'no revision'}, code needs {head}")

    async def migrate(self) -> None:
        """Upgrade the schema to the newest revision."""
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(_upgrade, self.url)
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(_describe(exc)) from exc

    async def dispose(self) -> None:
        if self._appender is not None:
            self._appender.close()
        await self.engine.dispose()


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (IntegrityError, sqlite3.IntegrityError) as exc:  # the second: Database.append
        raise Conflict(_describe(exc)) from exc
    except (OperationalError, InterfaceError, OSError, sqlite3.Error) as exc:
        raise DatabaseUnavailable(_describe(exc)) from exc


def _checkpoint(path: str) -> tuple[int, int]:
    conn = sqlite3.connect(path, timeout=1.0, uri=path.startswith("file:"))
    try:
        _busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return int(log), int(copied)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (None for other databases or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def redacted(url: str) -> str:
    """The URL without its password, for messages to an operator."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: say nothing of it
        return "the configured DATABASE_URL"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("storage") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: Connection, url: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _describe(exc: BaseException) -> str:
    """A one-line reason without credentials or stack details."""
    root: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        root = exc.orig
    while root.__cause__ is not None and not str(root):
        root = root.__cause__
    reason = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
    return reason[:200]
