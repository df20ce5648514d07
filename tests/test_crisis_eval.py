"""The crisis screen against a labelled evaluation set (issue 5, "Quality").

``tests/data/crisis_eval.jsonl`` holds realistic workplace chat in English and
French, one JSON object a line: ``text``, ``lang`` ("en" or "fr"), ``label``
("crisis", "benign" or "ambiguous") and, for crisis messages, the expected
``category``. Targets: recall on crisis messages 0.98 or more, false positives on
benign messages 2% or less. Ambiguous messages (distress without a clear risk
phrase) are reported, not asserted. ``bench/crisis.py`` prints the same figures.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.crisis import CrisisScreen

EVAL_SET = Path(__file__).parent / "data" / "crisis_eval.jsonl"
CATEGORIES = {"suicide", "plan", "self_harm", "harm_others", "danger", "child_abuse", "overdose",
              "weapons", "third_party"}
RECALL_TARGET = 0.98
FP_TARGET = 0.02


def load() -> list[dict[str, str]]:
    with EVAL_SET.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


ROWS = load()


@pytest.fixture(scope="module")
def screened() -> list[tuple[dict[str, str], bool, str]]:
    screen = CrisisScreen()
    results = []
    for row in ROWS:
        found = screen.match(row["text"])
        results.append((row, found.crisis, found.category))
    return results


def test_the_set_has_the_promised_shape() -> None:
    assert len(ROWS) >= 400
    for row in ROWS:
        assert set(row) == {"text", "lang", "label", "category"}, row
        assert isinstance(row["text"], str) and row["text"].strip(), row
        assert row["lang"] in {"en", "fr"}, row
        assert row["label"] in {"crisis", "benign", "ambiguous"}, row
        if row["label"] == "crisis":
            assert row["category"] in CATEGORIES, row
        else:
            assert row["category"] == "", row
    texts = [row["text"] for row in ROWS]
    assert len(set(texts)) == len(texts), "duplicate texts"
    counts = Counter((row["lang"], row["label"]) for row in ROWS)
    for lang in ("en", "fr"):
        assert sum(n for (lg, _), n in counts.items() if lg == lang) >= 0.4 * len(ROWS), counts
    labels = Counter(row["label"] for row in ROWS)
    assert labels["crisis"] >= 170 and labels["benign"] >= 200 and labels["ambiguous"] >= 30


def test_recall_on_crisis_messages(screened: list[tuple[dict[str, str], bool, str]]) -> None:
    crisis = [(row, flagged) for row, flagged, _ in screened if row["label"] == "crisis"]
    missed = [row for row, flagged in crisis if not flagged]
    recall = 1 - len(missed) / len(crisis)
    listing = "\n".join(f"  [{r['lang']} {r['category']}] {r['text']}" for r in missed)
    assert recall >= RECALL_TARGET, (
        f"recall {recall:.3f} < {RECALL_TARGET} ({len(missed)} of {len(crisis)} missed):\n"
        f"{listing}"
    )


def test_false_positives_on_benign_messages(
    screened: list[tuple[dict[str, str], bool, str]],
) -> None:
    benign = [(row, flagged, cat) for row, flagged, cat in screened if row["label"] == "benign"]
    flagged = [(row, cat) for row, hit, cat in benign if hit]
    rate = len(flagged) / len(benign)
    listing = "\n".join(f"  [{r['lang']} -> {cat}] {r['text']}" for r, cat in flagged)
    assert rate <= FP_TARGET, (
        f"false positives {rate:.1%} > {FP_TARGET:.0%} ({len(flagged)} of {len(benign)}):\n"
        f"{listing}"
    )


def test_ambiguous_and_categories_are_reported(
    screened: list[tuple[dict[str, str], bool, str]],
) -> None:
    """Not asserted: what the screen makes of ambiguous messages, and category mix-ups."""
    ambiguous = [(row, hit) for row, hit, _ in screened if row["label"] == "ambiguous"]
    print(f"\nambiguous: {sum(hit for _, hit in ambiguous)} of {len(ambiguous)} flagged")
    for row, hit in ambiguous:
        print(f"  {'FLAGGED' if hit else 'not flagged'} [{row['lang']}] {row['text']}")
    for row, hit, category in screened:
        if row["label"] == "crisis" and hit and category != row["category"]:
            print(f"  category {category}, expected {row['category']}: {row['text']}")
