"""The crisis screen: recall, false positives, throughput and latency, against a naive regex.

    .venv/bin/python bench/crisis.py [--seconds 3]

Quality comes from the labelled set ``tests/data/crisis_eval.jsonl`` (English and
French; crisis, benign and ambiguous messages): recall is the fraction of crisis
messages flagged, the false-positive rate the fraction of benign ones flagged.
Speed is measured on one core over a realistic mix: the set itself, plus chat of
typical lengths (commands, one-liners, a few sentences, the odd long paragraph).
In the same run, a naive screen: one regular expression of the same phrases,
``\\b(?:p1|p2|...)\\b``, searched case-insensitively on the raw lower-cased text,
without the normaliser or the exclusions.
Targets (issue 5): recall 0.98 or more, false positives 2% or less, 20,000
messages/s or more on one core, p99 under 200 µs a message.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.crisis import CrisisScreen  # noqa: E402

EVAL_SET = ROOT / "tests" / "data" / "crisis_eval.jsonl"

_CHAT_EN = [
    "help", "menu", "settings", "privacy", "thanks!", "ok", "yes please", "can we talk tomorrow?",
    "I had a long week, not sure what to do about my manager",
    "this deadline is killing me but I'll get there",
    "My manager moved our one-on-one again and I'm starting to feel like my work doesn't "
    "matter. I know reorganisations are hard for everyone, but I'd like some advice on how "
    "to raise it without sounding like I'm complaining.",
]
_CHAT_FR = [
    "aide", "menu", "paramètres", "merci!", "oui", "on peut se parler demain?",
    "j'ai eu une longue semaine, je ne sais pas quoi faire avec mon gestionnaire",
    "Ma gestionnaire a encore déplacé notre rencontre et j'ai l'impression que mon travail "
    "ne compte pas. Je sais que la réorganisation est difficile pour tout le monde, mais "
    "j'aimerais des conseils pour en parler sans avoir l'air de me plaindre.",
]


def one_core() -> str:
    """Pin this process to one CPU, so the figure is per core."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def load() -> list[dict[str, str]]:
    with EVAL_SET.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def phrases() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """The screen's phrases through the lexicon module's public API, old or new."""
    import bot.crisis_lexicon as lexicon

    if hasattr(lexicon, "bundled_lexicon"):
        return lexicon.bundled_lexicon().phrases  # the YAML files
    return lexicon.PHRASES  # the Python tables


def naive_screen() -> tuple[Callable[[str], bool], int]:
    """One regex of every phrase, on the raw lower-cased text: no normaliser, no exclusions."""
    every = [p for table in phrases().values() for ps in table.values() for p in ps]
    pattern = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in every) + r")\b", re.I)
    return (lambda text: pattern.search(text.lower()) is not None), len(every)


def quality(rows: list[dict[str, str]], flag: Callable[[str], bool]) -> tuple[float, float, int]:
    """Recall on crisis, false-positive rate on benign, ambiguous flagged."""
    hits = {label: [flag(r["text"]) for r in rows if r["label"] == label]
            for label in ("crisis", "benign", "ambiguous")}
    return (sum(hits["crisis"]) / len(hits["crisis"]), sum(hits["benign"]) / len(hits["benign"]),
            sum(hits["ambiguous"]))


def mix(rows: list[dict[str, str]], n: int, rng: random.Random) -> list[str]:
    """Half the eval set's messages, half everyday chat, about 1 in 50 a long paragraph."""
    texts = [r["text"] for r in rows]
    out: list[str] = []
    while len(out) < n:
        roll = rng.random()
        if roll < 0.5:
            out.append(rng.choice(texts))
        elif roll < 0.98:
            out.append(rng.choice(_CHAT_EN + _CHAT_FR))
        else:  # a long message: a few paragraphs, with an eval message somewhere in it
            paragraph = rng.choice(_CHAT_EN[-1:] + _CHAT_FR[-1:])
            out.append(" ".join([paragraph] * rng.randint(2, 5) + [rng.choice(texts)]))
    return out


def speed(flag: Callable[[str], object], texts: list[str], seconds: float
          ) -> tuple[float, list[float]]:
    """Messages/s over the whole mix (repeated for ``seconds``), then each message's µs,
    in the mix's order (one timed call each)."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            flag(text)
        done += len(texts)
    rate = done / (time.perf_counter() - started)
    clock = time.perf_counter_ns
    micros = []
    for text in texts:
        t0 = clock()
        flag(text)
        micros.append((clock() - t0) / 1000)
    return rate, micros


def latency(micros: list[float], texts: list[str], keep: Callable[[str], bool]
            ) -> tuple[int, float, float]:
    """How many messages ``keep`` selects, and their p50 and p99 µs."""
    chosen = sorted(us for us, text in zip(micros, texts, strict=True) if keep(text))
    return len(chosen), statistics.median(chosen), pct(chosen, 0.99)


def pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(seconds: float, messages: int) -> None:
    rows = load()
    t0 = time.perf_counter()
    screen = CrisisScreen()
    build = time.perf_counter() - t0
    naive, count = naive_screen()

    def flag(text: str) -> bool:
        return screen.match(text).crisis

    counts = {label: sum(r["label"] == label for r in rows)
              for label in ("crisis", "benign", "ambiguous")}
    langs = {lang: sum(r["lang"] == lang for r in rows) for lang in ("en", "fr")}
    print(f"eval set: {len(rows)} messages ({langs['en']} en, {langs['fr']} fr): "
          f"{counts['crisis']} crisis, {counts['benign']} benign, {counts['ambiguous']} ambiguous")
    recall, fp, amb = quality(rows, flag)
    n_recall, n_fp, n_amb = quality(rows, naive)
    print(f"screen: recall {recall:.3f} (target 0.98), false positives {fp:.1%} (target 2%), "
          f"ambiguous flagged {amb} of {counts['ambiguous']}; compiled in {build * 1000:.0f} ms")
    print(f"naive regex ({count} phrases, no normaliser): recall {n_recall:.3f}, "
          f"false positives {n_fp:.1%}, ambiguous flagged {n_amb} of {counts['ambiguous']}")

    texts = mix(rows, messages, random.Random(5))
    lengths = sorted(len(t) for t in texts)
    print(f"mix: {len(texts)} messages, length p50 {pct(lengths, 0.5)} chars, "
          f"p99 {pct(lengths, 0.99)}, max {lengths[-1]}")
    rate, micros = speed(flag, texts, seconds)
    n_rate, n_micros = speed(naive, texts, seconds)
    _, p50, p99 = latency(micros, texts, lambda text: True)
    print(f"screen: {rate:,.0f} messages/s (target 20,000), p50 {p50:.1f} µs, "
          f"p99 {p99:.1f} µs (target < 200), max {max(micros):.0f} µs")
    for label, keep in (("of 280 characters or fewer", lambda text: len(text) <= 280),
                        ("over 280 characters", lambda text: len(text) > 280)):
        count, p50, p99 = latency(micros, texts, keep)
        print(f"  messages {label} ({count}): p50 {p50:.1f} µs, p99 {p99:.1f} µs")
    _, p50, p99 = latency(n_micros, texts, lambda text: True)
    print(f"naive regex: {n_rate:,.0f} messages/s, p50 {p50:.1f} µs, p99 {p99:.1f} µs")
    print(f"ratio screen/naive: {rate / n_rate:.2f}x the throughput")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    print(one_core())
    main(args.seconds, args.messages)
