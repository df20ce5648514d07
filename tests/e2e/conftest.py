"""End to end: the real ``peerlink serve`` process, and its web chat in headless Chromium.

Chromium is Debian's (``.ci/install-browser``), driven by the ``playwright`` package's
bundled driver; nothing is downloaded. Without either, the browser tests are skipped,
except on CI (``CI=true``), where they fail so a missing install cannot go unnoticed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PEERLINK = Path(sys.executable).parent / "peerlink"
READY_TIMEOUT_S = 15.0
POLL_S = 0.05
EXPECT_TIMEOUT_MS = 10_000
# What the server wrote, shown with any failing e2e test.
_SERVER_LOG: list[Path] = []


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    """Skip, or on CI fail: CI must install what the browser tests need."""
    if _on_ci():
        pytest.fail(f"{reason} (CI=true: run .ci/install-browser and install '.[test]')",
                    pytrace=False)
    pytest.skip(reason)


# --- The serve process ----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return text[-limit:] or "(no output)"


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(PEERLINK), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, (
        f"peerlink {' '.join(args)} exited {done.returncode}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done.stdout


def _healthy(url: str) -> bool:
    # No proxies from the environment: this must go straight to loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def peerlink_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real ``peerlink serve`` with the web chat on and the demo people in."""
    assert PEERLINK.exists(), f"{PEERLINK} is missing: install the project into this venv"
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PEERLINK_", "SLACK_", "MICROSOFT_")) and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/e2e.db",
        PEERLINK_WEB_CHAT="1",
        PORT=str(port),
        PEERLINK_LOG_FORMAT="text",
    )
    env["PEERLINK_SECRET_KEY"] = _cli(env, "gen-key").strip()
    _cli(env, "migrate")
    _cli(env, "seed-demo")

    log_path = tmp / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks.
        proc = subprocess.Popen([str(PEERLINK), "serve"], env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    _SERVER_LOG.append(log_path)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _healthy(f"{base}/healthz"):
            code = proc.poll()
            assert code is None, (
                f"peerlink serve exited with {code} before answering /healthz\n"
                f"{_tail(log_path)}"
            )
            assert time.monotonic() < deadline, (
                f"peerlink serve did not answer {base}/healthz within {READY_TIMEOUT_S:.0f} s\n"
                f"{_tail(log_path)}"
            )
            time.sleep(POLL_S)
        yield base
        assert proc.poll() is None, (
            f"peerlink serve died during the tests (exit {proc.returncode})\n{_tail(log_path)}"
        )
    finally:
        _SERVER_LOG.remove(log_path)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and _SERVER_LOG:
        report.sections.append(("peerlink serve output", _tail(_SERVER_LOG[-1])))
    return report


# --- The browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, or a skip (a failure on CI) when it is not installed."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed ({exc})")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; run .ci/install-browser")
    from playwright.sync_api import expect

    # Replies cross the engine, the outbox and a websocket: give a loaded CI machine time.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class ChatPage:
    """One browser context and page, with what went wrong in it recorded."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)

    @property
    def messages(self) -> Any:
        return self.page.locator("#messages")

    def incoming(self) -> Any:
        return self.page.locator("#messages > li.pl-in")

    def open_as(self, email: str) -> None:
        """Open the chat directly as a person, and wait until it is connected."""
        from playwright.sync_api import expect

        self.page.goto(f"{self.base}/#as={quote(email)}")
        expect(self.page.locator("#chat")).to_be_visible()
        self.wait_connected()

    def wait_connected(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#status")).to_have_text("Connected")

    def send(self, text: str) -> None:
        box = self.page.locator("#text")
        box.fill(text)
        box.press("Enter")


@pytest.fixture
def open_chat(browser: Browser, peerlink_server: str) -> Iterator[Callable[[], ChatPage]]:
    """Make chat pages, each in its own browser context (its own cookies and storage)."""
    contexts: list[BrowserContext] = []
    pages: list[ChatPage] = []

    def make() -> ChatPage:
        context = browser.new_context(base_url=peerlink_server)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        chat = ChatPage(page, peerlink_server)

        def on_dialog(dialog: Any) -> None:
            chat.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def guard(route: Any) -> None:
            # The page may only talk to the local server: nothing else is fetched.
            url: str = route.request.url
            if url.startswith((peerlink_server + "/", "data:")):
                route.continue_()
            else:
                chat.offsite.append(url)
                route.abort()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: chat.errors.append(str(exc)))
        context.route("**/*", guard)
        pages.append(chat)
        return chat

    yield make
    try:
        for chat in pages:
            assert not chat.errors, f"JavaScript errors on the page: {chat.errors}"
            assert not chat.offsite, f"the page tried to leave loopback: {chat.offsite}"
    finally:
        for context in contexts:
            context.close()
