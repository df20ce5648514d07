"""The ``peerlink`` command as an operator sees it: the real console script in a subprocess.

Operator errors (bad configuration, an unreachable or unmigrated database, a missing
file) must come out as exactly one line on stderr, starting "peerlink:", with exit code 2.

Each run of the script costs most of a second of imports, so the one-line-error cases
(which only read) are all run at once, in parallel, by a module fixture; each case is
then checked by its own test.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PEERLINK = Path(sys.executable).parent / "peerlink"
# Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
PG_UNREACHABLE = "postgresql+asyncpg://user:s3cret@127.0.0.1:9/none"
SQLITE_NO_DIR = "sqlite+aiosqlite:////nonexistent/dir/x.db"
DEMO_EMAIL = "sam.okafor@example.com"

HEADER = "email,name,manager_email,department,location,country,timezone,language,start_date\n"
GOOD_CSV = (
    HEADER
    + "boss@example.org,Boss,,Engineering,Montréal,CA,America/Toronto,fr,2019-01-07\n"
    + "dev@example.org,Dev,boss@example.org,Engineering,Toronto,CA,America/Toronto,en,\n"
)
BAD_CSV = (
    HEADER
    + "ok@example.org,Ok,,Engineering,Toronto,CA,America/Toronto,en,2020-01-06\n"
    + "one@example.org,One,,Engineering,Toronto,XX,America/Toronto,en,2020-01-06\n"
    + "two@example.org,Two,ghost@example.org,Engineering,Toronto,CA,America/Toronto,en,\n"
    + "not-an-email,Three,,Engineering,Toronto,CA,America/Toronto,en,\n"
)

# A valid program file, to break one piece at a time.
VALID_YAML = """\
default_country: CA
programs:
  - key: peer_support
    name: {en: "Peer support", fr: "Soutien par les pairs"}
    description: {en: "Talk", fr: "Parler"}
crisis_lines:
  CA: {emergency: "911", line: "988", line_name: {en: "988", fr: "988"}}
eap:
  name: {en: "EAP", fr: "PAE"}
  contact: "benefits portal"
"""
BAD_CONFIGS = {
    # "mapping values are not allowed here", on line 4
    "invalid-yaml": VALID_YAML.replace('name: {en: "Peer support", fr: "Soutien par les pairs"}',
                                       "name: en: Peer support"),
    "no-french": VALID_YAML.replace('name: {en: "Peer support", fr: "Soutien par les pairs"}',
                                    'name: {en: "Peer support"}'),
}


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run(env: Mapping[str, str], *args: str, stdin: str = "", timeout: float = 30) -> Result:
    done = subprocess.run(
        [str(PEERLINK), *args], env=dict(env), input=stdin, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(result: Result, *expected: str) -> str:
    """Exit code 2 and one line "peerlink: ..." on stderr, with no traceback."""
    assert result.code == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    line = result.stderr_lines[0]
    assert line.startswith("peerlink:"), line
    for text in expected:
        assert text in line, line
    return line


def base_env() -> dict[str, str]:
    """This process's environment without anything Peerlink reads."""
    ours = ("PEERLINK_", "SLACK_", "MICROSOFT_")
    return {
        k: v for k, v in os.environ.items()
        if not k.startswith(ours) and k not in ("DATABASE_URL", "PORT")
    }


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def person_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute("select count(*) from person").fetchone()
    return int(count)


@dataclass(frozen=True)
class Db:
    path: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def secret_key() -> str:
    result = run(base_env(), "gen-key")
    assert result.code == 0, result
    return result.stdout.strip()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory, secret_key: str) -> Path:
    """One migrated SQLite file; tests work on copies of it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    env = base_env() | {"DATABASE_URL": sqlite_url(path), "PEERLINK_SECRET_KEY": secret_key}
    result = run(env, "migrate")
    assert result.code == 0, result
    assert not Path(f"{path}-wal").exists()  # closed cleanly: the file alone is the database
    return path


def copy_of(template: Path, path: Path, key: str) -> Db:
    shutil.copyfile(template, path)
    return Db(path, base_env() | {"DATABASE_URL": sqlite_url(path), "PEERLINK_SECRET_KEY": key})


@pytest.fixture
def migrated(tmp_path: Path, template_db: Path, secret_key: str) -> Db:
    """A fresh migrated SQLite database with PEERLINK_SECRET_KEY set."""
    return copy_of(template_db, tmp_path / "x.db", secret_key)


@pytest.fixture
def unmigrated(tmp_path: Path, secret_key: str) -> Db:
    path = tmp_path / "x.db"
    env = base_env() | {"DATABASE_URL": sqlite_url(path), "PEERLINK_SECRET_KEY": secret_key}
    return Db(path, env)


# --- One-line errors, run in parallel --------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One run that must fail with one line: on which database, with what, and what it says."""

    args: tuple[str, ...]
    db: str  # "migrated", "unmigrated", or a DATABASE_URL
    expected: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    config: str = ""  # a key of BAD_CONFIGS, or "missing"


