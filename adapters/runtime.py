"""The object graph of one process, built once from settings."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adapters.metrics import Metrics
from bot.arrivals import Arrivals
from bot.buddy import Buddies
from bot.checkins import Checkins
from bot.clock import Clock, SystemClock
from bot.config import ProgramConfig, apply_in_place, load_config, parse_config
from bot.connections import Arc
from bot.crisis import CrisisScreen, load_lexicon
from bot.delivery import PlatformSender
from bot.engine import Engine, EngineServices
from bot.errors import ConfigError
from bot.escalation import OnCall
from bot.flows import build_router
from bot.i18n import Catalogs
from bot.inbox import Inbox, InboxOptions
from bot.meetings import Meetings
from bot.messages import Platform
from bot.nudges import Nudges
from bot.outbox_worker import OutboxWorker, WorkerOptions
from bot.pairing import Rounds
from bot.privacy import Privacy
from bot.router import Router
from bot.scheduling import DueHandler, DueWorkRunner, RunnerOptions
from bot.settings import Settings
from bot.support import Support
from bot.supporters import Supporters
from storage.crypto import Cipher, CipherError
from storage.db import Database, DatabaseUnavailable, sqlite_file

log = logging.getLogger("peerlink.runtime")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    engine: Engine
    worker: OutboxWorker
    runner: DueWorkRunner
    metrics: Metrics
    clock: Clock
    inbox: Inbox
    senders: dict[Platform, PlatformSender] = field(default_factory=dict)
    arrivals: Arrivals = field(default_factory=Arrivals)  # platform requests being received
    content_version: int = 0  # the content saved in /admin this process uses (0: the file)

    async def apply_saved_content(self) -> bool:
        """Use the program content last saved in /admin, if newer than what this process
        has (called at start and every minute, so every process follows). True if
        applied."""
        try:
            async with self.db.transaction() as uow:
                if await uow.content.latest_id() == self.content_version:
                    return False
                found = await uow.content.latest()
        except DatabaseUnavailable:
            log.warning("saved content not checked: the database did not answer")
            return False
        if found is None:
            return False
        self.content_version = found.id
        try:
            new = parse_config(f"content saved in /admin (version {found.id})", found.yaml)
        except ConfigError as exc:  # validated when saved; a newer code version may differ
            log.error("saved content ignored: %s", exc)
            return False
        apply_in_place(self.engine.services.config, new)
        log.info("program content applied", extra={"version": found.id})
        return True


def build_runtime(
    settings: Settings,
    senders: Mapping[Platform, PlatformSender],
    *,
    clock: Clock | None = None,
    due_handlers: Mapping[str, DueHandler] | None = None,
    database: Database | None = None,
    deliver_to: str | None = None,
    router: Router | None = None,
    config: ProgramConfig | None = None,
) -> Runtime:
    """Wire database, engine, delivery worker and due-work runner for one process."""
    clock = clock or SystemClock()
    metrics = Metrics()
    db = database or Database(settings.database_url, cipher(settings))
    owner = f"{socket.gethostname()}:{os.getpid()}"
    # Platform requests being received: the background workers give way to them.
    arrivals = Arrivals()
    worker = OutboxWorker(
        db, senders, clock,
        WorkerOptions(owner=owner, lease=settings.delivery_lease,
                      max_attempts=settings.delivery_max_attempts, user_id=deliver_to),
        metrics=metrics, arrivals=arrivals,
    )
    services = EngineServices(
        config=dataclasses.replace(
            config or load_config(settings.config_path),
            public_url=settings.public_url or f"http://127.0.0.1:{settings.port}"),
        catalogs=Catalogs(),
        router=router or build_router(),
        screen=CrisisScreen(load_lexicon(settings.crisis_lexicon_dir)),
        clock=clock,
        conversation_ttl=settings.conversation_ttl,
    )
    engine = Engine(db, services, on_enqueued=worker.wake, metrics=metrics, direct=senders)
    handlers = {**OnCall(services.config, services.catalogs).due_handlers(),
                **Support(services.config, services.catalogs).due_handlers(),
                **Buddies(services.config, services.catalogs).due_handlers(),
                **Meetings(services.config, services.catalogs).due_handlers(),
                **Arc(services.config, services.catalogs).due_handlers(),
                **Checkins(services.config, services.catalogs).due_handlers(),
                **Nudges(services.config, services.catalogs).due_handlers(),
                **Rounds(services.config, services.catalogs).due_handlers(),
                **Privacy(services.config, services.catalogs).due_handlers(),
                **Supporters(services.config, services.catalogs).due_handlers(),
                **(due_handlers or {})}
    runner = DueWorkRunner(
        db, clock, handlers, RunnerOptions(owner=owner), on_enqueued=worker.wake
    )
    inbox = Inbox(engine, db, clock, InboxOptions(owner=owner), arrivals)
    return Runtime(settings, db, engine, worker, runner, metrics, clock, inbox, dict(senders),
                   arrivals)


def cipher(settings: Settings) -> Cipher:
    """The encryption keys: from PEERLINK_SECRET_KEY, or a local key file for SQLite."""
    try:
        if settings.secret_keys:
            return Cipher(settings.secret_keys)
        if not settings.is_sqlite:
            raise ConfigError(
                "PEERLINK_SECRET_KEY is required with this database "
                "(generate one with: peerlink gen-key)"
            )
        return Cipher([_local_key(settings.database_url)])
    except CipherError as exc:
        raise ConfigError(str(exc)) from exc


def _local_key(url: str) -> str:
    """A key kept beside a local SQLite file (created once, readable by its owner only)."""
    database = sqlite_file(url)
    if database is None:
        return Cipher.generate_key()
    path = Path(database + ".key")
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        key = Cipher.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a key file"
        raise ConfigError(
            f"cannot use the local key file {path} ({reason}); "
            "check DATABASE_URL or set PEERLINK_SECRET_KEY"
        ) from exc
    log.warning("created a local encryption key; set PEERLINK_SECRET_KEY in production",
                extra={"path": str(path)})
    return key
