"""The Teams app end to end: real Bot Framework activities with real signed tokens in,
the fake Bot Connector out, the real app between."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.app import create_app
from adapters.runtime import Runtime, build_runtime
from adapters.teams.app import cloud_adapter
from adapters.teams.sender import TeamsSender
from bot.messages import Platform
from bot.settings import Settings
from storage.db import Database
from storage.models import Identity, Person, ProcessedEvent
from tests.conftest import TEST_KEY
from tests.fakes.botframework import BOT_APP_ID, TENANT_ID, FakeConnector, FakeTokenCredentials
from tests.fakes.botframework_auth import ISSUER, FakeBotFrameworkIssuer
from tests.harness import uncorrelated_routes

USER = "29:1ana-teams-id"
AAD = "aad-ana-0001"


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeBotFrameworkIssuer]:
    with FakeBotFrameworkIssuer() as fake:
        yield fake


@dataclass
class Teams:
    client: TestClient[Any, Any]
    connector: FakeConnector
    runtime: Runtime
    issuer: FakeBotFrameworkIssuer

    def activity(self, kind: str = "message", conversation: str = "personal",
                 **fields: Any) -> dict[str, Any]:
        conversation_id = "a:personal-ana" if conversation == "personal" else "19:team@thread"
        return {
            "type": kind, "id": uuid.uuid4().hex, "timestamp": "2026-11-22T18:00:00.000Z",
            "serviceUrl": self.connector.url, "channelId": "msteams",
            "from": {"id": USER, "name": "Ana Silva", "aadObjectId": AAD},
            "conversation": {"id": conversation_id, "conversationType": conversation,
                             "tenantId": TENANT_ID},
            "recipient": {"id": f"28:{BOT_APP_ID}", "name": "Peerlink"},
            "channelData": {"tenant": {"id": TENANT_ID}}, "locale": "fr-CA", **fields,
        }

    async def post(self, activity: dict[str, Any], *, token: str | None = None) -> ClientResponse:
        bearer = token if token is not None else self.issuer.token(BOT_APP_ID,
                                                                    self.connector.url)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await self.client.post("/api/messages", json=activity, headers=headers)

    async def sent(self) -> list[dict[str, Any]]:
        """Activities the bot sent through the connector, once the outbox is drained."""
        await self.runtime.worker.drain()
        return [c for c in self.connector.calls("send")]

    def cards(self, sent: list[dict[str, Any]]) -> str:
        return json.dumps([a.get("attachments") for a in sent], ensure_ascii=False)


@pytest.fixture
async def teams(sqlite_db: Database, issuer: FakeBotFrameworkIssuer) -> AsyncIterator[Teams]:
    async with FakeConnector() as connector:
        settings = Settings(database_url=sqlite_db.url, secret_keys=(TEST_KEY,),
                            microsoft_app_id=BOT_APP_ID, microsoft_app_password="secret")
        endpoints = {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": issuer.metadata_url,
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": issuer.metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": "https://login.invalid/botframework.com",
        }
        cloud = cloud_adapter(settings, endpoints, FakeTokenCredentials(BOT_APP_ID))
        sender = TeamsSender(cloud, BOT_APP_ID)
        runtime = build_runtime(settings, {Platform.TEAMS: sender}, database=sqlite_db)
        async with TestClient(TestServer(create_app(settings, runtime), host="127.0.0.1")) as c:
            yield Teams(c, connector, runtime, issuer)


async def _count(db: Database, model: Any) -> int:
    async with db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "forged"])
async def test_unauthenticated_requests_are_refused_and_change_nothing(
    teams: Teams, token: str
) -> None:
    if token == "forged":
        from cryptography.hazmat.primitives.asymmetric import rsa

        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = teams.issuer.token(BOT_APP_ID, teams.connector.url, key=other)
    response = await teams.post(teams.activity(text="hello"), token=token)
    assert response.status == 401
    assert await _count(teams.runtime.db, Person) == 0
    assert await _count(teams.runtime.db, ProcessedEvent) == 0
    assert await teams.sent() == []


async def test_a_token_for_another_bot_is_refused(teams: Teams) -> None:
    token = teams.issuer.token("11111111-2222-3333-4444-555555555555", teams.connector.url)
    response = await teams.post(teams.activity(text="hello"), token=token)
    assert response.status == 401


async def test_welcome_on_install_then_help_in_the_persons_language(teams: Teams) -> None:
    install = teams.activity("installationUpdate", action="add")
    assert (await teams.post(install)).status in (200, 201)
    sent = await teams.sent()
    assert "Bienvenue" in teams.cards(sent)
    assert all(a.get("summary") for a in sent)  # a neutral notification, never the content
    async with teams.runtime.db.transaction() as uow:
        identity = (await uow.session.scalars(select(Identity))).one()
    assert identity.user_id == AAD and identity.tenant == TENANT_ID
    assert identity.address["reference"]["conversation"]["id"] == "a:personal-ana"
    assert (await teams.post(teams.activity(text="aide"))).status in (200, 201)
    assert "Voici ce que vous pouvez faire" in teams.cards(await teams.sent())


async def test_a_form_round_trip_through_adaptive_card_submits(teams: Teams) -> None:
    await teams.post(teams.activity(text="settings"))
    sent = await teams.sent()
    form = next(a for a in sent if "timezone" in json.dumps(a.get("attachments")))
    card = form["attachments"][0]["content"]
    submit = next(a for a in card["actions"] if a["data"]["peerlink_action"] == "settings.save")
    value = {**submit["data"], "language": "en", "timezone": "Europe/Paris"}
    assert (await teams.post(teams.activity(value=value))).status in (200, 201)
    assert "Your settings are saved." in teams.cards(await teams.sent())


async def test_a_junk_card_submit_gets_a_kind_answer(teams: Teams) -> None:
    await teams.post(teams.activity(text="bonjour"))
    await teams.post(teams.activity(value={"peerlink_action": ["not", "a", "string"]}))
    assert "ne fonctionne plus" in teams.cards(await teams.sent())


async def test_a_mention_in_a_team_gets_a_pointer_there_and_the_answer_in_private(
    teams: Teams,
) -> None:
    mention = teams.activity(conversation="channel", text="<at>Peerlink</at> I feel awful")
    assert (await teams.post(mention)).status in (200, 201)
    replies = [c for c in teams.connector.requests() if "19:team@thread" in c.path]
    assert replies and "awful" not in json.dumps([c.payload for c in replies])
    await teams.runtime.worker.drain()
    created = teams.connector.calls("create")
    assert created, "a private chat is opened to answer"


async def test_proactive_delivery_to_someone_who_has_not_written(teams: Teams) -> None:
    """Added to a team where Peerlink is installed: welcomed in a new 1:1 chat."""
    added = teams.activity("conversationUpdate", conversation="channel",
                           membersAdded=[{"id": USER, "aadObjectId": AAD, "name": "Ana"}])
    assert (await teams.post(added)).status in (200, 201)
    await teams.runtime.worker.drain()
    assert teams.connector.call_count("create") == 1
    assert "Bienvenue" in teams.cards(await teams.sent())
    async with teams.runtime.db.transaction() as uow:
        identity = (await uow.session.scalars(select(Identity))).one()
    assert "reference" in identity.address  # stored for the next message


async def test_malformed_bodies_are_refused(teams: Teams) -> None:
    token = teams.issuer.token(BOT_APP_ID, teams.connector.url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad = await teams.client.post("/api/messages", data=b"{nope", headers=headers)
    assert bad.status == 400
    text = await teams.client.post("/api/messages", data=b"hi",
                                   headers={**headers, "Content-Type": "text/plain"})
    assert text.status == 415
    assert await _count(teams.runtime.db, Person) == 0


def test_the_msrest_retry_codes_speed_up_keeps_the_same_codes() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    import adapters.teams  # noqa: F401 - applies the speed-up

    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    expected = [i for i in range(999) if i not in ({*range(500)} - {408}) | {501, 505}]
    assert ClientRetryPolicy().policy.status_forcelist == expected


async def test_every_teams_route_binds_a_correlation_id(teams: Teams) -> None:
    assert uncorrelated_routes(teams.client.server.app) == []
