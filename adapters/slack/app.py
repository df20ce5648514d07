"""Slack in and out of the engine: slack-bolt verifies and parses, this module translates.

Every request is verified by slack-bolt (signature and timestamp, always on).
Events (messages, joins, mentions, closed modals) are recorded in the inbox
before the request is acknowledged and have their turn just after (a crisis
message has it before): a crash after the ack loses nothing, and Slack's
retries of the same ``event_id`` change nothing. Interactions that may open a
form (the slash command, buttons, the shortcut, modal submissions) have their
turn while the request is alive, since a modal needs its trigger id within 3 s;
otherwise forms arrive as messages.

| Slack                       | engine Inbound                                  |
|-----------------------------|-------------------------------------------------|
| message.im                  | text                                            |
| /peer [words]               | text (the words; "help" when empty)             |
| block_actions               | Action(action id, value, form values if any)    |
| view_submission             | Action(form's submit action, token, values)     |
| view_closed                 | Action("form.cancel", token)                    |
| shortcut talk_to_someone    | Action("menu.help")                             |
| team_join                   | Action("app.joined")                            |
| app_mention (in a channel)  | Action("app.mentioned"), answered in the DM     |
| app_home_opened             | (no turn) the Home tab is published             |
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.logs import correlated
from adapters.slack.manifest import OAUTH_REDIRECT_PATH
from adapters.slack.oauth import INSTALL_PATH
from adapters.slack.profiles import ProfileCache
from adapters.slack.render import (
    FORM_CALLBACK,
    action_id_to_action,
    form_metadata,
    form_values,
    render_home,
    render_modal,
)
from bot.arrivals import Arrivals
from bot.engine import Engine, Handled
from bot.inbox import Inbox
from bot.messages import Action, Author, Inbound, Platform
from bot.ui import CANCEL_ACTION

log = logging.getLogger("peerlink.slack")

SHORTCUT = "talk_to_someone"
# Shown only to the person who mentioned Peerlink in a channel; bilingual on purpose.
MENTION_POINTER = (
    "I've answered you in a direct message. · Je vous ai répondu en message direct."
)

Body = Mapping[str, Any]


class SlackAdapter:
    def __init__(
        self,
        engine: Engine,
        inbox: Inbox,
        client: AsyncWebClient,
        *,
        signing_secret: str,
        profiles: ProfileCache,
        arrivals: Arrivals,
        oauth: AsyncOAuthSettings | None = None,
    ) -> None:
        self._engine = engine
        self._inbox = inbox
        self._arrivals = arrivals
        self._profiles = profiles
        # Single workspace: ``client`` carries the bot token. Multi-workspace (``oauth``):
        # slack-bolt hands each listener a client with that workspace's token.
        self.bolt = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            oauth_settings=oauth,
            process_before_response=True,  # record first, then acknowledge
            request_verification_enabled=True,
            # Middleware for features Peerlink does not use (AI-assistant threads, workflow
            # functions): each would run on every request for nothing.
            attaching_conversation_kwargs_enabled=False,
            attaching_function_token_enabled=False,
            ignoring_self_assistant_message_events_enabled=False,
        )
        self._register()

    async def http(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler for POST /slack/events."""
        with self._arrivals.arriving():
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    async def install(self, request: web.Request) -> web.StreamResponse:
        """GET /slack/install: the "Add to Slack" page (multi-workspace only)."""
        flow = self.bolt.oauth_flow
        if flow is None:
            raise web.HTTPNotFound()
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request)))

    async def oauth_redirect(self, request: web.Request) -> web.StreamResponse:
        """GET /slack/oauth_redirect: Slack comes back here with the install's code."""
        flow = self.bolt.oauth_flow
        if flow is None:
            raise web.HTTPNotFound()
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    def _register(self) -> None:
        bolt = self.bolt
        bolt.event("message")(self._on_message)
        bolt.event("app_home_opened")(self._on_home_opened)
        bolt.event("team_join")(self._on_team_join)
        bolt.event("app_mention")(self._on_mention)
        bolt.command(re.compile(r"^/peer"))(self._on_command)
        bolt.action(re.compile(r".+"))(self._on_action)
        bolt.view_submission(FORM_CALLBACK)(self._on_view_submission)
        bolt.view_closed(FORM_CALLBACK)(self._on_view_closed)
        bolt.shortcut(SHORTCUT)(self._on_shortcut)

    async def _author(self, client: AsyncWebClient, team: str, user: str) -> Author:
        profile = await self._profiles.get(client, team, user)
        return Author(
            Platform.SLACK, team, user, email=profile.email, display_name=profile.name,
            locale=profile.locale, timezone=profile.timezone,
        )

    # Events API ---------------------------------------------------------------------------

    async def _on_message(self, body: Body, client: AsyncWebClient) -> None:
        event = body.get("event") or {}
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # only people writing to Peerlink directly
        team, user = _team(body), str(event.get("user") or "")
        if not team or not user:
            return
        author = await self._author(client, team, user)
        text = _unescape(str(event.get("text") or ""))
        await self._inbox.accept(Inbound(author, _event_id(body), text=text))

    async def _on_team_join(self, body: Body, client: AsyncWebClient) -> None:
        user = (body.get("event") or {}).get("user") or {}
        team, user_id = _team(body), str(user.get("id") or "")
        if team and user_id and not user.get("is_bot"):
            author = await self._author(client, team, user_id)
            await self._inbox.accept(Inbound(author, _event_id(body), action=Action("app.joined")))

    async def _on_mention(self, body: Body, client: AsyncWebClient) -> None:
        event = body.get("event") or {}
        team, user, channel = _team(body), str(event.get("user") or ""), event.get("channel")
        if not team or not user:
            return
        author = await self._author(client, team, user)
        await self._inbox.accept(Inbound(author, _event_id(body), action=Action("app.mentioned")))
        if channel:
            await _quietly(client.chat_postEphemeral(
                channel=channel, user=user, text=MENTION_POINTER))

    async def _on_home_opened(self, body: Body, client: AsyncWebClient) -> None:
        event = body.get("event") or {}
        team, user = _team(body), str(event.get("user") or "")
        if event.get("tab", "home") != "home" or not team or not user:
            return
        card = await self._engine.home(await self._author(client, team, user))
        await _quietly(client.views_publish(user_id=user, view=render_home(card)))

    # Interactivity and the slash command --------------------------------------------------

    async def _on_command(self, body: Body, ack: AsyncAck, client: AsyncWebClient) -> None:
        team, user = str(body.get("team_id") or ""), str(body.get("user_id") or "")
        if not team or not user:  # not a payload Slack sends: acknowledge, change nothing
            await ack()
            return
        words = str(body.get("text") or "").strip() or "help"
        author = await self._author(client, team, user)
        event_id = f"command:{body.get('trigger_id', '')}"
        handled = await self._engine.handle_inline(Inbound(author, event_id, text=words))
        await self._show_forms(client, handled, body, author, event_id)
        await ack()

    async def _on_action(self, body: Body, ack: AsyncAck, client: AsyncWebClient) -> None:
        await ack()  # before the turn: block_actions has no response to wait for
        actions = body.get("actions") or []
        user = body.get("user") or {}
        if not actions or not user.get("id"):
            return
        first = actions[0]
        if first.get("url"):
            return  # a link button: Slack opened it, there is nothing for the engine to do
        value = first.get("value") or (first.get("selected_option") or {}).get("value") or ""
        state = (body.get("state") or {}).get("values") or {}
        action = Action(action_id_to_action(str(first.get("action_id", ""))), str(value),
                        form_values(state))
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        author = await self._author(client, team, str(user["id"]))
        event_id = f"action:{first.get('action_ts', '')}:{user['id']}"
        handled = await self._engine.handle_inline(Inbound(author, event_id, action=action))
        await self._show_forms(client, handled, body, author, event_id)

    async def _on_view_submission(
        self, body: Body, ack: AsyncAck, client: AsyncWebClient
    ) -> None:
        view = body.get("view") or {}
        try:
            submit, token = form_metadata(str(view.get("private_metadata") or ""))
        except ValueError:
            await ack()  # a view we did not build: close it, change nothing
            return
        values = form_values((view.get("state") or {}).get("values") or {})
        author = await self._view_author(body, client)
        if author is None:
            await ack()
            return
        event_id = f"view:{view.get('id', '')}:{view.get('hash', '')}"
        inbound = Inbound(author, event_id, action=Action(submit, token, values))
        handled = await self._engine.handle_inline(inbound)
        if handled.forms:  # the form again, with what to correct: keep the modal open
            await ack(response_action="update", view=render_modal(handled.forms[0]))
            await self._later(inbound, handled.forms[1:])
        else:
            await ack()

    async def _on_view_closed(
        self, body: Body, ack: AsyncAck, client: AsyncWebClient
    ) -> None:
        await ack()
        view = body.get("view") or {}
        try:
            _submit, token = form_metadata(str(view.get("private_metadata") or ""))
        except ValueError:
            return
        author = await self._view_author(body, client)
        if author is None:
            return
        event_id = f"view-closed:{view.get('id', '')}"
        await self._inbox.accept(Inbound(author, event_id, action=Action(CANCEL_ACTION, token)))

    async def _on_shortcut(self, body: Body, ack: AsyncAck, client: AsyncWebClient) -> None:
        author = await self._view_author(body, client)
        if author is None:
            await ack()
            return
        event_id = f"shortcut:{body.get('trigger_id', '')}"
        handled = await self._engine.handle_inline(
            Inbound(author, event_id, action=Action("menu.help")))
        await self._show_forms(client, handled, body, author, event_id)
        await ack()

    async def _view_author(self, body: Body, client: AsyncWebClient) -> Author | None:
        """Who sent an interaction payload; None when it names nobody."""
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        user_id = str(user.get("id") or "")
        return await self._author(client, team, user_id) if team and user_id else None

    async def _show_forms(
        self, client: AsyncWebClient, handled: Handled, body: Body, author: Author,
        event_id: str,
    ) -> None:
        """Open the first form as a modal while the trigger id lives; queue anything else."""
        if not handled.forms:
            return
        first, rest = handled.forms[0], handled.forms[1:]
        trigger = str(body.get("trigger_id") or "")
        inbound = Inbound(author, event_id)
        try:
            if not trigger:
                raise LookupError("no trigger id")
            await client.views_open(trigger_id=trigger, view=render_modal(first))
        except (SlackApiError, LookupError, OSError, TimeoutError):
            log.info("form sent as a message instead of a modal", extra={"event_id": event_id})
            rest = handled.forms
        await self._later(inbound, rest)

    async def _later(self, inbound: Inbound, forms: list[Any]) -> None:
        if forms:
            await self._engine.deliver_later(inbound, forms)


def mount(app: web.Application, adapter: SlackAdapter) -> None:
    app.router.add_post("/slack/events", correlated(adapter.http))
    if adapter.bolt.oauth_flow is not None:
        app.router.add_get(INSTALL_PATH, correlated(adapter.install))
        app.router.add_get(OAUTH_REDIRECT_PATH, correlated(adapter.oauth_redirect))


def _team(body: Body) -> str:
    return str(body.get("team_id") or (body.get("event") or {}).get("team") or "")


def _event_id(body: Body) -> str:
    """Slack's event id: the same on every retry of one event."""
    return f"event:{body.get('event_id') or ''}"


def _unescape(text: str) -> str:
    """Slack escapes &, < and > in message text; the engine reads what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def _quietly(call: Awaitable[Any]) -> None:
    """A best-effort call (Home tab, ephemeral pointer): log a failure, never raise."""
    try:
        await call
    except SlackApiError as exc:
        log.warning("Slack call failed", extra={"reason": exc.response.get("error", "error")})
    except (OSError, TimeoutError) as exc:
        log.warning("Slack call failed", extra={"reason": type(exc).__name__})
