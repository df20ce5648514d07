"""The Slack app end to end: signed requests in, the fake Web API out, the real app between."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from adapters.app import create_app
from adapters.runtime import Runtime, build_runtime
from adapters.slack.sender import SlackSender
from bot.clock import FrozenClock
from bot.messages import Platform
from bot.settings import Settings
from storage.db import Database, DatabaseUnavailable
from storage.models import Person, ProcessedEvent
from tests.conftest import TEST_KEY
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANA = "U0ANA0001"


@dataclass
class Slack:
    """Talks to the app the way Slack does."""

    client: TestClient[Any, Any]
    api: FakeSlackAPI
    runtime: Runtime
    clock: FrozenClock
    pacing: list[float]
    secret: str = SECRET

    def headers(self, body: str, *, timestamp: int | None = None,
                secret: str | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret or self.secret).generate_signature(
            timestamp=ts, body=body)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}

    async def post(self, body: str, content_type: str, **sign: Any) -> ClientResponse:
        headers = {"Content-Type": content_type, **self.headers(body, **sign)}
        return await self.client.post("/slack/events", data=body.encode(), headers=headers)

    async def event(self, event: dict[str, Any], event_id: str = "Ev01", **sign: Any
                    ) -> ClientResponse:
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0PEER", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": event,
        })
        return await self.post(body, "application/json", **sign)

    async def message(self, text: str, event_id: str = "Ev01", user: str = ANA) -> ClientResponse:
        return await self.event({
            "type": "message", "channel_type": "im", "channel": "D0ANA", "user": user,
            "text": text, "ts": f"{time.time():.6f}", "team": TEAM_ID,
        }, event_id)

    async def command(self, text: str, trigger: str = "trig.1") -> ClientResponse:
        body = urlencode({
            "token": "legacy", "team_id": TEAM_ID, "team_domain": "acme", "channel_id": "D0ANA",
            "channel_name": "directmessage", "user_id": ANA, "user_name": "ana",
            "command": "/peer", "text": text, "api_app_id": "A0PEER", "trigger_id": trigger,
            "response_url": "https://hooks.slack.com/commands/T/1/x",
        })
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def deliveries(self) -> list[dict[str, Any]]:
        """Deliver everything queued, moving time on past Slack's pacing (no sleeps)."""
        await asyncio.wait_for(self.runtime.inbox.settle(), 5)
        for _ in range(10):
            await self.runtime.worker.drain()
            self.clock.advance(timedelta(seconds=2))
            self.pacing[0] += 2
        return self.api.calls("chat.postMessage")


@pytest.fixture
async def slack(sqlite_db: Database) -> AsyncIterator[Slack]:
    async with FakeSlackAPI() as api:
        api.add_user(ANA, email="ana@example.com", locale="fr-CA", tz="America/Toronto")
        settings = Settings(database_url=sqlite_db.url, secret_keys=(TEST_KEY,),
                            slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                            slack_api_url=api.url)
        clock, pacing = FrozenClock(), [0.0]
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.url),
                             clock=lambda: pacing[0])
        runtime = build_runtime(settings, {Platform.SLACK: sender}, database=sqlite_db,
                                clock=clock)
        app = create_app(settings, runtime)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield Slack(client, api, runtime, clock, pacing)


def _texts(posts: list[dict[str, Any]]) -> str:
    return json.dumps([p.get("blocks") for p in posts], ensure_ascii=False)


async def test_url_verification_is_answered(slack: Slack) -> None:
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"})
    response = await slack.post(body, "application/json")
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV" in await response.text()


async def test_a_direct_message_is_answered_in_the_persons_language(slack: Slack) -> None:
    response = await slack.message("aide")
    assert response.status == 200
    posts = await slack.deliveries()
    assert posts and all(p["channel"] == ANA for p in posts)
    text = _texts(posts)
    assert "Bienvenue" in text and "Voici ce que vous pouvez faire" in text
    # The lock-screen text is neutral, never the card's content.
    assert {p["text"] for p in posts} <= {"Nouveau message de Peerlink", "Bienvenue sur Peerlink"}
    async with slack.runtime.db.transaction() as uow:
        ana = await uow.people.by_email("ana@example.com")
        assert ana is not None  # linked by the email users.info gave


async def test_slack_retries_of_one_event_have_exactly_one_effect(slack: Slack) -> None:
    for _ in range(3):
        assert (await slack.message("help", event_id="EvRetry")).status == 200
    assert len(await slack.deliveries()) == 2  # the welcome and the menu, once


@pytest.mark.parametrize("sign", [{"secret": "forged"}, {"timestamp": int(time.time()) - 301}])
async def test_forged_or_stale_signatures_are_refused_and_nothing_is_stored(
    slack: Slack, sign: dict[str, Any]
) -> None:
    response = await slack.event({"type": "message", "channel_type": "im", "user": ANA,
                                  "text": "hi", "channel": "D0ANA"}, **sign)
    assert response.status == 401
    async with slack.runtime.db.transaction() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert await slack.deliveries() == []


async def test_bodies_over_one_megabyte_are_refused(slack: Slack) -> None:
    body = json.dumps({"type": "event_callback", "event": {"text": "x" * 1_100_000}})
    response = await slack.post(body, "application/json")
    assert response.status == 413


