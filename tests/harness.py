"""A fluent, in-memory harness for the engine: send as a person, look at the replies.

    h = await Harness.start(db)
    alice = await h.person(name="Alice")
    replies = await h.send("help", as_=alice)
    assert replies.card().title == "Peerlink"
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from aiohttp import web

from adapters.logs import CORRELATED
from adapters.runtime import Runtime, build_runtime
from bot.clock import FrozenClock
from bot.config import ProgramConfig
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Action, Author, Inbound, Platform, Priority
from bot.router import Router
from bot.settings import Settings
from bot.ui import Button, Card, Form
from storage.db import Database
from storage.people import OrgRecord


class RecordingSender:
    """A platform sender that records what it was asked to deliver, once per key."""

    platform = Platform.WEB

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._keys: set[str] = set()
        self.fail_next: list[DeliveryResult] = []

    async def send(self, delivery: Delivery) -> DeliveryResult:
        if self.fail_next:
            return self.fail_next.pop(0)
        if delivery.key not in self._keys:
            self._keys.add(delivery.key)
            self.deliveries.append(delivery)
        return DeliveryResult.sent()

    def to(self, user_id: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.address.get("user_id") == user_id]


@dataclass(frozen=True)
class PersonRef:
    email: str
    name: str
    locale: str = ""


@dataclass
class Replies:
    deliveries: list[Delivery] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.deliveries)

    def __iter__(self) -> Iterator[Delivery]:
        return iter(self.deliveries)

    def card(self, index: int = -1) -> Card:
        body = self.deliveries[index].body
        assert isinstance(body, Card), f"expected a card, got {type(body).__name__}"
        return body

    def form(self, index: int = -1) -> Form:
        body = self.deliveries[index].body
        assert isinstance(body, Form), f"expected a form, got {type(body).__name__}"
        return body

    def text(self) -> str:
        """Every card's title and text, joined (for "contains" assertions)."""
        parts = []
        for d in self.deliveries:
            parts += [d.body.title, d.body.text]
        return "\n".join(p for p in parts if p)

    def button(self, action: str, index: int = -1) -> Button:
        for b in self.card(index).buttons:
            if b.action == action:
                return b
        raise AssertionError(f"no button {action!r} on the card")

    @property
    def priorities(self) -> list[Priority]:
        return [d.priority for d in self.deliveries]


class Harness:
    def __init__(self, runtime: Runtime, sender: RecordingSender, clock: FrozenClock) -> None:
        self.runtime = runtime
        self.sender = sender
        self.clock = clock
        self._events = itertools.count(1)
        self._people = itertools.count(1)

    @classmethod
    async def start(
        cls, db: Database, router: Router | None = None, config: ProgramConfig | None = None
    ) -> Harness:
        sender = RecordingSender()
        clock = FrozenClock()
        settings = Settings(database_url=db.url, secret_keys=("unused",))
        runtime = build_runtime(settings, {Platform.WEB: sender}, clock=clock, database=db,
                                router=router, config=config)
        return cls(runtime, sender, clock)

    async def person(
        self,
        name: str = "",
        *,
        email: str = "",
        locale: str = "",
        language: str = "",
        country: str = "CA",
        timezone: str = "America/Toronto",
        manager: PersonRef | None = None,
        welcomed: bool = True,
    ) -> PersonRef:
        """Make a person in the org data (``make_person(**overrides)``)."""
        n = next(self._people)
        name = name or f"Person {n}"
        email = email or f"person{n}@example.com"
        record = OrgRecord(email, name, manager.email if manager else "", "Engineering",
                           "Toronto", country, timezone, language, date(2025, 1, 6))
        async with self.runtime.db.transaction() as uow:
            await uow.people.upsert_org([record])
            if welcomed:
                found = await uow.people.by_email(email)
                assert found is not None
                found.welcomed_at = self.clock.now()
        return PersonRef(email, name, locale)

    async def make_program_office(self, who: PersonRef) -> None:
        async with self.runtime.db.transaction() as uow:
            found = await uow.people.by_email(who.email)
            assert found is not None
            found.program_office = True

    def inbox(self, who: PersonRef, since: int = 0) -> Replies:
        """Everything delivered to ``who`` (from delivery number ``since`` on)."""
        return Replies([d for d in self.sender.deliveries[since:]
                        if d.address.get("user_id") == who.email])

    async def tick(self, advance: timedelta = timedelta(0)) -> None:
        """Move the clock, run the due work now due, deliver what it wrote."""
        self.clock.advance(advance)
        while await self.runtime.runner.tick():
            pass
        await self.runtime.worker.drain()

    def author(self, who: PersonRef) -> Author:
        return Author(Platform.WEB, "local", who.email, email=who.email,
                      display_name=who.name, locale=who.locale)

    async def deliver(self, inbound: Inbound) -> Replies:
        before = len(self.sender.deliveries)
        await self.runtime.engine.handle(inbound)
        await self.runtime.worker.drain()
        mine = [d for d in self.sender.deliveries[before:]
                if d.address.get("user_id") == inbound.author.user_id]
        return Replies(mine)

    async def send(self, text: str, *, as_: PersonRef, event_id: str = "") -> Replies:
        event = event_id or f"e{next(self._events)}"
        return await self.deliver(Inbound(self.author(as_), event, text=text))

    async def press(
        self, button: Button, *, as_: PersonRef, values: dict[str, str] | None = None
    ) -> Replies:
        action = Action(button.action, button.value, values or {})
        return await self.deliver(Inbound(self.author(as_), f"e{next(self._events)}",
                                          action=action))

    async def submit(self, form: Form, values: dict[str, str], *, as_: PersonRef) -> Replies:
        return await self.press(form.submit, as_=as_, values=values)


def uncorrelated_routes(app: web.Application) -> list[str]:
    """Routes of ``app`` whose handler binds no correlation id (see adapters/logs.py)."""
    return [f"{route.method} {route.resource.canonical if route.resource else '?'}"
            for route in app.router.routes()
            if not getattr(route.handler, CORRELATED, False)]
