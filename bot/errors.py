"""The program's own exception types."""

from __future__ import annotations


class PeerlinkError(Exception):
    """Base of every error Peerlink raises on purpose."""


class ConfigError(PeerlinkError):
    """The configuration is invalid; the message names the file and the problem."""


class InvalidInput(PeerlinkError):
    """A person's input was not acceptable; ``reason`` is a msgid for a kind reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporarilyUnavailable(PeerlinkError):
    """Nothing could be recorded (the database is down): the platform should retry."""
