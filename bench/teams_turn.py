"""Teams turns: message activities to `peerlink serve` and to a bare botbuilder echo bot.

    .venv/bin/python bench/teams_turn.py [--seconds 10] [--concurrency 32] [--drain 120]

Both targets get the same load over loopback, one after the other: a warm-up
(one activity per user, so each person's email is looked up and cached), then
``--concurrency`` activities in flight for ``--seconds``, for as many activities
per second as the target will answer. Every activity has its own id and comes
from one of 200 users, each in a personal (1:1) conversation, in one tenant.
Response latency is timed from each POST to its answer.

Authentication is off on both (no MICROSOFT_APP_ID): the Bot Framework's token
check is not measured. Every activity's ``serviceUrl`` is a FakeConnector (the
Bot Connector API) served from this process on loopback, so replies reach it:
the echo bot replies inside the turn, before answering; `peerlink serve` answers
once the turn is committed and its outbox worker delivers the replies, paced as
Teams asks (7/s per conversation, 30/s per tenant). Replies are counted when the
load stops and again once the outbox has drained (or after ``--drain`` seconds),
with the time that took.

`peerlink serve` runs as it would in production: a fresh migrated SQLite file,
Teams over HTTP (PEERLINK_TEAMS_UNAUTHENTICATED). The bare bot is botbuilder's
``CloudAdapter`` on aiohttp with an ``ActivityHandler`` that echoes the text. The
generator, the fake and the target share the machine's CPUs, which the printout counts.

Target (issue 4): 0.7 or more of the echo bot's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import common
from common import TEXTS, Sample

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.botframework import BOT_APP_ID, TENANT_ID, FakeConnector  # noqa: E402

USERS = [f"bench{i:03d}" for i in range(200)]
REPLY_KINDS = ("send", "reply")  # POST .../activities and .../activities/{id}

# The baseline: botbuilder's CloudAdapter on aiohttp, authentication off (no app id), and
# an ActivityHandler that echoes every message back through the connector inside the turn.
ECHO_BOT = """
import sys
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter, ConfigurationBotFrameworkAuthentication)

class Config:
    APP_ID = ""
    APP_PASSWORD = ""

class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(turn_context.activity.text))

adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
bot = EchoBot()

async def messages(request: web.Request) -> web.StreamResponse:
    return await adapter.process(request, bot)

async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")

app = web.Application()
app.router.add_post("/api/messages", messages)
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


class Activities:
    """Message activities from a person's 1:1 chat, each with a fresh id."""

    def __init__(self, service_url: str) -> None:
        self._service_url = service_url
        self._n = 0

    @property
    def count(self) -> int:
        return self._n

    def next(self) -> bytes:
        self._n += 1
        user = USERS[self._n % len(USERS)]
        i = self._n % len(USERS)
        return json.dumps({
            "type": "message", "id": f"1700{self._n:010d}",
            "timestamp": "2026-11-22T18:00:00.000Z", "serviceUrl": self._service_url,
            "channelId": "msteams",
            "from": {"id": f"29:{user}", "name": f"Person {user}", "aadObjectId": f"aad-{user}"},
            "conversation": {"id": f"a:personal-{user}", "conversationType": "personal",
                             "tenantId": TENANT_ID},
            "recipient": {"id": f"28:{BOT_APP_ID}", "name": "Peerlink"},
            "channelData": {"tenant": {"id": TENANT_ID}},
            "locale": "fr-CA" if i % 3 == 0 else "en-US",
            "text": TEXTS[self._n % len(TEXTS)], "textFormat": "plain",
        }).encode()


async def post(session: aiohttp.ClientSession, url: str, activities: Activities,
               sample: Sample) -> None:
    """One activity; answered with any 2xx counts."""
    body = activities.next()
    await common.post(session, url, body, {"Content-Type": "application/json"},
                      time.perf_counter(), sample, ok=range(200, 300))


@dataclass
class Result:
    name: str
    flat_out: Sample
    sent: int = 0  # every activity, warm-up included
    warm_errors: int = 0
    replies_at_stop: int = 0  # replies the fake had when the load stopped
    replies: int = 0  # ... and once drained
    drain: float = 0.0  # seconds from the end of the load to the last reply
    drained: bool = True
    outbox: dict[str, int] = field(default_factory=dict)  # peerlink: rows by status
    written: int | None = None  # peerlink: replies written to the outbox

    @property
    def answered(self) -> int:
        return self.sent - self.warm_errors - self.flat_out.errors


def replies(connector: FakeConnector) -> int:
    return sum(connector.call_count(kind) for kind in REPLY_KINDS)


async def metrics(session: aiohttp.ClientSession, url: str) -> tuple[dict[str, int], int]:
    """peerlink's outbox rows by status, and the replies it has written."""
    async with session.get(url) as resp:
        text = await resp.text()
    outbox = {m[1]: int(float(m[2])) for m in
              re.finditer(r'^peerlink_outbox_messages\{status="(\w+)"\} (\S+)$', text, re.M)}
    written = re.search(r"^peerlink_replies_total (\S+)$", text, re.M)
    return outbox, int(float(written[1])) if written else 0