CONFIG_COMMANDS = {"serve": ("serve", "--port", "1"), "seed-demo": ("seed-demo",),
                   "chat": ("chat", "--as", DEMO_EMAIL)}
CONFIG_EXPECTED = {
    "missing": ("cannot read (No such file or directory)",),
    "invalid-yaml": ("line 4 is not valid YAML",),
    "no-french": ("name needs non-empty text for each of: en, fr",),
}
CASES: dict[str, Case] = {
    **{
        f"unreachable-{db}-{args[0]}": Case(args, url, ("cannot reach the database",))
        for db, url in (("postgres", PG_UNREACHABLE), ("sqlite", SQLITE_NO_DIR))
        for args in (("migrate",), ("serve",), ("seed-demo",), ("import-org", "{dir}/f.csv"),
                     ("chat", "--as", DEMO_EMAIL))
    },
    **{
        f"unmigrated-{args[0]}": Case(args, "unmigrated", ("not migrated", "run: peerlink migrate"))
        for args in (("serve", "--port", "1"), ("seed-demo",), ("import-org", "{dir}/f.csv"),
                     ("chat", "--as", DEMO_EMAIL))
    },
    **{
        f"env-{name}-{value}": Case(("migrate",), "migrated", ("configuration error: ", name),
                                    env={name: value})
        for name, value in (("PORT", "abc"), ("PORT", "70000"), ("PEERLINK_WEB_CHAT", "maybe"),
                            ("PEERLINK_SECRET_KEY", "not-a-key"))
    },
    **{
        f"config-{config}-{command}": Case(
            args, "migrated", ("configuration error: {dir}/config.yaml: ", *expected),
            config=config,
        )
        for config, expected in CONFIG_EXPECTED.items()
        for command, args in CONFIG_COMMANDS.items()
    },
    "postgres-without-a-key": Case(("migrate",), PG_UNREACHABLE,
                                   ("configuration error: ", "PEERLINK_SECRET_KEY is required"),
                                   env={"PEERLINK_SECRET_KEY": ""}),
    "import-org-missing-file": Case(("import-org", "{dir}/missing.csv"), "migrated",
                                    ("cannot read {dir}/missing.csv: No such file",)),
}


