"""The web chat's sender (mailboxes, dedupe, pushes) and the delivery keys it remembers."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.dedupe import SeenKeys
from adapters.web.sender import WebSender
from bot.delivery import Outcome
from bot.messages import Platform
from bot.ui import Card
from tests.factories import ANA, BEN, make_delivery

# Sender ----------------------------------------------------------------------


async def test_send_keeps_rendered_message_in_backlog() -> None:
    sender = WebSender()

    result = await sender.send(make_delivery())

    assert result.outcome is Outcome.SENT
    (message,) = sender.backlog(ANA)
    assert message["key"] == "out-1"
    assert 'data-action="ok"' in message["html"]
    assert message["priority"] == 10
    assert sender.backlog(BEN) == []
    assert sender.platform is Platform.WEB


async def test_same_key_is_shown_once() -> None:
    sender = WebSender()
    queue = sender.subscribe(ANA)

    first = await sender.send(make_delivery())
    again = await sender.send(make_delivery(body=Card(text="changed")))

    assert first.outcome is again.outcome is Outcome.SENT
    assert len(sender.backlog(ANA)) == 1
    assert queue.qsize() == 1


async def test_backlog_is_ordered_and_bounded() -> None:
    sender = WebSender(mailbox_size=3)

    for n in range(5):
        await sender.send(make_delivery(key=f"out-{n}"))

    assert [m["key"] for m in sender.backlog(ANA)] == ["out-2", "out-3", "out-4"]


async def test_every_subscriber_of_the_person_gets_pushed() -> None:
    sender = WebSender()
    tab_one, tab_two, other = sender.subscribe(ANA), sender.subscribe(ANA), sender.subscribe(BEN)

    await sender.send(make_delivery())

    assert tab_one.get_nowait()["key"] == tab_two.get_nowait()["key"] == "out-1"
    assert other.empty()


async def test_unsubscribed_queue_gets_nothing() -> None:
    sender = WebSender()
    queue = sender.subscribe(ANA)
    sender.unsubscribe(ANA, queue)
    sender.unsubscribe(ANA, queue)  # twice is harmless

    await sender.send(make_delivery())

    assert queue.empty()
    assert sender.subscriber_count(ANA) == 0


async def test_slow_subscriber_loses_oldest_not_newest() -> None:
    sender = WebSender(queue_size=2)
    queue = sender.subscribe(ANA)

    for n in range(3):
        await sender.send(make_delivery(key=f"out-{n}"))

    assert [queue.get_nowait()["key"] for _ in range(2)] == ["out-1", "out-2"]


@pytest.mark.parametrize("address", [{}, {"user_id": ""}, {"user_id": None}, {"email": ANA}])
async def test_no_user_id_is_undeliverable(address: dict[str, Any]) -> None:
    sender = WebSender()

    result = await sender.send(make_delivery(address=address))

    assert result.outcome is Outcome.UNDELIVERABLE
    assert result.reason == "no_address"


async def test_a_key_forgotten_long_ago_is_shown_again() -> None:
    sender = WebSender(keys_kept=2)

    for key in ("a", "b", "c", "a"):
        await sender.send(make_delivery(key=key))

    assert [m["key"] for m in sender.backlog(ANA)] == ["a", "b", "c", "a"]


# Seen keys -------------------------------------------------------------------


def test_seen_keys_say_whether_a_key_is_new() -> None:
    seen = SeenKeys(10)

    assert seen.add("out-1") is True
    assert seen.add("out-2") is True
    assert seen.add("out-1") is False
    assert len(seen) == 2


def test_seen_keys_forget_the_least_recently_seen_first() -> None:
    seen = SeenKeys(2)
    seen.add("a")
    seen.add("b")
    seen.add("a")  # seen again: now the most recent

    assert seen.add("c") is True  # "b" is forgotten, not "a"
    assert seen.add("a") is False
    assert seen.add("b") is True
    assert len(seen) == 2