async def test_a_slash_command_form_opens_as_a_modal_and_round_trips(slack: Slack) -> None:
    response = await slack.command("settings", trigger="trig.42")
    assert response.status == 200
    opened = slack.api.last("views.open")
    assert opened["trigger_id"] == "trig.42"
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["type"] == "modal" and view["callback_id"] == "peerlink.form"
    submission = {
        "type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": ANA, "team_id": TEAM_ID},
        "view": {
            "id": "V01", "hash": "h1", "type": "modal", "callback_id": "peerlink.form",
            "private_metadata": view["private_metadata"],
            "state": {"values": {
                "language": {"language": {"type": "static_select",
                                          "selected_option": {"value": "en"}}},
                "timezone": {"timezone": {"type": "static_select",
                                          "selected_option": {"value": "Europe/Paris"}}},
            }},
        },
    }
    closed = await slack.interaction(submission)
    assert closed.status == 200 and (await closed.text()) in ("", "{}")
    assert "Your settings are saved." in _texts(await slack.deliveries())


async def test_an_invalid_submission_keeps_the_modal_open_with_the_problem(slack: Slack) -> None:
    await slack.command("settings", trigger="trig.7")
    opened = slack.api.last("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    submission = {
        "type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": ANA},
        "view": {"id": "V02", "hash": "h2", "type": "modal", "callback_id": "peerlink.form",
                 "private_metadata": view["private_metadata"],
                 "state": {"values": {"timezone": {"timezone": {
                     "type": "static_select", "selected_option": {"value": "Mars/Olympus"}}}}}},
    }
    response = await slack.interaction(submission)
    answer = await response.json()
    assert answer["response_action"] == "update"
    assert "Rien n'a été enregistré" in json.dumps(answer["view"], ensure_ascii=False)


async def test_a_button_press_changes_the_language(slack: Slack) -> None:
    await slack.message("language")
    posts = await slack.deliveries()
    buttons = [e for p in posts for b in p["blocks"] if b["type"] == "actions"
               for e in b["elements"] if e.get("value") == "en"]
    press = {
        "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ANA, "team_id": TEAM_ID},
        "trigger_id": "trig.9", "container": {"type": "message", "message_ts": "1.2"},
        "actions": [{"type": "button", "action_id": buttons[0]["action_id"], "value": "en",
                     "block_id": "b1", "action_ts": "1700000000.1"}],
    }
    assert (await slack.interaction(press)).status == 200
    assert "From now on I will write to you in English." in _texts(await slack.deliveries())


async def test_the_home_tab_is_published_with_the_menu(slack: Slack) -> None:
    await slack.event({"type": "app_home_opened", "user": ANA, "channel": "D0ANA", "tab": "home"})
    published = slack.api.last("views.publish")
    assert published["user_id"] == ANA
    view = published["view"] if isinstance(published["view"], dict) else json.loads(
        published["view"])
    assert view["type"] == "home" and "menu.settings" in json.dumps(view)


async def test_a_mention_in_a_channel_is_answered_privately(slack: Slack) -> None:
    await slack.event({"type": "app_mention", "user": ANA, "channel": "C0GENERAL",
                       "text": "<@U0BOTUSER> I am struggling", "ts": "1.1"})
    ephemeral = slack.api.last("chat.postEphemeral")
    assert ephemeral["channel"] == "C0GENERAL" and ephemeral["user"] == ANA
    posts = await slack.deliveries()
    assert posts and all(p["channel"] == ANA for p in posts)  # the answer is in the DM
    assert "struggling" not in json.dumps(slack.api.calls("chat.postEphemeral"))


async def test_a_new_joiner_is_welcomed(slack: Slack) -> None:
    await slack.event({"type": "team_join", "user": {"id": ANA, "team_id": TEAM_ID,
                                                     "is_bot": False}})
    assert "Bienvenue" in _texts(await slack.deliveries())


async def test_crisis_language_in_a_slash_command_is_answered_first(slack: Slack) -> None:
    await slack.command("je veux mourir")
    posts = await slack.deliveries()
    assert "9-8-8" in _texts(posts[:1])


async def test_a_revoked_token_makes_health_degraded(slack: Slack) -> None:
    for _ in range(2):  # the welcome and the menu are both refused
        slack.api.add_response("chat.postMessage", json={"ok": False, "error": "token_revoked"})
    await slack.message("help", event_id="EvRevoked")
    await slack.deliveries()
    health = await (await slack.client.get("/healthz")).json()
    assert health["status"] == "degraded"


async def test_payloads_that_name_nobody_change_nothing(slack: Slack) -> None:
    body = urlencode({"command": "/peer", "text": "help", "team_id": TEAM_ID,
                      "trigger_id": "t.0", "api_app_id": "A0PEER"})
    assert (await slack.post(body, "application/x-www-form-urlencoded")).status == 200
    shortcut = {"type": "shortcut", "callback_id": "talk_to_someone", "trigger_id": "t.1",
                "team": {"id": TEAM_ID}, "user": {}}
    assert (await slack.interaction(shortcut)).status == 200
    async with slack.runtime.db.transaction() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0


async def test_a_message_that_cannot_be_recorded_is_not_acknowledged(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_args: object) -> None:
        raise DatabaseUnavailable("database is down")

    monkeypatch.setattr("storage.inbox.InboxWriter._write", down)
    response = await slack.message("help", event_id="EvDown")
    assert response.status >= 500  # Slack sends it again later
    monkeypatch.undo()
    assert (await slack.message("help", event_id="EvDown")).status == 200  # the retry
    assert len(await slack.deliveries()) == 2  # the welcome and the menu, once


async def test_web_api_calls_share_one_session_while_the_app_runs(slack: Slack) -> None:
    sender = slack.runtime.senders[Platform.SLACK]
    assert isinstance(sender, SlackSender)
    session = sender.client.session
    assert session is not None and not session.closed  # kept-alive connections, reused
    await slack.message("help", event_id="EvShared")
    assert len(await slack.deliveries()) == 2
    assert sender.client.session is session
