"""HTTP routes of the local web chat: the page, the people picker, sends and a websocket.

Demo only: anyone who can reach the port may speak as any demo person. Requests
from another origin are refused, so a web page elsewhere cannot drive it.
Message text is passed to the engine and never logged or kept here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from yarl import URL

from adapters.web.sender import WebSender
from bot.messages import Action, Author, Inbound, Platform

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY = 64 * 1024
MAX_TEXT = 40_000
MAX_EVENT_ID = 100
MAX_ACTION = 200
MAX_VALUE = 1_000
MAX_FIELD_NAME = 200
MAX_FIELDS = 50
TENANT = "local"

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

Handle = Callable[[Inbound], Awaitable[object]]
ListPeople = Callable[[], Awaitable[list[dict[str, str]]]]

SOCKETS = web.AppKey("peerlink_web_sockets", weakref.WeakSet[web.WebSocketResponse])


class RequestRefused(Exception):
    """A request we answer with an HTTP error and a short English reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def setup_web_chat(
    app: web.Application, *, handle: Handle, list_people: ListPeople, sender: WebSender
) -> None:
    """Add the web chat's routes to ``app``."""
    chat = _WebChat(handle, list_people, sender)
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/", chat.index)
    app.router.add_get("/static/web/{name}", chat.static)
    app.router.add_get("/web/people", chat.people)
    app.router.add_post("/web/send", chat.send)
    app.router.add_get("/web/ws", chat.websocket)


class _WebChat:
    def __init__(self, handle: Handle, list_people: ListPeople, sender: WebSender) -> None:
        self._handle = handle
        self._list_people = list_people
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
        people = [_public(p) for p in await self._list_people()]
        return web.json_response({"people": people}, headers=_HEADERS)

    async def send(self, request: web.Request) -> web.Response:
        try:
            _check_origin(request)
            payload = _parse_json(await _read_body(request))
            event_id, text, action = _parse_send(payload)
            email = await self._known_email(payload["as"])
        except RequestRefused as refused:
            return _error(refused)
        author = Author(
            platform=Platform.WEB,
            tenant=TENANT,
            user_id=email,
            email=email,
            locale=primary_language(request.headers.get("Accept-Language", "")),
        )
        inbound = Inbound(author=author, event_id=f"web:{event_id}", text=text, action=action)
        try:
            await self._handle(inbound)
        except Exception:
            log.exception("web chat: handling event %s failed", inbound.event_id)
            return web.json_response({"error": "something went wrong on our side"}, status=500)
        return web.json_response({"ok": True}, status=202)

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        try:
            _check_origin(request)
            email = await self._known_email(request.query.get("as", ""))
        except RequestRefused as refused:
            return _error(refused)
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
        """The demo person's email as listed, matched case-insensitively."""
        if isinstance(claimed, str) and claimed:
            for person in await self._list_people():
                email = person.get("email", "")
                if email and email.casefold() == claimed.casefold():
                    return email
        raise RequestRefused(403, "unknown person")


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


def _check_origin(request: web.Request) -> None:
    """Browsers send Origin on cross-site posts and websockets; it must be us."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    try:
        url = URL(origin)
        same = url.scheme in ("http", "https") and url.raw_authority == request.host
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
        return event_id, _string(payload, "text", MAX_TEXT, minimum=1), None
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


def primary_language(header: str) -> str:
    """The primary language subtag of the most preferred Accept-Language entry ("fr")."""
    best, best_q = "", 0.0
    for entry in header.split(","):
        tag, _, params = entry.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, number = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        primary = tag.strip().split("-")[0].lower()
        if q > best_q and primary.isascii() and primary.isalpha() and len(primary) <= 8:
            best, best_q = primary, q
    return best
