"""The real app over HTTP: health, metrics and the local web chat end to end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.app import create_app
from adapters.logs import correlated
from adapters.runtime import build_runtime
from adapters.web.sender import WebSender
from bot.clock import FrozenClock
from bot.config import load_config
from bot.demo import PEOPLE, seed_demo
from bot.logcontext import correlation_id
from bot.messages import Platform
from bot.settings import Settings
from storage.crypto import Cipher
from storage.db import Database
from storage.models import OutboxItem, ProcessedEvent
from tests.conftest import TEST_KEY
from tests.harness import uncorrelated_routes

SAM, CAMILLE = PEOPLE[0].email, PEOPLE[1].email


@pytest.fixture
async def client(sqlite_db: Database) -> AsyncIterator[TestClient[Any, Any]]:
    await seed_demo(sqlite_db, load_config(None))
    settings = Settings(database_url=sqlite_db.url, secret_keys=(TEST_KEY,), web_chat=True)
    runtime = build_runtime(settings, {Platform.WEB: WebSender()}, database=sqlite_db)
    async with TestClient(TestServer(create_app(settings, runtime), host="127.0.0.1")) as c:
        yield c


async def _next_message(ws: ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await asyncio.wait_for(ws.receive_json(), timeout=10)
        if msg.get("type") == "message":
            return dict(msg)


async def _send(client: TestClient[Any, Any], who: str, n: str, **body: Any) -> None:
    resp = await client.post("/web/send", json={"as": who, "event_id": n, **body})
    assert resp.status == 202, await resp.text()


async def test_healthz_reports_the_database(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["database"] == "up"


@pytest.mark.parametrize(("when", "amara_has_chatted", "on_call", "status"), [
    # Monday 10:00 in Toronto: Amara Diallo, first on the demo rota, is on duty.
    (datetime(2026, 1, 5, 15, 0, tzinfo=UTC), True, "ok", "ok"),
    (datetime(2026, 1, 5, 15, 0, tzinfo=UTC), False, "no responder on duty can be reached",
     "degraded"),
    # Sunday 23:00 in Toronto, 05:00 in Paris: nobody on the demo rota is on duty.
    (datetime(2026, 1, 5, 4, 0, tzinfo=UTC), True, "nobody on duty", "degraded"),
])
async def test_healthz_flags_when_nobody_on_call_can_be_reached(
    sqlite_db: Database, when: datetime, amara_has_chatted: bool, on_call: str, status: str
) -> None:
    await seed_demo(sqlite_db, load_config(None))
    settings = Settings(database_url=sqlite_db.url, secret_keys=(TEST_KEY,), web_chat=True)
    runtime = build_runtime(settings, {Platform.WEB: WebSender()}, database=sqlite_db,
                            clock=FrozenClock(when))
    async with TestClient(TestServer(create_app(settings, runtime), host="127.0.0.1")) as c:
        if amara_has_chatted:
            await _send(c, "amara.diallo@example.com", "a1", text="help")
        health = await (await c.get("/healthz")).json()
    assert (health["on_call"], health["status"]) == (on_call, status)


async def test_healthz_is_503_when_the_database_is_down() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none",
                        secret_keys=(TEST_KEY,))
    db = Database(settings.database_url, Cipher([TEST_KEY]))
    runtime = build_runtime(settings, {}, database=db)
    async with TestClient(TestServer(create_app(settings, runtime), host="127.0.0.1")) as c:
        resp = await c.get("/healthz")
        assert resp.status == 503
        assert (await resp.json())["status"] == "unavailable"


async def test_metrics_are_prometheus_text(client: TestClient[Any, Any]) -> None:
    async with client.ws_connect(f"/web/ws?as={SAM}") as ws:
        await _send(client, SAM, "m1", text="help")
        await _next_message(ws)
    body = await (await client.get("/metrics")).text()
    assert 'peerlink_routes_total{route="help"} 1.0' in body
    assert 'peerlink_requests_total{adapter="web"} 1.0' in body
    assert "peerlink_replies_total" in body
    assert 'peerlink_deliveries_total{outcome="sent",platform="web"}' in body
    assert 'peerlink_outbox_messages{status="sent"}' in body


async def test_web_chat_round_trip_with_a_button(client: TestClient[Any, Any]) -> None:
    page = await client.get("/")
    assert page.status == 200 and "Peerlink" in await page.text()
    people = (await (await client.get("/web/people")).json())["people"]
    assert SAM in {p["email"] for p in people}
    async with client.ws_connect(f"/web/ws?as={SAM}") as ws:
        await _send(client, SAM, "1", text="hello")
        welcome = await _next_message(ws)
        assert "Welcome to Peerlink" in welcome["html"]
        assert 'data-action="welcome.ack"' in welcome["html"]
        token = welcome["html"].split('data-action="welcome.ack" data-value="')[1].split('"')[0]
        await _send(client, SAM, "2", action="welcome.ack", value=token)
        done = await _next_message(ws)
        assert "all set" in done["html"]


async def test_each_person_sees_only_their_own_messages(client: TestClient[Any, Any]) -> None:
    async with client.ws_connect(f"/web/ws?as={SAM}") as sam, \
            client.ws_connect(f"/web/ws?as={CAMILLE}") as camille:
        await _send(client, SAM, "s1", text="privacy")
        first_contact = [await _next_message(sam), await _next_message(sam)]
        assert "Your privacy" in first_contact[1]["html"]
        await _send(client, CAMILLE, "c1", text="aide")
        for _ in range(2):  # her welcome, then the menu
            got = await _next_message(camille)
            assert got["key"] not in {m["key"] for m in first_contact}
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(sam.receive_json(), timeout=0.3)


async def _replies(db: Database) -> tuple[int, list[str]]:
    """Events taken in, and the outbox rows of Sam who wrote (scheduled work, which runs
    meanwhile, writes to others)."""
    async with db.transaction() as uow:
        sam = await uow.people.by_email(SAM)
        assert sam is not None
        keys = await uow.session.scalars(select(OutboxItem.key)
                                         .where(OutboxItem.person_id == sam.id))
        events = await uow.session.scalar(select(func.count()).select_from(ProcessedEvent))
        return int(events or 0), sorted(keys)


async def test_bad_requests_change_nothing(client: TestClient[Any, Any],
                                           sqlite_db: Database) -> None:
    before = await _replies(sqlite_db)
    huge = json.dumps({"as": SAM, "event_id": "x", "text": "a" * 600_000})
    assert (await client.post("/web/send", data=huge)).status == 413
    assert (await client.post("/web/send", data="{not json")).status == 400
    assert (await client.post("/web/send", json=["a"])).status == 400
    assert (await client.post("/web/send", json={"as": SAM, "event_id": "x", "text": 5})).status \
        == 400
    assert (await client.post("/web/send", json={"as": "who@evil.test", "event_id": "x",
                                                  "text": "hi"})).status == 403
    assert await _replies(sqlite_db) == before


async def test_every_route_binds_a_correlation_id(client: TestClient[Any, Any]) -> None:
    assert uncorrelated_routes(client.server.app) == []


async def test_each_request_logs_under_its_own_correlation_id() -> None:
    async def current(_request: web.Request) -> web.Response:
        return web.Response(text=correlation_id.get())

    app = web.Application()
    app.router.add_get("/id", correlated(current))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:  # one kept-alive connection
        given = await (await c.get("/id", headers={"X-Request-Id": "req-42"})).text()
        first = await (await c.get("/id")).text()
        second = await (await c.get("/id")).text()
    assert given == "req-42"
    assert first not in ("-", "req-42") and second not in ("-", first)
