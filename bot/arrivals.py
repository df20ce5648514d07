"""Requests a platform is waiting on come first; background work gives way to them.

A platform wants its answer fast (Slack retries an event not acknowledged within
3 s), while the work behind an answer (a recorded event's turn, a queued reply's
delivery) can wait a moment. Adapters wrap the receiving of each platform request
in :meth:`Arrivals.arriving`; background workers await :meth:`Arrivals.give_way`
before each unit of work. While requests are being received, that waits until they
are answered, or ``give_way_s`` at most, and lets one unit of work go per wait: in
a flood of requests, background work goes on at a trickle (it never starves) and
catches up once the flood ends. :meth:`hurry` lets whatever is waiting go at once
(a crisis reply must not wait for the flood).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

# In a flood, background work gets one unit (a turn, a delivery: a few milliseconds)
# per wait: at most a few percent of the loop, acknowledgements get the rest.
GIVE_WAY_S = 0.2


class Arrivals:
    def __init__(self, give_way_s: float = GIVE_WAY_S) -> None:
        self._give_way_s = give_way_s
        self._count = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._one_at_a_time = asyncio.Lock()

    @property
    def count(self) -> int:
        """Platform requests being received now."""
        return self._count

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Wrap the receiving of one platform request, until its answer is ready."""
        self._count += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._count -= 1
            if not self._count:
                self._quiet.set()

    def hurry(self) -> None:
        """Let background work waiting to give way go now, whatever is arriving."""
        self._quiet.set()

    async def give_way(self) -> None:
        """Return once no request is being received, after ``give_way_s`` at most; under
        a steady flood, callers go one per ``give_way_s``."""
        if not self._count:
            return
        async with self._one_at_a_time:
            if self._count and not self._quiet.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._quiet.wait(), self._give_way_s)
