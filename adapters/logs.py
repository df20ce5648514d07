"""Structured logs: one JSON object a line, with the correlation id, never message text."""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.logcontext import bind_correlation_id, correlation_id

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Set on every handler ``correlated`` returns (a test checks every route has it).
CORRELATED = "peerlink_correlated"

# Only these `extra` fields reach a log line: ids and codes, never free text.
SAFE_FIELDS = (
    "event_id", "person_id", "route", "outbox_id", "due_id", "kind", "platform", "reason",
    "category", "status", "states", "events", "due_work", "outbox", "path", "method", "elapsed_ms",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or correlation_id.get(),
        }
        for name in SAFE_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{n}={getattr(record, n)}" for n in SAFE_FIELDS if hasattr(record, n))
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()} {fields}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(fmt: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "apscheduler", "sqlalchemy.engine", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def correlated(handler: Handler) -> Handler:
    """``handler`` with a correlation id bound for its log lines: the request's
    X-Request-Id, else a fresh one. Every route is registered through this (a request
    on a kept-alive connection must not log under the previous one's id); it costs less
    than an app-wide middleware, which aiohttp runs through two more layers."""

    @functools.wraps(handler)
    async def bound(request: web.Request) -> web.StreamResponse:
        given = request.headers.get("X-Request-Id", "")[:64]
        bind_correlation_id(given or f"{time.monotonic_ns():x}")
        return await handler(request)

    setattr(bound, CORRELATED, True)
    return bound
