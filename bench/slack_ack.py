"""Slack acks: signed message.im events to `peerlink serve` and to a bare slack-bolt app.

    .venv/bin/python bench/slack_ack.py [--seconds 5] [--rounds 3] [--rate 100]
                                        [--concurrency 32] [--pin]

Both targets get the same load over loopback, one after the other: a warm-up
(one event per user, so profiles are cached and auth.test is answered), then
(1) open-loop at a fixed offered rate: sends are scheduled on a timer and never
wait for earlier ones; ack latency is timed from each send's scheduled moment,
so a lagging generator or a queueing server both show; then (2) closed-loop
with ``--concurrency`` requests in flight for as many events per second as the
target will ack. Every event has its own event_id and one of 200 users.

The closed-loop phase runs ``--rounds`` times, the bare app then peerlink each
round, each on a freshly started server: the speed of a shared machine drifts by
a fifth or more within a minute, so each round's ratio compares two runs taken
side by side, and the median of the rounds is the figure.

`peerlink serve` runs as it would in production: a fresh migrated SQLite file,
Slack over HTTP, its inbox worker taking the turns of acknowledged events and
its outbox worker delivering the replies. Peerlink acknowledges once an event is
recorded (sealed, in its inbox) and has its turn just after; so after the
warm-up the bench waits for those turns (the inbox to empty, from /metrics)
before measuring, and after the load it times how long the turns of everything
acknowledged take to finish: turns per second, the work behind the acks. The
Slack Web API (users.info, auth.test, chat.postMessage) is a FakeSlackAPI served
from this process on loopback. The bare app is slack-bolt's ``AsyncApp`` on
aiohttp whose only listener acks ``message`` events. The flat-out phase's events
are signed before it starts, so sending them costs the generator little. With
``--pin`` (two CPUs or more), each target runs on a CPU of its own and this
process (generator and fake) on the rest; otherwise they share the CPUs.

Targets (issue 3): 0.7 or more of the bare app's throughput; p99 ack under 100 ms
at 100 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
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


@dataclass
class Result:
    name: str
    paced: Sample
    flat_out: Sample
    sent: int = 0  # every request, warm-up included
    warm_errors: int = 0
    recorded: int | None = None  # events peerlink handled (processed_event rows)
    drain: float | None = None  # seconds from the end of the load to an empty inbox
    backlog: int = 0  # events waiting for their turns when the load ended

    @property
    def acked(self) -> int:
        return self.sent - self.warm_errors - self.paced.errors - self.flat_out.errors


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


async def measure(name: str, start: common.Start, secret: str, args: argparse.Namespace,
                  *, paced: bool, drains: bool = False, inbox: bool = False) -> Result:
    """One fresh server: warm-up, the open-loop phase if ``paced``, the closed-loop
    phase; with ``drains`` (peerlink), then the time its backlog of turns takes."""
    with tempfile.TemporaryDirectory() as tmp:
        async with common.serving(start, Path(tmp), pinned=args.pin) as target:
            session = target.session
            url, events = f"{target.base}/slack/events", Events(secret)
            print(f"{name}: warming up ({len(USERS)} events, one per user)", flush=True)
            warm = Sample()
            await asyncio.gather(*(post(session, url, events, time.perf_counter(), warm)
                                   for _ in USERS))
            if inbox:
                await inbox_empty(session, target.base)
            open_sample = Sample()
            if paced:
                print(f"{name}: {args.rate:g} events/s open loop for {args.seconds:g} s",
                      flush=True)
                open_sample = await open_loop(session, url, events, args.rate, args.seconds)
                if inbox:
                    await inbox_empty(session, target.base)
            print(f"{name}: {args.concurrency} in flight for {args.seconds:g} s", flush=True)
            events.prepare(int(PREPARED_PER_SECOND * args.seconds))
            cpu0 = common.cpu_seconds(target.proc)
            flat_out = await common.closed_loop(
                lambda s: post(session, url, events, time.perf_counter(), s), Sample(),
                args.concurrency, args.seconds)
            flat_out.cpu = (common.cpu_seconds(target.proc) - cpu0) / flat_out.elapsed
            result = Result(name, open_sample, flat_out, sent=events.count,
                            warm_errors=warm.errors)
            if drains:
                result.backlog = await inbox_waiting(session, target.base)
                began = time.perf_counter()
                await inbox_empty(session, target.base)
                result.drain = time.perf_counter() - began
        database = Path(tmp) / "bench.db"
        if drains and database.exists():  # did every acknowledged event have its turn?
            with sqlite3.connect(database) as db:
                result.recorded = db.execute("SELECT count(*) FROM processed_event").fetchone()[0]
        return result


def start_peerlink(api_url: str, secret: str) -> common.Start:
    settings = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": api_url}
    unset = ("PEERLINK_WEB_CHAT", "SLACK_APP_TOKEN")
    return lambda workdir, port: common.start_peerlink(workdir, port, settings, unset)


def start_bare(api_url: str, secret: str) -> common.Start:
    return lambda workdir, port: common.start_script(workdir, BARE_APP, str(port), secret,
                                                     api_url)


def report_paced(result: Result, rate: float) -> None:
    p = result.paced
    print(f"  {result.name:<9} at {rate:g}/s: ack p50 {p.pct(0.50):6.1f} ms, "
          f"p99 {p.pct(0.99):6.1f} ms, max {p.pct(1.0):6.1f} ms; "
          f"{len(p.latencies)} acked, {p.errors} errors, {p.late} over 3 s, "
          f"generator lag max {p.max_lag * 1000:.1f} ms")


def report_sustained(result: Result) -> None:
    f = result.flat_out
    print(f"  {result.name:<9} sustained: {f.rate:6.0f} events/s "
          f"(ack p50 {f.pct(0.50):.1f} ms, p99 {f.pct(0.99):.1f} ms; "
          f"{f.errors} errors; server CPU {f.cpu:.2f} cores, "
          f"{f.cpu / f.rate * 1e6 if f.rate else 0:.0f} us per ack)")


def report_backlog(result: Result) -> None:
    if result.drain is not None:
        turns = result.backlog / result.drain if result.drain else 0.0
        print(f"  {result.name:<9} when the load ended {result.backlog} acknowledged events "
              f"waited for their turns; all done {result.drain:.1f} s later ({turns:.0f} "
              f"turns/s once the acks stopped)")
    if result.recorded is not None:
        print(f"  {result.name:<9} handled {result.recorded} events of {result.acked} acked "
              f"({result.sent} sent, warm-up included)")


async def main(args: argparse.Namespace) -> None:
    cpus = common.cpus() or 1  # before --pin narrows this process
    secret = secrets.token_hex(16)
    rounds: list[tuple[Result, Result]] = []
    async with FakeSlackAPI() as api:
        for i, user in enumerate(USERS):
            api.add_user(user, email=f"bench{i}@example.org",
                         locale="fr-CA" if i % 3 == 0 else "en-US")
        for n in range(args.rounds):
            first, last = n == 0, n == args.rounds - 1
            print(f"round {n + 1} of {args.rounds}", flush=True)
            bare = await measure("bare bolt", start_bare(api.url, secret), secret, args,
                                 paced=first)
            peer = await measure("peerlink", start_peerlink(api.url, secret), secret, args,
                                 paced=first, drains=last, inbox=True)
            rounds.append((bare, peer))
    print()
    where = ("each target pinned to a CPU of its own, the load generator and the fake Slack "
             "API on the rest" if args.pin and cpus >= 2 else
             "shared by the target, the load generator and the fake Slack API")
    print(f"slack acks on {cpus} CPUs, {where}; loopback, keep-alive, {len(USERS)} users")
    for result in rounds[0]:
        report_paced(result, args.rate)
    ratios = []
    for n, (bare, peer) in enumerate(rounds, 1):
        ratio = peer.flat_out.rate / bare.flat_out.rate if bare.flat_out.rate else 0.0
        ratios.append(ratio)
        print(f" round {n}: ratio {ratio:.2f}")
        report_sustained(bare)
        report_sustained(peer)
    last = rounds[-1][1]
    report_backlog(last)
    ratio = statistics.median(ratios)
    p99 = rounds[0][1].paced.pct(0.99)
    print(f"  throughput ratio peerlink/bare, median of {len(ratios)} rounds: {ratio:.2f} "
          f"(each: {', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.7: "
          f"{'met' if ratio >= 0.7 else 'NOT met'})")
    print(f"  peerlink p99 ack at {args.rate:g}/s: {p99:.1f} ms (target < 100 ms: "
          f"{'met' if p99 < 100 else 'NOT met'})")
    if any(bare.flat_out.cpu < 0.9 for bare, _ in rounds):
        print("  note: in some round the bare app used under 0.9 of its one core flat out: its "
              "figure there is bounded by this load generator, its true ceiling is higher")
    print(f"  peerlink delivered {api.call_count('chat.postMessage')} replies to the fake "
          f"during the runs (the outbox paces Slack; the rest stay queued)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="closed-loop rounds, the two targets side by side in each")
    parser.add_argument("--rate", type=float, default=100.0, help="offered events/s, open loop")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pin", action="store_true",
                        help="each target on a CPU of its own, the generator on the others")
    asyncio.run(main(parser.parse_args()))
