"""A fan-out of 10,000 check-in prompts to a rate-limited fake Slack, with a crash midway.

    .venv/bin/python bench/fanout.py [--people 10000] [--rate 150] [--kill-at 0.5]

Builds a database (SQLite, or PEERLINK_BENCH_DATABASE_URL for PostgreSQL) with
--people people on Slack, each with a weekly check-in whose prompt is due now,
then runs `peerlink serve` against a fake Slack Web API that takes --rate messages a
second for the workspace and answers HTTP 429 above it (Peerlink is configured with
the same budget, PEERLINK_SLACK_MESSAGES_PER_SECOND). Two runs:

1. straight through: the time from the first prompt to the last, next to --people /
   --rate, the best the limit allows;
2. the same, with the server killed (SIGKILL) once --kill-at of the prompts have
   arrived, and started again: every person must receive exactly one prompt.

Targets (issue 8): run 1 within 10% of --people / --rate; run 2 exactly one prompt each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from common import PEERLINK, empty_database, free_port, wait_healthy  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.checkins import PROMPT, prompt_key  # noqa: E402
from storage.crypto import Cipher  # noqa: E402
from storage.models import CheckinPlan, DueWork, Identity, Person  # noqa: E402
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI  # noqa: E402


async def build(url: str, key: str, people: int) -> None:
    """People on Slack, each with a check-in prompt due a minute ago."""
    db = await empty_database(url, key)
    now = datetime.now(UTC).replace(microsecond=0)
    at = now - timedelta(minutes=1)
    ids = range(1, people + 1)
    async with db.transaction() as uow:
        for rows, model in (
            ([{"id": i, "email": f"p{i}@example.com", "display_name": f"Person {i}",
               "timezone": "America/Toronto", "language": "en", "country": "CA",
               "department": "", "location": "", "org_timezone": "", "org_language": "",
               "reporting_path": "", "program_office": False, "welcomed_at": now,
               "created_at": now} for i in ids], Person),
            ([{"person_id": i, "platform": "slack", "tenant": TEAM_ID, "user_id": f"U{i:08d}",
               "locale": "en-US", "address": {}, "undeliverable": "", "last_seen_at": now}
              for i in ids], Identity),
            ([{"person_id": i, "cadence": "weekly", "weekday": at.weekday() % 5, "at": "09:00",
               "started_on": at.date(), "next_at": at, "active": True} for i in ids],
             CheckinPlan),
            ([{"kind": PROMPT, "key": prompt_key(i, at), "due_at": at, "status": "pending",
               "attempts": 0, "lease_owner": "", "last_error": "",
               "payload": {"person_id": i, "at": int(at.timestamp())}} for i in ids], DueWork),
        ):
            for start in range(0, len(rows), 5000):
                await uow.session.execute(insert(model), rows[start:start + 5000])
    await db.dispose()


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen([PEERLINK, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)


async def run(people: int, rate: int, kill_at: float | None, workdir: Path) -> dict[str, float]:
    key = Cipher.generate_key()
    url = os.environ.get("PEERLINK_BENCH_DATABASE_URL") or \
        f"sqlite+aiosqlite:///{workdir / 'fanout.db'}"
    await build(url, key, people)
    log = workdir / "stderr.log"
    async with FakeSlackAPI(per_second=rate) as slack, aiohttp.ClientSession() as session:
        env = {**os.environ, "DATABASE_URL": url, "PEERLINK_SECRET_KEY": key,
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench-secret",
               "SLACK_API_URL": slack.url, "PEERLINK_SLACK_MESSAGES_PER_SECOND": str(rate),
               "PEERLINK_LOG_LEVEL": "WARNING", "PEERLINK_LOG_FORMAT": "text"}
        port = free_port()
        proc = serve(env, port, log)
        await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", proc, log)
        started = time.monotonic()
        killed = 0
        deadline = started + people / rate * 3 + 180
        while len(slack.posted_at) < people and time.monotonic() < deadline:
            if kill_at is not None and not killed and len(slack.posted_at) >= people * kill_at:
                proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(proc.wait)
                killed = len(slack.posted_at)
                proc = serve(env, port, log)
                await wait_healthy(session, f"http://127.0.0.1:{port}/healthz", proc, log)
            await asyncio.sleep(0.05)
        if kill_at is not None:
            # Anything the dead process had in flight is taken again when its lease ends
            # (60 s): wait past that, so a duplicate would show.
            await asyncio.sleep(75)
        proc.terminate()
        await asyncio.to_thread(proc.wait, 20)
        per_person = Counter(len(msgs) for msgs in slack.history.values())
        limited = slack.call_count("chat.postMessage") - len(slack.posted_at)
        return {
            "received": len(slack.posted_at), "people": sum(per_person.values()),
            "exactly_one": per_person.get(1, 0), "more_than_one": sum(
                n for k, n in per_person.items() if k > 1),
            "first_to_last": slack.posted_at[-1] - slack.posted_at[0] if slack.posted_at else 0,
            "from_start": (slack.posted_at[-1] - started) if slack.posted_at else 0,
            "refused_429": limited, "killed_after": killed,
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=150, help="messages a second (the limit)")
    parser.add_argument("--kill-at", type=float, default=0.5)
    args = parser.parse_args()
    ideal = args.people / args.rate
    database = "postgresql" if os.environ.get("PEERLINK_BENCH_DATABASE_URL") else "sqlite"
    print(f"{args.people:,} check-in prompts due at once, fake Slack limited to "
          f"{args.rate}/s ({database}); the limit allows {ideal:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        straight = await run(args.people, args.rate, None, Path(tmp))
    over = straight["first_to_last"] / ideal - 1
    print(f"1. straight through: {straight['received']:,} prompts to "
          f"{straight['people']:,} people, first to last {straight['first_to_last']:.1f} s "
          f"({over:+.1%} of {ideal:.1f} s; target within 10%), "
          f"{straight['from_start']:.1f} s from a healthy server; "
          f"{straight['refused_429']} refused with 429 and sent again")
    with tempfile.TemporaryDirectory() as tmp:
        crash = await run(args.people, args.rate, args.kill_at, Path(tmp))
    print(f"2. killed (SIGKILL) after {crash['killed_after']:,} prompts and started again: "
          f"{crash['received']:,} prompts received; {crash['exactly_one']:,} people got "
          f"exactly one, {crash['more_than_one']} more than one, "
          f"{args.people - crash['people']:,} none (target: {args.people:,} exactly one)")


if __name__ == "__main__":
    asyncio.run(main())
