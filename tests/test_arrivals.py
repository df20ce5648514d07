"""Background work gives way to platform requests being received; a crisis cuts in."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.arrivals import Arrivals
from bot.messages import Inbound
from storage.db import Database
from tests.harness import Harness


async def test_nothing_arriving_means_no_wait() -> None:
    arrivals = Arrivals(give_way_s=5.0)
    await asyncio.wait_for(arrivals.give_way(), 0.5)
    assert arrivals.count == 0


async def test_work_waits_until_the_requests_being_received_are_answered() -> None:
    arrivals = Arrivals(give_way_s=5.0)
    with arrivals.arriving():
        assert arrivals.count == 1
        waiting = asyncio.create_task(arrivals.give_way())
        await asyncio.sleep(0.02)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 0.5)
    assert arrivals.count == 0


async def test_a_gap_between_two_requests_is_not_a_lull() -> None:
    arrivals = Arrivals(give_way_s=5.0, lull_s=0.5)
    with arrivals.arriving():
        pass
    waiting = asyncio.create_task(arrivals.give_way())
    await asyncio.sleep(0.3)
    with arrivals.arriving():  # the next request of the flood, within the lull
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    assert not waiting.done()  # the lull started again when that one was answered
    await asyncio.wait_for(waiting, 2)


async def test_in_a_flood_work_goes_one_unit_per_wait() -> None:
    arrivals = Arrivals(give_way_s=0.05)
    with arrivals.arriving():  # never answered while the units wait
        began = time.perf_counter()
        first = asyncio.create_task(arrivals.give_way())
        second = asyncio.create_task(arrivals.give_way())
        await first
        took_first = time.perf_counter() - began
        await second
        took_second = time.perf_counter() - began
    assert 0.04 <= took_first < 1.0  # bounded: background work never starves
    assert took_second >= took_first + 0.04  # the second had a wait of its own


async def test_hurry_lets_waiting_work_go_at_once() -> None:
    arrivals = Arrivals(give_way_s=5.0)
    with arrivals.arriving():
        waiting = asyncio.create_task(arrivals.give_way())
        await asyncio.sleep(0.01)
        arrivals.hurry()
        await asyncio.wait_for(waiting, 0.5)
        with arrivals.arriving():  # the next request: work gives way again
            again = asyncio.create_task(arrivals.give_way())
            await asyncio.sleep(0.02)
            assert not again.done()
        again.cancel()


async def test_an_exception_still_counts_the_request_answered() -> None:
    arrivals = Arrivals(give_way_s=5.0)
    with pytest.raises(ValueError), arrivals.arriving():
        raise ValueError("bad payload")
    assert arrivals.count == 0
    await asyncio.wait_for(arrivals.give_way(), 0.5)


async def test_a_crisis_turn_hurries_delivery_and_an_ordinary_one_does_not(
    database: Database,
) -> None:
    h = await Harness.start(database)
    who = await h.person("Ana", email="ana@example.com")
    arrivals = h.runtime.arrivals
    with arrivals.arriving():
        await h.runtime.engine.handle(Inbound(h.author(who), "ev-1", text="help"))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(arrivals.give_way(), 0.01)
        await h.runtime.engine.handle(
            Inbound(h.author(who), "ev-2", text="I want to end my life"))
        await asyncio.wait_for(arrivals.give_way(), 0.5)  # the crisis reply goes now
