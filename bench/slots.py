"""Free slots of one supporter: 10 weekly windows, 10 working days, 50 booked meetings.

    .venv/bin/python bench/slots.py [--runs 2000]

Times ``bot.slots.free_slots`` (the pure computation a booking card runs) for each
meeting length, on one core, with public holidays looked up (cached after the first
call of a year). Target (issue 7): under 5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.matching import Window  # noqa: E402
from bot.slots import DURATIONS, Busy, free_slots, working_days  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(7)
    # Ten weekly windows: two a weekday, morning and afternoon.
    windows = [Window(day, clock(9), clock(12)) for day in range(5)]
    windows += [Window(day, clock(13), clock(17)) for day in range(5)]
    now = datetime(2026, 11, 23, 14, tzinfo=UTC)
    days = working_days((now + timedelta(days=1)).date(), 10, "CA")
    meetings = []
    for _ in range(50):  # 50 booked meetings over those days, inside the windows
        day = rng.choice(days)
        start = datetime(day.year, day.month, day.day, rng.choice([14, 15, 16, 19, 20]),
                         rng.choice([0, 30]), tzinfo=UTC)
        meetings.append((start, start + timedelta(minutes=rng.choice(DURATIONS))))
    busy = Busy.of(meetings)
    for minutes in DURATIONS:
        free_slots(windows, "America/Toronto", "CA", busy, now=now, minutes=minutes)  # warm
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            slots = free_slots(windows, "America/Toronto", "CA", busy, now=now,
                               minutes=minutes)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{minutes} min: {len(slots)} free slots; p50 {statistics.median(times):.2f} ms, "
              f"p99 {times[int(0.99 * len(times))]:.2f} ms, max {times[-1]:.2f} ms "
              f"(target < 5 ms)")


if __name__ == "__main__":
    main()
