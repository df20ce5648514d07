"""The web chat's HTTP routes: the page, the people picker, sends and the websocket."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError, web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.routes import setup_web_chat
from adapters.web.sender import WebSender
from bot.errors import TemporarilyUnavailable
from bot.messages import Action, Author, Inbound, Platform
from bot.ui import Card
from tests.factories import ANA, BEN, make_delivery

PEOPLE = [
    {"email": ANA, "name": "Ana Silva", "role": "Analyst", "department": "Finance"},
    {"email": BEN, "name": "Ben Okafor", "role": "Ambassador", "department": "Sales"},
]
SEND = {"as": ANA, "event_id": "e", "text": "hi"}




class Recorder:
    """A fake engine: records what it was handed, or raises ``failure``."""

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []
        self.failure: Exception | None = None

    async def handle(self, inbound: Inbound) -> None:
        if self.failure is not None:
            raise self.failure
        self.inbounds.append(inbound)


class Directory:
    """A fake people directory: records lookups; ``down`` makes every call fail."""

    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.listings = 0
        self.down = False

    async def list_people(self) -> list[dict[str, str]]:
        self.listings += 1
        if self.down:
            raise ConnectionError("database down")
        return [dict(p) for p in PEOPLE]

    async def find_person(self, email: str) -> dict[str, str] | None:
        self.lookups.append(email)
        if self.down:
            raise ConnectionError("database down")
        return next((dict(p) for p in PEOPLE if p["email"] == email.casefold()), None)


@pytest.fixture
def engine() -> Recorder:
    return Recorder()


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def sender() -> WebSender:
    return WebSender()


@pytest.fixture
async def client(
    engine: Recorder, directory: Directory, sender: WebSender
) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    setup_web_chat(
        app,
        handle=engine.handle,
        list_people=directory.list_people,
        find_person=directory.find_person,
        sender=sender,
    )
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as test_client:
        yield test_client


def send_body(**overrides: Any) -> dict[str, Any]:
    return SEND | overrides


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
                platform=Platform.WEB, tenant="local", user_id=ANA, email=ANA, locale=""
            ),
            event_id=f"web:{ANA}:e1",
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
    assert inbound.author.user_id == BEN  # as the directory spells it, not as typed
    assert inbound.event_id == f"web:{BEN}:e2"
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
        {"as": ANA, "event_id": "e", "text": "x" * 100_001},
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


@pytest.mark.parametrize("text", ["", "   ", "x" * 40_001, "é" * 100_000, "😟" * 100_000])
async def test_empty_and_long_text_reach_the_engine_whole(
    client: TestClient[Any, Any], engine: Recorder, text: str
) -> None:
    # The engine answers these kindly itself, and screens every character.
    # A browser's JSON.stringify leaves non-ASCII unescaped, as here.
    body = json.dumps(send_body(text=text), ensure_ascii=False).encode()

    response = await client.post("/web/send", data=body)

    assert response.status == 202
    (inbound,) = engine.inbounds
    assert inbound.text == text


async def test_a_body_just_under_512_kib_is_read(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    raw = json.dumps(send_body(text="x" * 100_000)).encode()
    padded = raw[:-1] + b" " * (512 * 1024 - len(raw)) + b"}"

    response = await client.post("/web/send", data=padded)

    assert len(padded) == 512 * 1024
    assert response.status == 202
    assert len(engine.inbounds) == 1


async def test_a_body_over_512_kib_is_refused_unread(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    response = await client.post("/web/send", data=b"{" + b" " * (512 * 1024))

    assert response.status == 413
    assert await response.json() == {"error": "message too large"}
    assert engine.inbounds == []


async def test_oversized_chunked_body_is_refused(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(130):
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
    engine.failure = RuntimeError("engine broke")
    caplog.set_level(logging.DEBUG)

    response = await client.post(
        "/web/send", json={"as": ANA, "event_id": "e9", "text": "my secret worry"}
    )

    assert response.status == 500
    assert await response.json() == {"error": "something went wrong on our side"}
    assert "e9" in caplog.text
    assert all("secret" not in r.getMessage() for r in caplog.records)


async def test_nothing_recorded_answers_503_so_the_page_keeps_the_text(
    client: TestClient[Any, Any], engine: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    engine.failure = TemporarilyUnavailable("database down")
    caplog.set_level(logging.DEBUG)

    response = await client.post("/web/send", json=send_body(text="my secret worry"))

    assert response.status == 503
    assert response.content_type == "application/json"
    assert await response.json() == {"error": "temporarily unavailable, please try again"}
    assert all("secret" not in r.getMessage() for r in caplog.records)


async def test_sends_look_up_only_the_sender_never_list_everyone(
    client: TestClient[Any, Any], directory: Directory
) -> None:
    await client.post("/web/send", json=send_body(**{"as": "Ana@Example.org"}))
    async with client.ws_connect("/web/ws", params={"as": BEN}):
        pass

    assert directory.lookups == ["Ana@Example.org", BEN]
    assert directory.listings == 0


async def test_directory_failure_on_send_answers_503_json(
    client: TestClient[Any, Any], engine: Recorder, directory: Directory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory.down = True

    response = await client.post("/web/send", json=send_body(text="my secret worry"))

    assert response.status == 503
    assert await response.json() == {"error": "temporarily unavailable"}
    assert engine.inbounds == []
    assert any(r.exc_info for r in caplog.records)
    assert all("secret" not in r.getMessage() for r in caplog.records)


async def test_directory_failure_on_websocket_answers_503(
    client: TestClient[Any, Any], directory: Directory
) -> None:
    directory.down = True

    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/web/ws", params={"as": ANA})

    assert refused.value.status == 503


async def test_directory_failure_on_people_answers_503_json(
    client: TestClient[Any, Any], directory: Directory
) -> None:
    directory.down = True

    response = await client.get("/web/people")

    assert response.status == 503
    assert await response.json() == {"error": "temporarily unavailable"}


async def test_one_persons_event_id_cannot_suppress_anothers(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    await client.post("/web/send", json=send_body(event_id="same"))
    await client.post("/web/send", json=send_body(**{"as": BEN, "event_id": "same"}))

    assert [i.event_id for i in engine.inbounds] == [f"web:{ANA}:same", f"web:{BEN}:same"]


# Host and Origin (DNS rebinding, cross-site requests) ------------------------


ROUTES = [
    ("GET", "/", None),
    ("GET", "/static/web/chat.js", None),
    ("GET", "/web/people", None),
    ("POST", "/web/send", SEND),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io",
             "10.0.0.1", "[::2]:80", "::1:80", ""],
)
async def test_a_host_that_is_not_loopback_is_refused(
    client: TestClient[Any, Any], engine: Recorder,
    method: str, path: str, body: dict[str, Any] | None, host: str,
) -> None:
    # What a DNS-rebinding page sends: its own name as Host and, same-origin, as Origin.
    headers = {"Host": host, "Origin": f"http://{host}"}

    response = await client.request(method, path, json=body, headers=headers)

    assert response.status == 403
    if path.startswith("/web/"):
        assert await response.json() == {"error": "host not allowed"}
    else:
        assert "demo only" not in await response.text()
    assert engine.inbounds == []


async def test_websocket_refuses_a_host_that_is_not_loopback(
    client: TestClient[Any, Any], sender: WebSender
) -> None:
    headers = {"Host": "evil.example", "Origin": "http://evil.example"}

    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/web/ws", params={"as": ANA}, headers=headers)

    assert refused.value.status == 403
    assert sender.subscriber_count(ANA) == 0


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8080", "127.0.0.1:1", "[::1]:8080"])
async def test_loopback_hosts_are_served(
    client: TestClient[Any, Any], method: str, path: str, body: dict[str, Any] | None, host: str
) -> None:
    headers = {"Host": host, "Origin": f"http://{host}"}

    response = await client.request(method, path, json=body, headers=headers)

    assert response.status in (200, 202)


async def test_a_loopback_host_with_a_foreign_origin_is_refused(
    client: TestClient[Any, Any], engine: Recorder
) -> None:
    response = await client.post(
        "/web/send", json=SEND, headers={"Host": "localhost:8080", "Origin": "http://evil.example"}
    )

    assert response.status == 403
    assert await response.json() == {"error": "cross-origin request refused"}
    assert engine.inbounds == []


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
