"""The web chat's sender (mailboxes, dedupe, pushes) and its HTTP routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError, web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.routes import primary_language, setup_web_chat
from adapters.web.sender import WebSender
from bot.delivery import Delivery, Outcome
from bot.messages import Action, Author, Inbound, Platform, Priority
from bot.ui import Button, Card

ANA = "ana@example.org"
BEN = "ben@example.org"
PEOPLE = [
    {"email": ANA, "name": "Ana Silva", "role": "Analyst", "department": "Finance"},
    {"email": BEN, "name": "Ben Okafor", "role": "Ambassador", "department": "Sales"},
]


def make_delivery(**overrides: Any) -> Delivery:
    fields: dict[str, Any] = {
        "key": "out-1",
        "platform": Platform.WEB,
        "address": {"user_id": ANA},
        "body": Card(text="Hello", buttons=(Button("OK", "ok"),)),
        "notification": "New message",
        "priority": Priority.REPLY,
        "locale": "en",
    }
    return Delivery(**(fields | overrides))


# Sender ----------------------------------------------------------------------


async def test_send_keeps_rendered_message_in_backlog() -> None:
    sender = WebSender()

    result = await sender.send(make_delivery())

    assert result.outcome is Outcome.SENT
    (message,) = sender.backlog(ANA)
    assert message["key"] == "out-1"
    assert 'data-action="ok"' in message["html"]
    assert message["priority"] == 10
    assert sender.backlog(BEN) == []
    assert sender.platform is Platform.WEB


async def test_same_key_is_shown_once() -> None:
    sender = WebSender()
    queue = sender.subscribe(ANA)

    first = await sender.send(make_delivery())
    again = await sender.send(make_delivery(body=Card(text="changed")))

    assert first.outcome is again.outcome is Outcome.SENT
    assert len(sender.backlog(ANA)) == 1
    assert queue.qsize() == 1


async def test_backlog_is_ordered_and_bounded() -> None:
    sender = WebSender(mailbox_size=3)

    for n in range(5):
        await sender.send(make_delivery(key=f"out-{n}"))

    assert [m["key"] for m in sender.backlog(ANA)] == ["out-2", "out-3", "out-4"]


async def test_every_subscriber_of_the_person_gets_pushed() -> None:
    sender = WebSender()
    tab_one, tab_two, other = sender.subscribe(ANA), sender.subscribe(ANA), sender.subscribe(BEN)

    await sender.send(make_delivery())

    assert tab_one.get_nowait()["key"] == tab_two.get_nowait()["key"] == "out-1"
    assert other.empty()


async def test_unsubscribed_queue_gets_nothing() -> None:
    sender = WebSender()
    queue = sender.subscribe(ANA)
    sender.unsubscribe(ANA, queue)
    sender.unsubscribe(ANA, queue)  # twice is harmless

    await sender.send(make_delivery())

    assert queue.empty()
    assert sender.subscriber_count(ANA) == 0


async def test_slow_subscriber_loses_oldest_not_newest() -> None:
    sender = WebSender(queue_size=2)
    queue = sender.subscribe(ANA)

    for n in range(3):
        await sender.send(make_delivery(key=f"out-{n}"))

    assert [queue.get_nowait()["key"] for _ in range(2)] == ["out-1", "out-2"]


@pytest.mark.parametrize("address", [{}, {"user_id": ""}, {"user_id": None}, {"email": ANA}])
async def test_no_user_id_is_undeliverable(address: dict[str, Any]) -> None:
    sender = WebSender()

    result = await sender.send(make_delivery(address=address))

    assert result.outcome is Outcome.UNDELIVERABLE
    assert result.reason == "no_address"


# Routes ----------------------------------------------------------------------


class Recorder:
    """A fake engine: records what it was handed."""

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []
        self.fail = False

    async def handle(self, inbound: Inbound) -> None:
        if self.fail:
            raise RuntimeError("engine broke")
        self.inbounds.append(inbound)


async def list_people() -> list[dict[str, str]]:
    return [dict(p) for p in PEOPLE]


@pytest.fixture
def engine() -> Recorder:
    return Recorder()


@pytest.fixture
def sender() -> WebSender:
    return WebSender()


@pytest.fixture
async def client(engine: Recorder, sender: WebSender) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    setup_web_chat(app, handle=engine.handle, list_people=list_people, sender=sender)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as test_client:
        yield test_client


async def test_page_and_static_files_are_served(client: TestClient[Any, Any]) -> None:
    page = await client.get("/")
    script = await client.get("/static/web/chat.js")

    assert page.status == 200
    assert "demo only" in await page.text()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert script.status == 200
    assert "javascript" in script.headers["Content-Type"]


@pytest.mark.parametrize("name", ["missing.js", "..%2Froutes.py", "%2E%2E%2F__init__.py"])
async def test_only_existing_static_files_are_served(
    client: TestClient[Any, Any], name: str
) -> None:
    response = await client.get(f"/static/web/{name}")

    assert response.status == 404


async def test_people_lists_public_fields(client: TestClient[Any, Any]) -> None:
    response = await client.get("/web/people")

    assert response.status == 200
    assert await response.json() == {"people": PEOPLE}


async def test_text_send_hands_an_inbound_to_the_engine(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    response = await client.post(
        "/web/send",
        json={"as": ANA, "event_id": "e1", "text": "find a buddy <b>"},
        headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"},
    )

    assert response.status == 202
    assert await response.json() == {"ok": True}
    assert engine.inbounds == [
        Inbound(
            author=Author(
                platform=Platform.WEB, tenant="local", user_id=ANA, email=ANA, locale="fr"
            ),
            event_id="web:e1",
            text="find a buddy <b>",
        )
    ]


async def test_action_send_carries_value_and_values(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    payload = {
        "as": BEN.upper(),
        "event_id": "e2",
        "action": "bio.save",
        "value": "42",
        "values": {"headline": "Hi", "lang": "fr"},
    }

    response = await client.post("/web/send", json=payload)

    assert response.status == 202
    (inbound,) = engine.inbounds
    assert inbound.author.user_id == BEN  # as listed, not as typed
    assert inbound.author.locale == ""
    assert inbound.text is None
    assert inbound.action == Action("bio.save", "42", {"headline": "Hi", "lang": "fr"})


async def test_unknown_person_is_forbidden(client: TestClient[Any, Any], engine: Recorder) -> None:
    response = await client.post(
        "/web/send", json={"as": "mallory@example.org", "event_id": "e3", "text": "hi"}
    )

    assert response.status == 403
    assert await response.json() == {"error": "unknown person"}
    assert engine.inbounds == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b'["a list"]',
        b"[" * 5000 + b"]" * 5000,
        b'{"as": "ana@example.org", "event_id": "e", "text": "\xff"}',
    ],
)
async def test_non_json_body_is_refused(
    client: TestClient[Any, Any], engine: Recorder, body: bytes
) -> None:
    response = await client.post("/web/send", data=body)

    assert response.status == 400
    assert "error" in await response.json()
    assert engine.inbounds == []


@pytest.mark.parametrize(
    "payload",
    [
        {"as": ANA, "event_id": "e", "text": "hi", "action": "ok"},
        {"as": ANA, "event_id": "e"},
        {"as": ANA, "event_id": "", "text": "hi"},
        {"as": ANA, "event_id": "e" * 101, "text": "hi"},
        {"as": ANA, "event_id": 7, "text": "hi"},
        {"as": ANA, "event_id": "e", "text": ""},
        {"as": ANA, "event_id": "e", "text": "x" * 40_001},
        {"as": ANA, "event_id": "e", "text": ["hi"]},
        {"as": ANA, "event_id": "e", "text": "hi", "value": "1"},
        {"as": ANA, "event_id": "e", "action": "a" * 201},
        {"as": ANA, "event_id": "e", "action": "ok", "values": {"a": {"nested": "x"}}},
        {"as": ANA, "event_id": "e", "action": "ok", "values": ["x"]},
        {"as": ANA, "event_id": "e", "action": "ok", "values": {f"k{n}": "v" for n in range(51)}},
        {"as": ANA, "event_id": "e", "text": "hi", "extra": 1},
        {"as": 5, "event_id": "e", "text": "hi"},
        {"event_id": "e", "text": "hi"},
    ],
)
async def test_bad_send_is_refused_with_a_reason(
    client: TestClient[Any, Any], engine: Recorder, payload: dict[str, Any]
) -> None:
    response = await client.post("/web/send", json=payload)

    assert response.status == 400
    body = await response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert engine.inbounds == []


async def test_longest_allowed_text_is_accepted(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    response = await client.post(
        "/web/send", json={"as": ANA, "event_id": "e", "text": "x" * 40_000}
    )

    assert response.status == 202
    assert len(engine.inbounds) == 1


async def test_oversized_body_is_refused_unread(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    response = await client.post("/web/send", data=b"{" + b" " * (64 * 1024))

    assert response.status == 413
    assert engine.inbounds == []


async def test_oversized_chunked_body_is_refused(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    response = await client.post("/web/send", data=chunks())

    assert response.status == 413
    assert engine.inbounds == []


async def test_cross_origin_send_is_refused(client: TestClient[Any, Any], engine: Recorder) -> None:
    response = await client.post(
        "/web/send",
        json={"as": ANA, "event_id": "e", "text": "hi"},
        headers={"Origin": "https://evil.example"},
    )

    assert response.status == 403
    assert engine.inbounds == []


async def test_same_origin_send_is_accepted(client: TestClient[Any, Any]) -> None:
    origin = str(client.make_url("/")).rstrip("/")

    response = await client.post(
        "/web/send",
        json={"as": ANA, "event_id": "e", "text": "hi"},
        headers={"Origin": origin},
    )

    assert response.status == 202


async def test_engine_failure_answers_500_without_logging_text(
    client: TestClient[Any, Any], engine: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    engine.fail = True
    caplog.set_level(logging.DEBUG)

    response = await client.post(
        "/web/send", json={"as": ANA, "event_id": "e9", "text": "my secret worry"}
    )

    assert response.status == 500
    assert "engine broke" not in await response.text()
    assert "web:e9" in caplog.text
    assert all("secret" not in r.getMessage() for r in caplog.records)


async def test_websocket_refuses_unknown_person(client: TestClient[Any, Any]) -> None:
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/web/ws", params={"as": "mallory@example.org"})

    assert refused.value.status == 403


async def test_websocket_gets_backlog_then_live_messages(
    client: TestClient[Any, Any], sender: WebSender
) -> None:
    await sender.send(make_delivery(key="old"))

    async with client.ws_connect("/web/ws", params={"as": ANA}) as ws:
        backlog = await ws.receive_json(timeout=5)
        await sender.send(make_delivery(key="new", body=Card(text="<script>x</script>")))
        await sender.send(make_delivery(key="new"))  # a retry: not pushed again
        await sender.send(make_delivery(key="newer"))
        live = await ws.receive_json(timeout=5)
        newer = await ws.receive_json(timeout=5)

    assert (backlog["type"], backlog["key"]) == ("message", "old")
    assert live["type"] == "message"
    assert live["key"] == "new"
    assert live["html"] == '<div class="pl-card"><p>&lt;script&gt;x&lt;/script&gt;</p></div>'
    assert newer["key"] == "newer"


async def test_websocket_only_gets_its_own_persons_messages(
    client: TestClient[Any, Any], sender: WebSender
) -> None:
    async with client.ws_connect("/web/ws", params={"as": BEN}) as ws:
        await sender.send(make_delivery(key="for-ana"))
        await sender.send(make_delivery(key="for-ben", address={"user_id": BEN}))
        message = await ws.receive_json(timeout=5)

    assert message["key"] == "for-ben"


async def test_websocket_unsubscribes_on_close(
    client: TestClient[Any, Any], sender: WebSender
) -> None:
    ws = await client.ws_connect("/web/ws", params={"as": ANA})
    await sender.send(make_delivery())
    await ws.receive_json(timeout=5)  # subscribed and pumping
    assert sender.subscriber_count(ANA) == 1

    await ws.close()
    # The server's handler finishes after the close handshake; bounded, no sleeps.
    for _ in range(1000):
        if sender.subscriber_count(ANA) == 0:
            break
        await asyncio.sleep(0)

    assert sender.subscriber_count(ANA) == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.5, de", "de"),
        ("EN-gb", "en"),
        ("*", ""),
        ("fr;q=0", ""),
        ("", ""),
        ("fr;q=abc, en;q=0.1", "en"),
    ],
)
def test_primary_language(header: str, expected: str) -> None:
    assert primary_language(header) == expected
