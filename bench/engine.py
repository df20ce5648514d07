"""Messages per second through the engine on SQLite: a mixed workload over 1,000 people.

    .venv/bin/python bench/engine.py [--people 1000] [--messages 5000]

Each message is a full turn: crisis screen, dedupe, person resolution, routing,
state, and the outbox write, committed. Delivery is measured separately.
Target (issue 2): 500 messages/s or more on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from adapters.runtime import build_runtime
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Action, Author, Inbound, Platform
from bot.settings import Settings
from storage.crypto import Cipher
from storage.db import Database
from storage.people import OrgRecord


class NullSender:
    platform = Platform.WEB

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, delivery: Delivery) -> DeliveryResult:
        self.sent += 1
        return DeliveryResult.sent()


def workload(rng: random.Random, emails: list[str], n: int) -> list[Inbound]:
    """A mix of commands, chatter, buttons and forms, as people really send."""
    events: list[Inbound] = []
    for i in range(n):
        email = rng.choice(emails)
        author = Author(Platform.WEB, "bench", email, email=email,
                        locale=rng.choice(["en-CA", "fr-CA", ""]))
        roll = rng.random()
        if roll < 0.30:
            inbound = Inbound(author, f"b{i}", text=rng.choice(["help", "aide", "menu"]))
        elif roll < 0.50:
            inbound = Inbound(author, f"b{i}", text="I had a long week, not sure what to do " * 3)
        elif roll < 0.60:
            inbound = Inbound(author, f"b{i}", text=rng.choice(["langue fr", "language en"]))
        elif roll < 0.70:
            inbound = Inbound(author, f"b{i}", text="privacy")
        elif roll < 0.80:
            inbound = Inbound(author, f"b{i}", text="settings")
        elif roll < 0.95:
            inbound = Inbound(author, f"b{i}", action=Action("menu.help"))
        else:
            inbound = Inbound(author, f"b{i}", text="i want to die")
        events.append(inbound)
    return events


async def main(people: int, messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        key = Cipher.generate_key()
        db = Database(url, Cipher([key]))
        await db.migrate()
        emails = [f"person{i}@example.com" for i in range(people)]
        records = [OrgRecord(e, f"Person {i}", "", f"Dept {i % 7}", "Toronto", "CA",
                             "America/Toronto", "", date(2024, 1, 1))
                   for i, e in enumerate(emails)]
        async with db.transaction() as uow:
            await uow.people.upsert_org(records)
        sender = NullSender()
        runtime = build_runtime(Settings(database_url=url, secret_keys=(key,)),
                                {Platform.WEB: sender}, database=db)
        events = workload(random.Random(7), emails, messages)
        latencies = []
        started = time.perf_counter()
        for inbound in events:
            t0 = time.perf_counter()
            await runtime.engine.handle(inbound)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        t0 = time.perf_counter()
        await runtime.worker.drain()
        delivery = time.perf_counter() - t0
        await db.dispose()
    latencies.sort()
    print(f"engine: {messages} messages over {people} people in {elapsed:.2f} s "
          f"= {messages / elapsed:,.0f} messages/s (target 500)")
    print(f"  latency p50 {statistics.median(latencies) * 1000:.2f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms")
    print(f"delivery: {sender.sent} outbox messages in {delivery:.2f} s "
          f"= {sender.sent / delivery:,.0f} deliveries/s")


def one_core() -> str:
    """Pin this process to one CPU, so the figure is per core."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # crisis turns log a warning each
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    print(one_core())
    asyncio.run(main(args.people, args.messages))
