"""A fake Bot Framework Connector: an aiohttp server on an ephemeral loopback port.

Activities carry it as their ``serviceUrl``, so a real ``CloudAdapter`` talks to it::

    async with FakeConnector() as connector:
        connector.add_response("send", status=429, headers={"Retry-After": "5"})
        ...
        assert connector.call_count("send") == 1

Calls are sorted by kind, the operation botbuilder's connector client made:

=========  ===============================================================
create     ``POST /v3/conversations``
send       ``POST /v3/conversations/{conversationId}/activities``
reply      ``POST /v3/conversations/{conversationId}/activities/{activityId}``
update     ``PUT /v3/conversations/{conversationId}/activities/{activityId}``
delete     ``DELETE /v3/conversations/{conversationId}/activities/{activityId}``
member     ``GET /v3/conversations/{conversationId}/members/{memberId}``
=========  ===============================================================

Known kinds get a realistic answer; anything queued with :meth:`add_response`
(for a kind, or for one exact path) is answered once, first in first out.
Outbound authentication: with no app id botbuilder sends no ``Authorization``
header; with an app id use :class:`FakeTokenCredentials`, which signs with a
fixed token instead of asking login.microsoftonline.com.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any

from aiohttp import web
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

from tests.fakes.recording import Payload, RecordingServer

TENANT_ID = "tenant-peerlink"
BOT_APP_ID = "00000000-0000-0000-0000-0000000b0a70"

# What the real connector answers with its errors (ErrorResponse).
_ERROR_CODES = {
    400: "BadSyntax",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ConversationNotFound",
    412: "PreconditionFailed",
    429: "Throttled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it."""

    kind: str
    method: str
    path: str
    payload: Payload
    authorization: str


@dataclass(frozen=True)
class _Canned:
    body: Payload
    status: int
    headers: dict[str, str]
    drop: bool = False


@dataclass(frozen=True)
class _Member:
    id: str
    aad_object_id: str
    email: str
    name: str
    tenant_id: str


