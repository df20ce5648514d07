"""The loop shared by background workers: a pass, then wait to be woken or for a poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any


async def run_passes(
    one_pass: Callable[[], Awaitable[Any]],
    wake: asyncio.Event,
    wait: Callable[[], float],
    log: logging.Logger,
    what: str,
) -> None:
    """Run ``one_pass`` until cancelled; between passes wait ``wait()`` seconds or until
    ``wake`` is set. A failed pass is logged (``what`` names it) and the loop goes on."""
    while True:
        try:
            await one_pass()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), wait())
        wake.clear()
