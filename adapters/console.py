"""Chat with Peerlink in a terminal: ``peerlink chat --as EMAIL``.

Cards are rendered as plain text with numbered choices; typing a number presses
the matching button, select option or form action. Replies go through the
outbox like on any platform, delivered by :class:`ConsoleSender`. The numbers
belong to the latest answer: its cards are numbered on from one another, and
anything the person types makes the old numbers void.

| input                           | sent to the engine                               |
|---------------------------------|--------------------------------------------------|
| a number of a card's choice     | ``Action(choice.action, choice.value)``          |
| the number of a form's submit   | each field asked in turn, then the submission    |
| ... a choice field answered     | the form is left as it is; the line as text      |
|     with words, not a number    |                                                  |
| the number of a form's cancel   | ``Action("form.cancel", form's submit value)``   |
| "/quit" or end of input         | nothing: the chat ends                           |
| anything else                   | the text                                         |

The console's own words are in the language of the latest delivery to the
person, and before any, in the language Peerlink knows for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import textwrap
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from adapters.dedupe import SeenKeys
from adapters.runtime import build_runtime
from bot.delivery import Delivery, DeliveryResult
from bot.i18n import DEFAULT, Catalogs, Gettext, negotiate
from bot.messages import Action, Author, Inbound, Platform
from bot.settings import Settings
from bot.ui import CANCEL_ACTION, Body, Card, ChoiceInput, Form, TextInput

log = logging.getLogger("peerlink.console")

QUIT = "/quit"
TENANT = "local"
# How often deliveries for this person (from other processes, or retried) are
# looked for while waiting for a line.
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class Choice:
    """What typing a choice's number sends: ``Action(id=action, value=value)``."""

    action: str
    value: str = ""


def _untranslated(message: str) -> str:
    return message


# Rendering -------------------------------------------------------------------


def render_text(
    body: Body, width: int = 72, gettext: Gettext = _untranslated, first: int = 1
) -> tuple[str, list[Choice]]:
    """Render a card or a form as plain text, with the choices its numbers stand for.

    Numbers start at ``first``, so several cards of one answer can share one numbering.
    """
    if isinstance(body, Card):
        return _card(body, width, first)
    return _form(body, width, gettext)


def _card(card: Card, width: int, first: int = 1) -> tuple[str, list[Choice]]:
    lines = [*_title(card.title), *_wrap(card.text, width)]
    lines.extend(f"{f.label}: {f.value}" for f in card.facts)
    choices: list[Choice] = []
    labels: list[str] = []
    for button in card.buttons:
        if button.url:  # a link is shown, not numbered: the terminal can't open it
            lines.append(f"{button.label}: {button.url}")
            continue
        choices.append(Choice(button.action, button.value))
        labels.append(button.label)
    for select in card.selects:
        for option in select.options:
            choices.append(Choice(select.action, option.value))
            labels.append(f"{select.placeholder}: {option.label}")
    return "\n".join(lines + _numbered(labels, first)), choices


def _form(form: Form, width: int, _: Gettext) -> tuple[str, list[Choice]]:
    lines = [*_title(form.title), *_wrap(form.text, width)]
    for item in form.inputs:
        lines.extend(textwrap.wrap("- " + _field_line(item, _), width, subsequent_indent="  "))
    choices = [Choice(form.submit.action, form.submit.value)]
    labels = [form.submit.label]
    if form.cancel_label:
        # Like the web chat: the cancel carries the form's live token, its submit value.
        choices.append(Choice(CANCEL_ACTION, form.submit.value))
        labels.append(form.cancel_label)
    return "\n".join(lines + _numbered(labels)), choices


def _title(title: str) -> list[str]:
    return [title, "=" * len(title)] if title else []


