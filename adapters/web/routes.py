"""HTTP routes of the local web chat: the page, the people picker, sends and a websocket.

Demo only: anyone who can reach the port may speak as any demo person. Requests
whose Host is not this machine (127.0.0.1, localhost, [::1]) are refused, so a DNS
rebinding page cannot reach it under its own name, and so are requests from
another origin, so a web page elsewhere cannot drive it. Message text is passed
to the engine and never logged or kept here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from yarl import URL

from adapters.logs import Handler, correlated
from adapters.web.sender import WebSender
from bot.errors import TemporarilyUnavailable
from bot.messages import Action, Author, Inbound, Platform
from bot.text import MAX_SCREENED

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY = 512 * 1024
# The engine answers long and empty messages itself, and screens all it reads.
MAX_TEXT = MAX_SCREENED
MAX_EVENT_ID = 100
MAX_EMAIL = 320
MAX_ACTION = 200
MAX_VALUE = 1_000
MAX_FIELD_NAME = 200
MAX_FIELDS = 50
TENANT = "local"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
UNAVAILABLE = "temporarily unavailable"
RETRY_LATER = "temporarily unavailable, please try again"

_SEND_KEYS = frozenset({"as", "event_id", "text", "action", "value", "values"})
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# A Host header: a bracketed IPv6 address or a name, then maybe a port; or a bare "::1".
_HOST = re.compile(r"::1|(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::\d{1,5})?")

Handle = Callable[[Inbound], Awaitable[object]]
ListPeople = Callable[[], Awaitable[list[dict[str, str]]]]
# An email, matched case-insensitively, to the person as list_people shows them, or None.
FindPerson = Callable[[str], Awaitable[dict[str, str] | None]]

SOCKETS = web.AppKey("peerlink_web_sockets", weakref.WeakSet[web.WebSocketResponse])


class RequestRefused(Exception):
    """A request we answer with an HTTP error and a short English reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def setup_web_chat(
    app: web.Application,
    *,
    handle: Handle,
    list_people: ListPeople,
    find_person: FindPerson,
    sender: WebSender,
) -> None:
    """Add the web chat's routes to ``app``.

    ``list_people`` only fills the picker; sends and websockets are authorised
    one person at a time with ``find_person``.
    """
    chat = _WebChat(handle, list_people, find_person, sender)
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/", correlated(_page(chat.index)))
    app.router.add_get("/static/web/{name}", correlated(_page(chat.static)))
    app.router.add_get("/web/people", correlated(_api(chat.people)))
    app.router.add_post("/web/send", correlated(_api(chat.send)))
    app.router.add_get("/web/ws", correlated(_api(chat.websocket)))


def _page(handler: Handler) -> Handler:
    """The page and its files: only under a loopback Host; a plain 403 otherwise."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not _loopback_host(request.headers.get("Host", "")):
            return web.Response(status=403, text="This chat answers on localhost only.")
        return await handler(request)

    return guarded


def _api(handler: Handler) -> Handler:
    """The JSON routes: loopback Host, same Origin if any; refusals answered as JSON."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            if not _loopback_host(request.headers.get("Host", "")):
                raise RequestRefused(403, "host not allowed")
            _check_origin(request)
            return await handler(request)
        except RequestRefused as refused:
            return _error(refused)

    return guarded


class _WebChat:
    def __init__(
        self, handle: Handle, list_people: ListPeople, find_person: FindPerson, sender: WebSender
    ) -> None:
        self._handle = handle
        self._list_people = list_people
        self._find_person = find_person
        self._sender = sender
        # Only files present at start are served: names, never paths.
        self._files = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()}

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers=_HEADERS)

    async def static(self, request: web.Request) -> web.StreamResponse:
        path = self._files.get(request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=_HEADERS)

    async def people(self, request: web.Request) -> web.Response:
        try:
            listed = await self._list_people()
        except Exception:
            log.exception("web chat: listing people failed")
            raise RequestRefused(503, UNAVAILABLE) from None
        people = [_public(p) for p in listed]
        return web.json_response({"people": people}, headers=_HEADERS)

    async def send(self, request: web.Request) -> web.Response:
        payload = _parse_json(await _read_body(request))
        client_event_id, text, action = _parse_send(payload)
        email = await self._known_email(payload["as"])
        author = Author(
            platform=Platform.WEB,
            tenant=TENANT,
            user_id=email,
            email=email,
            # One browser plays many demo people: each person's language comes from
            # their directory entry or their own choice, not from this browser.
            locale="",
        )
        # Scoped to the person: one person's ids can never suppress another's message.
        event_id = f"web:{email}:{client_event_id}"
        inbound = Inbound(author=author, event_id=event_id, text=text, action=action)
        try:
            await self._handle(inbound)
        except TemporarilyUnavailable:
            log.warning("web chat: event %r not recorded; the page may send it again",
                        client_event_id)
            raise RequestRefused(503, RETRY_LATER) from None
        except Exception:
            log.exception("web chat: handling event %r failed", client_event_id)
            raise RequestRefused(500, "something went wrong on our side") from None
        return web.json_response({"ok": True}, status=202)

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        email = await self._known_email(request.query.get("as", ""))
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        request.app[SOCKETS].add(ws)
        # Subscribe and read the backlog with no await between: nothing falls in the gap.
        queue = self._sender.subscribe(email)
        backlog = self._sender.backlog(email)
        pump = asyncio.create_task(_pump(ws, backlog, queue))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._sender.unsubscribe(email, queue)
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        return ws

    async def _known_email(self, claimed: object) -> str:
        """The person's email as ``find_person`` spells it; 403 for no one, 503 if it failed."""
        if not isinstance(claimed, str) or not 0 < len(claimed) <= MAX_EMAIL:
            raise RequestRefused(403, "unknown person")
        try:
            person = await self._find_person(claimed)
        except Exception:
            log.exception("web chat: looking up a person failed")
            raise RequestRefused(503, UNAVAILABLE) from None
        email = person.get("email", "") if person is not None else ""
        if not email:
            raise RequestRefused(403, "unknown person")
        return email


