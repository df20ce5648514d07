"""The conversation engine: one path for every platform.

``handle(inbound)``: clean the text, screen it for crisis (first, always), then
in one transaction deduplicate on the event id, resolve the person, route to a
flow and write its outbound messages to the outbox. Delivery happens elsewhere.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import ProgramConfig
from bot.crisis import CrisisScreen, Screening, crisis_reply
from bot.delivery import PlatformSender
from bot.errors import TemporarilyUnavailable
from bot.escalation import escalate_for_crisis
from bot.failsafe import Failsafe
from bot.flows.menu import menu_card
from bot.flows.welcome import GREETINGS, welcome
from bot.i18n import Catalogs, negotiate
from bot.logcontext import bind_correlation_id, correlation_id
from bot.messages import Author, Inbound, Outbound, Platform
from bot.outbox import enqueue
from bot.router import Router
from bot.text import clean, words
from bot.turn import Turn
from bot.ui import Card, Form
from storage.db import Conflict, Database, DatabaseUnavailable, UnitOfWork
from storage.people import IdentityKey

log = logging.getLogger("peerlink.engine")


class EngineMetrics(Protocol):
    def received(self, platform: str) -> None: ...
    def handled(self, route: str) -> None: ...
    def replied(self, count: int) -> None: ...
    def failed(self) -> None: ...


@dataclass(frozen=True)
class EngineServices:
    config: ProgramConfig
    catalogs: Catalogs
    router: Router
    screen: CrisisScreen
    clock: Clock
    conversation_ttl: timedelta = timedelta(minutes=30)


class Engine:
    def __init__(
        self,
        db: Database,
        services: EngineServices,
        *,
        on_enqueued: Callable[[bool], None] | None = None,  # (urgent: a crisis reply)
        metrics: EngineMetrics | None = None,
        direct: Mapping[Platform, PlatformSender] | None = None,
    ) -> None:
        self._db = db
        self._s = services
        self._failsafe = Failsafe(services.config, services.catalogs, direct or {})
        self._on_enqueued = on_enqueued
        self._metrics = metrics

    @property
    def services(self) -> EngineServices:
        return self._s

    async def handle(self, inbound: Inbound) -> list[int]:
        """Handle one inbound event; returns the ids of the outbox rows it wrote.

        Raises :class:`TemporarilyUnavailable` when nothing could be recorded, so
        the adapter can ask the platform to retry. A crisis message is answered
        even then, straight through its platform's sender.
        """
        return (await self._run(inbound, withhold_forms=False)).outbox_ids

    async def handle_inline(self, inbound: Inbound) -> Handled:
        """Like :meth:`handle`, but forms for the author come back instead of being queued.

        For a platform that can show a form only while the request is alive
        (Slack's modals need a trigger id that dies in 3 s). If showing one fails,
        pass it to :meth:`deliver_later`.
        """
        return await self._run(inbound, withhold_forms=True)

    def is_crisis(self, inbound: Inbound) -> bool:
        """Whether the crisis screen matches any free text of ``inbound`` (microseconds:
        cheap enough to run before a platform is answered)."""
        return self._screened(inbound)[1].crisis

    def _screened(self, inbound: Inbound) -> tuple[str | None, Screening]:
        """The message text cleaned, and every piece of free text screened for crisis."""
        text = clean(inbound.text) if inbound.text is not None else None
        return text, self._s.screen.screen(_free_text(text, inbound))

    async def _run(self, inbound: Inbound, *, withhold_forms: bool) -> Handled:
        if correlation_id.get() == "-":
            bind_correlation_id(uuid.uuid4().hex[:16])
        if self._metrics:
            self._metrics.received(inbound.author.platform.value)
        text, screening = self._screened(inbound)
        handled: Handled | None
        try:
            handled = await self._handle_with_retry(inbound, text, screening, withhold_forms)
        except (Conflict, DatabaseUnavailable):
            log.error("the database failed twice for one turn", exc_info=True,
                      extra={"event_id": inbound.event_id})
            handled = None
        except Exception:
            log.exception("handling failed", extra={"event_id": inbound.event_id})
            if self._metrics:
                self._metrics.failed()
            ids = await self._apologise(inbound, screening)
            handled = Handled(ids) if ids is not None else None
        if handled is None:
            if screening.crisis:
                await self._failsafe.send_crisis(inbound)
                return Handled([])
            raise TemporarilyUnavailable("nothing could be recorded; retry later")
        if handled.outbox_ids and self._on_enqueued is not None:
            self._on_enqueued(screening.crisis)
        return handled

    async def _handle_with_retry(
        self, inbound: Inbound, text: str | None, screening: Screening, withhold: bool
    ) -> Handled:
        """One retry for a collision (two first messages at once) or a busy database."""
        try:
            return await self._handle(inbound, text, screening, withhold)
        except (Conflict, DatabaseUnavailable) as exc:
            log.warning("retrying a turn", extra={"event_id": inbound.event_id,
                                                  "reason": type(exc).__name__})
            return await self._handle(inbound, text, screening, withhold)

    async def _handle(
        self, inbound: Inbound, text: str | None, screening: Screening, withhold: bool
    ) -> Handled:
        async with self._db.transaction() as uow:
            now = self._s.clock.now()
            author = inbound.author
            if not await uow.events.first_time(
                author.platform, author.tenant, inbound.event_id, now
            ):
                log.info("duplicate event skipped", extra={"event_id": inbound.event_id})
                return Handled([])
            turn = await self._turn(uow, inbound, text)
            if screening.crisis:
                # No person id here: this line must not become a list of who was in crisis.
                log.warning("crisis screen matched", extra={"category": screening.category})
                outbound: list[Outbound] = [crisis_reply(turn, screening.category)]
                outbound += await escalate_for_crisis(turn, screening.category)
                route_name = "crisis"
            else:
                route = self._s.router.route(turn)
                route_name = route.name
                outbound = list(await route.handler(turn))
                if turn.person.welcomed_at is None:
                    if route.handler not in GREETINGS:
                        greeting = await welcome(turn)
                        outbound = [*greeting, *self._unless_fallback(route_name, outbound)]
                    turn.person.welcomed_at = now
            log.info("handled", extra={"route": route_name, "person_id": turn.person.id})
            if self._metrics:
                self._metrics.handled(route_name)
                self._metrics.replied(len(outbound))
            forms = [o.body for o in outbound if withhold and _inline_form(o, turn)]
            queued = [o for o in outbound if not (withhold and _inline_form(o, turn))]
            return Handled(await self._enqueue(uow, turn, queued),
                           [f for f in forms if isinstance(f, Form)])

    async def _turn(self, uow: UnitOfWork, inbound: Inbound, text: str | None) -> Turn:
        a = inbound.author
        key = IdentityKey(a.platform, a.tenant, a.user_id, a.email, a.display_name, a.locale,
                          a.address)
        now = self._s.clock.now()
        person, identity, first = await uow.people.resolve(key, now)
        if first:  # messages that waited for a way to reach this person can go now
            await uow.outbox.readdress(person.id, identity.id, identity.platform, now)
        # Their own choice, else their platform's language, else the directory's.
        lang = person.language or negotiate(a.locale, person.org_language)
        return Turn(
            inbound=inbound,
            person=person,
            lang=lang,
            gettext=self._s.catalogs.gettext(lang),
            uow=uow,
            now=now,
            state=await uow.conversations.current(person.id, now),
            config=self._s.config,
            catalogs=self._s.catalogs,
            conversation_ttl=self._s.conversation_ttl,
            text=text,
            words=words(text) if text else (),
            first_contact=first,
            identity_id=identity.id,
        )

    @staticmethod
    def _unless_fallback(route_name: str, outbound: list[Outbound]) -> list[Outbound]:
        # A first "hi" gets the welcome alone, not also "I didn't understand".
        return [] if route_name == "fallback" else outbound

    async def _enqueue(
        self, uow: UnitOfWork, turn: Turn, outbound: Sequence[Outbound]
    ) -> list[int]:
        a = turn.inbound.author
        source = f"inbound|{a.platform}|{a.tenant}|{turn.inbound.event_id}"
        known = {(turn.person.id, a.platform.value): (turn.identity_id, a.platform.value)}
        return await enqueue(uow, source, outbound, turn.now, known)

    async def deliver_later(self, inbound: Inbound, forms: Sequence[Form]) -> list[int]:
        """Queue forms that could not be shown inline; they arrive as messages."""
        async with self._db.transaction() as uow:
            turn = await self._turn(uow, inbound, None)
            a = inbound.author
            source = f"inline|{a.platform}|{a.tenant}|{inbound.event_id}"
            ids = await enqueue(uow, source, [turn.reply(f) for f in forms], turn.now)
        if ids and self._on_enqueued is not None:
            self._on_enqueued(False)
        return ids

    async def home(self, author: Author) -> Card:
        """What a platform's home page shows this person: the menu, in their language."""
        inbound = Inbound(author, event_id="")
        async with self._db.transaction() as uow:
            turn = await self._turn(uow, inbound, None)
            return menu_card(turn)

    async def _apologise(self, inbound: Inbound, screening: Screening) -> list[int] | None:
        """The one error path: tell the person it was us, keep every state consistent."""
        try:
            async with self._db.transaction() as uow:
                turn = await self._turn(uow, inbound, None)
                _ = turn.gettext
                sorry = Card(
                    text=_("Something went wrong on our side. Nothing was changed; "
                           "please try again in a moment.")
                )
                outbound = [turn.reply(sorry)]
                if screening.crisis:
                    outbound.insert(0, crisis_reply(turn))
                a = inbound.author
                source = f"apology|{a.platform}|{a.tenant}|{inbound.event_id}"
                return await enqueue(uow, source, outbound, self._s.clock.now())
        except Exception:
            log.exception("could not tell the person about a failure")
            return None


@dataclass(frozen=True)
class Handled:
    """What a turn produced: outbox rows written, and forms withheld for inline display."""

    outbox_ids: list[int]
    forms: list[Form] = field(default_factory=list)


def _inline_form(outbound: Outbound, turn: Turn) -> bool:
    return (
        isinstance(outbound.body, Form)
        and outbound.person_id == turn.person.id
        and outbound.platform in (None, turn.inbound.author.platform)
    )


def _free_text(text: str | None, inbound: Inbound) -> Iterable[str]:
    """Every piece of free text in an event: the message and any form field."""
    if text:
        yield text
    if inbound.action is not None:
        yield from (clean(v) for v in inbound.action.values.values() if isinstance(v, str))
