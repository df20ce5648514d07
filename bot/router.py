"""An explicit router: routes registered in order, first match wins, then a fallback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.messages import Outbound
from bot.text import words as fold_words
from bot.turn import Turn

Handler = Callable[[Turn], Awaitable[Sequence[Outbound]]]
Predicate = Callable[[Turn], bool]


@dataclass(frozen=True)
class Route:
    name: str
    matches: Predicate
    handler: Handler


class Router:
    def __init__(self, fallback: Handler) -> None:
        self._routes: list[Route] = []
        self._fallback = Route("fallback", lambda _turn: True, fallback)
        self._commands: set[tuple[str, ...]] = set()

    def on(self, name: str, matches: Predicate, handler: Handler) -> None:
        self._routes.append(Route(name, matches, handler))

    def on_command(self, name: str, phrases: Iterable[str], handler: Handler) -> None:
        """Text whose first words are one of ``phrases`` (any case, accents optional)."""
        folded = tuple(fold_words(p) for p in phrases)
        self._commands.update(folded)

        def matches(turn: Turn) -> bool:
            return turn.text is not None and any(turn.words[: len(p)] == p for p in folded)

        self.on(name, matches, handler)

    def on_action(self, prefix: str, handler: Handler) -> None:
        """Actions whose id is ``prefix`` or starts with ``prefix.``."""

        def matches(turn: Turn) -> bool:
            action = turn.inbound.action
            return action is not None and (
                action.id == prefix or action.id.startswith(prefix + ".")
            )

        self.on(f"action:{prefix}", matches, handler)

    def on_state(self, flow: str, handler: Handler) -> None:
        """Free text while the person is inside ``flow``."""

        def matches(turn: Turn) -> bool:
            return turn.text is not None and turn.state is not None and turn.state.flow == flow

        self.on(f"state:{flow}", matches, handler)

    def is_command(self, text_words: Sequence[str]) -> bool:
        return any(tuple(text_words[: len(p)]) == p for p in self._commands)

    def route(self, turn: Turn) -> Route:
        for route in self._routes:
            if route.matches(turn):
                return route
        return self._fallback
