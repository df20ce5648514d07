"""A fake Slack Web API: an aiohttp server on an ephemeral loopback port.

Point a real ``AsyncWebClient(token=..., base_url=slack.url)`` at it::

    async with FakeSlackAPI() as slack:
        slack.add_response("chat.postMessage", status=429, headers={"Retry-After": "7"})
        ...
        assert slack.call_count("chat.postMessage") == 1

Every method answers at ``/api/{method}`` (GET or POST, form or JSON). Known
methods get a realistic OK answer; anything queued with :meth:`add_response`
is answered once, first in first out, before the defaults resume.

``chat.postMessage`` keeps each DM's messages (with their metadata), which
``conversations.history`` returns newest first. ``per_second`` makes it refuse
messages over that workspace rate with HTTP 429 and ``Retry-After: 1``, as Slack
does; :attr:`posted_at` holds when each accepted message arrived (monotonic).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from json import JSONDecodeError, loads

from aiohttp import web

from tests.fakes.recording import Payload, RecordingServer

TEAM_ID = "T0PEERLNK"
BOT_USER_ID = "U0BOTUSER"


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it."""

    method: str
    payload: Payload
    authorization: str


@dataclass(frozen=True)
class _Canned:
    body: Payload
    status: int
    headers: dict[str, str]
    delay: float


@dataclass
class _User:
    id: str
    email: str
    locale: str = "en-US"
    tz: str = "America/Toronto"
    real_name: str = ""
    deleted: bool = False
    team_id: str = TEAM_ID


