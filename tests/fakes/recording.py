"""What the platform fakes share: an aiohttp server on an ephemeral loopback port that
records every call it answers, under a key (the fake's kind of call, or API method)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from aiohttp import web

Payload = dict[str, Any]


class _Call(Protocol):
    @property
    def payload(self) -> Payload: ...


CallT = TypeVar("CallT", bound=_Call)


class RecordingServer(Generic[CallT]):
    """Serves :meth:`_app` while in ``async with``; records calls and lets tests read them.

    Subclasses build their routes in :meth:`_app` and record with :meth:`_record`.
    """

    _url_path = "/"  # what :attr:`url` ends with
    _never_called = "{} was never called"  # the KeyError of :meth:`last`

    def __init__(self) -> None:
        self._calls: list[tuple[str, CallT]] = []
        self._runner: web.AppRunner | None = None
        self._url = ""

    # --- Lifecycle ---------------------------------------------------------------

    def _app(self) -> web.Application:
        raise NotImplementedError

    def _on_close(self) -> None:
        """Called first on the way out of ``async with``."""

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}{self._url_path}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._on_close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The fake's base URL (see the subclass), ending with ``/``."""
        if not self._url:
            name = type(self).__name__
            raise RuntimeError(f"{name} is not running: use `async with {name}()`")
        return self._url

    # --- Inspecting --------------------------------------------------------------

    def _record(self, key: str, call: CallT) -> None:
        self._calls.append((key, call))

    def call_count(self, key: str) -> int:
        return sum(1 for k, _ in self._calls if k == key)

    def calls(self, key: str) -> list[Payload]:
        """The payloads of the calls of ``key``, oldest first."""
        return [c.payload for k, c in self._calls if k == key]

    def last(self, key: str) -> Payload:
        """The payload of the latest call of ``key``; KeyError if never called."""
        payloads = self.calls(key)
        if not payloads:
            raise KeyError(self._never_called.format(key))
        return payloads[-1]

    def requests(self, key: str | None = None) -> list[CallT]:
        """Every call (of ``key``, if given), as the fake saw it."""
        return [c for k, c in self._calls if key is None or k == key]
