"""TeamsSender through a real botbuilder CloudAdapter, against a fake Bot Connector."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ConversationReference

from adapters.teams.render import CONTENT_TYPE
from adapters.teams.sender import TeamsSender
from bot.delivery import Delivery, DeliveryResult, Outcome
from bot.messages import Platform, Priority
from bot.ui import Button, Card
from tests.fakes.botframework import BOT_APP_ID, TENANT_ID, FakeConnector, FakeTokenCredentials

SECRET = "I have been struggling since my diagnosis"
NOTIFICATION = "You have a new message in Peerlink"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


def make_adapter(credentials: FakeTokenCredentials | None = None) -> CloudAdapter:
    """A real CloudAdapter: local development (no app id) unless given credentials."""
    app_id = credentials.app_id if credentials else ""
    auth = ConfigurationBotFrameworkAuthentication(
        SimpleNamespace(APP_ID=app_id, APP_PASSWORD=""), credentials_factory=credentials
    )
    return CloudAdapter(auth)


def make_sender(
    credentials: FakeTokenCredentials | None = None,
    adapter: CloudAdapter | None = None,
    **options: Any,
) -> TeamsSender:
    options.setdefault("clock", Clock())
    app_id = credentials.app_id if credentials else ""
    return TeamsSender(adapter or make_adapter(credentials), app_id, **options)


def make_delivery(connector: FakeConnector, user: str = "29:alice", **overrides: Any) -> Delivery:
    fields: dict[str, Any] = {
        "key": f"k-{user}",
        "platform": Platform.TEAMS,
        "address": {
            "tenant": TENANT_ID,
            "user_id": user,
            "reference": connector.conversation_reference(user),
        },
        "body": Card(text=SECRET, title="A reply", buttons=(Button("Thanks", "ack"),)),
        "notification": NOTIFICATION,
        "priority": Priority.REPLY,
        "locale": "en",
    }
    return Delivery(**(fields | overrides))


def first_time(connector: FakeConnector, user: str = "aad-bob", **overrides: Any) -> Delivery:
    """A delivery to someone who has the app but never wrote: tenant and AAD id only."""
    address = {"tenant": TENANT_ID, "user_id": user, "service_url": connector.url}
    return make_delivery(connector, user, address=address, **overrides)


# --- Delivering ------------------------------------------------------------------------


async def test_stored_reference_gets_an_adaptive_card_with_a_neutral_summary(
    connector: FakeConnector,
) -> None:
    result = await make_sender().send(make_delivery(connector))

    assert result == DeliveryResult.sent()
    [call] = connector.requests("send")
    assert call.path == "/v3/conversations/a:personal-29:alice/activities"
    assert call.authorization == ""  # local development: no token, nothing asked of Azure
    assert connector.call_count("reply") == 0  # a new message, not a reply
    activity = call.payload
    assert activity["type"] == "message"
    assert activity["summary"] == NOTIFICATION
    assert not activity.get("text")
    [card] = activity["attachments"]
    assert card["contentType"] == CONTENT_TYPE
    assert card["content"]["type"] == "AdaptiveCard"
    assert SECRET in str(card["content"])
    assert activity["recipient"]["id"] == "29:alice"


async def test_first_delivery_creates_the_personal_chat_and_returns_its_reference(
    connector: FakeConnector,
) -> None:
    sender = make_sender()

    result = await sender.send(first_time(connector))

    assert result.outcome is Outcome.SENT
    created = connector.last("create")
    assert created["isGroup"] is False
    assert created["members"] == [{"id": "aad-bob"}]
    assert created["tenantID"] == TENANT_ID  # botbuilder's spelling; Teams reads channelData
    assert created["channelData"] == {"tenant": {"id": TENANT_ID}}
    assert created["bot"]["id"].startswith("28:")
    assert connector.requests("send")[0].path == "/v3/conversations/a:conv-1/activities"
    reference = ConversationReference.deserialize(result.extra["address"]["reference"])
    assert reference.conversation.id == "a:conv-1"
    assert reference.service_url == connector.url
    assert reference.user.id == "aad-bob"

    reference_data = result.extra["address"]["reference"]
    stored = {"tenant": TENANT_ID, "user_id": "aad-bob", "reference": reference_data}
    again = await sender.send(make_delivery(connector, "aad-bob", key="k2", address=stored))
    assert again.outcome is Outcome.SENT
    assert connector.call_count("create") == 1
    assert [c.path for c in connector.requests("send")][-1].endswith("a:conv-1/activities")


async def test_a_chat_created_but_not_yet_stored_is_not_created_twice(
    connector: FakeConnector,
) -> None:
    sender = make_sender()
    await sender.send(first_time(connector))

    await sender.send(first_time(connector, key="k2"))

    assert connector.call_count("create") == 1
    assert connector.call_count("send") == 2


async def test_with_an_app_id_every_call_carries_the_bot_token(connector: FakeConnector) -> None:
    sender = make_sender(FakeTokenCredentials(BOT_APP_ID, "t0ken"))

    assert (await sender.send(first_time(connector))).outcome is Outcome.SENT
    assert (await sender.send(make_delivery(connector))).outcome is Outcome.SENT

    assert connector.last("create")["bot"]["id"] == f"28:{BOT_APP_ID}"
    assert {c.authorization for c in connector.requests()} == {"Bearer t0ken"}


async def test_a_key_already_delivered_is_not_shown_twice(connector: FakeConnector) -> None:
    sender = make_sender()
    delivery = make_delivery(connector)

    await sender.send(delivery)
    result = await sender.send(delivery)

    assert result.outcome is Outcome.SENT
    assert connector.call_count("send") == 1


async def test_a_long_card_resumes_after_the_last_part_posted(connector: FakeConnector) -> None:
    sender = make_sender()
    long = make_delivery(connector, body=Card(text=("word " * 2000 + "\n\n") * 6))
    connector.add_response("send", 201, {"id": "1"})
    connector.add_response("send", 503)

    first = await sender.send(long)
    parts = connector.call_count("send")
    again = await sender.send(long)

    assert first.outcome is Outcome.RETRY
    assert again.outcome is Outcome.SENT
    assert parts == 2
    total = connector.call_count("send")
    assert total > 2
    bodies = [str(p["attachments"][0]["content"]) for p in connector.calls("send")]
    assert bodies[1] == bodies[2]  # the failed part again, then the rest; never the first


# --- Errors ----------------------------------------------------------------------------


async def test_blocked_or_uninstalled_is_undeliverable(connector: FakeConnector) -> None:
    sender = make_sender()
    connector.add_response("send", 403)

    result = await sender.send(make_delivery(connector))

    assert result == DeliveryResult.undeliverable("blocked_or_uninstalled")
    assert sender.undeliverable_counts["blocked_or_uninstalled"] == 1


async def test_the_adapters_error_handler_never_answers_a_proactive_turn(
    connector: FakeConnector,
) -> None:
    adapter = make_adapter()
    handled: list[Exception] = []

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        handled.append(error)
        await context.send_activity("Sorry, something went wrong on our side.")

    adapter.on_turn_error = on_turn_error
    connector.add_response("send", 403)

    result = await make_sender(adapter=adapter).send(make_delivery(connector))

    assert result == DeliveryResult.undeliverable("blocked_or_uninstalled")
    assert handled == []
    assert connector.call_count("send") == 1


async def test_creating_a_chat_with_someone_without_the_app_is_undeliverable(
    connector: FakeConnector,
) -> None:
    sender = make_sender()
    connector.add_response("create", 403)

    result = await sender.send(first_time(connector))

    assert result == DeliveryResult.undeliverable("blocked_or_uninstalled")
    assert connector.call_count("send") == 0


async def test_a_conversation_gone_is_undeliverable(connector: FakeConnector) -> None:
    connector.add_response("send", 404)

    result = await make_sender().send(make_delivery(connector))

    assert result == DeliveryResult.undeliverable("conversation_not_found")


async def test_no_address_is_undeliverable(connector: FakeConnector) -> None:
    result = await make_sender().send(make_delivery(connector, address={"tenant": TENANT_ID}))

    assert result == DeliveryResult.undeliverable("no_address")
    assert connector.requests() == []


async def test_throttled_retries_after_retry_after_and_holds_the_conversation(
    connector: FakeConnector,
) -> None:
    clock = Clock()
    sender = make_sender(clock=clock)
    connector.add_response("send", 429, headers={"Retry-After": "5"})

    result = await sender.send(make_delivery(connector))
    held = await sender.send(make_delivery(connector, key="k2"))
    clock.advance(5)
    later = await sender.send(make_delivery(connector, key="k2"))

    assert result == DeliveryResult.retry(5.0, "rate_limited")
    assert held.outcome is Outcome.DEFERRED
    assert held.retry_after == pytest.approx(5.0)
    assert later.outcome is Outcome.SENT
    assert connector.call_count("send") == 2  # botbuilder's client did not retry on its own


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_teams_briefly_down_retries_with_the_worker_backoff(
    connector: FakeConnector, status: int
) -> None:
    connector.add_response("send", status)

    result = await make_sender().send(make_delivery(connector))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after is None
    assert connector.call_count("send") == 1


async def test_retry_after_on_an_outage_is_honoured(connector: FakeConnector) -> None:
    connector.add_response("send", 503, headers={"Retry-After": "12"})

    result = await make_sender().send(make_delivery(connector))

    assert result == DeliveryResult.retry(12.0, "http_503")


async def test_a_dropped_connection_retries(connector: FakeConnector) -> None:
    connector.add_disconnect("send")

    result = await make_sender().send(make_delivery(connector))

    assert result == DeliveryResult.retry(None, "network")


async def test_an_unexpected_answer_fails_with_its_status(connector: FakeConnector) -> None:
    connector.add_response("send", 400)

    result = await make_sender().send(make_delivery(connector))

    assert result == DeliveryResult.failed("400")


async def test_rejected_credentials_degrade_health_once_then_recover(
    connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    sender = make_sender()
    connector.add_response("send", 401)
    connector.add_response("send", 401)

    with caplog.at_level(logging.INFO, logger="peerlink.teams"):
        first = await sender.send(make_delivery(connector, key="k1"))
        await sender.send(make_delivery(connector, key="k2"))
        degraded = sender.health()
        recovered = await sender.send(make_delivery(connector, key="k3"))

    assert first == DeliveryResult.retry(300.0, "credentials_rejected")
    assert degraded == {"teams": "degraded: 401"}
    assert recovered.outcome is Outcome.SENT
    assert sender.health() == {"teams": "ok"}
    assert [r.levelname for r in caplog.records].count("ERROR") == 1
    assert SECRET not in caplog.text
    assert NOTIFICATION not in caplog.text


# --- Pacing ----------------------------------------------------------------------------


async def test_the_eighth_message_in_a_second_to_one_chat_waits(connector: FakeConnector) -> None:
    clock = Clock()
    sender = make_sender(clock=clock)
    for n in range(7):
        assert (await sender.send(make_delivery(connector, key=f"a{n}"))).outcome is Outcome.SENT

    eighth = await sender.send(make_delivery(connector, key="a7"))
    elsewhere = await sender.send(make_delivery(connector, "29:bea", key="b0"))
    clock.advance(eighth.retry_after or 0)
    later = await sender.send(make_delivery(connector, key="a7"))

    assert eighth.outcome is Outcome.DEFERRED
    assert eighth.retry_after == pytest.approx(1 / 7)
    assert elsewhere.outcome is Outcome.SENT
    assert later.outcome is Outcome.SENT
    assert connector.call_count("send") == 9


async def test_a_tenant_has_its_own_budget(connector: FakeConnector) -> None:
    sender = make_sender(tenant_per_second=3)
    for user in ("29:a", "29:b", "29:c"):
        assert (await sender.send(make_delivery(connector, user))).outcome is Outcome.SENT

    fourth = await sender.send(make_delivery(connector, "29:d"))
    other = make_delivery(connector, "29:e")
    other_tenant = await sender.send(
        make_delivery(connector, "29:e", address={**other.address, "tenant": "tenant-other"})
    )

    assert fourth.outcome is Outcome.DEFERRED
    assert fourth.retry_after == pytest.approx(1 / 3)
    assert other_tenant.outcome is Outcome.SENT


async def test_a_crisis_reply_skips_pacing(connector: FakeConnector) -> None:
    sender = make_sender()
    for n in range(7):
        await sender.send(make_delivery(connector, key=f"a{n}"))

    crisis = await sender.send(make_delivery(connector, key="c", priority=Priority.CRISIS))

    assert crisis.outcome is Outcome.SENT
    assert connector.call_count("send") == 8
