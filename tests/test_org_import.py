"""``peerlink import-org``: validating an org CSV completely, then upserting it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.org_import import (
    COLUMNS,
    ImportResult,
    OrgImportError,
    RowProblem,
    import_org,
    validate_org_csv,
)
from storage.crypto import Cipher
from storage.db import Database
from storage.people import OrgRecord, PeopleRepository

CEO = "ceo@example.org"
VP = "vp@example.org"
DEV = "dev@example.org"


def make_row(email: str, /, **overrides: str) -> dict[str, str]:
    row = {
        "email": email,
        "name": email.split("@")[0].title(),
        "manager_email": "",
        "department": "Engineering",
        "location": "Montréal",
        "country": "CA",
        "timezone": "America/Toronto",
        "language": "fr",
        "start_date": "2021-03-15",
    }
    return row | overrides


def make_csv(rows: list[dict[str, str]], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def problems_of(text: str, existing: Mapping[str, str] | None = None) -> list[RowProblem]:
    with pytest.raises(OrgImportError) as caught:
        validate_org_csv(io.StringIO(text), existing or {}, today=date(2024, 6, 1))
    return caught.value.problems


def where(problems: list[RowProblem]) -> list[tuple[int, str]]:
    return [(p.line, p.column) for p in problems]


def one_record(**overrides: str) -> OrgRecord:
    [record] = validate_org_csv(io.StringIO(make_csv([make_row(CEO, **overrides)])), {})
    return record


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db", Cipher([Cipher.generate_key()]))
    await database.migrate()
    yield database
    await database.dispose()


async def count_people(db: Database) -> int:
    async with db.transaction() as uow:
        return await uow.people.count()


async def managers(db: Database) -> dict[str, str]:
    async with db.transaction() as uow:
        return await uow.people.manager_map()


async def run_import(db: Database, text: str, **kwargs: Any) -> ImportResult:
    return await import_org(db, io.StringIO(text), **kwargs)


ORG = make_csv(
    [
        make_row(" DEV@Example.org ", manager_email="VP@example.org", name="Zoe\u0301 \u200bLi"),
        make_row(VP, manager_email=CEO, country="fr", language="fr-CA", timezone="Europe/Paris"),
        make_row(CEO, country="", timezone="", language="", start_date="", department=""),
    ]
)


async def test_good_file_imports_with_managers_linked(db: Database) -> None:
    result = await run_import(db, ORG)

    assert result == ImportResult(created=3, updated=0)
    async with db.transaction() as uow:
        ceo, vp, dev = [await uow.people.by_email(e) for e in (CEO, VP, DEV)]
        assert ceo is not None and vp is not None and dev is not None
        assert (ceo.manager_id, vp.manager_id, dev.manager_id) == (None, ceo.id, vp.id)
        assert dev.email == DEV and dev.display_name == "Zoé Li"
        assert (vp.country, vp.org_timezone, vp.org_language) == ("FR", "Europe/Paris", "fr")
        assert vp.start_date == date(2021, 3, 15) and ceo.start_date is None
        assert (ceo.country, ceo.org_timezone, ceo.org_language, ceo.department) == ("", "", "", "")


async def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    await run_import(db, ORG)
    before = await managers(db)

    again = await run_import(db, ORG)

    assert again == ImportResult(created=0, updated=3)
    assert await count_people(db) == 3
    assert await managers(db) == before == {CEO: "", VP: CEO, DEV: VP}


async def test_a_file_with_many_problems_lists_them_all_and_writes_nothing(db: Database) -> None:
    text = (
        make_csv(
            [
                make_row("not-an-email"),
                make_row("ana@example.org", name=""),
                make_row("ben@example.org", timezone="Europe/Pariss", country="XY"),
                make_row(
                    "cy@example.org", manager_email="ghost@example.org", start_date="2024-02-30"
                ),
                make_row("ana@example.org", language="de"),
            ]
        )
        + "short@example.org,Short\n"
    )
    assert await count_people(db) == 0

    with pytest.raises(OrgImportError) as caught:
        await run_import(db, text)

    assert where(caught.value.problems) == [
        (2, "email"),
        (3, "name"),
        (4, "country"),
        (4, "timezone"),
        (5, "manager_email"),
        (5, "start_date"),
        (6, "email"),
        (6, "language"),
        (7, ""),
    ]
    texts = [str(p) for p in caught.value.problems]
    assert texts[0] == 'line 2, email: "not-an-email" is not an email address'
    assert texts[3].startswith('line 4, timezone: "Europe/Pariss" is not an IANA timezone')
    assert texts[6] == 'line 6, email: "ana@example.org" is already on line 3'
    assert texts[8] == "line 7: expected 9 fields, found 2"
    assert await count_people(db) == 0


def test_unknown_manager_is_a_problem() -> None:
    problems = problems_of(make_csv([make_row(DEV, manager_email="nobody@example.org")]))

    assert [str(p) for p in problems] == [
        'line 2, manager_email: "nobody@example.org" is not in this file or in the database'
    ]


def test_a_manager_in_a_misshapen_row_is_not_also_reported_unknown() -> None:
    text = make_csv([make_row(DEV, manager_email=VP)]) + f"{VP},Vee,,extra\n"

    assert where(problems_of(text)) == [(3, "")]


def test_a_three_person_loop_is_reported_once_with_its_lines() -> None:
    text = make_csv(
        [
            make_row(CEO, manager_email=DEV),
            make_row("x@example.org"),
            make_row(VP, manager_email=CEO),
            make_row(DEV, manager_email=VP),
        ]
    )

    [problem] = problems_of(text)

    assert (problem.line, problem.column) == (2, "manager_email")
    assert f"{CEO} -> {DEV} -> {VP} -> {CEO}" in problem.message
    assert "(file lines 2, 4, 5)" in problem.message


def test_being_ones_own_manager_is_a_problem() -> None:
    [problem] = problems_of(make_csv([make_row(CEO, manager_email=CEO.upper())]))

    assert (problem.line, problem.column) == (2, "manager_email")
    assert "own email" in problem.message


def test_duplicate_emails_name_both_lines() -> None:
    text = make_csv([make_row(CEO), make_row(VP), make_row(" Ceo@Example.ORG")])

    assert [str(p) for p in problems_of(text)] == [f'line 4, email: "{CEO}" is already on line 2']


async def test_bom_and_crlf_line_endings_are_read(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(b"\xef\xbb\xbf" + make_csv([make_row(CEO), make_row(VP)], "\r\n").encode())

    for encoding in ("utf-8-sig", "utf-8"):  # a BOM left in the text is tolerated too
        with path.open(encoding=encoding, newline="") as stream:
            records = validate_org_csv(stream, {})
        assert [r.email for r in records] == [CEO, VP]
        assert records[1].start_date == date(2021, 3, 15)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        assert await import_org(db, stream) == ImportResult(created=2, updated=0)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(make_csv([make_row(CEO, location="Montréal")]).encode("latin-1"))

    with path.open(encoding="utf-8-sig", newline="") as stream, pytest.raises(OrgImportError) as e:
        validate_org_csv(stream, {})

    assert [p.message for p in e.value.problems] == [
        'the file is not UTF-8 text; save it as "CSV UTF-8"'
    ]


def test_line_numbers_count_physical_lines() -> None:
    text = make_csv([make_row(CEO, location="Floor 2\nDesk 7"), make_row(VP, country="??")])

    assert where(problems_of(text)) == [(2, "location"), (4, "country")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        (f"{CEO},Ceo,,,,,,,\n", "no header line"),
        ("email,name,manager_email,department,location,country,language,start_date\n", "timezone"),
        (",".join([*COLUMNS, "salary"]) + "\n", "unknown column(s) salary"),
        (",".join([*COLUMNS, "email"]) + "\n", "repeated column(s) email"),
        (make_csv([make_row(CEO)]) + '"unterminated,\n', "cannot read the file"),
    ],
)
def test_file_shape_problems(text: str, fragment: str) -> None:
    problems = problems_of(text)

    assert any(fragment in p.message for p in problems), problems
    assert all(p.column == "" for p in problems)


def test_missing_columns_are_all_named() -> None:
    [problem] = problems_of("email,name,manager_email,department,location,country\n")

    assert problem.line == 1
    assert problem.message.startswith("missing column(s) timezone, language, start_date")


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("timezone", "Europe/Pariss", "is not an IANA timezone"),
        ("timezone", "europe/paris", 'did you mean "Europe/Paris"?'),
        ("timezone", "../etc", "is not an IANA timezone"),
        ("timezone", "/etc/passwd", "is not an IANA timezone"),
        ("timezone", "Europe", "is not an IANA timezone"),
        ("timezone", "localtime", "is not an IANA timezone"),
        ("country", "XY", "is not an ISO 3166"),
        ("country", "FRA", "is not an ISO 3166"),
        ("country", "EU", "is not an ISO 3166"),
        ("country", "001", "is not an ISO 3166"),
        ("language", "de", "is not a supported language"),
        ("language", "franglais", "is not a supported language"),
        ("start_date", "2024-02-30", "YYYY-MM-DD"),
        ("start_date", "01/02/2024", "YYYY-MM-DD"),
        ("start_date", "20240102", "YYYY-MM-DD"),
        ("start_date", "1949-12-31", "is not between 1950-01-01 and 2026-06-01"),
        ("start_date", "2026-06-02", "is not between 1950-01-01 and 2026-06-01"),
        ("email", "a b@example.org", "is not an email address"),
        ("email", "a@b@example.org", "is not an email address"),
        ("email", "@example.org", "is not an email address"),
        ("email", "a" * 320 + "@example.org", "the limit is 320"),
        ("manager_email", "boss.example.org", "is not an email address"),
        ("name", "x" * 201, "the limit is 200"),
        ("department", "x" * 201, "the limit is 200"),
        ("location", "x" * 201, "the limit is 200"),
        ("name", "Ana\x07", "control character (U+0007)"),
        ("name", "Ana\tSilva", "control character (U+0009)"),
        ("department", "\u202eecnaniF", "control character (U+202E)"),
    ],
)
def test_bad_values_are_reported(column: str, value: str, fragment: str) -> None:
    [problem] = problems_of(make_csv([make_row(CEO, **{column: value})]))

    assert (problem.line, problem.column) == (2, column)
    assert fragment in problem.message


@pytest.mark.parametrize(
    ("column", "value", "stored"),
    [
        ("language", "EN", "en"),
        ("language", "fr-CA", "fr"),
        ("language", "fr_ca", "fr"),
        ("language", "Français", "fr"),
        ("language", "francais", "fr"),
        ("language", "english", "en"),
        ("language", "", ""),
        ("country", " gb ", "GB"),
        ("timezone", "UTC", "UTC"),
        ("name", "\ufeffAna\u200c Silva\u2060", "Ana Silva"),
        ("name", "Zoe\u0301", "Zoé"),
    ],
)
def test_values_are_normalised(column: str, value: str, stored: str) -> None:
    assert getattr(one_record(**{column: value}), column) == stored


def test_start_date_may_be_up_to_two_years_ahead() -> None:
    text = make_csv([make_row(CEO, start_date="2026-02-28")])

    [record] = validate_org_csv(io.StringIO(text), {}, today=date(2024, 2, 29))

    assert record.start_date == date(2026, 2, 28)


async def test_a_manager_from_an_earlier_import_is_linked(db: Database) -> None:
    await run_import(db, make_csv([make_row(CEO)]))

    result = await run_import(db, make_csv([make_row(VP, manager_email=CEO)]))

    assert result == ImportResult(created=1, updated=0)
    assert await managers(db) == {CEO: "", VP: CEO}


async def test_a_loop_through_the_database_is_caught(db: Database) -> None:
    await run_import(db, make_csv([make_row(CEO), make_row(VP, manager_email=CEO)]))

    with pytest.raises(OrgImportError) as caught:
        await run_import(db, make_csv([make_row(CEO, manager_email=VP)]))

    [problem] = caught.value.problems
    assert f"{CEO} -> {VP} -> {CEO}" in problem.message
    assert "(file line 2)" in problem.message
    assert await managers(db) == {CEO: "", VP: CEO}


async def test_a_file_row_overrides_the_database_chain(db: Database) -> None:
    await run_import(db, make_csv([make_row(CEO), make_row(VP, manager_email=CEO)]))

    swap = make_csv([make_row(CEO, manager_email=VP), make_row(VP)])
    await run_import(db, swap)

    assert await managers(db) == {CEO: VP, VP: ""}


def big_org(size: int) -> tuple[str, dict[str, str]]:
    """People whose managers always sit on later lines, several levels deep."""
    emails = [f"p{i}@example.org" for i in range(size)]
    bosses = {
        e: emails[i + 1 + i % 5] if i + 1 + i % 5 < size else "" for i, e in enumerate(emails)
    }
    rows = [make_row(e, manager_email=bosses[e]) for e in emails]
    return make_csv(rows), bosses


async def test_a_large_file_imports_in_batches_with_every_link(db: Database) -> None:
    text, bosses = big_org(2000)
    calls: list[tuple[int, int]] = []

    result = await run_import(db, text, progress=lambda d, t: calls.append((d, t)), batch_size=300)

    assert result == ImportResult(created=2000, updated=0)
    assert calls == [(n, 2000) for n in (300, 600, 900, 1200, 1500, 1800, 2000)]
    assert await managers(db) == bosses


async def test_a_failure_midway_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, _ = big_org(50)
    real_upsert = PeopleRepository.upsert_org
    calls = 0

    async def fail_second_batch(self: PeopleRepository, records: list[OrgRecord],
                                **options: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return await real_upsert(self, records, **options)

    monkeypatch.setattr(PeopleRepository, "upsert_org", fail_second_batch)

    with pytest.raises(RuntimeError):
        await run_import(db, text, batch_size=20)

    assert await count_people(db) == 0
