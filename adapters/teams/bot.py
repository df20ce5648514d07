"""Teams activities in, engine inbounds out: a TeamsActivityHandler that only translates.

| Teams activity                                  | engine Inbound                       |
|-------------------------------------------------|--------------------------------------|
| message, personal scope, text                   | text                                 |
| message with ``value`` (Adaptive Card submit)   | Action(action, value, form values)   |
| message in a team or group chat (an @mention)   | Action("app.mentioned"), in the 1:1  |
| conversationUpdate: members added (not the bot) | Action("app.joined"), welcomed 1:1   |
| installationUpdate: add                         | Action("app.joined")                 |

The conversation reference of each person travels with the inbound
(``Author.address``) and is stored with their identity, so later messages
can be sent proactively.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ChannelAccount

from adapters.teams.render import submitted
from bot.engine import Engine
from bot.messages import Action, Author, Inbound, Platform

log = logging.getLogger("peerlink.teams")

# Shown in a shared space, to everyone there: nothing personal, both languages.
MENTION_POINTER = (
    "I've answered you in a private chat. · Je vous ai répondu en conversation privée."
)
DAY_S = 24 * 3600.0


class PeerlinkTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._engine = engine
        self._clock = clock
        self._emails: dict[tuple[str, str], tuple[float, str]] = {}

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity: Activity = turn_context.activity
        author = await self._author(turn_context)
        event_id = f"message:{activity.id or ''}"
        if not _personal(activity):
            # Personal matters are never discussed in shared spaces: answer in the 1:1.
            await turn_context.send_activity(MENTION_POINTER)
            await self._engine.handle(Inbound(author, event_id, action=Action("app.mentioned")))
            return
        if activity.value is not None:
            await self._engine.handle(_submission(author, event_id, activity.value))
            return
        text = TurnContext.remove_recipient_mention(activity) or activity.text or ""
        await self._engine.handle(Inbound(author, event_id, text=text))

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        activity: Activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else ""
        for member in members_added:
            if member.id != bot_id:
                author = await self._author(turn_context, member)
                event_id = f"joined:{activity.id or ''}:{member.id}"
                await self._engine.handle(
                    Inbound(author, event_id, action=Action("app.joined")))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        activity: Activity = turn_context.activity
        if _personal(activity):
            author = await self._author(turn_context)
            event_id = f"installed:{activity.id or ''}"
            await self._engine.handle(Inbound(author, event_id, action=Action("app.joined")))

    async def _author(
        self, turn_context: TurnContext, member: ChannelAccount | None = None
    ) -> Author:
        activity: Activity = turn_context.activity
        who = member or activity.from_property
        tenant = _tenant(activity)
        user_id = getattr(who, "aad_object_id", None) or who.id
        # Only a 1:1 conversation is a way back to this person; in a team or group chat,
        # keep just the service URL, so a private chat can be opened with them later.
        address: dict[str, Any] = {"service_url": activity.service_url, "member_id": who.id}
        if _personal(activity):
            address["reference"] = TurnContext.get_conversation_reference(activity).serialize()
        return Author(
            Platform.TEAMS, tenant, user_id,
            email=await self._email(turn_context, tenant, who.id),
            display_name=who.name or "",
            locale=activity.locale or "",
            address=address,
        )

    async def _email(self, turn_context: TurnContext, tenant: str, member_id: str) -> str:
        """The member's email from Teams (cached a day), to link with org data and Slack."""
        key = (tenant, member_id)
        cached = self._emails.get(key)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await TeamsInfo.get_member(turn_context, member_id)
            email = str(getattr(member, "email", "") or "")
            ttl = DAY_S
        except Exception:  # an unreachable connector must not stop the turn
            log.warning("teams member look-up failed", extra={"platform": "teams"})
            email, ttl = "", 60.0
        self._emails[key] = (now + ttl, email)
        return email


def _personal(activity: Activity) -> bool:
    return (activity.conversation.conversation_type or "personal") == "personal"


def _tenant(activity: Activity) -> str:
    conversation_tenant = getattr(activity.conversation, "tenant_id", None)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id") if isinstance(data.get("tenant"), dict) else None
    return str(conversation_tenant or tenant or "")


def _submission(author: Author, event_id: str, value: Any) -> Inbound:
    """An Adaptive Card submit; anything not ours becomes an unknown action (a kind reply)."""
    parsed = submitted(value) if isinstance(value, dict) else None
    if parsed is None:
        return Inbound(author, event_id, action=Action("unknown"))
    action, token, values = parsed
    return Inbound(author, event_id, action=Action(action, token, values))
