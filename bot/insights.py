"""Insights for the program office: anonymous counts, with filters, never a figure from
fewer than five people.

Filters: a month (else the last six), a program, a department, a location. Rules that
keep people from being singled out:

- a count from 1 to 4 is shown as "fewer than 5"; if that leaves a single hidden bar in
  a chart, the next smallest is hidden too, so it cannot be worked out from the rest;
- with a department or location filter, a count is also hidden when the same count
  *outside* the filter is from 1 to 4 (else comparing the filtered and unfiltered pages
  would tell it);
- a department or location filter is refused outright when fewer than five people, or
  all but fewer than five, are in it;
- answers that are anonymous by design (check-in scores, surveys, escalations) carry no
  department or location, so they are not shown under such a filter.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bot.aggregates import MIN_GROUP, month_name, recent_months
from bot.config import ProgramConfig
from bot.connections import SEEKER_QUESTIONS
from bot.i18n import Catalogs
from storage.db import UnitOfWork
from storage.escalations import EscalationRecord
from storage.insights import RequestRow, SupporterRow, Where

Counts = Mapping[str, int]


@dataclass(frozen=True)
class Filters:
    month: str = ""  # "2026-11"; "" for the last six months
    program: str = ""
    department: str = ""
    location: str = ""

    @property
    def narrows_people(self) -> bool:
        return bool(self.department or self.location)

    def keeps(self, where: Where | None) -> bool:
        if where is None:
            return not self.narrows_people
        return ((not self.department or where.department == self.department)
                and (not self.location or where.location == self.location))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: from fewer than five people, not shown


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: tuple[Bar, ...]
    unit: str = ""
    note: str = ""


def suppress(counts: Counts, outside: Counts | None = None) -> dict[str, int | None]:
    """The module's rules for one chart's counts (``outside``: the same counts without
    the department or location filter)."""
    def hidden(key: str, value: int) -> bool:
        rest = (outside.get(key, 0) - value) if outside is not None else 0
        return 0 < value < MIN_GROUP or 0 < rest < MIN_GROUP

    shown: dict[str, int | None] = {k: None if hidden(k, v) else v for k, v in counts.items()}
    if sum(v is None for v in shown.values()) == 1:
        visible = sorted((v, k) for k, v in shown.items() if v)
        if visible:
            shown[visible[0][1]] = None
    return shown


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(x) for x in month.split("-"))
    start = datetime.combine(date(year, number, 1), time(), tzinfo=UTC)
    following = date(year + number // 12, number % 12 + 1, 1)
    return start, datetime.combine(following, time(), tzinfo=UTC)


class Insights:
    def __init__(self, config: ProgramConfig, catalogs: Catalogs) -> None:
        self.config = config
        self.catalogs = catalogs

    def months(self, filters: Filters, today: date) -> list[str]:
        return [filters.month] if filters.month else recent_months(today, 6)

    async def refusal(self, uow: UnitOfWork, filters: Filters, lang: str) -> str:
        """Why this filter would single people out, or ""."""
        if not filters.narrows_people:
            return ""
        everyone = await uow.insights.population()
        inside = sum(filters.keeps(w) for w in everyone)
        if inside < MIN_GROUP or len(everyone) - inside < MIN_GROUP:
            _ = self.catalogs.gettext(lang)
            return _("That filter would single people out (fewer than five people in it, or "
                     "outside it), so nothing is shown. Choose a wider one.")
        return ""

    async def charts(self, uow: UnitOfWork, filters: Filters, lang: str, now: datetime
                     ) -> list[Chart]:
        _ = self.catalogs.gettext(lang)
        months = self.months(filters, now.date())
        start, end = month_bounds(months[-1])[0], month_bounds(months[0])[1]
        requests = [r for r in await uow.insights.requests(start, end)
                    if not filters.program or r.program == filters.program]
        seekers = {r.id: uow.insights.seeker_of(r) for r in requests}
        where = await uow.insights.where_of([s for s in seekers.values() if s])
        supporters = [s for s in await uow.insights.supporters()
                      if not filters.program or s.program == filters.program]
        pool = [m for m in await uow.insights.pairing_members()
                if not filters.program or m.program == filters.program]
        checkins = await uow.insights.checkin_people()

        def both(count: Callable[[Callable[[Where | None], bool]], Counts]
                 ) -> dict[str, int | None]:
            inside = count(filters.keeps)
            return suppress(inside, count(lambda w: True) if filters.narrows_people else None)

        def of_requests(keep: Callable[[Where | None], bool]) -> list[RequestRow]:
            return [r for r in requests if keep(where.get(seekers[r.id]))]

        programs = [p for p in self.config.programs
                    if not filters.program or p.key == filters.program]
        charts = [
            self._chart("participants", _("People taking part, by program"),
                        both(lambda keep: {p.key: len(
                            {seekers[r.id] for r in of_requests(keep) if r.program == p.key}
                            | {s.person_id for s in supporters
                               if s.program == p.key and keep(s.where)}
                            | {m.person_id for m in pool if m.program == p.key and keep(m.where)})
                            for p in programs}),
                        {p.key: p.name(lang) for p in programs}),
            self._chart("requests", _("Requests, by what became of them"),
                        both(lambda keep: _outcomes(of_requests(keep))),
                        {"accepted": _("accepted"), "declined": _("declined"),
                         "expired": _("expired"), "withdrawn": _("withdrawn"),
                         "closed": _("closed"), "open": _("waiting")}),
            self._chart("first_meeting", _("Time from request to first meeting"),
                        both(lambda keep: _waits(of_requests(keep))),
                        {"0-2": _("2 days or less"), "3-7": _("3 to 7 days"),
                         "8-14": _("8 to 14 days"), "15+": _("more than 14 days")}),
            self._chart("held", _("Meetings held, by month of the request"),
                        both(lambda keep: {m: sum(r.held for r in of_requests(keep)
                                                  if r.created_at.strftime("%Y-%m") == m)
                                           for m in reversed(months)}),
                        {m: month_name(m, lang) for m in months}),
            self._chart("ended", _("Connections ended"),
                        both(lambda keep: _endings(of_requests(keep))),
                        {"two_or_more": _("after two meetings or more"),
                         "fewer": _("after fewer")}),
            self._chart("load", _("Active supporters, by people they support now"),
                        both(lambda keep: _loads([s for s in supporters if keep(s.where)])),
                        {"0": _("nobody yet"), "1": _("one person"), "2": _("two people"),
                         "3+": _("three or more")}),
            self._chart("checkins", _("People with check-ins on"),
                        both(lambda keep: {"on": sum(keep(w) for w in checkins)}),
                        {"on": _("check-ins on")}),
        ]
        if filters.narrows_people:
            note = _("Anonymous by design, so not broken down by department or location.")
            charts += [Chart(key, title, (), note=note) for key, title in (
                ("scores", _("Check-in answers")), ("survey", _("Survey: answered yes")),
                ("escalations", _("Crisis escalations")))]
            return charts
        charts.append(self._chart("scores", _("Check-in answers"), suppress(Counter(
            s for _m, s in await uow.checkins.scores(months))),
            {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5",
             "skip": _("rather not say")}))
        charts.append(await self._survey(uow, filters, months, lang))
        charts += self._escalations(await uow.escalations.since(start), months, lang)
        return charts

    def _chart(self, key: str, title: str, values: Mapping[str, int | None],
               labels: Mapping[str, str], unit: str = "") -> Chart:
        return Chart(key, title, tuple(Bar(labels.get(k, k), v) for k, v in values.items()
                                       if k in labels), unit=unit)

    async def _survey(self, uow: UnitOfWork, filters: Filters, months: Sequence[str],
                      lang: str) -> Chart:
        _ = self.catalogs.gettext(lang)
        answers = [a for a in await uow.surveys.answers("seeker", months)
                   if not filters.program or a.program == filters.program]
        bars = []
        for key, question in SEEKER_QUESTIONS:
            said = [a.answers.get(key) for a in answers if a.answers.get(key) in ("yes", "no")]
            share = round(100 * said.count("yes") / len(said)) if len(said) >= MIN_GROUP \
                else None
            bars.append(Bar(_(question), share))
        return Chart("survey", _("Survey: answered yes"), tuple(bars), unit="%")

    def _escalations(self, records: Sequence[EscalationRecord], months: Sequence[str],
                     lang: str) -> list[Chart]:
        _ = self.catalogs.gettext(lang)
        by_month: dict[str, list[float | None]] = {m: [] for m in months}
        for r in records:
            created, acked = r.created_at, r.acknowledged_at
            month = created.strftime("%Y-%m")
            if month in by_month:
                by_month[month].append((acked - created).total_seconds() / 60 if acked else None)
        counts = suppress({m: len(v) for m, v in by_month.items()})
        waits = {m: round(statistics.median([w for w in v if w is not None]), 1)
                 if sum(w is not None for w in v) >= MIN_GROUP else None
                 for m, v in by_month.items()}
        labels = [(m, month_name(m, lang)) for m in reversed(months)]
        return [Chart("escalations", _("Crisis escalations"),
                      tuple(Bar(label, counts[m]) for m, label in labels)),
                Chart("ack", _("Median minutes to acknowledge an escalation"),
                      tuple(Bar(label, waits[m]) for m, label in labels), unit=_("min"))]


def _outcomes(rows: Sequence[RequestRow]) -> dict[str, int]:
    counts = Counter({"accepted": 0, "declined": 0, "expired": 0, "withdrawn": 0,
                      "closed": 0, "open": 0})
    for r in rows:
        counts["accepted" if r.status in ("accepted", "ended") else r.status] += 1
    return dict(counts)


def _waits(rows: Sequence[RequestRow]) -> dict[str, int]:
    counts = Counter({"0-2": 0, "3-7": 0, "8-14": 0, "15+": 0})
    for r in rows:
        if r.first_meeting is not None:
            days = (r.first_meeting - r.created_at).days
            counts["0-2" if days <= 2 else "3-7" if days <= 7 else "8-14" if days <= 14
                   else "15+"] += 1
    return dict(counts)


def _endings(rows: Sequence[RequestRow]) -> dict[str, int]:
    ended = [r for r in rows if r.status == "ended"]
    return {"two_or_more": sum(r.held >= 2 for r in ended),
            "fewer": sum(r.held < 2 for r in ended)}


def _loads(supporters: Sequence[SupporterRow]) -> dict[str, int]:
    counts = Counter({"0": 0, "1": 0, "2": 0, "3+": 0})
    for s in supporters:
        if s.state == "active":
            counts[str(s.load) if s.load < 3 else "3+"] += 1
    return dict(counts)


def as_csv(charts: Sequence[Chart], filters: Filters) -> str:
    """The same figures as the page: "fewer than 5" where hidden."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["chart", "bar", "value", "unit", "month", "program", "department",
                     "location"])
    for chart in charts:
        for bar in chart.bars:
            writer.writerow([chart.title, bar.label,
                             "<5" if bar.value is None else bar.value, chart.unit,
                             filters.month or "last 6 months", filters.program,
                             filters.department, filters.location])
    return out.getvalue()
