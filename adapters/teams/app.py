"""Microsoft Teams at POST /api/messages: botbuilder's CloudAdapter authenticates, the bot
translates.

Authentication is enforced whenever MICROSOFT_APP_ID is set: a request without
a valid Bot Framework token gets 401 and changes nothing. Without an app id
(local development with the Bot Framework Emulator) the server says so once,
at start. A TurnContext is never built by hand: every activity goes through
``CloudAdapter.process``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import jwt
from aiohttp import web
from azure.core.exceptions import DeserializationError
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from adapters.logs import correlated
from adapters.teams.bot import PeerlinkTeamsBot
from bot.errors import TemporarilyUnavailable
from bot.settings import Settings

log = logging.getLogger("peerlink.teams")

MESSAGES_PATH = "/api/messages"


class _Configuration:
    """What ConfigurationBotFrameworkAuthentication reads (attribute names are botbuilder's)."""

    def __init__(self, settings: Settings, endpoints: Mapping[str, str]) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id
        for name, value in endpoints.items():  # other clouds, and the tests' fakes
            setattr(self, name, value)


def cloud_adapter(
    settings: Settings,
    endpoints: Mapping[str, str] | None = None,
    credentials: ServiceClientCredentialsFactory | None = None,
) -> CloudAdapter:
    """The Bot Framework adapter for this app id.

    ``endpoints`` override botbuilder's login and metadata URLs (other clouds, test
    fakes); ``credentials`` replaces how outbound calls get their token.
    """
    auth = ConfigurationBotFrameworkAuthentication(
        _Configuration(settings, endpoints or {}), credentials_factory=credentials
    )
    if not settings.microsoft_app_id:
        log.warning(
            "Teams authentication is off (no MICROSOFT_APP_ID): /api/messages accepts "
            "unauthenticated requests, for local testing with the Bot Framework Emulator only"
        )
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = _on_turn_error
    return adapter


class TeamsAdapter:
    def __init__(self, cloud: CloudAdapter, bot: PeerlinkTeamsBot, *, authenticated: bool) -> None:
        self._cloud = cloud
        self._bot = bot
        self._authenticated = authenticated

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages: one activity. Bad input gets a 4xx and changes nothing."""
        if self._authenticated and not _bearer(request):
            # botbuilder validates the token itself; a request without one stops here.
            return _problem(401, "a Bot Framework token is required")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _problem(415, "an activity must be sent as application/json")
        try:
            json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "the body is not JSON")
        try:
            response = await self._cloud.process(request, self._bot)
        except (jwt.PyJWTError, PermissionError, web.HTTPUnauthorized):
            return _problem(401, "the Bot Framework token is not valid")
        except (DeserializationError, TypeError, ValueError, KeyError, AttributeError):
            return _problem(400, "the body is not a Bot Framework activity")
        except TemporarilyUnavailable:
            return _problem(503, "temporarily unavailable, please retry")
        return response if response is not None else web.Response(status=201)


def mount(app: web.Application, adapter: TeamsAdapter) -> None:
    app.router.add_post(MESSAGES_PATH, correlated(adapter.messages))


async def _on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """botbuilder's last resort: log ids only, and let the channel retry what we couldn't do."""
    activity = turn_context.activity
    log.error("teams turn failed", exc_info=error,
              extra={"event_id": getattr(activity, "id", ""), "platform": "teams"})
    if isinstance(error, TemporarilyUnavailable):
        raise error


def _bearer(request: web.Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _problem(status: int, reason: str) -> web.Response:
    body: dict[str, Any] = {"error": reason}
    return web.json_response(body, status=status)
