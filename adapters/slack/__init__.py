"""The Slack app: slack-bolt in (adapters.slack.app), Block Kit out (render, sender)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import Runtime
from adapters.slack.app import SlackAdapter, mount
from adapters.slack.oauth import DatabaseInstallationStore, DatabaseStateStore, oauth_settings
from adapters.slack.profiles import ProfileCache
from adapters.slack.sender import SlackSender
from bot.messages import Platform
from bot.settings import Settings

log = logging.getLogger("peerlink.slack")

SLACK = web.AppKey("slack", SlackAdapter)


def slack_sender(
    settings: Settings, installations: DatabaseInstallationStore | None = None
) -> SlackSender:
    """The outbox's Slack sender, with the Web API client the adapter shares.

    Multi-workspace: no token of its own; each team's comes from the installations.
    """
    base_url = settings.slack_api_url or AsyncWebClient.BASE_URL
    token = None if settings.slack_oauth else settings.slack_bot_token
    client = AsyncWebClient(token=token, base_url=base_url)
    tokens = _token_lookup(installations) if installations is not None else None
    return SlackSender(client, workspace_per_second=settings.slack_workspace_per_second,
                       tokens=tokens)


def _token_lookup(store: DatabaseInstallationStore) -> Callable[[str], Awaitable[str | None]]:
    async def token(team: str) -> str | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team)
        return bot.bot_token if bot is not None else None

    return token


def setup_slack(app: web.Application, settings: Settings, runtime: Runtime) -> None:
    """Mount /slack/events (and Socket Mode when asked) on the shared app."""
    sender = runtime.senders.get(Platform.SLACK)
    if not isinstance(sender, SlackSender):
        return
    oauth = None
    if settings.slack_oauth:
        oauth = oauth_settings(
            settings.slack_client_id, settings.slack_client_secret,
            DatabaseInstallationStore(runtime.db, runtime.clock),
            DatabaseStateStore(runtime.db, runtime.clock),
        )
    adapter = SlackAdapter(
        runtime.engine,
        runtime.inbox,
        sender.client,
        signing_secret=settings.slack_signing_secret,
        profiles=ProfileCache(),
        arrivals=runtime.arrivals,
        oauth=oauth,
    )
    app[SLACK] = adapter
    app.cleanup_ctx.append(_web_api_session(sender.client))
    if settings.slack_signing_secret:
        mount(app, adapter)
    if settings.socket_mode:
        app.cleanup_ctx.append(_socket_mode(adapter, settings.slack_app_token))


def _web_api_session(
    client: AsyncWebClient,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """One pool of kept-alive connections to Slack's Web API for the app's lifetime.

    Without it slack-sdk opens a session, and so a connection and a TLS handshake, for
    every call: each delivery, each ``users.info``. Bolt's per-request clients share it.
    """

    async def run(_app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=client.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client.session = session
            try:
                yield
            finally:
                client.session = None

    return run


def _socket_mode(
    adapter: SlackAdapter, app_token: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Receive Slack over a websocket (no public URL needed), for the app's lifetime."""

    async def run(_app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(adapter.bolt, app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack Socket Mode connected", extra={"status": "connected"})
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await handler.close_async()  # type: ignore[no-untyped-call]

    return run
