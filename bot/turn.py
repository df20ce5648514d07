"""One turn of a conversation: what came in, who sent it, and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import ProgramConfig
from bot.i18n import Catalogs, Gettext
from bot.messages import Inbound, Outbound, Priority
from bot.ui import Body
from storage.db import UnitOfWork
from storage.models import ConversationState, Person


@dataclass
class Turn:
    """Handed to every flow handler. Handlers return outbound messages; they never send.

    ``text`` is the cleaned free text (None for actions); ``words`` its folded
    words for command matching. ``state`` is the live conversation state, if any.
    """

    inbound: Inbound
    person: Person
    lang: str
    gettext: Gettext
    uow: UnitOfWork
    now: datetime
    state: ConversationState | None
    config: ProgramConfig
    catalogs: Catalogs
    conversation_ttl: timedelta
    text: str | None = None
    words: tuple[str, ...] = ()
    first_contact: bool = False
    identity_id: int = 0

    def reply(
        self,
        body: Body,
        *,
        notification: str = "",
        priority: Priority = Priority.REPLY,
    ) -> Outbound:
        """A message back to the person who wrote, on the platform they wrote from."""
        return Outbound(
            person_id=self.person.id,
            body=body,
            notification=notification or self.gettext("New message from Peerlink"),
            priority=priority,
            platform=self.inbound.author.platform,
            lang=self.lang,
        )

    def switch_language(self, lang: str) -> None:
        """Answer in ``lang`` from here on (the person just changed it)."""
        self.lang = lang
        self.gettext = self.catalogs.gettext(lang)

    async def enter(self, flow: str, step: str, data: dict[str, object] | None = None) -> str:
        """Move the person into a flow step; returns the token that live cards carry."""
        self.state = await self.uow.conversations.enter(
            self.person.id, flow, step, now=self.now, ttl=self.conversation_ttl, data=data
        )
        return self.state.token

    async def leave(self) -> None:
        await self.uow.conversations.leave(self.person.id)
        self.state = None

    @property
    def value(self) -> str:
        """The value of the button or option pressed ("" for text)."""
        return self.inbound.action.value if self.inbound.action is not None else ""

    def holds(self, flow: str, token: str) -> bool:
        """True when a card's token is the live one for ``flow`` (not an old card)."""
        return self.state is not None and self.state.flow == flow and self.state.token == token
