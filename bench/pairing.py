"""A pairing round of 10,000 people with 26 weeks of history, and its quality.

    .venv/bin/python bench/pairing.py [--people 10000] [--weeks 26] [--sample 300]

(networkx comes with ``pip install -e '.[bench]'``, which ``make bench`` does.)

Builds a SQLite database (or PEERLINK_BENCH_DATABASE_URL, a PostgreSQL URL) with
--people in the pool of one program: twelve departments of uneven size, six
timezones from Vancouver to Sydney, a reporting tree, 3% with a sealed "never pair me
with" list. The history is --weeks weekly rounds, each grouped the same way the
product does and stored sealed. Then it times:

- the grouping alone (``make_groups``) on the pool;
- the whole round as the due work runs it: read the pool, the never lists and the
  sealed history of the last 12 weeks, group, seal and record the round, write each
  person's introduction;

and checks that nobody is paired with someone met in the last 12 weeks.

Quality: on --sample people drawn the same way (with their own history), the share of
groups that mix departments and that share two working hours, next to an exact
maximum-weight matching (networkx) on the same weights.

Targets (issue 8): the round under 2 s; zero repeats within 12 weeks; cross-department
share within 5 points of the exact matching.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import empty_database  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.config import load_config  # noqa: E402
from bot.i18n import Catalogs  # noqa: E402
from bot.pairing import (  # noqa: E402
    MIN_SHARED,
    NO_REPEAT,
    Member,
    Rounds,
    allowed,
    links_of,
    make_groups,
    member_of,
    score,
)
from bot.support import program_row  # noqa: E402
from storage.crypto import Cipher  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.duework import ClaimedWork  # noqa: E402
from storage.models import PairingMember, PairingRound, Person  # noqa: E402

ZONES = ["America/Vancouver", "America/Toronto", "America/Toronto", "America/New_York",
         "Europe/London", "Europe/Paris", "Australia/Sydney"]
DEPARTMENTS = {"Engineering": 25, "Sales": 15, "Operations": 12, "Support": 10,
               "Finance": 8, "Marketing": 7, "Legal": 6, "People": 5, "Product": 4,
               "Design": 3, "Research": 3, "Facilities": 2}
ROUND_AT = datetime(2026, 11, 23, 15, tzinfo=UTC)  # a Monday, 10:00 in Toronto


@dataclass
class Org:
    people: list[dict[str, object]]
    never: dict[int, list[int]]
    history: list[tuple[date, list[tuple[int, ...]]]]


def draw(count: int, weeks: int, rng: random.Random) -> Org:
    """People as the pool holds them, and ``weeks`` of rounds grouped the product's way."""
    names, weights = list(DEPARTMENTS), list(DEPARTMENTS.values())
    people: list[dict[str, object]] = [
        {"id": i, "email": f"p{i}@example.com", "display_name": f"Person {i}",
         "manager_id": (i - 2) // 8 + 1 if i > 1 else None, "timezone": rng.choice(ZONES),
         "language": rng.choice(["en", "en", "fr"]), "country": "CA",
         "department": rng.choices(names, weights)[0], "location": "", "org_timezone": "",
         "org_language": "", "reporting_path": "", "program_office": False}
        for i in range(1, count + 1)]
    never = {i: rng.sample(range(1, count + 1), rng.randint(1, 3))
             for i in rng.sample(range(1, count + 1), count * 3 // 100)}
    members = members_of(people)
    blocked = blocked_of(never)
    history: list[tuple[date, list[tuple[int, ...]]]] = []
    for week in range(weeks, 0, -1):
        day = ROUND_AT.date() - timedelta(weeks=week)
        recent = recent_of(history, day)
        history.append((day, make_groups(members, recent, blocked, seed=day).groups))
    return Org(people, never, history)


def blocked_of(never: dict[int, list[int]]) -> dict[int, set[int]]:
    return links_of((a, b) for a, others in never.items() for b in others if a != b)


def recent_of(history: list[tuple[date, list[tuple[int, ...]]]], day: date
              ) -> dict[int, set[int]]:
    return links_of(g for held, groups in history if held >= day - NO_REPEAT for g in groups)


def repeats(groups: list[tuple[int, ...]], recent: dict[int, set[int]]) -> int:
    return sum(b in recent.get(a, ()) for g in groups for a in g for b in g if a < b)


def members_of(people: list[dict[str, object]]) -> list[Member]:
    found = []
    for row in people:
        person = Person(**row)
        found.append(member_of(person, ROUND_AT))
    return found


async def store(db: Database, org: Org) -> int:
    """The org, the pool and the sealed history; returns the program id."""
    cipher = db.cipher
    async with db.transaction() as uow:
        for start in range(0, len(org.people), 5000):
            await uow.session.execute(insert(Person), org.people[start:start + 5000])
        program = await program_row(uow, load_config(None).program("buddy"))  # type: ignore[arg-type]
        joined = ROUND_AT - timedelta(weeks=52)
        rows = [{"program_id": program.id, "person_id": p["id"], "active": True,
                 "joined_at": joined,
                 "never": cipher.encrypt(org.never[int(str(p["id"]))])
                 if int(str(p["id"])) in org.never else None}
                for p in org.people]
        for start in range(0, len(rows), 5000):
            await uow.session.execute(insert(PairingMember), rows[start:start + 5000])
        await uow.session.execute(insert(PairingRound), [
            {"program_id": program.id, "held_on": day, "members": len(org.people),
             "groups": len(groups), "created_at": joined,
             "sealed": cipher.encrypt([list(g) for g in groups])}
            for day, groups in org.history])
        return program.id


def shares(groups: list[tuple[int, ...]], members: dict[int, Member]) -> tuple[float, float]:
    """(share of groups mixing departments, share whose people share 2 working hours)."""
    mixed = sum(len({members[i].department for i in g}) > 1 for g in groups)
    hours = sum(min(members[i].end for i in g) - max(members[i].start for i in g)
                >= MIN_SHARED for g in groups)
    return mixed / len(groups), hours / len(groups)


def exact(members: list[Member], recent: dict[int, set[int]], blocked: dict[int, set[int]]
          ) -> list[tuple[int, ...]]:
    """An exact maximum-weight matching of as many people as possible, same weights."""
    import networkx as nx

    graph = nx.Graph()
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            if allowed(a, b, blocked):
                graph.add_edge(a.id, b.id, weight=score(a, b, recent) - (-100) + 1)
    return [tuple(p) for p in nx.max_weight_matching(graph, maxcardinality=True)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(8)
    started = time.perf_counter()
    org = draw(args.people, args.weeks, rng)
    print(f"{args.people:,} people in the pool, {args.weeks} weeks of history "
          f"(built in {time.perf_counter() - started:.1f} s)")
    members = members_of(org.people)
    blocked, recent = blocked_of(org.never), recent_of(org.history, ROUND_AT.date())
    started = time.perf_counter()
    make_groups(members, recent, blocked, seed="bench")
    alone = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("PEERLINK_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp}/p.db"
        db = await empty_database(url, Cipher.generate_key())
        program_id = await store(db, org)
        rounds = Rounds(load_config(None), Catalogs())
        work = ClaimedWork(id=0, kind="pairing.round", key="bench", attempts=1, payload={
            "program_id": program_id, "day": ROUND_AT.date().isoformat(),
            "at": ROUND_AT.isoformat()})
        started = time.perf_counter()
        async with db.transaction() as uow:
            intros = await rounds.run(uow, work, ROUND_AT)
            found = await uow.pairing.round_on(program_id, ROUND_AT.date())
            assert found is not None
            held = uow.pairing.groups(found)
        whole = time.perf_counter() - started
        await db.dispose()
    print(f"database: {url.split('://')[0]}")
    print(f"grouping alone: {alone * 1000:.0f} ms; the whole round (read the pool, never "
          f"lists and 12 weeks of sealed history, group, seal, {len(intros):,} "
          f"introductions): {whole * 1000:.0f} ms (target < 2000 ms)")
    sizes = sorted({len(g) for g in held})
    print(f"groups: {len(held):,} (sizes {sizes}), unpaired {args.people - len(intros):,}; "
          f"repeats within 12 weeks: {repeats(held, recent)} (target 0)")
    ours = shares(held, {m.id: m for m in members})
    print(f"  10,000: mixing departments {ours[0]:.1%}, two shared working hours "
          f"{ours[1]:.1%}")

    sample = draw(args.sample, args.weeks, random.Random(9))
    s_members = members_of(sample.people)
    s_blocked = blocked_of(sample.never)
    s_recent = recent_of(sample.history, ROUND_AT.date())
    greedy = make_groups(s_members, s_recent, s_blocked, seed="bench").groups
    started = time.perf_counter()
    best = exact(s_members, s_recent, s_blocked)
    took = time.perf_counter() - started
    by_id = {m.id: m for m in s_members}
    g_share, e_share = shares(greedy, by_id), shares(best, by_id)
    print(f"sample of {args.sample} drawn the same way, with its own {args.weeks} weeks:")
    print(f"  {'':24}{'mixing departments':>20}{'2 shared hours':>16}{'repeats':>9}")
    print(f"  {'Peerlink (greedy)':24}{g_share[0]:>20.1%}{g_share[1]:>16.1%}"
          f"{repeats(greedy, s_recent):>9}")
    print(f"  {'exact (networkx)':24}{e_share[0]:>20.1%}{e_share[1]:>16.1%}"
          f"{repeats(best, s_recent):>9}   ({took:.1f} s)")
    gap = (e_share[0] - g_share[0]) * 100
    print(f"  cross-department gap: {gap:+.1f} points (target within 5)")


if __name__ == "__main__":
    asyncio.run(main())
