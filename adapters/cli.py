"""The ``peerlink`` command: serve, migrate, chat, import-org, seed-demo, gen-key, screen.

Operator errors (bad configuration, unreachable or unmigrated database) print
one clear line on stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from adapters.app import create_app
from adapters.logs import configure_logging
from adapters.runtime import cipher
from bot.clock import SystemClock
from bot.config import load_config
from bot.demo import seed_demo
from bot.errors import ConfigError
from bot.flows.office import LINK_TTL
from bot.i18n import Catalogs
from bot.org_import import OrgImportError, import_org
from bot.outbox import enqueue
from bot.settings import Settings, check_slack, check_teams
from bot.support import STATES, Support
from storage.crypto import Cipher, CipherError
from storage.db import Conflict, Database, DatabaseUnavailable, NotMigrated, redacted
from storage.rotation import rotate

EXIT_USAGE = 2
LOOPBACK = ("127.0.0.1", "localhost", "::1")
T = TypeVar("T")

log = logging.getLogger("peerlink.cli")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        settings = Settings.from_env(os.environ)
        serving = args.command == "serve"
        # Outside `serve`, the terminal belongs to the person: only errors are logged there.
        configure_logging(settings.log_format if serving else "text",
                          settings.log_level if serving else "ERROR")
        command: Callable[[argparse.Namespace, Settings], int] = args.run
        return command(args, settings)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    except DatabaseUnavailable as exc:
        return _fail(f"cannot reach the database at {redacted(settings.database_url)}: {exc}")
    except NotMigrated as exc:
        return _fail(f"the database is not migrated ({exc}); run: peerlink migrate")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerlink", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve Slack, Teams and the local web chat over HTTP")
    serve.add_argument("--host", help="address to bind (default PEERLINK_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PORT or 3978)")
    serve.add_argument("--socket-mode", action="store_true",
                       help="receive Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    serve.set_defaults(run=_serve)

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        run=_migrate
    )

    chat = sub.add_parser("chat", help="chat with Peerlink in this terminal")
    chat.add_argument("--as", dest="email", required=True, metavar="EMAIL",
                      help="the person to chat as")
    chat.set_defaults(run=_chat)

    org = sub.add_parser("import-org", help="import people and reporting lines from CSV")
    org.add_argument("file", type=Path, metavar="FILE.csv")
    org.set_defaults(run=_import_org)

    demo = sub.add_parser("seed-demo", help="load demo people, supporters and a program office")
    demo.add_argument("--if-empty", action="store_true",
                      help="only when the database has no people yet")
    demo.set_defaults(run=_seed_demo)

    sub.add_parser("gen-key", help="print a new PEERLINK_SECRET_KEY").set_defaults(run=_gen_key)

    sub.add_parser("rotate-key", help="re-encrypt stored data with the first key of "
                   "PEERLINK_SECRET_KEY=NEW,OLD (Peerlink can keep running)").set_defaults(
        run=_rotate_key
    )

    supporter = sub.add_parser("supporter", help="suspend, revoke or reinstate a supporter "
                               "(their waiting seekers are offered others)")
    supporter.add_argument("email")
    supporter.add_argument("--program", required=True, metavar="KEY",
                           help="the program key, e.g. peer_support")
    supporter.add_argument("--state", required=True, choices=STATES)
    supporter.set_defaults(run=_supporter)

    admin = sub.add_parser("admin", help="program-office members: grant or revoke, or print "
                           "a single-use sign-in link to /admin")
    admin.add_argument("action", choices=["grant", "revoke", "link"])
    admin.add_argument("email")
    admin.set_defaults(run=_admin)

    manifest = sub.add_parser("manifest", help="print the Slack or Teams app manifest for "
                              "your URL, or write the Teams app package")
    manifest.add_argument("platform", choices=["slack", "teams"])
    manifest.add_argument("--url", help="public https URL Peerlink is served at (not needed "
                          "with --socket-mode)")
    manifest.add_argument("--socket-mode", action="store_true",
                          help="Slack, for Socket Mode: no request URLs")
    manifest.add_argument("--app-id", metavar="GUID",
                          help="Teams: the bot's Microsoft App ID (default MICROSOFT_APP_ID)")
    manifest.add_argument("--zip", "--out", dest="zip", type=Path, metavar="FILE.zip",
                          help="Teams: write the app package to upload, instead of printing")
    manifest.set_defaults(run=_manifest)

    sub.add_parser("screen", help="screen messages on stdin (plain text or JSON lines with "
                   "text) for crisis phrases; prints one JSON result per line").set_defaults(
        run=_screen
    )
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    settings = check_teams(check_slack(replace(settings, socket_mode=args.socket_mode)))
    if settings.teams_unauthenticated and host not in LOOPBACK:
        raise ConfigError(
            "PEERLINK_TEAMS_UNAUTHENTICATED is for the Bot Framework Emulator on this machine: "
            "serve on 127.0.0.1, or set MICROSOFT_APP_ID"
        )
    if settings.web_chat and host not in LOOPBACK:
        raise ConfigError(
            "the web chat lets anyone speak as anyone: serve it on 127.0.0.1 only, "
            "or set PEERLINK_WEB_CHAT=false"
        )
    _run(_ready(settings))
    started = time.monotonic()
    app = create_app(settings)
    log.info("starting", extra={"path": f"http://{host}:{port}/",
                                "elapsed_ms": int((time.monotonic() - started) * 1000)})
    tune_collector()
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0


# Allocations of container objects between two young-generation collections (Python's
# default is 700). A request leaves nearly everything it allocates to reference counting;
# each young collection walks what is alive at that moment (the requests in progress),
# so collecting 30 times less often does 30 times less of that walking. Under a flood
# of Slack events the default spent about 8% of the process's CPU collecting.
GC_YOUNG_THRESHOLD = 20_000


def tune_collector() -> None:
    """The cyclic garbage collector set for a long-running server."""
    # What is built by now (modules, program content, the crisis lexicon, catalogs)
    # lives as long as the process: kept out of the cyclic collector, each collection
    # walks only what requests leave behind (a full one otherwise pauses every request
    # in progress for tens of milliseconds).
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


async def _ready(settings: Settings) -> None:
    db = Database(settings.database_url, cipher(settings))
    try:
        await db.ping()
        await db.check_migrated()
    finally:
        await db.dispose()


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    async def migrate(db: Database) -> None:
        await db.migrate()

    _run(_with_db(settings, migrate))
    print("database is up to date")
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import run_chat  # the terminal UI loads only for this command

    _run(_ready(settings))
    return _run(run_chat(settings, args.email, sys.stdin, sys.stdout))


def _import_org(args: argparse.Namespace, settings: Settings) -> int:
    try:
        stream = args.file.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")

    def progress(done: int, total: int) -> None:
        print(f"\rimported {done:,} of {total:,} people", end="", file=sys.stderr, flush=True)

    async def load(db: Database) -> int:
        await db.check_migrated()
        try:
            with stream:
                result = await import_org(db, stream, progress)
        except OrgImportError as exc:
            for problem in exc.problems:
                where = f"line {problem.line}" + (f", {problem.column}" if problem.column else "")
                print(f"{args.file}: {where}: {problem.message}", file=sys.stderr)
            print(f"{len(exc.problems)} problem(s) found; nothing was imported.", file=sys.stderr)
            return 1
        print(f"\n{result.created} created, {result.updated} updated", file=sys.stderr)
        return 0

    return _run(_with_db(settings, load))


def _seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    async def seed(db: Database) -> int:
        config = load_config(settings.config_path)  # a broken file fails here, not at serve
        await db.check_migrated()
        if args.if_empty:
            async with db.transaction() as uow:
                if await uow.people.count():
                    print("the database already has people; demo data not loaded")
                    return 0
        created = await seed_demo(db, config)
        print(f"demo data loaded: {created} people")
        return 0

    return _run(_with_db(settings, seed))


def _supporter(args: argparse.Namespace, settings: Settings) -> int:
    async def change(db: Database) -> int:
        config = load_config(settings.config_path)
        await db.check_migrated()
        async with db.transaction() as uow:
            person = await uow.people.by_email(args.email.strip())
            program = await uow.programs.by_key(args.program)
            if person is None or program is None:
                print(f"peerlink: no {'person' if person is None else 'program'} "
                      f"{args.email if person is None else args.program!r}", file=sys.stderr)
                return EXIT_USAGE
            profile = next((p for p in await uow.programs.supporters_of(person.id)
                            if p.program_id == program.id), None)
            if profile is None:
                print(f"peerlink: {args.email} is not a supporter in {args.program}",
                      file=sys.stderr)
                return EXIT_USAGE
            now = SystemClock().now()
            messages = await Support(config, Catalogs()).set_state(uow, profile, args.state,
                                                                   now)
            await enqueue(uow, f"cli|supporter|{profile.id}|{args.state}|{now.isoformat()}",
                          messages, now)
        print(f"{args.email} is now {args.state} in {args.program}; "
              f"{len({m.person_id for m in messages})} waiting seeker(s) offered others")
        return 0

    return _run(_with_db(settings, change))


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    """Grant or revoke program-office membership, or print a sign-in link (the same one
    writing *admin* to Peerlink sends by DM), for a person of the org data."""
    async def act(db: Database) -> int:
        await db.check_migrated()
        now = SystemClock().now()
        async with db.transaction() as uow:
            person = await uow.people.by_email(args.email.strip())
            if person is None:
                print(f"peerlink: nobody with the email {args.email} in the org data "
                      "(import it first: peerlink import-org)", file=sys.stderr)
                return EXIT_USAGE
            if args.action == "link":
                if not person.program_office:
                    print(f"peerlink: {args.email} is not in the program office "
                          f"(peerlink admin grant {args.email})", file=sys.stderr)
                    return EXIT_USAGE
                token = await uow.admin.new_link(person.id, now, LINK_TTL)
                base = settings.public_url or f"http://127.0.0.1:{settings.port}"
                print(f"{base.rstrip('/')}/admin/signin?t={token}")
                print("works once, for 15 minutes", file=sys.stderr)
                return 0
            person.program_office = args.action == "grant"
        print(f"{args.email} is {'now' if args.action == 'grant' else 'no longer'} in the "
              "program office")
        return 0

    return _run(_with_db(settings, act))


def _gen_key(_args: argparse.Namespace, _settings: Settings) -> int:
    print(Cipher.generate_key())
    return 0


def _rotate_key(_args: argparse.Namespace, settings: Settings) -> int:
    """Run once every process has restarted with the new key first: they then read both
    keys while this re-encrypts, batch by batch, and it can be run again if cut short."""
    if len(settings.secret_keys) < 2:
        return _fail("rotate-key needs a new key and the old one, but only one is "
                     "configured; put the new key first: PEERLINK_SECRET_KEY=NEW,OLD; "
                     "`peerlink gen-key` makes one")

    async def rotate_all(db: Database) -> dict[str, int]:
        await db.check_migrated()
        return await rotate(db)

    try:
        counts = _run(_with_db(settings, rotate_all))
    except CipherError as exc:
        return _fail(f"cannot rotate: {exc}; keep every old key in PEERLINK_SECRET_KEY, "
                     "after the new one")
    except Conflict:
        return _fail("a running Peerlink changed a row at the same moment; run "
                     "peerlink rotate-key again (what is done stays done)")
    for table, count in counts.items():
        print(f"{table}: {count:,} updated")
    old = "key" if len(settings.secret_keys) == 2 else "keys"
    print(f"done: the old {old} can now be removed from PEERLINK_SECRET_KEY once every "
          "process has restarted with the new one first")
    return 0


def _manifest(args: argparse.Namespace, settings: Settings) -> int:
    if args.platform == "teams":
        return _teams_manifest(args, settings)
    from adapters.slack.manifest import ManifestError, slack_manifest

    if args.app_id is not None or args.zip is not None:
        return _fail("--app-id and --zip are for: peerlink manifest teams")
    try:
        print(slack_manifest(args.url, socket_mode=args.socket_mode), end="")
    except ManifestError as exc:
        return _fail(str(exc))
    return 0


def _teams_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.teams.manifest import (
        ManifestError,
        manifest_text,
        teams_manifest,
        teams_package,
    )

    if args.socket_mode:
        return _fail("--socket-mode is for Slack only")
    app_id = settings.microsoft_app_id if args.app_id is None else args.app_id
    try:
        if args.zip is None:
            print(manifest_text(teams_manifest(app_id, args.url)), end="")
            return 0
        package = teams_package(app_id, args.url)
    except ManifestError as exc:
        return _fail(str(exc))
    try:
        args.zip.write_bytes(package)
    except OSError as exc:
        return _fail(f"cannot write {args.zip}: {exc.strerror}")
    print(f"wrote {args.zip}: in Teams, Apps > Manage your apps > Upload an app")
    return 0


def _screen(_args: argparse.Namespace, settings: Settings) -> int:
    """One JSON result per input line; the text itself is never logged or echoed."""
    from bot.crisis import CrisisScreen, load_lexicon

    screen = CrisisScreen(load_lexicon(settings.crisis_lexicon_dir))
    raw = getattr(sys.stdin, "buffer", None)
    lines = (
        io.TextIOWrapper(raw, encoding="utf-8", errors="replace") if raw is not None else sys.stdin
    )
    for line in lines:
        found = screen.match(_screen_text(line))
        result = {"crisis": found.crisis, "category": found.category, "lang": found.lang}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()  # one answer per question, for programs that talk to it line by line
    return 0


def _screen_text(line: str) -> str:
    """A JSON object's "text", else the line itself (invalid JSON included)."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):
            return line
        text = data.get("text") if isinstance(data, dict) else None
        if isinstance(text, str):
            return text
    return line


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(settings.database_url, cipher(settings))
    try:
        await db.ping()
        return await work(db)
    finally:
        await db.dispose()


def _run(work: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await work

    return asyncio.run(wrapped())


def _fail(message: str) -> int:
    print(f"peerlink: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