class FakeConnector(RecordingServer[Call]):
    """Records every connector call; answers like Teams unless told otherwise.

    Its :attr:`url` is the service URL activities carry (``serviceUrl``). Calls are
    inspected by kind: :meth:`call_count`, :meth:`calls` and :meth:`last` (their JSON
    bodies), :meth:`requests` (with path and Authorization header).
    """

    _never_called = "no {} call was made"

    def __init__(self, *, tenant_id: str = TENANT_ID) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self._queued: dict[str, deque[_Canned]] = defaultdict(deque)
        self._members: dict[str, _Member] = {}
        self._conversations: dict[str, str] = {}  # member id -> 1:1 conversation id
        self._ids = itertools.count(1)

    # --- Lifecycle ---------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        conversation = "/v3/conversations/{cid}"
        activity = conversation + "/activities/{aid}"
        app.router.add_post("/v3/conversations", self._route("create", self._create))
        app.router.add_post(conversation + "/activities", self._route("send", self._activity))
        app.router.add_post(activity, self._route("reply", self._activity))
        app.router.add_put(activity, self._route("update", self._update))
        app.router.add_delete(activity, self._route("delete", lambda r, p: {}))
        app.router.add_get(conversation + "/members/{mid}", self._route("member", self._member))
        return app

    # --- Arranging ---------------------------------------------------------------

    def add_response(
        self,
        kind_or_path: str,
        status: int = 200,
        json: Payload | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next call of a kind (``"send"``) or to an exact path, once.

        Without ``json`` an error status answers the connector's ``ErrorResponse``.
        """
        if json is None:
            code = _ERROR_CODES.get(status, "Error")
            json = {"error": {"code": code, "message": code}} if status >= 400 else {}
        self._queued[kind_or_path].append(_Canned(dict(json), status, dict(headers or {})))

    def add_disconnect(self, kind_or_path: str) -> None:
        """Drop the next call's connection without answering, once.

        (A refused connection would do, but botbuilder's HTTP client retries those
        three times with sleeps of its own.)
        """
        self._queued[kind_or_path].append(_Canned({}, 0, {}, drop=True))

    def add_member(
        self,
        member_id: str,
        *,
        aad_object_id: str = "",
        email: str = "",
        name: str = "",
        tenant_id: str = "",
    ) -> None:
        """Make ``TeamsInfo.get_member`` describe ``member_id`` this way."""
        self._members[member_id] = _Member(
            id=member_id,
            aad_object_id=aad_object_id or f"aad-{member_id}",
            email=email or f"{_local_part(member_id)}@example.org",
            name=name or f"Person {member_id}",
            tenant_id=tenant_id or self.tenant_id,
        )

    def conversation_reference(
        self, user_id: str, conversation_id: str = "", *, tenant_id: str = ""
    ) -> Payload:
        """A personal-chat reference in the wire format ``ConversationReference.serialize()``
        gives, pointing at this fake."""
        tenant = tenant_id or self.tenant_id
        return {
            "activityId": "1700000000000",
            "user": {"id": user_id, "aadObjectId": f"aad-{user_id}"},
            "bot": {"id": f"28:{BOT_APP_ID}", "name": "Peerlink"},
            "conversation": {
                "id": conversation_id or f"a:personal-{user_id}",
                "conversationType": "personal",
                "tenantId": tenant,
            },
            "channelId": "msteams",
            "locale": "en-US",
            "serviceUrl": self.url,
        }

    # --- Serving -----------------------------------------------------------------

    def _route(self, kind: str, answer: Any) -> Any:
        async def handle(request: web.Request) -> web.Response:
            payload = await _payload(request)
            self._record(
                kind,
                Call(
                    kind,
                    request.method,
                    request.path,
                    payload,
                    request.headers.get("Authorization", ""),
                )
            )
            queued = self._queued.get(request.path) or self._queued.get(kind)
            if queued:
                canned = queued.popleft()
                if canned.drop and request.transport is not None:
                    request.transport.abort()
                return web.json_response(canned.body, status=canned.status, headers=canned.headers)
            status = 201 if kind in ("create", "send", "reply") else 200
            return web.json_response(answer(request, payload), status=status)

        return handle

    def _create(self, request: web.Request, payload: Payload) -> Payload:
        members = payload.get("members") or [{}]
        member = str(members[0].get("id", ""))
        if member not in self._conversations:  # Teams keeps one 1:1 chat per person
            self._conversations[member] = f"a:conv-{next(self._ids)}"
        return {"id": self._conversations[member]}

    def _activity(self, request: web.Request, payload: Payload) -> Payload:
        return {"id": str(next(self._ids))}

    def _update(self, request: web.Request, payload: Payload) -> Payload:
        return {"id": request.match_info["aid"]}

    def _member(self, request: web.Request, payload: Payload) -> Payload:
        member_id = request.match_info["mid"]
        member = self._members.get(member_id)
        if member is None:
            self.add_member(member_id)
            member = self._members[member_id]
        return {
            "id": member.id,
            "name": member.name,
            "aadObjectId": member.aad_object_id,
            "givenName": member.name.split(" ")[0],
            "surname": member.name.split(" ")[-1],
            "email": member.email,
            "userPrincipalName": member.email,
            "tenantId": member.tenant_id,
            "userRole": "user",
        }


class FakeTokenCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Outbound credentials for ``app_id`` that sign with a fixed bearer token.

    For ``ConfigurationBotFrameworkAuthentication(config, credentials_factory=...)``:
    botbuilder's own ``MicrosoftAppCredentials`` asks MSAL, which only speaks https
    to a real authority, and does so synchronously inside the event loop.
    """

    def __init__(self, app_id: str = BOT_APP_ID, token: str = "fake-token") -> None:
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        if app_id != self.app_id:
            raise PermissionError(f"unknown app id {app_id!r}")
        return _FixedToken(app_id, self.token)


class _FixedToken(AppCredentials):  # type: ignore[misc]
    def __init__(self, app_id: str, token: str) -> None:
        super().__init__(app_id=app_id)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._token


def _local_part(member_id: str) -> str:
    return member_id.split(":")[-1].lower() or "someone"


async def _payload(request: web.Request) -> Payload:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
