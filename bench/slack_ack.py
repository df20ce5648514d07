"""Slack acks: signed message.im events to `peerlink serve` and to a bare slack-bolt app.

    .venv/bin/python bench/slack_ack.py [--pairs 8] [--burst 1] [--seconds 5]
                                        [--rate 100] [--concurrency 32] [--pin]

Both targets run at once, each on a fresh start, and get the same load over
loopback: a warm-up (one event per user, so profiles are cached and auth.test is
answered), then (1) open-loop at a fixed offered rate for ``--seconds``: sends
are scheduled on a timer and never wait for earlier ones; ack latency is timed
from each send's scheduled moment, so a lagging generator or a queueing server
both show; then (2) closed-loop with ``--concurrency`` requests in flight for as
many events per second as the target will ack, in ``--pairs`` pairs of
``--burst``-second bursts, one to each target, taken in turns (bare first in
odd pairs, peerlink first in even ones). Every event has its own event_id and
one of 200 users.

Why pairs of short bursts: the speed of this shared machine drifts by a fifth or
more within a minute, so each pair's ratio compares two bursts taken a second
apart, and the median of the pairs is the figure. While the bare app has its
burst, peerlink is frozen (SIGSTOP) so the turns it owes cannot take the CPU
from the bare app; it carries on from where it was for its own burst.

`peerlink serve` runs as it would in production: a fresh migrated SQLite file,
Slack over HTTP, its inbox worker taking the turns of acknowledged events and
its outbox worker delivering the replies. Peerlink acknowledges once an event is
recorded (sealed, in its inbox) and has its turn just after; so after the
warm-up the bench waits for those turns (the inbox to empty, from /metrics)
before measuring, and after the bursts it times how long the turns of
everything acknowledged take to finish: turns per second, the work behind the
acks, and checks every acknowledged event had its turn. The Slack Web API
(users.info, auth.test, chat.postMessage) is a FakeSlackAPI served from this
process on loopback. The bare app is slack-bolt's ``AsyncApp`` on aiohttp whose
only listener acks ``message`` events. Each burst's events are signed before it
starts, so sending them costs the generator little. With ``--pin`` (two CPUs or
more), the targets run on a CPU of their own and this process (generator and
fake) on the rest; otherwise they share the CPUs.

Targets (issue 3): 0.7 or more of the bare app's throughput; p99 ack under 100 ms
at 100 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import common
from common import TEXTS
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI  # noqa: E402

USERS = [f"U0BENCH{i:03d}" for i in range(200)]
SLACK_TIMEOUT_S = 3.0  # Slack retries an event not acknowledged within 3 s
PREPARED_PER_SECOND = 10_000  # signed ahead for the flat-out phase (more than either acks)

# The baseline: slack-bolt's AsyncApp, served by aiohttp, acking `message` events and
# nothing else. (AsyncApp has no token_verification_enabled; its one auth.test, on the
# first request, is answered by the fake, as peerlink's is.)
BARE_APP = """
import sys
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

port, secret, api_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bolt = AsyncApp(signing_secret=secret, process_before_response=True,
                client=AsyncWebClient(token="xoxb-bench", base_url=api_url))

@bolt.event("message")
async def on_message() -> None:
    pass  # acknowledged by returning

async def events(request: web.Request) -> web.StreamResponse:
    return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")

