"""The aiohttp app factory: routes, background work, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.logs import correlated
from adapters.runtime import Runtime, build_runtime, cipher
from adapters.web.admin import setup_admin
from adapters.web.routes import setup_web_chat
from adapters.web.sender import WebSender
from bot.clock import SystemClock
from bot.delivery import PlatformSender
from bot.escalation import on_call_status
from bot.meetings import Meetings
from bot.messages import Platform
from bot.nudges import ensure_nudges
from bot.pairing import ensure_rounds
from bot.scheduling import housekeeping
from bot.settings import Settings
from storage.db import Database, DatabaseUnavailable, sqlite_file

log = logging.getLogger("peerlink.app")

RUNTIME = web.AppKey("runtime", Runtime)
MAX_BODY = 1024 * 1024
SETTLE_S = 10.0  # at shutdown, time to finish the turns of events already acknowledged


def create_app(settings: Settings, runtime: Runtime | None = None) -> web.Application:
    """Build the app; background work starts and stops with it (``cleanup_ctx``)."""
    app = web.Application(client_max_size=MAX_BODY)
    if runtime is None:
        db = Database(settings.database_url, cipher(settings))
        runtime = build_runtime(settings, platform_senders(settings, db), database=db)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", correlated(_healthz))
    app.router.add_get("/metrics", correlated(_metrics))
    app.router.add_get("/invites/{uid}.ics", correlated(_invite))
    setup_admin(app, runtime)
    web_sender = runtime.senders.get(Platform.WEB)
    if settings.web_chat and isinstance(web_sender, WebSender):
        setup_web_chat(
            app,
            handle=runtime.engine.handle,
            list_people=lambda: _demo_people(runtime),
            find_person=lambda email: _demo_person(runtime, email),
            sender=web_sender,
        )
    # Platform SDKs load only where configured: a smaller, faster process otherwise.
    if Platform.SLACK in runtime.senders:
        from adapters.slack import setup_slack

        setup_slack(app, settings, runtime)
    if Platform.TEAMS in runtime.senders:
        from adapters.teams import setup_teams

        setup_teams(app, runtime)
    app.cleanup_ctx.append(_background)
    return app


def platform_senders(settings: Settings, db: Database) -> dict[Platform, PlatformSender]:
    """A sender for every platform this process is configured for."""
    senders: dict[Platform, PlatformSender] = {}
    if settings.web_chat:
        senders[Platform.WEB] = WebSender()
    if settings.teams_enabled:
        from adapters.teams import teams_sender

        senders[Platform.TEAMS] = teams_sender(settings)
    if settings.slack_enabled:
        from adapters.slack import slack_sender
        from adapters.slack.oauth import DatabaseInstallationStore

        installations = (
            DatabaseInstallationStore(db, SystemClock()) if settings.slack_oauth else None
        )
        senders[Platform.SLACK] = slack_sender(settings, installations)
    return senders


async def _background(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    await runtime.apply_saved_content()
    worker = asyncio.create_task(runtime.worker.run(), name="outbox-worker")
    inbox = asyncio.create_task(runtime.inbox.run(), name="inbox-worker")
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(runtime.runner.drain, "interval", seconds=5, id="due-work",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.add_job(_housekeeping, "cron", minute=17, args=[runtime],
                      id="housekeeping", max_instances=1, coalesce=True)
    # Leaders' next nudges and the next pairing rounds, now and hourly (new leaders from
    # an org import included).
    scheduler.add_job(plan_ahead, "interval", hours=1, args=[runtime], id="plan-ahead",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
    # Program content saved in /admin by any process, followed within a minute.
    scheduler.add_job(runtime.apply_saved_content, "interval", minutes=1, id="content",
                      max_instances=1, coalesce=True)
    if sqlite_file(runtime.db.url) is not None:
        scheduler.add_job(_checkpoint, "interval", seconds=1, args=[runtime],
                          id="sqlite-checkpoint", max_instances=1, coalesce=True)
    scheduler.start()
    log.info("serving", extra={"status": "started"})
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
        # No request comes in any more: what was acknowledged has its turn now, not at
        # the next start (whatever is left stays recorded for it).
        try:
            async with asyncio.timeout(SETTLE_S):
                await runtime.inbox.settle()
        except (TimeoutError, DatabaseUnavailable):
            log.warning("stopping with inbound events still waiting; they run at next start")
        for task in (inbox, worker):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runtime.db.dispose()


async def _healthz(request: web.Request) -> web.Response:
    """200 "ok"; 200 "degraded" when a platform refuses us (e.g. a revoked token) or no
    on-call responder is on duty (escalations then go straight to the program office);
    503 when the database does not answer."""
    runtime = request.app[RUNTIME]
    try:
        await runtime.db.ping()
    except DatabaseUnavailable:
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    checks = {"database": "up"}
    try:
        async with runtime.db.transaction() as uow:
            checks["on_call"] = await on_call_status(
                uow, runtime.engine.services.config, runtime.clock.now())
    except DatabaseUnavailable:
        checks["on_call"] = "unknown"
    for sender in runtime.senders.values():
        health = getattr(sender, "health", None)
        if callable(health):
            checks.update(health())
    degraded = any(v not in ("up", "ok") for v in checks.values())
    return web.json_response({"status": "degraded" if degraded else "ok", **checks})


async def _invite(request: web.Request) -> web.Response:
    """A meeting's calendar invite, for the person whose signed link this is."""
    runtime = request.app[RUNTIME]
    uid = request.match_info["uid"]
    person, signature = request.query.get("p", ""), request.query.get("s", "")
    if not person.isdigit() or len(person) > 12 or len(uid) > 64 or len(signature) > 64:
        raise web.HTTPNotFound()
    services = runtime.engine.services
    async with runtime.db.transaction() as uow:
        found = await Meetings(services.config, services.catalogs).invite_file(
            uow, uid, int(person), signature, runtime.clock.now())
    if found is None:
        raise web.HTTPNotFound()
    method = "CANCEL" if found.cancelled else "REQUEST"
    return web.Response(body=found.body, headers={
        "Content-Type": f"text/calendar; charset=utf-8; method={method}",
        "Content-Disposition": 'attachment; filename="invite.ics"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    })


async def _checkpoint(runtime: Runtime) -> None:
    try:
        await runtime.db.checkpoint()
    except DatabaseUnavailable as exc:
        log.warning("SQLite checkpoint skipped: %s", exc)


async def _housekeeping(runtime: Runtime) -> None:
    # Retention read at each run: content saved in /admin may have changed it.
    await housekeeping(runtime.db, runtime.clock,
                       runtime.engine.services.config.retention_days)


async def plan_ahead(runtime: Runtime) -> None:
    """Schedule every leader's next nudge and every program's next pairing round
    (idempotent)."""
    config, now = runtime.engine.services.config, runtime.clock.now()
    try:
        async with runtime.db.transaction() as uow:
            await ensure_nudges(uow, config, now)
            await ensure_rounds(uow, config, now)
    except DatabaseUnavailable:
        log.warning("nudges and pairing rounds not planned: the database did not answer")


async def _metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        async with runtime.db.transaction() as uow:
            runtime.metrics.set_outbox(await uow.outbox.counts())
        runtime.metrics.set_inbox(*await runtime.inbox.waiting())
    except DatabaseUnavailable:
        log.warning("metrics: outbox and inbox depth unavailable, the database did not answer")
    return web.Response(body=runtime.metrics.render(),
                        content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


async def _demo_person(runtime: Runtime, email: str) -> dict[str, str] | None:
    """One person to chat as, by email, or None."""
    async with runtime.db.transaction() as uow:
        person = await uow.people.by_email(email)
        if person is None or not person.email:
            return None
        return {"email": person.email, "name": person.display_name or person.email,
                "department": person.department}


async def _demo_people(runtime: Runtime) -> list[dict[str, str]]:
    """People to chat as, in the local web chat."""
    async with runtime.db.transaction() as uow:
        people = await uow.people.list_people()
        ids = [p.id for p in people]
        supports = await uow.programs.supported_programs(ids)
        leaders = await uow.people.leaders(ids)

    def role(person_id: int, office: bool) -> str:
        roles = ["program office"] if office else []
        roles += [key.replace("_", " ") for key in supports.get(person_id, [])]
        roles += ["leader"] if person_id in leaders else []
        return ", ".join(roles) or "employee"

    return [
        {
            "email": p.email or "",
            "name": p.display_name or (p.email or ""),
            "role": role(p.id, p.program_office),
            "department": p.department,
        }
        for p in people
    ]
