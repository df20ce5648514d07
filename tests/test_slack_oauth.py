"""Multi-workspace installs: the OAuth flow, tokens kept encrypted, replies with each token."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from adapters.app import create_app, platform_senders
from adapters.runtime import Runtime, build_runtime
from bot.settings import Settings
from storage.db import Database
from storage.models import SlackInstallation
from tests.conftest import TEST_KEY
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness import uncorrelated_routes

SECRET = "oauth-signing-secret"
TEAM = "T0SECOND"
Installed = tuple[TestClient[Any, Any], FakeSlackAPI, Runtime]


def _grant(team: str = TEAM, token: str = "xoxb-second-team") -> dict[str, Any]:
    return {
        "ok": True, "access_token": token, "token_type": "bot",
        "scope": "chat:write,im:history,im:write,users:read,users:read.email,commands",
        "bot_user_id": "U0BOT2", "app_id": "A0PEER", "team": {"id": team, "name": "Second"},
        "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "U0ADMIN"},
    }


@pytest.fixture
async def app(sqlite_db: Database) -> AsyncIterator[Installed]:
    async with FakeSlackAPI(team_id=TEAM) as api:
        settings = Settings(database_url=sqlite_db.url, secret_keys=(TEST_KEY,),
                            slack_client_id="111.222", slack_client_secret="client-secret",
                            slack_signing_secret=SECRET, slack_api_url=api.url)
        runtime = build_runtime(settings, platform_senders(settings, sqlite_db),
                                database=sqlite_db)
        async with TestClient(TestServer(create_app(settings, runtime), host="127.0.0.1")) as c:
            yield c, api, runtime


async def _install(client: TestClient[Any, Any]) -> tuple[str, str]:
    page = await client.get("/slack/install", allow_redirects=False)
    assert page.status in (200, 302)
    body = await page.text()
    location = page.headers.get("Location", "") + body
    state = re.search(r"state=([\w\-]+)", location)
    assert state, "the install page links to Slack's authorize URL with a state"
    assert "client_id=111.222" in location and "scope=app_mentions:read,chat:write" in location
    cookie = page.cookies.get("slack-app-oauth-state")
    return state.group(1), cookie.value if cookie else ""


async def test_a_workspace_installs_and_its_token_is_kept_encrypted(
    app: Installed, sqlite_db: Database
) -> None:
    client, api, _ = app
    api.add_response("oauth.v2.access", json=_grant())
    state, cookie = await _install(client)
    done = await client.get(f"/slack/oauth_redirect?code=c0de&state={state}",
                            headers={"Cookie": f"slack-app-oauth-state={cookie}"})
    assert done.status == 200
    async with sqlite_db.transaction() as uow:
        row = (await uow.session.scalars(select(SlackInstallation))).one()
    assert row.team_id == TEAM and "xoxb-second-team" not in row.sealed
    # The same state cannot install twice.
    again = await client.get(f"/slack/oauth_redirect?code=c0de&state={state}",
                             headers={"Cookie": f"slack-app-oauth-state={cookie}"})
    assert again.status != 200 or "error" in (await again.text()).lower()


async def test_a_forged_state_installs_nothing(
    app: Installed, sqlite_db: Database
) -> None:
    client, api, _ = app
    api.add_response("oauth.v2.access", json=_grant())
    response = await client.get("/slack/oauth_redirect?code=c0de&state=forged",
                                headers={"Cookie": "slack-app-oauth-state=forged"})
    assert response.status != 200 or "error" in (await response.text()).lower()
    async with sqlite_db.transaction() as uow:
        assert (await uow.session.scalars(select(SlackInstallation))).first() is None


async def test_each_workspace_is_answered_with_its_own_token(
    app: Installed,
) -> None:
    client, api, runtime = app
    api.add_response("oauth.v2.access", json=_grant())
    state, cookie = await _install(client)
    await client.get(f"/slack/oauth_redirect?code=c0de&state={state}",
                     headers={"Cookie": f"slack-app-oauth-state={cookie}"})
    body = json.dumps({"team_id": TEAM, "type": "event_callback", "event_id": "EvT2",
                       "api_app_id": "A0PEER", "event_time": int(time.time()),
                       "event": {"type": "message", "channel_type": "im", "user": "U0ANA2",
                                 "channel": "D0ANA2", "text": "help", "ts": "1.1"}})
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    response = await client.post("/slack/events", data=body.encode(), headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or ""})
    assert response.status == 200
    await asyncio.wait_for(runtime.inbox.settle(), 5)
    for _ in range(100):  # the background worker may hold the replies: wait for them
        await runtime.worker.drain()
        if len(posts := api.requests("chat.postMessage")) >= 2:
            break
        await asyncio.sleep(0.02)
    assert posts and {p.authorization for p in posts} == {"Bearer xoxb-second-team"}


async def test_every_slack_route_binds_a_correlation_id(app: Installed) -> None:
    client, _api, _runtime = app
    assert uncorrelated_routes(client.server.app) == []