async def _pump(
    ws: web.WebSocketResponse, backlog: list[dict[str, Any]], queue: asyncio.Queue[dict[str, Any]]
) -> None:
    for message in backlog:
        await ws.send_json({"type": "message", **message})
    while True:
        message = await queue.get()
        await ws.send_json({"type": "message", **message})


async def _close_sockets(app: web.Application) -> None:
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=1001, message=b"server shutting down")


def _public(person: Mapping[str, str]) -> dict[str, str]:
    keys = ("email", "name", "role", "department")
    return {key: str(person.get(key, "")) for key in keys}


def _error(refused: RequestRefused) -> web.Response:
    return web.json_response({"error": refused.reason}, status=refused.status)


def _loopback_host(host: str) -> bool:
    """Whether a Host header names this machine: 127.0.0.1, localhost or [::1], any port."""
    match = _HOST.fullmatch(host)
    if match is None:
        return False
    name = match["v6"] or match["name"] or match[0]
    return name.lower() in LOOPBACK_NAMES


def _check_origin(request: web.Request) -> None:
    """Browsers send Origin on cross-site posts and websockets; it must be us.

    Equal to a Host already found to be loopback, so a loopback origin too.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return
    try:
        url = URL(origin)
        authority = (url.raw_authority or "").lower()
        same = url.scheme in ("http", "https") and authority == request.host.lower()
    except ValueError:
        same = False
    if not same:
        raise RequestRefused(403, "cross-origin request refused")


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestRefused(413, "message too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY:
            raise RequestRefused(413, "message too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestRefused(400, "body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise RequestRefused(400, "body must be a JSON object")
    return payload


def _parse_send(payload: dict[str, Any]) -> tuple[str, str | None, Action | None]:
    """Validate a send body; returns the event id and either text or an action."""
    unknown = set(payload) - _SEND_KEYS
    if unknown:
        raise RequestRefused(400, f"unknown field {sorted(unknown)[0]!r}")
    if not isinstance(payload.get("as"), str):
        raise RequestRefused(400, "'as' must be a string")
    event_id = _string(payload, "event_id", MAX_EVENT_ID, minimum=1)
    if ("text" in payload) == ("action" in payload):
        raise RequestRefused(400, "send exactly one of 'text' and 'action'")
    if "text" in payload:
        if "value" in payload or "values" in payload:
            raise RequestRefused(400, "'value' and 'values' go with 'action'")
        return event_id, _string(payload, "text", MAX_TEXT), None
    action = Action(
        id=_string(payload, "action", MAX_ACTION, minimum=1),
        value=_string(payload, "value", MAX_VALUE) if "value" in payload else "",
        values=_values(payload.get("values", {})),
    )
    return event_id, None, action


def _string(payload: Mapping[str, Any], key: str, maximum: int, *, minimum: int = 0) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        raise RequestRefused(400, f"'{key}' must be a string")
    if not minimum <= len(value) <= maximum:
        raise RequestRefused(400, f"'{key}' must be {minimum} to {maximum} characters")
    return value


def _values(values: object) -> dict[str, str]:
    if not isinstance(values, dict):
        raise RequestRefused(400, "'values' must be an object")
    if len(values) > MAX_FIELDS:
        raise RequestRefused(400, f"'values' may hold at most {MAX_FIELDS} fields")
    for key, value in values.items():
        if not 1 <= len(key) <= MAX_FIELD_NAME:
            raise RequestRefused(400, "a field name in 'values' is empty or too long")
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise RequestRefused(400, "each value in 'values' must be a string")
    return dict(values)