async def drain(session: aiohttp.ClientSession, base: str, connector: FakeConnector,
                result: Result, limit: float) -> None:
    """Wait for peerlink's outbox to empty; note when the last reply reached the fake."""
    began = last_at = time.perf_counter()
    last = replies(connector)
    while True:
        outbox, written = await metrics(session, f"{base}/metrics")
        now = replies(connector)
        if now != last:
            last, last_at = now, time.perf_counter()
        if outbox.get("pending", 0) + outbox.get("claimed", 0) == 0:
            break
        if time.perf_counter() - began > limit:
            result.drained = False
            break
        await asyncio.sleep(0.1)
    result.outbox, result.written = outbox, written
    result.drain = last_at - began


async def measure(name: str, start: common.Start, connector: FakeConnector,
                  args: argparse.Namespace, *, outbox: bool) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        async with common.serving(start, Path(tmp)) as target:
            session = target.session
            url, activities = f"{target.base}/api/messages", Activities(connector.url)
            before = replies(connector)
            print(f"{name}: warming up ({len(USERS)} activities, one per user)", flush=True)
            warm = Sample()
            await asyncio.gather(*(post(session, url, activities, warm) for _ in USERS))
            print(f"{name}: {args.concurrency} in flight for {args.seconds:g} s", flush=True)
            cpu0 = common.cpu_seconds(target.proc)
            flat_out = await common.closed_loop(
                lambda s: post(session, url, activities, s), Sample(), args.concurrency,
                args.seconds)
            flat_out.cpu = (common.cpu_seconds(target.proc) - cpu0) / flat_out.elapsed
            result = Result(name, flat_out, sent=activities.count, warm_errors=warm.errors,
                            replies_at_stop=replies(connector) - before)
            if outbox:
                print(f"{name}: draining the outbox (at most {args.drain:g} s)", flush=True)
                await drain(session, target.base, connector, result, args.drain)
            result.replies = replies(connector) - before
        if target.proc.returncode not in (0, -15):
            tail = (Path(tmp) / "stderr.log").read_text(errors="replace")[-2000:]
            print(f"{name} exited with {target.proc.returncode}:\n{tail}", file=sys.stderr)
        return result


def start_peerlink(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    return common.start_peerlink(
        workdir, port, {"PEERLINK_TEAMS_UNAUTHENTICATED": "true"},
        unset=("PEERLINK_WEB_CHAT", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD",
               "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
               "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"))


def start_echo(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    return common.start_script(workdir, ECHO_BOT, str(port))


def report(result: Result) -> None:
    f = result.flat_out
    print(f"  {result.name:<9} sustained: {f.rate:6.0f} activities/s "
          f"(response p50 {f.pct(0.50):.1f} ms, p99 {f.pct(0.99):.1f} ms; "
          f"{f.errors} errors; server CPU {f.cpu:.2f} cores)")
    print(f"  {result.name:<9} replies at the fake: {result.replies_at_stop} when the load "
          f"stopped, of {result.answered} activities answered ({result.sent} sent, "
          f"warm-up included)")
    if result.written is not None:
        status = ", ".join(f"{k} {v}" for k, v in sorted(result.outbox.items()) if v)
        print(f"  {result.name:<9} drained: {result.replies} replies at the fake "
              f"{result.drain:.1f} s after the load stopped"
              f"{'' if result.drained else ' (drain limit reached, not empty)'}; "
              f"{result.written} written to the outbox ({status}); the outbox paces one "
              f"tenant at 30 replies/s")


async def main(args: argparse.Namespace) -> None:
    async with FakeConnector() as connector:
        for user in USERS:
            connector.add_member(f"29:{user}", aad_object_id=f"aad-{user}",
                                 email=f"{user}@example.org", name=f"Person {user}")
        echo = await measure("echo bot", start_echo, connector, args, outbox=False)
        peer = await measure("peerlink", start_peerlink, connector, args, outbox=True)
    print()
    print(f"teams turns on {common.cpus()} CPUs, shared by the server, this load generator and the "
          f"fake Bot Connector; loopback, keep-alive, authentication off, {len(USERS)} users "
          f"in personal chats, one tenant")
    for result in (echo, peer):
        report(result)
    ratio = peer.flat_out.rate / echo.flat_out.rate if echo.flat_out.rate else 0.0
    print(f"  throughput ratio peerlink/echo: {ratio:.3f} (target >= 0.7: "
          f"{'met' if ratio >= 0.7 else 'NOT met'})")
    for result in (echo, peer):
        if result.flat_out.cpu < 0.9:
            print(f"  note: {result.name} used {result.flat_out.cpu:.2f} of its one core flat "
                  f"out: this load generator or other work on the machine held it back, so "
                  f"its true ceiling is higher and the ratio is less reliable")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--drain", type=float, default=120.0,
                        help="seconds to wait, at most, for peerlink's outbox to empty")
    asyncio.run(main(parser.parse_args()))
