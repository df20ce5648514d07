"""Requests a platform is waiting on come first; background work gives way to them.

A platform wants its answer fast (Slack retries an event not acknowledged within
3 s), while the work behind an answer (a recorded event's turn, a queued reply's
delivery) can wait a moment. Adapters wrap the receiving of each platform request
in :meth:`Arrivals.arriving`; background workers await :meth:`Arrivals.give_way`
before each unit of work. That waits for a lull (no request received for
``lull_s``: a gap between two requests of a flood is not one), or ``give_way_s`` at
most, and lets one unit of work go per wait: in a flood, background work goes on
at a trickle (it never starves) and catches up once the flood ends. :meth:`hurry`
lets whatever is waiting go at once (a crisis reply must not wait for the flood).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

# In a flood, background work gets one unit (a turn, a delivery: a few milliseconds)
# per wait: at most a few percent of the loop, acknowledgements get the rest.
GIVE_WAY_S = 0.2
LULL_S = 0.005


class Arrivals:
    def __init__(self, give_way_s: float = GIVE_WAY_S, lull_s: float = LULL_S) -> None:
        self._give_way_s = give_way_s
        self._lull_s = lull_s
        self._count = 0
        self._last = float("-inf")  # when the last request was answered (loop time)
        self._hurried = False
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
        self._hurried = False
        self._quiet.clear()
        try:
            yield
        finally:
            self._count -= 1
            if not self._count:
                self._last = asyncio.get_running_loop().time()
                self._quiet.set()

    def hurry(self) -> None:
        """Let background work waiting to give way go now, until the next request."""
        self._hurried = True
        self._quiet.set()

    async def give_way(self) -> None:
        """Return in a lull, after ``give_way_s`` at most; in a flood, callers go one per
        ``give_way_s``."""
        if not self._busy():
            return
        loop = asyncio.get_running_loop()
        async with self._one_at_a_time:
            deadline = loop.time() + self._give_way_s
            while self._busy() and (left := deadline - loop.time()) > 0:
                if self._count:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._quiet.wait(), left)
                else:  # answered just now: a lull only if none comes in meanwhile
                    await asyncio.sleep(min(self._lull_s, left))

    def _busy(self) -> bool:
        if self._hurried:
            return False
        if self._count:
            return True
        return asyncio.get_running_loop().time() - self._last < self._lull_s
