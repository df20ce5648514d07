"""Org data import (``peerlink import-org FILE.csv``): validate a whole CSV, then upsert it.

The file is checked completely before anything is written. Every problem is reported with
its physical line number (the header is line 1), and one bad row means nothing is written.
A valid file is upserted in one transaction, so importing the same file twice leaves the
database as it was after the first time.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TextIO

from bot import org_fields as fields
from bot.buddy import schedule_buddy_offers
from storage.db import Database
from storage.people import OrgRecord

COLUMNS = (
    "email",
    "name",
    "manager_email",
    "department",
    "location",
    "country",
    "timezone",
    "language",
    "start_date",
)
# Every column is required: a missing one would silently blank that field for everyone.
_HEADER_HINT = ",".join(COLUMNS)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with the file; ``column`` is "" when the whole row is at fault."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


class OrgImportError(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in the org file; nothing was imported")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@dataclass(frozen=True)
class _Row:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class _Parsed:
    """A row's well-formed email (for manager look-ups) and its record if fully valid."""

    line: int
    email: str
    manager_email: str
    record: OrgRecord | None


def _read_rows(stream: TextIO, problems: list[RowProblem]) -> list[_Row]:
    """Every non-blank record with the physical line it starts on."""
    reader = csv.reader(stream, delimiter=",", strict=True)
    rows: list[_Row] = []
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(line, "", f"cannot read the file from here on: {exc}"))
            break
        except UnicodeDecodeError:
            message = 'the file is not UTF-8 text; save it as "CSV UTF-8"'
            problems.append(RowProblem(reader.line_num + 1, "", message))
            break
        if any(cell.strip() for cell in cells):
            rows.append(_Row(line, cells))
        line = reader.line_num + 1
    return rows


def _column_names(header: _Row) -> list[str]:
    return [
        cell.lstrip("\ufeff").translate(fields.ZERO_WIDTH).strip().lower()
        for cell in header.cells
    ]


def _header_problems(header: _Row) -> list[RowProblem]:
    names = _column_names(header)
    if not set(names) & set(COLUMNS):
        message = f"no header line; the first line must name the columns: {_HEADER_HINT}"
        return [RowProblem(header.line, "", message)]
    problems = []
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        message = f"missing column(s) {', '.join(missing)}; expected: {_HEADER_HINT}"
        problems.append(RowProblem(header.line, "", message))
    unknown = [n or "(blank)" for n in names if n not in COLUMNS]
    if unknown:
        message = f"unknown column(s) {', '.join(unknown)}; expected: {_HEADER_HINT}"
        problems.append(RowProblem(header.line, "", message))
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if repeated:
        problems.append(RowProblem(header.line, "", f"repeated column(s) {', '.join(repeated)}"))
    return problems


def _parse_row(row: _Row, columns: list[str], today: date) -> tuple[_Parsed, list[RowProblem]]:
    if len(row.cells) != len(columns):
        message = f"expected {len(columns)} fields, found {len(row.cells)}"
        salvaged = _salvage_email(row.cells, columns.index("email"))
        return _Parsed(row.line, salvaged, "", None), [RowProblem(row.line, "", message)]
    raw = dict(zip(columns, row.cells, strict=True))
    values: dict[str, str] = {}
    problems: list[RowProblem] = []
    start_date: date | None = None
    for column in columns:
        try:
            value = fields.clean(raw[column])
            if column == "start_date":
                start_date = fields.start_date(value, today) if value else None
            else:
                values[column] = fields.CHECKS[column](value)
        except fields.Invalid as exc:
            problems.append(RowProblem(row.line, column, str(exc)))
    email, boss = values.get("email", ""), values.get("manager_email", "")
    if problems:
        return _Parsed(row.line, email, boss, None), problems
    record = OrgRecord(
        email=email,
        name=values["name"],
        manager_email=boss,
        department=values["department"],
        location=values["location"],
        country=values["country"],
        timezone=values["timezone"],
        language=values["language"],
        start_date=start_date,
    )
    return _Parsed(row.line, email, boss, record), []


def _salvage_email(cells: list[str], index: int) -> str:
    """The email of a misshapen row, if readable, so its reports don't cascade into errors."""
    try:
        return fields.email(fields.clean(cells[index])) if index < len(cells) else ""
    except fields.Invalid:
        return ""