@dataclass(frozen=True)
class Outcome:
    result: Result
    expected: tuple[str, ...]
    db: Path | None


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path, secret_key: str
) -> dict[str, Outcome]:
    """Every case of CASES, run at the same time, each in its own directory."""
    jobs = []
    for name, case in CASES.items():
        where = tmp_path_factory.mktemp(name)
        (where / "f.csv").write_text(GOOD_CSV, encoding="utf-8")
        db: Path | None = None
        env = base_env() | {"DATABASE_URL": case.db, "PEERLINK_SECRET_KEY": secret_key}
        if case.db == "migrated":
            db = copy_of(template_db, where / "x.db", secret_key).path
        if case.db in ("migrated", "unmigrated"):
            env["DATABASE_URL"] = sqlite_url(where / "x.db")
        if case.config:
            if case.config in BAD_CONFIGS:
                (where / "config.yaml").write_text(BAD_CONFIGS[case.config], encoding="utf-8")
            env["PEERLINK_CONFIG"] = str(where / "config.yaml")
        env |= case.env
        args = [a.format(dir=where) for a in case.args]
        expected = tuple(e.format(dir=where) for e in case.expected)
        jobs.append((name, env, args, expected, db))

    def one(job: tuple[str, dict[str, str], list[str], tuple[str, ...], Path | None]) -> Outcome:
        _name, env, args, expected, db = job
        return Outcome(run(env, *args, stdin="/quit\n", timeout=60), expected, db)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip([job[0] for job in jobs], pool.map(one, jobs), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_operator_error_is_one_line_and_exit_2(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    line = assert_one_line_error(outcome.result, *outcome.expected)
    assert "s3cret" not in line  # the password of PG_UNREACHABLE
    if name.endswith("not-a-key"):
        assert "not-a-key" not in line  # a key, even a wrong one, is not echoed
    if outcome.db is not None:
        assert person_count(outcome.db) == 0  # nothing was written


def test_unreachable_postgres_url_is_shown_without_its_password(
    outcomes: dict[str, Outcome],
) -> None:
    line = outcomes["unreachable-postgres-migrate"].result.stderr_lines[0]
    assert line.startswith("peerlink: cannot reach the database at "
                           "postgresql+asyncpg://user:***@127.0.0.1:9/none: ")


def test_bad_environment_values_are_named_with_the_value(outcomes: dict[str, Outcome]) -> None:
    assert outcomes["env-PORT-abc"].result.stderr == (
        "peerlink: configuration error: PORT must be a whole number, got 'abc'\n"
    )
    assert "got 70000" in outcomes["env-PORT-70000"].result.stderr
    assert "got 'maybe'" in outcomes["env-PEERLINK_WEB_CHAT-maybe"].result.stderr


def test_missing_sqlite_directory_without_a_key_is_one_line_and_exit_2() -> None:
    result = run(base_env() | {"DATABASE_URL": SQLITE_NO_DIR}, "migrate")
    assert_one_line_error(result, "/nonexistent/dir/x.db")


# --- Arguments --------------------------------------------------------------------------------

def test_help_prints_usage_and_every_command() -> None:
    result = run(base_env(), "--help")
    assert result.code == 0
    assert result.stdout.startswith("usage: peerlink")
    for command in ("serve", "migrate", "chat", "import-org", "seed-demo", "gen-key"):
        assert command in result.stdout


@pytest.mark.parametrize("args", [["bogus"], []], ids=["unknown-command", "no-command"])
def test_bad_command_line_prints_usage_and_exits_2(args: list[str]) -> None:
    result = run(base_env(), *args)
    assert result.code == 2
    assert result.stderr.startswith("usage: peerlink")
    assert "Traceback" not in result.stderr


# --- Migrations -------------------------------------------------------------------------------

def test_migrate_is_idempotent(unmigrated: Db) -> None:
    for _ in range(2):
        result = run(unmigrated.env, "migrate")
        assert (result.code, result.stdout, result.stderr) == (0, "database is up to date\n", "")
    assert person_count(unmigrated.path) == 0
    assert not Path(f"{unmigrated.path}.key").exists()  # PEERLINK_SECRET_KEY was set


# --- Demo data and the local key file -----------------------------------------------------

@dataclass(frozen=True)
class KeylessDemo:
    db: Db
    key: str
    seeded: Result


@pytest.fixture(scope="module")
def keyless_demo(tmp_path_factory: pytest.TempPathFactory) -> KeylessDemo:
    """SQLite without PEERLINK_SECRET_KEY: migrated, then demo data loaded."""
    path = tmp_path_factory.mktemp("keyless") / "demo.db"
    db = Db(path, base_env() | {"DATABASE_URL": sqlite_url(path)})
    migrated = run(db.env, "migrate")
    assert migrated.code == 0, migrated
    key = Path(f"{path}.key").read_text(encoding="ascii")
    return KeylessDemo(db, key, run(db.env, "seed-demo", "--if-empty"))


def test_local_key_file_is_private_and_kept(keyless_demo: KeylessDemo) -> None:
    key_file = Path(f"{keyless_demo.db.path}.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(keyless_demo.key.strip()) == 44
    assert keyless_demo.seeded.code == 0, keyless_demo.seeded
    assert key_file.read_text(encoding="ascii") == keyless_demo.key


def test_seed_demo_if_empty_loads_once(keyless_demo: KeylessDemo) -> None:
    first = keyless_demo.seeded
    assert first.code == 0, first
    assert first.stdout.startswith("demo data loaded: ")
    count = person_count(keyless_demo.db.path)
    assert count >= 10
    second = run(keyless_demo.db.env, "seed-demo", "--if-empty")
    assert second.code == 0, second
    assert "already has people" in second.stdout
    assert person_count(keyless_demo.db.path) == count


def test_chat_uses_the_local_key_of_earlier_runs(keyless_demo: KeylessDemo) -> None:
    result = run(keyless_demo.db.env, "chat", "--as", DEMO_EMAIL, stdin="help\n/quit\n")
    assert result.code == 0, result
    assert "Chatting as Sam Okafor" in result.stdout
    assert "Peerlink" in result.stdout
    assert result.stderr == ""
    key_file = Path(f"{keyless_demo.db.path}.key")
    assert key_file.read_text(encoding="ascii") == keyless_demo.key


def test_chat_as_an_unknown_email_exits_2(migrated: Db) -> None:
    result = run(migrated.env, "chat", "--as", "nobody@example.com", stdin="hello\n")
    assert result.code == 2, result
    assert "No one with the email nobody@example.com" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_valid_config_file_is_accepted(migrated: Db, tmp_path: Path) -> None:
    config = tmp_path / "peerlink.yaml"
    config.write_text(VALID_YAML, encoding="utf-8")
    result = run(migrated.env | {"PEERLINK_CONFIG": str(config)}, "chat", "--as", DEMO_EMAIL)
    # The config validated; the database simply has nobody yet.
    assert result.code == 2, result
    assert "No one with the email" in result.stdout
    assert "configuration error" not in result.stderr


# --- Org import ---------------------------------------------------------------------------

def test_import_org_reports_every_problem_and_writes_nothing(
    migrated: Db, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    result = run(migrated.env, "import-org", str(bad))
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr_lines
    assert lines[0] == (
        f'{bad}: line 3, country: "XX" is not an ISO 3166 two-letter country code (e.g. FR)'
    )
    assert lines[1].startswith(f"{bad}: line 4, manager_email: ")
    assert "ghost@example.org" in lines[1]
    assert lines[2].startswith(f"{bad}: line 5, email: ")
    assert lines[3:] == ["3 problem(s) found; nothing was imported."]
    assert person_count(migrated.path) == 0


def test_import_org_creates_then_updates(migrated: Db, tmp_path: Path) -> None:
    good = tmp_path / "org.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    first = run(migrated.env, "import-org", str(good))
    assert first.code == 0, first
    assert "imported 2 of 2 people" in first.stderr
    assert first.stderr_lines[-1] == "2 created, 0 updated"
    assert person_count(migrated.path) == 2

    again = run(migrated.env, "import-org", str(good))
    assert again.code == 0, again
    assert again.stderr_lines[-1] == "0 created, 2 updated"

    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    assert run(migrated.env, "import-org", str(bad)).code == 1
    assert person_count(migrated.path) == 2


def test_supporter_state_changes_from_the_command_line(migrated: Db) -> None:
    assert run(migrated.env, "seed-demo").code == 0
    revoked = run(migrated.env, "supporter", "grace.mensah@example.com",
                  "--program", "peer_support", "--state", "revoked")
    assert revoked.code == 0, revoked
    assert "grace.mensah@example.com is now revoked in peer_support" in revoked.stdout
    again = run(migrated.env, "supporter", "grace.mensah@example.com",
                "--program", "peer_support", "--state", "active")
    assert again.code == 0, again
    for args, message in (
        (("nobody@example.com", "--program", "peer_support"), "no person"),
        (("grace.mensah@example.com", "--program", "nope"), "no program"),
        (("grace.mensah@example.com", "--program", "buddy"), "is not a supporter in buddy"),
    ):
        failed = run(migrated.env, "supporter", *args, "--state", "suspended")
        assert failed.code == 2 and message in failed.stderr, failed
    assert run(migrated.env, "supporter", "grace.mensah@example.com", "--program",
               "peer_support", "--state", "paused").code == 2  # the supporter's own choice


def test_program_office_members_are_granted_and_get_sign_in_links(migrated: Db) -> None:
    assert run(migrated.env, "seed-demo").code == 0
    refused = run(migrated.env, "admin", "link", "sam.okafor@example.com")
    assert_one_line_error(refused, "is not in the program office")
    granted = run(migrated.env, "admin", "grant", "sam.okafor@example.com")
    assert granted.code == 0 and "is now in the program office" in granted.stdout
    link = run(migrated.env, "admin", "link", "sam.okafor@example.com")
    assert link.code == 0, link
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/admin/signin\?t=[\w-]{40,}\n", link.stdout)
    assert "works once" in link.stderr
    revoked = run(migrated.env, "admin", "revoke", "sam.okafor@example.com")
    assert "no longer in the program office" in revoked.stdout
    assert_one_line_error(run(migrated.env, "admin", "grant", "nobody@example.com"),
                          "nobody with the email")


def test_serve_tunes_the_collector_for_a_long_running_process() -> None:
    from adapters.cli import GC_YOUNG_THRESHOLD, tune_collector

    threshold = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *threshold[1:])
        assert gc.get_freeze_count() > 0  # what startup built is out of the collector's way
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
