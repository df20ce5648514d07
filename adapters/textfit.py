"""Fitting text into a platform's size limits, shared by the Slack and Teams renderers."""

from __future__ import annotations

from collections.abc import Callable

Cut = Callable[[str, int], str]


def _plain_cut(text: str, limit: int) -> str:
    return text[:limit]


def split_text(
    text: str, limit: int, separators: tuple[str, ...], cut: Cut = _plain_cut
) -> list[str]:
    """Pieces of at most ``limit`` characters, split at the first separator that fits
    (paragraphs, then lines, then words), else hard cut with ``cut``."""
    if len(text) <= limit:
        return [text] if text.strip() else []
    if not separators:
        head = cut(text, limit) or text[:limit]
        return [head, *split_text(text[len(head):], limit, separators, cut)]
    sep, finer = separators[0], separators[1:]
    pieces: list[str] = []
    current = ""
    for part in text.split(sep):
        if current and len(current) + len(sep) + len(part) <= limit:
            current += sep + part
            continue
        pieces.extend(split_text(current, limit, finer, cut))
        current = part
    pieces.extend(split_text(current, limit, finer, cut))
    return pieces
