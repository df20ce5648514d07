"""What the benches share: `peerlink serve` on a fresh SQLite file, the load, the figures.

The scripts run as ``.venv/bin/python bench/X.py``, so this folder is first on
``sys.path`` and they import it as ``common``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Container, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import psutil

if TYPE_CHECKING:
    from storage.db import Database

PEERLINK = Path(sys.executable).parent / "peerlink"
TEXTS = ["help", "aide", "menu", "settings", "privacy",
         "I had a long week, not sure what to do about my manager"]

Start = Callable[[Path, int], subprocess.Popen[bytes]]  # (workdir, port) -> the target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpus() -> int | None:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """User plus system CPU time the process has used so far."""
    return float(sum(psutil.Process(proc.pid).cpu_times()[:2]))


# --- `peerlink serve` ------------------------------------------------------------------


def peerlink_env(workdir: Path, settings: dict[str, str],
                 unset: Iterable[str] = ()) -> dict[str, str]:
    """This environment with a SQLite file in ``workdir``, a fresh key and ``settings``."""
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
           "PEERLINK_SECRET_KEY": subprocess.check_output(
               [PEERLINK, "gen-key"], text=True).strip(),
           "PEERLINK_LOG_FORMAT": "text", **settings}
    for name in unset:
        env.pop(name, None)
    return env


def prepare(env: dict[str, str], *commands: list[str]) -> None:
    """Run `peerlink migrate`, then each of ``commands``, against ``env``'s database."""
    for command in (["migrate"], *commands):
        subprocess.run([PEERLINK, *command], env=env, check=True, capture_output=True)


def start_peerlink(workdir: Path, port: int, settings: dict[str, str],
                   unset: Iterable[str] = ()) -> subprocess.Popen[bytes]:
    """`peerlink serve` on ``port``, warnings and worse to ``workdir``/stderr.log."""
    env = peerlink_env(workdir, {"PEERLINK_LOG_LEVEL": "WARNING", **settings}, unset)
    prepare(env)
    with (workdir / "stderr.log").open("wb") as err:
        return subprocess.Popen([PEERLINK, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)


def start_script(workdir: Path, script: str, *args: str) -> subprocess.Popen[bytes]:
    """``python -c script args...``, its stderr to ``workdir``/stderr.log."""
    with (workdir / "stderr.log").open("wb") as err:
        return subprocess.Popen([sys.executable, "-c", script, *args],
                                stdout=subprocess.DEVNULL, stderr=err)


async def wait_healthy(session: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes],
                       log: Path) -> None:
    started = time.perf_counter()
    while True:
        try:
            async with session.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > 30:
            tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
            raise SystemExit(f"{url} did not become healthy:\n{tail}")
        await asyncio.sleep(0.05)


async def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill; off the event loop so the fake keeps answering meanwhile."""
    if proc.poll() is None:
        proc.terminate()
    try:
        await asyncio.to_thread(proc.wait, 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait, 10)


@dataclass
class Target:
    proc: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:{port}
    session: aiohttp.ClientSession
    workdir: Path


# The CPUs this process started with (pin narrows them).
ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def pin(proc: subprocess.Popen[bytes]) -> str:
    """Give the target the last CPU and this process (load generator, fakes) the others,
    so neither takes the other's time and the target's figure is one core's (several
    targets pinned this way share that CPU). Returns a phrase for the printout ("" where
    CPUs cannot be pinned, or there is only one)."""
    cpus_here = ALL_CPUS
    if len(cpus_here) < 2:
        return ""
    os.sched_setaffinity(proc.pid, {cpus_here[-1]})
    os.sched_setaffinity(0, set(cpus_here[:-1]))
    return f"target pinned to CPU {cpus_here[-1]}, load generator to the other {len(cpus_here) - 1}"


@asynccontextmanager
async def serving(start: Start, workdir: Path, *, pinned: bool = False) -> AsyncIterator[Target]:
    """Start a target on a free port, wait for its /healthz, and stop it on the way out.

    ``pinned``: the target on a CPU of its own (see :func:`pin`)."""
    port = free_port()
    proc = start(workdir, port)
    if pinned:
        pin(proc)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(session, f"{base}/healthz", proc, workdir / "stderr.log")
            yield Target(proc, base, session, workdir)
    finally:
        await stop(proc)


# --- Load and figures ------------------------------------------------------------------


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds, answered as hoped
    errors: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0  # target's CPU seconds per wall second

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


S = TypeVar("S", bound=Sample)


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
               start: float, sample: Sample, ok: Container[int]) -> None:
    """POST ``body``; note the time since ``start`` if the status is ``ok``, else an error."""
    try:
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            answered = resp.status in ok
    except (aiohttp.ClientError, TimeoutError):
        answered = False
    if answered:
        sample.latencies.append(time.perf_counter() - start)
    else:
        sample.errors += 1


async def closed_loop(send: Callable[[S], Awaitable[None]], sample: S, concurrency: int,
                      seconds: float) -> S:
    """``concurrency`` workers each ``send`` one after another for ``seconds``."""
    began = time.perf_counter()
    deadline = began + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await send(sample)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    sample.elapsed = time.perf_counter() - began
    return sample


async def empty_database(url: str, key: str) -> Database:
    """``url`` migrated, every table empty (a PostgreSQL server keeps rows between runs)."""
    from sqlalchemy import text

    from storage.crypto import Cipher
    from storage.db import Database  # here: the scripts put the project on sys.path first
    from storage.models import Base

    db = Database(url, Cipher([key]))
    await db.migrate()
    if url.startswith("postgresql"):
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return db