app = web.Application()
app.router.add_post("/slack/events", events)
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
"""


class Events:
    """Signed Events API requests, each with a fresh event_id."""

    def __init__(self, secret: str) -> None:
        self._verifier = SignatureVerifier(secret)
        self._n = 0
        self._made = 0
        self._ready: list[tuple[bytes, dict[str, str]]] = []

    def prepare(self, count: int) -> None:
        """Build and sign ``count`` events ahead, so sending them costs the load
        generator no JSON or HMAC while the target is measured."""
        self._ready.extend(self._make() for _ in range(count))
        self._ready.reverse()  # popped from the end, in order

    @property
    def count(self) -> int:
        return self._n

    def discard(self) -> None:
        """Drop what was signed ahead and not sent (its timestamps would go stale)."""
        self._ready.clear()

    def next(self) -> tuple[bytes, dict[str, str]]:
        self._n += 1
        return self._ready.pop() if self._ready else self._make()

    def _make(self) -> tuple[bytes, dict[str, str]]:
        self._made += 1
        n = self._made
        user = USERS[n % len(USERS)]
        now = time.time()
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0PEER",
            "type": "event_callback", "event_id": f"Ev{n:010d}", "event_time": int(now),
            "event": {"type": "message", "channel_type": "im", "channel": f"D{user[1:]}",
                      "user": user, "text": TEXTS[n % len(TEXTS)],
                      "ts": f"{now:.6f}", "team": TEAM_ID},
        })
        ts = str(int(now))
        signature = self._verifier.generate_signature(timestamp=ts, body=body) or ""
        return body.encode(), {"Content-Type": "application/json",
                               "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass
class Sample(common.Sample):  # latencies: acked with 200
    max_lag: float = 0.0  # how late the generator sent, open loop only

    @property
    def late(self) -> int:
        return sum(1 for x in self.latencies if x > SLACK_TIMEOUT_S)


async def post(session: aiohttp.ClientSession, url: str, events: Events, start: float,
               sample: Sample) -> None:
    body, headers = events.next()
    await common.post(session, url, body, headers, start, sample, ok=(200,))


async def open_loop(session: aiohttp.ClientSession, url: str, events: Events,
                    rate: float, seconds: float) -> Sample:
    sample, tasks = Sample(), []
    began = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = began + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        sample.max_lag = max(sample.max_lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(post(session, url, events, due, sample)))
    await asyncio.gather(*tasks)
    sample.elapsed = time.perf_counter() - began
    return sample


async def inbox_waiting(session: aiohttp.ClientSession, base: str) -> int:
    """Events peerlink acknowledged that still wait for their turns (its /metrics)."""
    async with session.get(f"{base}/metrics") as resp:
        for line in (await resp.text()).splitlines():
            if line.startswith("peerlink_inbox_events "):
                return int(float(line.split()[1]))
    raise RuntimeError("peerlink's /metrics has no peerlink_inbox_events")


async def inbox_empty(session: aiohttp.ClientSession, base: str, limit: float = 600.0) -> None:
    began = time.perf_counter()
    while await inbox_waiting(session, base):
        if time.perf_counter() - began > limit:
            raise RuntimeError(f"the inbox did not empty within {limit:g} s")
        await asyncio.sleep(0.1)


def start_peerlink(api_url: str, secret: str) -> common.Start:
    settings = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": api_url}
    unset = ("PEERLINK_WEB_CHAT", "SLACK_APP_TOKEN")
    return lambda workdir, port: common.start_peerlink(workdir, port, settings, unset)


def start_bare(api_url: str, secret: str) -> common.Start:
    return lambda workdir, port: common.start_script(workdir, BARE_APP, str(port), secret,
                                                     api_url)


def report_paced(name: str, p: Sample, rate: float) -> None:
    print(f"  {name:<9} at {rate:g}/s: ack p50 {p.pct(0.50):6.1f} ms, "
          f"p99 {p.pct(0.99):6.1f} ms, max {p.pct(1.0):6.1f} ms; "
          f"{len(p.latencies)} acked, {p.errors} errors, {p.late} over 3 s, "
          f"generator lag max {p.max_lag * 1000:.1f} ms")


def sustained(s: Sample) -> str:
    per_ack = s.cpu / s.rate * 1e6 if s.rate else 0.0
    return f"{s.rate:5.0f}/s ({per_ack:3.0f} us CPU per ack, p99 {s.pct(0.99):4.1f} ms)"


@dataclass
class Side:
    """One target under load: its server, its events, what it was sent."""

    name: str
    target: common.Target
    events: Events
    errors: int = 0  # over every phase

    @property
    def url(self) -> str:
        return f"{self.target.base}/slack/events"

    async def warm(self) -> None:
        print(f"{self.name}: warming up ({len(USERS)} events, one per user)", flush=True)
        sample = Sample()
        await asyncio.gather(*(post(self.target.session, self.url, self.events,
                                    time.perf_counter(), sample) for _ in USERS))
        self.errors += sample.errors

    async def paced(self, rate: float, seconds: float) -> Sample:
        print(f"{self.name}: {rate:g} events/s open loop for {seconds:g} s", flush=True)
        sample = await open_loop(self.target.session, self.url, self.events, rate, seconds)
        self.errors += sample.errors
        return sample

    async def burst(self, concurrency: int, seconds: float) -> Sample:
        self.events.prepare(int(PREPARED_PER_SECOND * seconds))
        session, cpu0 = self.target.session, common.cpu_seconds(self.target.proc)
        sample = await common.closed_loop(
            lambda s: post(session, self.url, self.events, time.perf_counter(), s), Sample(),
            concurrency, seconds)
        sample.cpu = (common.cpu_seconds(self.target.proc) - cpu0) / sample.elapsed
        self.events.discard()
        self.errors += sample.errors
        return sample


@contextlib.contextmanager
def frozen(side: Side) -> Iterator[None]:
    """``side``'s process stopped (SIGSTOP) meanwhile: it takes no CPU, and goes on after."""
    os.kill(side.target.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(side.target.proc.pid, signal.SIGCONT)


async def main(args: argparse.Namespace) -> None:
    cpus = common.cpus() or 1  # before --pin narrows this process
    secret = secrets.token_hex(16)
    async with FakeSlackAPI() as api, contextlib.AsyncExitStack() as stack:
        for i, user in enumerate(USERS):
            api.add_user(user, email=f"bench{i}@example.org",
                         locale="fr-CA" if i % 3 == 0 else "en-US")
        sides = []
        for name, start in (("bare bolt", start_bare), ("peerlink", start_peerlink)):
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            target = await stack.enter_async_context(
                common.serving(start(api.url, secret), workdir, pinned=args.pin))
            sides.append(Side(name, target, Events(secret)))
        bare, peer = sides
        for side in sides:
            await side.warm()
        await inbox_empty(peer.target.session, peer.target.base)
        paced = [await side.paced(args.rate, args.seconds) for side in sides]
        await inbox_empty(peer.target.session, peer.target.base)

        print(f"{args.pairs} pairs of {args.burst:g} s bursts, {args.concurrency} in flight",
              flush=True)
        pairs: list[tuple[Sample, Sample]] = []
        for n in range(args.pairs):
            if n % 2 == 0:
                with frozen(peer):
                    b = await bare.burst(args.concurrency, args.burst)
                p = await peer.burst(args.concurrency, args.burst)
            else:
                p = await peer.burst(args.concurrency, args.burst)
                with frozen(peer):
                    b = await bare.burst(args.concurrency, args.burst)
            pairs.append((b, p))

        backlog = await inbox_waiting(peer.target.session, peer.target.base)
        print(f"peerlink: the turns of {backlog} acknowledged events are left", flush=True)
        began = time.perf_counter()
        await inbox_empty(peer.target.session, peer.target.base)
        drain = time.perf_counter() - began
        with sqlite3.connect(peer.target.workdir / "bench.db") as db:
            handled = db.execute("SELECT count(*) FROM processed_event").fetchone()[0]

    print()
    where = ("each target pinned to a CPU, the load generator and the fake Slack API on the "
             "rest" if args.pin and cpus >= 2 else
             "shared by the target, the load generator and the fake Slack API")
    print(f"slack acks on {cpus} CPUs, {where}; loopback, keep-alive, {len(USERS)} users")
    for side, sample in zip(sides, paced, strict=True):
        report_paced(side.name, sample, args.rate)
    ratios = []
    print(f"  sustained, {args.concurrency} in flight, pairs of {args.burst:g} s bursts:")
    for n, (b, p) in enumerate(pairs, 1):
        ratio = p.rate / b.rate if b.rate else 0.0
        ratios.append(ratio)
        print(f"   pair {n:2d}: bare bolt {sustained(b)}; peerlink {sustained(p)}; "
              f"ratio {ratio:.2f}")
    errors = sum(s.errors for s in sides)
    acked = peer.events.count - peer.errors
    turns = backlog / drain if drain else 0.0
    print(f"  peerlink  when the load ended {backlog} acknowledged events waited for their "
          f"turns; all done {drain:.1f} s later ({turns:.0f} turns/s once the acks stopped)")
    print(f"  peerlink  handled {handled} events of {acked} acked ({peer.events.count} sent, "
          f"warm-up included); errors: bare {bare.errors}, peerlink {peer.errors}")
    ratio = statistics.median(ratios)
    p99 = paced[1].pct(0.99)
    print(f"  throughput ratio peerlink/bare, median of {len(ratios)} pairs: {ratio:.2f} "
          f"(pairs {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.7: "
          f"{'met' if ratio >= 0.7 else 'NOT met'})")
    print(f"  peerlink p99 ack at {args.rate:g}/s: {p99:.1f} ms (target < 100 ms: "
          f"{'met' if p99 < 100 else 'NOT met'})")
    if any(b.cpu < 0.9 for b, _ in pairs):
        print("  note: in some burst the bare app used under 0.9 of its one core: its figure "
              "there is bounded by this load generator, its true ceiling is higher")
    print(f"  peerlink delivered {api.call_count('chat.postMessage')} replies to the fake "
          f"during the run (the outbox paces Slack; the rest stay queued)")
    if errors or handled != acked:
        raise SystemExit("some events were refused or not handled")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8,
                        help="closed-loop bursts, one to each target in turns")
    parser.add_argument("--burst", type=float, default=1.0, help="seconds per burst")
    parser.add_argument("--seconds", type=float, default=5.0, help="of the open-loop phase")
    parser.add_argument("--rate", type=float, default=100.0, help="offered events/s, open loop")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pin", action="store_true",
                        help="the targets on a CPU of their own, the generator on the others")
    asyncio.run(main(parser.parse_args()))
