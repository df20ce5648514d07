"""The Teams app: botbuilder in (adapters.teams.app, .bot), Adaptive Cards out (render,
sender).

botbuilder-python is in maintenance mode; Microsoft's successor is the Microsoft 365
Agents SDK. Only this package imports botbuilder, so it can be swapped for the new SDK
without touching the engine.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.runtime import Runtime
from adapters.teams.app import TeamsAdapter, cloud_adapter, mount
from adapters.teams.bot import PeerlinkTeamsBot
from adapters.teams.sender import TeamsSender
from bot.messages import Platform
from bot.settings import Settings

TEAMS = web.AppKey("teams", TeamsAdapter)


def _fast_retry_codes() -> None:
    """botbuilder builds new connector clients on every turn; each builds an msrest
    ``ClientRetryPolicy`` that checks 999 status codes against a 500-item *list*
    (2.8 ms, half of a Teams turn's CPU). The same codes in a frozenset: 0.03 ms,
    identical retry behaviour. tests/test_teams_app.py fails if msrest changes."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


_fast_retry_codes()


def teams_sender(settings: Settings, endpoints: Mapping[str, str] | None = None) -> TeamsSender:
    """The outbox's Teams sender, sharing one CloudAdapter with the inbound side."""
    return TeamsSender(cloud_adapter(settings, endpoints), settings.microsoft_app_id,
                       tenant_per_second=settings.teams_tenant_per_second)


def setup_teams(app: web.Application, runtime: Runtime) -> None:
    """Mount POST /api/messages when this process delivers to Teams."""
    sender = runtime.senders.get(Platform.TEAMS)
    if not isinstance(sender, TeamsSender) or not isinstance(sender.adapter, CloudAdapter):
        return
    adapter = TeamsAdapter(sender.adapter, PeerlinkTeamsBot(runtime.engine),
                           authenticated=bool(runtime.settings.microsoft_app_id))
    app[TEAMS] = adapter
    mount(app, adapter)
