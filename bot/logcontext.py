"""The correlation id of the work in progress, for log lines (never message text)."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


def bind_correlation_id(value: str) -> str:
    correlation_id.set(value)
    return value
