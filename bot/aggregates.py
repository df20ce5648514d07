"""What the program office may see: aggregates by month, small groups never shown.

Shared by every report (escalations, surveys, check-ins) so the rule lives once.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

# A figure about fewer people than this is never shown (PROGRAM_RULES.md).
MIN_GROUP = 5


def recent_months(today: date, count: int) -> list[str]:
    """The ``count`` months up to ``today``'s, as "YYYY-MM", newest first."""
    months = []
    for back in range(count):
        year, index = divmod(today.year * 12 + today.month - 1 - back, 12)
        months.append(f"{year:04d}-{index + 1:02d}")
    return months


def month_name(month: str, lang: str) -> str:
    """"November 2026" / "novembre 2026" for "2026-11"."""
    year, number = (int(part) for part in month.split("-"))
    return str(format_date(date(year, number, 1), "LLLL yyyy", locale=lang))