def _wrap(text: str, width: int) -> list[str]:
    """Wrap each line on its own, keeping blank lines; bullets get a hanging indent."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            lines.append("")
        elif line.startswith("• "):
            lines.extend(textwrap.wrap(line, width, subsequent_indent="  "))
        else:
            lines.extend(textwrap.wrap(line, width))
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _field_line(item: TextInput | ChoiceInput, _: Gettext) -> str:
    if isinstance(item, ChoiceInput):
        options = ", ".join(o.label for o in item.options)
        return _("{field}:").format(field=item.label) + " " + options
    if item.required:
        return _("{label} (up to {limit} characters)").format(
            label=item.label, limit=item.max_length)
    return _("{label} (optional, up to {limit} characters)").format(
        label=item.label, limit=item.max_length)


def _numbered(labels: list[str], first: int = 1) -> list[str]:
    return [f"[{n}] {label}" for n, label in enumerate(labels, start=first)]


# Delivery --------------------------------------------------------------------


class ConsoleSender:
    """A :class:`bot.delivery.PlatformSender` that prints to the person chatting.

    ``Delivery.address`` is ``{"user_id": "<email>", ...}``. Deliveries for anyone
    else wait in the outbox (they may chat later). The delivery key is the
    idempotency key: a delivery offered twice is shown once. ``lang`` is the
    language of the console's own words: each delivery's locale replaces it.
    """

    platform: Platform = Platform.CONSOLE

    def __init__(
        self,
        user_id: str,
        out: TextIO,
        *,
        lang: str = DEFAULT,
        catalogs: Catalogs | None = None,
        width: int = 72,
        keys_kept: int = 10_000,
    ) -> None:
        self.user_id = user_id
        self.lang = lang
        self._catalogs = catalogs or Catalogs()
        self._out = out
        self._width = width
        self._delivered = SeenKeys(keys_kept)
        self._choices: list[Choice] = []
        self._form: Form | None = None

    @property
    def gettext(self) -> Gettext:
        """Translates the console's own words into the person's language."""
        return self._catalogs.gettext(self.lang)

    @property
    def choices(self) -> list[Choice]:
        """The numbered choices of the latest message (none if it had none)."""
        return list(self._choices)

    def new_turn(self) -> None:
        """The person answered: the numbers shown so far stop meaning anything, so a stale
        number never reopens an old card."""
        self._choices, self._form = [], None

    @property
    def form(self) -> Form | None:
        """The latest message, if it is a form."""
        return self._form

    async def send(self, delivery: Delivery) -> DeliveryResult:
        user_id = delivery.address.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return DeliveryResult.undeliverable("no_address")
        if user_id != self.user_id:
            return DeliveryResult.retry(60, "not_here")
        lang = negotiate(delivery.locale) if delivery.locale else self.lang
        # The cards of one answer share one numbering (a form stands alone).
        form = delivery.body if isinstance(delivery.body, Form) else None
        kept = [] if form is not None or self._form is not None else self._choices
        text, choices = render_text(delivery.body, self._width, self._catalogs.gettext(lang),
                                    first=len(kept) + 1)
        if not self._delivered.add(delivery.key):
            return DeliveryResult.sent()
        self.lang = lang
        self._choices = kept + choices
        self._form = form
        self._out.write(f"\n{text}\n")
        self._out.flush()
        log.debug("console delivery %s shown", delivery.key)
        return DeliveryResult.sent()


# The chat loop ---------------------------------------------------------------

ReadLine = Callable[[], Awaitable[str | None]]


async def run_chat(settings: Settings, email: str, stdin: TextIO, stdout: TextIO) -> int:
    """Chat as the person with ``email`` until "/quit" or end of input; returns an exit code."""
    email = email.strip().lower()
    catalogs = Catalogs()
    sender = ConsoleSender(email, stdout, catalogs=catalogs)
    runtime = build_runtime(settings, {Platform.CONSOLE: sender}, deliver_to=email)
    say = _printer(stdout)
    try:
        async with runtime.db.transaction() as uow:
            person = await uow.people.by_email(email)
            if person is None:
                _ = catalogs.gettext(DEFAULT)
                say(_("No one with the email {email}; load people with "
                      "`peerlink import-org` or `peerlink seed-demo`.").format(email=email))
                return 2
            name = person.display_name or ""
            # The language the engine will answer in, until a delivery says otherwise.
            sender.lang = negotiate(person.language, person.org_language)
        _ = sender.gettext
        say(_("Chatting as {name}. Type a message, a number to choose, or /quit.")
            .format(name=name or email))
        author = Author(platform=Platform.CONSOLE, tenant=TENANT, user_id=email,
                        email=email, display_name=name)
        reader = _LineReader(stdin, stdout, runtime.worker.drain)
        chat = _Chat(author, sender, reader.readline, say)
        while (inbound := await chat.next_inbound()) is not None:
            await runtime.engine.handle(inbound)
            await runtime.worker.drain()
        return 0
    finally:
        await runtime.db.dispose()


def _printer(out: TextIO) -> Callable[[str], None]:
    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    return say


@dataclass(frozen=True)
class _Aside:
    """A line typed while a form's choice was asked that answers none of its numbers."""

    line: str