def _link_problems(
    parsed: list[_Parsed], existing: Mapping[str, str]
) -> tuple[list[RowProblem], dict[str, str], dict[str, int]]:
    """Duplicates, self-managers and unknown managers; returns the file's manager graph."""
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for p in parsed:
        if p.email in first_line:
            message = f'"{p.email}" is already on line {first_line[p.email]}'
            problems.append(RowProblem(p.line, "email", message))
        elif p.email:
            first_line[p.email] = p.line
    managers: dict[str, str] = {}
    for p in parsed:
        boss = p.manager_email
        if boss and boss == p.email:
            message = "is the person's own email; leave it empty if they have no manager"
            problems.append(RowProblem(p.line, "manager_email", message))
            boss = ""
        elif boss and boss not in first_line and boss not in existing:
            message = f'"{boss}" is not in this file or in the database'
            problems.append(RowProblem(p.line, "manager_email", message))
            boss = ""
        if p.email and first_line.get(p.email) == p.line:
            managers[p.email] = boss  # the file's chain, without links already reported
    return problems, managers, first_line


def _cycles(graph: Mapping[str, str], starts: Iterable[str]) -> list[list[str]]:
    """Each loop reachable from ``starts`` in a graph where everyone has at most one manager."""
    done: set[str] = set()
    found: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node = start
        while node and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = graph.get(node, "")
        if node in on_path:
            found.append(path[on_path[node] :])
        done.update(path)
    return found


def _cycle_problems(
    managers: dict[str, str], existing: Mapping[str, str], lines: Mapping[str, int]
) -> list[RowProblem]:
    merged = {**existing, **managers}  # the file overrides the database
    problems = []
    for loop in _cycles(merged, managers):
        in_file = sorted((lines[e], e) for e in loop if e in managers)
        if not in_file:
            continue
        first = loop.index(in_file[0][1])
        loop = loop[first:] + loop[:first]
        chain = " -> ".join([*loop, loop[0]])
        noun = "line" if len(in_file) == 1 else "lines"
        where = ", ".join(str(line) for line, _ in in_file)
        message = f"manager chain loops: {chain} (file {noun} {where})"
        problems.append(RowProblem(in_file[0][0], "manager_email", message))
    return problems


def validate_org_csv(
    stream: TextIO, existing_managers: Mapping[str, str], *, today: date | None = None
) -> list[OrgRecord]:
    """Every record of an org CSV, or :class:`OrgImportError` listing all its problems.

    ``existing_managers`` maps emails already in the database to their manager's email
    ('' for none): a manager may be someone already there, and loops are looked for in the
    database's chain as the file would change it. Open files with ``newline=""`` and
    ``encoding="utf-8-sig"``; a BOM left in the text is tolerated too.
    """
    problems: list[RowProblem] = []
    rows = _read_rows(stream, problems)
    if not rows:
        empty = RowProblem(1, "", f"the file is empty; expected a header: {_HEADER_HINT}")
        raise OrgImportError(problems or [empty])
    header_problems = _header_problems(rows[0])
    if header_problems:
        raise OrgImportError(header_problems + problems)
    columns = _column_names(rows[0])
    today = today or date.today()
    parsed: list[_Parsed] = []
    for row in rows[1:]:
        row_parsed, row_problems = _parse_row(row, columns, today)
        parsed.append(row_parsed)
        problems.extend(row_problems)
    link_problems, managers, lines = _link_problems(parsed, existing_managers)
    problems.extend(link_problems)
    problems.extend(_cycle_problems(managers, existing_managers, lines))
    if problems:
        order = {c: i for i, c in enumerate(["", *COLUMNS])}
        raise OrgImportError(sorted(problems, key=lambda p: (p.line, order[p.column])))
    return [p.record for p in parsed if p.record is not None]


def _managers_first(records: list[OrgRecord]) -> list[OrgRecord]:
    """Records reordered so anyone's manager from the file comes before them (no loops)."""
    by_email = {r.email: r for r in records}
    placed: set[str] = set()
    ordered: list[OrgRecord] = []
    for record in records:
        chain: list[OrgRecord] = []
        current: OrgRecord | None = record
        while current is not None and current.email not in placed:
            placed.add(current.email)
            chain.append(current)
            current = by_email.get(current.manager_email)
        ordered.extend(reversed(chain))
    return ordered


async def import_org(
    db: Database,
    stream: TextIO,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 500,
    now: datetime | None = None,
) -> ImportResult:
    """Validate the whole file, then upsert it in one transaction, in batches.

    Raises :class:`OrgImportError` (nothing written) if the file has any problem.
    ``progress(done, total)`` is called after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    async with db.transaction() as uow:
        existing = await uow.people.manager_map()
    records = _managers_first(validate_org_csv(stream, existing))
    created = updated = 0
    async with db.transaction() as uow:
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            batch_created, batch_updated = await uow.people.upsert_org(
                batch, refresh_paths=False)
            created, updated = created + batch_created, updated + batch_updated
            if progress is not None:
                progress(start + len(batch), len(records))
        await uow.people.refresh_reporting_paths()
        joiners = await uow.people.by_emails([r.email for r in records if r.start_date])
        await schedule_buddy_offers(uow, list(joiners.values()), now or datetime.now(UTC))
    return ImportResult(created=created, updated=updated)