class FakeSlackAPI(RecordingServer[Call]):
    """Records every Web API call; answers OK unless told otherwise.

    Its :attr:`url` is the base URL for ``AsyncWebClient(base_url=...)``, ending with
    ``/api/``. Calls are inspected by method: :meth:`call_count`, :meth:`calls` and
    :meth:`last` (their payloads), :meth:`requests` (with Authorization header).
    """

    _url_path = "/api/"

    def __init__(self, *, team_id: str = TEAM_ID, per_second: float | None = None) -> None:
        super().__init__()
        self.team_id = team_id
        self.per_second = per_second
        self._bucket = (per_second or 0.0, time.monotonic())
        self.posted_at: list[float] = []
        self.history: dict[str, list[Payload]] = defaultdict(list)
        self._queued: dict[str, deque[_Canned]] = defaultdict(deque)
        self._users: dict[str, _User] = {}
        self._dm_channels: dict[str, str] = {}
        self._ts = 0
        self._closing = asyncio.Event()
        self._defaults: dict[str, Callable[[Payload], Payload]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": lambda p: {"message_ts": self._next_ts()},
            "chat.update": self._update,
            "conversations.open": self._open,
            "conversations.history": self._history,
            "views.open": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "users.info": self._user_info,
            "team.info": self._team_info,
        }

    # --- Lifecycle ---------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        return app

    def _on_close(self) -> None:
        self._closing.set()  # slow answers still pending end now

    # --- Arranging ---------------------------------------------------------------

    def add_response(
        self,
        method: str,
        json: Payload | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next call of ``method`` with this, once.

        Without ``json``, a 429 answers ``{"ok": false, "error": "ratelimited"}``
        and anything else ``{"ok": true}``.
        """
        if json is None:
            json = {"ok": False, "error": "ratelimited"} if status == 429 else {"ok": True}
        self._queued[method].append(_Canned(dict(json), status, dict(headers or {}), delay))

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        locale: str = "en-US",
        tz: str = "America/Toronto",
        real_name: str = "",
        deleted: bool = False,
        team_id: str | None = None,
    ) -> None:
        """Make ``users.info`` describe ``user_id`` this way."""
        self._users[user_id] = _User(
            id=user_id,
            email=email if email is not None else f"{user_id.lower()}@example.org",
            locale=locale,
            tz=tz,
            real_name=real_name or f"Person {user_id}",
            deleted=deleted,
            team_id=team_id or self.team_id,
        )

    # --- Serving -----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await _payload(request)
        self._record(method, Call(method, payload, request.headers.get("Authorization", "")))
        queued = self._queued.get(method)
        if queued:
            canned = queued.popleft()
            if canned.delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), canned.delay)
            return web.json_response(canned.body, status=canned.status, headers=canned.headers)
        if method == "chat.postMessage" and not self._within_rate():
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": "1"})
        answer = self._defaults.get(method)
        return web.json_response({"ok": True} | (answer(payload) if answer else {}))

    def _within_rate(self) -> bool:
        """A token bucket of one second's worth, refilled at ``per_second``."""
        if self.per_second is None:
            return True
        tokens, since = self._bucket
        now = time.monotonic()
        tokens = min(self.per_second, tokens + (now - since) * self.per_second)
        if tokens < 1:
            self._bucket = (tokens, now)
            return False
        self._bucket = (tokens - 1, now)
        return True

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = f"D{len(self._dm_channels) + 1:08d}"
        return self._dm_channels[user_id]

    def _auth_test(self, payload: Payload) -> Payload:
        return {
            "url": "https://peerlink-test.slack.com/",
            "team": "Peerlink Test",
            "user": "peerlink",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOTUSER",
            "is_enterprise_install": False,
        }

    def _post_message(self, payload: Payload) -> Payload:
        channel = str(payload.get("channel", ""))
        if channel.startswith(("U", "W")):  # posting to a user id lands in the bot's DM
            channel = self._dm_channel(channel)
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": "B0BOTUSER", "ts": ts}
        message |= {k: payload[k] for k in ("text", "blocks", "metadata") if k in payload}
        self.history[channel].append(message)
        self.posted_at.append(time.monotonic())
        return {"channel": channel, "ts": ts, "message": message}

    def _history(self, payload: Payload) -> Payload:
        limit = int(payload.get("limit") or 100)
        with_metadata = str(payload.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = list(reversed(self.history.get(str(payload.get("channel", "")), [])))[:limit]
        if not with_metadata:
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"messages": messages, "has_more": False}

    def _update(self, payload: Payload) -> Payload:
        return {
            "channel": payload.get("channel", ""),
            "ts": payload.get("ts", ""),
            "text": payload.get("text", ""),
        }

    def _open(self, payload: Payload) -> Payload:
        users = str(payload.get("users", "")).split(",")[0]
        return {"channel": {"id": self._dm_channel(users)}}

    def _view(self, payload: Payload) -> Payload:
        view = payload.get("view") or {}
        view_id = payload.get("view_id") or f"V{len(self._calls):08d}"
        return {"view": {"id": view_id, "team_id": self.team_id, **view}}

    def _user_info(self, payload: Payload) -> Payload:
        user_id = str(payload.get("user", ""))
        user = self._users.get(user_id) or _User(
            id=user_id, email=f"{user_id.lower()}@example.org", real_name=f"Person {user_id}"
        )
        return {"user": _user_object(user)}

    def _team_info(self, payload: Payload) -> Payload:
        return {
            "team": {
                "id": self.team_id,
                "name": "Peerlink Test",
                "domain": "peerlink-test",
                "email_domain": "example.org",
            }
        }


def _user_object(user: _User) -> Payload:
    first = user.real_name.split(" ")[0]
    return {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.email.split("@")[0],
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": "Eastern Standard Time",
        "tz_offset": -18000,
        "locale": user.locale,
        "is_bot": False,
        "is_admin": False,
        "profile": {
            "real_name": user.real_name,
            "display_name": first,
            "first_name": first,
            "email": user.email,
            "team": user.team_id,
        },
    }


async def _payload(request: web.Request) -> Payload:
    """Query string plus body, JSON or form; JSON-in-a-form fields are decoded."""
    payload: Payload = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            payload |= body
        return payload
    form = await request.post()
    payload |= {k: v for k, v in form.items() if isinstance(v, str)}
    for key in ("blocks", "attachments", "view", "metadata"):
        if isinstance(payload.get(key), str):
            with contextlib.suppress(JSONDecodeError):
                payload[key] = loads(payload[key])
    return payload
