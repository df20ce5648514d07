"""`peerlink serve`: time from start to a healthy /healthz, and resident memory after start.

    .venv/bin/python bench/serve.py [--runs 5]

Each run uses a fresh, migrated SQLite file with the demo people and the web
chat on, as `make run` serves. Targets (issue 2): healthy in under 2 s, under
120 MB resident.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from common import PEERLINK, free_port, peerlink_env, prepare


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def one_run(workdir: Path) -> tuple[float, float]:
    port = free_port()
    env = peerlink_env(workdir, {"PORT": str(port), "PEERLINK_WEB_CHAT": "1"})
    prepare(env, ["seed-demo", "--if-empty"])
    started = time.perf_counter()
    proc = subprocess.Popen([PEERLINK, "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        while not healthy(url):
            if proc.poll() is not None or time.perf_counter() - started > 30:
                raise SystemExit("serve did not become healthy")
            time.sleep(0.01)
        to_healthy = time.perf_counter() - started
        time.sleep(1.0)  # let start-up settle before reading memory
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        return to_healthy, rss
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(runs: int) -> None:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(one_run(Path(tmp)))
    starts = [r[0] for r in results]
    rss = [r[1] for r in results]
    print(f"serve: start to healthy /healthz median {statistics.median(starts):.2f} s, "
          f"max {max(starts):.2f} s over {runs} runs (target < 2 s)")
    print(f"serve: resident memory after start median {statistics.median(rss):.0f} MB, "
          f"max {max(rss):.0f} MB (target < 120 MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    main(parser.parse_args().runs)
