"""The Slack app: slack-bolt in (adapters.slack.app), Block Kit out (render, sender)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import Runtime
from adapters.slack.app import SlackAdapter, mount
from adapters.slack.profiles import ProfileCache
from adapters.slack.sender import SlackSender
from bot.messages import Platform
from bot.settings import Settings

log = logging.getLogger("peerlink.slack")

SLACK = web.AppKey("slack", SlackAdapter)


def slack_sender(settings: Settings) -> SlackSender:
    """The outbox's Slack sender, with the Web API client the adapter shares."""
    base_url = settings.slack_api_url or AsyncWebClient.BASE_URL
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=base_url)
    return SlackSender(client, workspace_per_second=settings.slack_workspace_per_second)


def setup_slack(app: web.Application, settings: Settings, runtime: Runtime) -> None:
    """Mount /slack/events (and Socket Mode when asked) on the shared app."""
    sender = runtime.senders.get(Platform.SLACK)
    if not isinstance(sender, SlackSender):
        return
    adapter = SlackAdapter(
        runtime.engine,
        sender.client,
        signing_secret=settings.slack_signing_secret,
        profiles=ProfileCache(sender.client),
    )
    app[SLACK] = adapter
    if settings.slack_signing_secret:
        mount(app, adapter)
    if settings.socket_mode:
        app.cleanup_ctx.append(_socket_mode(adapter, settings.slack_app_token))


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
