"""Suggestions among 5,000 supporters in an org of 100,000 people, and reporting lines.

    .venv/bin/python bench/matching.py [--people 100000] [--supporters 5000] [--seekers 200]

Builds a SQLite database (or PEERLINK_BENCH_DATABASE_URL, a PostgreSQL URL) with an
org of --people in a reporting tree (up to 8 reports each), then times:

- the reporting lines: every person's manager chain worked out in memory, and the whole
  refresh the org import runs (read the org, work out the chains, write them);
- suggestions for --seekers random people: everything a seeker's "find" does for one
  program (supporters on offer, the seeker's conflicts and hidden supporters,
  conflict-of-interest filtering and ranking the best three), p50 and p95; once with the
  roster as the last search left it (each process caches it by roster version, see
  storage/roster.py), once with the roster changed before every search (read again).

Targets (issue 6): suggestions p95 under 50 ms; reporting lines at import under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import empty_database  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bot.config import load_config  # noqa: E402
from bot.support import matches_for, program_row  # noqa: E402
from storage import roster  # noqa: E402
from storage.crypto import Cipher  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Person, SupporterProfile  # noqa: E402
from storage.people import reporting_paths  # noqa: E402

ZONES = ["America/Vancouver", "America/Toronto", "America/New_York", "Europe/London",
         "Europe/Paris", "Australia/Sydney"]
TOPICS = ["stress", "burnout", "grief", "conflict", "return_to_work", "isolation",
          "life_events", "new_to_team"]
DAYS = ["mon", "tue", "wed", "thu", "fri"]


async def build(db: Database, people: int, supporters: int, rng: random.Random) -> None:
    """The org in bulk (a tree, 8 reports a manager at most), then the supporters."""
    rows = [{"id": i, "email": f"p{i}@example.com", "display_name": f"Person {i}",
             "manager_id": (i - 2) // 8 + 1 if i > 1 else None,
             "timezone": rng.choice(ZONES), "language": rng.choice(["en", "en", "fr"]),
             "country": "CA", "department": f"D{i % 40}", "location": "", "org_timezone": "",
             "org_language": "", "reporting_path": "", "program_office": False}
            for i in range(1, people + 1)]
    async with db.transaction() as uow:
        for start in range(0, len(rows), 5000):
            await uow.session.execute(insert(Person), rows[start:start + 5000])
    spec = load_config(None).programs[0]
    async with db.transaction() as uow:
        program = await program_row(uow, spec)
        chosen = rng.sample(range(2, people + 1), supporters)
        profiles = []
        for n, pid in enumerate(chosen):
            day = rng.sample(DAYS, 2)
            start = rng.randint(8, 15)
            profiles.append({
                "person_id": pid, "program_id": program.id, "bio_en": "I listen.",
                "bio_fr": "J'écoute.", "topics": rng.sample(TOPICS, 3),
                "languages": ["fr", "en"] if n % 3 == 0 else ["en"],
                "availability": [{"day": d, "start": f"{start:02d}:00",
                                  "end": f"{start + 2:02d}:00"} for d in day],
                "capacity": 3, "load": rng.randint(0, 2), "trained_on": date(2025, 1, 1),
                "term_end": date(2028, 1, 1), "state": "active",
            })
        await uow.session.execute(insert(SupporterProfile), profiles)


async def reporting_lines(db: Database) -> tuple[float, float, int]:
    """(seconds in memory, seconds for the import's whole refresh, people)."""
    async with db.transaction() as uow:
        managers = dict((await uow.session.execute(select(Person.id, Person.manager_id))).all())
    started = time.perf_counter()
    reporting_paths(managers)
    in_memory = time.perf_counter() - started
    started = time.perf_counter()
    async with db.transaction() as uow:
        await uow.people.refresh_reporting_paths()
    return in_memory, time.perf_counter() - started, len(managers)


async def suggestions(db: Database, people: int, seekers: int, rng: random.Random,
                      *, changed: bool = False) -> tuple[list[float], int]:
    """Times in ms. ``changed``: the roster changes before each search (someone accepted
    a request elsewhere), so none is served from this process's roster cache."""
    spec = load_config(None).programs[0]
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    times, offered = [], 0
    for _ in range(seekers):
        pid = rng.randint(1, people)
        if changed:
            async with db.transaction() as uow:
                await roster.bump(uow.session)
        started = time.perf_counter()
        async with db.transaction() as uow:
            person = await uow.people.get(pid)
            assert person is not None
            program = await program_row(uow, spec)
            best = await matches_for(uow, person, program, now, topic="grief", limit=3)
        times.append((time.perf_counter() - started) * 1000)
        offered = max(offered, len(best))
    return times, offered


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--supporters", type=int, default=5_000)
    parser.add_argument("--seekers", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("PEERLINK_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp}/m.db"
        db = await empty_database(url, Cipher.generate_key())
        print(f"database: {url.split('://')[0]}; org of {args.people:,} people, "
              f"{args.supporters:,} supporters in one program")
        await build(db, args.people, args.supporters, rng)
        in_memory, refresh, count = await reporting_lines(db)
        print(f"reporting lines for {count:,} people: {in_memory * 1000:.0f} ms in memory, "
              f"{refresh * 1000:.0f} ms for the import's refresh (read, work out, write) "
              f"(target < 1000 ms)")
        await suggestions(db, args.people, 10, rng)  # warm caches and the connection
        for changed, label in ((False, "roster unchanged since the last search (cached)"),
                               (True, "roster changed before each search (read again)")):
            times, offered = await suggestions(db, args.people, args.seekers, rng,
                                               changed=changed)
            print(f"suggestions, best {offered}, for {args.seekers} seekers, {label}: "
                  f"p50 {statistics.median(times):.1f} ms, p95 {p(times, 0.95):.1f} ms "
                  f"(target < 50), max {max(times):.1f} ms")
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