@dataclass(frozen=True)
class _Chat:
    """Turns the person's lines into inbound events, asking form fields as needed."""

    author: Author
    sender: ConsoleSender
    read: ReadLine
    say: Callable[[str], None]

    async def next_inbound(self) -> Inbound | None:
        """The next event from the person, or None when they are done."""
        while True:
            line = await self.read()
            if line is None:
                return None
            if not line.strip():
                continue
            choice = _chosen(line, self.sender.choices)
            form = self.sender.form
            self.sender.new_turn()
            if choice is None:
                return self._inbound(text=line)
            if form is not None and choice == Choice(form.submit.action, form.submit.value):
                return await self._submit(form)
            return self._inbound(action=Action(choice.action, choice.value))

    def _inbound(self, *, text: str | None = None, action: Action | None = None) -> Inbound:
        return Inbound(author=self.author, event_id=f"console:{uuid.uuid4().hex}",
                       text=text, action=action)

    async def _submit(self, form: Form) -> Inbound | None:
        """The form's submission, or the words typed instead of a choice, as plain text."""
        filled = await self._fill(form)
        if filled is None:
            return None
        if isinstance(filled, _Aside):
            # Never swallowed: the engine reads (and screens) what the person wrote.
            _ = self.sender.gettext
            self.say(_("The form was left as it is, and your message was sent on its own."))
            return self._inbound(text=filled.line)
        return self._inbound(action=Action(form.submit.action, form.submit.value, filled))

    async def _fill(self, form: Form) -> dict[str, str] | _Aside | None:
        """Ask each field of ``form`` in turn; None when input ends on the way."""
        values: dict[str, str] = {}
        for item in form.inputs:
            value: str | _Aside | None
            if isinstance(item, TextInput):
                value = await self._ask_text(item)
            else:
                value = await self._ask_choice(item)
            if value is None or isinstance(value, _Aside):
                return value
            values[item.id] = value
        return values

    async def _ask_text(self, item: TextInput) -> str | None:
        """Any text is taken: the engine checks and screens form values like messages."""
        _ = self.sender.gettext
        if item.initial:
            self.say(_("Enter keeps “{current}”.").format(current=item.initial))
        while True:
            self.say(_("{field}:").format(field=_field_line(item, _)))
            line = await self.read()
            if line is None:
                return None
            value = line.strip() or item.initial
            if value or not item.required:
                return value
            self.say(_("This one is needed; please write something."))

    async def _ask_choice(self, item: ChoiceInput) -> str | _Aside | None:
        """A number picks an option, Enter keeps the current one; words leave the form."""
        _ = self.sender.gettext
        current = next((o.label for o in item.options if o.value == item.initial), "")
        self.say(_("{field}:").format(field=item.label))
        mark = _("(current)")
        for n, option in enumerate(item.options, start=1):
            now = f" {mark}" if current and option.value == item.initial else ""
            self.say(f"  [{n}] {option.label}{now}")
        if current:
            hint = _("Choose a number (Enter keeps {current}):").format(current=current)
        else:
            hint = _("Choose a number:")
        while True:
            self.say(hint)
            line = await self.read()
            if line is None:
                return None
            text = line.strip()
            if not text and (current or not item.required):
                return item.initial if current else ""
            number = _number(text)
            if number is not None and 1 <= number <= len(item.options):
                return item.options[number - 1].value
            if text and number is None:
                return _Aside(line)
            self.say(_("Please type a number from 1 to {count}.").format(count=len(item.options)))


def _number(text: str) -> int | None:
    """The number typed, if the line is one (a handful of digits)."""
    return int(text) if text.isdecimal() and len(text) <= 6 else None


def _chosen(line: str, choices: list[Choice]) -> Choice | None:
    number = _number(line.strip())
    if number is None:
        return None
    return choices[number - 1] if 1 <= number <= len(choices) else None


class _LineReader:
    """Reads the person's lines without blocking delivery.

    Each line is read on a daemon thread (not ``asyncio.to_thread``, whose worker
    thread would keep Ctrl-C waiting for Enter at exit). While waiting, deliveries
    for this person are drained now and then, always from this one task, so the
    choices shown are settled before a number is read.
    """

    def __init__(self, stream: TextIO, out: TextIO, drain: Callable[[], Awaitable[int]]) -> None:
        self._stream = stream
        self._out = out
        self._drain = drain

    async def readline(self) -> str | None:
        """The next line without its newline; None at end of input or on "/quit"."""
        self._out.write("> ")
        self._out.flush()
        pending = self._start()
        while True:
            done, _ = await asyncio.wait({pending}, timeout=POLL_SECONDS)
            if done:
                break
            await self._drain()
        line = pending.result()
        if not line or line.strip() == QUIT:
            return None
        return line.rstrip("\r\n")

    def _start(self) -> asyncio.Future[str]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle(line: str | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(line or "")

        def work() -> None:
            try:
                line, error = self._stream.readline(), None
            except Exception as exc:
                line, error = None, exc
            # The loop may have closed while we waited: the chat is over then.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, line, error)

        threading.Thread(target=work, name="console-stdin", daemon=True).start()
        return future
