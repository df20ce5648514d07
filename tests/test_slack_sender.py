"""The Slack sender against a fake Slack Web API: blocks, pacing, and Slack's errors sorted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.sender import SlackSender
from bot.delivery import Delivery, DeliveryResult, Outcome
from bot.messages import Platform, Priority
from bot.ui import Button, Card, Fact
from tests.factories import make_delivery
from tests.fakes.slack_api import FakeSlackAPI

TEAM = "T0PEERLNK"
ALICE = "U0ALICE"
BEN = "U0BEN"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def slack_delivery(user: str = ALICE, **overrides: Any) -> Delivery:
    fields: dict[str, Any] = {
        "key": f"out-{user}",
        "platform": Platform.SLACK,
        "address": {"tenant": TEAM, "user_id": user},
        "notification": "You have a new message",
    }
    return make_delivery(**(fields | overrides))


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sender(slack: FakeSlackAPI, clock: FakeClock) -> SlackSender:
    return SlackSender(AsyncWebClient(token="xoxb-test", base_url=slack.url), clock=clock)


# Posting ---------------------------------------------------------------------


async def test_card_is_posted_as_blocks_behind_neutral_text(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    card = Card(text="I had a rough week", buttons=(Button("Reply", "reply"),))

    result = await sender.send(slack_delivery(body=card))

    assert result == DeliveryResult.sent()
    posted = slack.last("chat.postMessage")
    assert posted["channel"] == ALICE
    assert posted["text"] == "You have a new message"
    assert "rough week" in str(posted["blocks"])
    assert "rough week" not in posted["text"]
    assert [b["type"] for b in posted["blocks"]] == ["section", "actions"]
    assert slack.requests("chat.postMessage")[0].authorization == "Bearer xoxb-test"
    assert sender.platform is Platform.SLACK


async def test_known_dm_channel_is_used(slack: FakeSlackAPI, sender: SlackSender) -> None:
    address = {"tenant": TEAM, "user_id": ALICE, "channel": "D0ALICE"}

    await sender.send(slack_delivery(address=address))

    assert slack.last("chat.postMessage")["channel"] == "D0ALICE"


async def test_long_body_goes_as_several_messages_in_order(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    facts = tuple(Fact(f"Item {n}", f"value {n}") for n in range(600))  # 60 sections
    card = Card(text="Your list", facts=facts)

    result = await sender.send(slack_delivery(body=card))

    assert result.outcome is Outcome.SENT
    first, second = slack.calls("chat.postMessage")
    assert len(first["blocks"]) == 50
    assert len(second["blocks"]) == 11
    assert "Your list" in str(first["blocks"][0])
    assert "Item 599" in str(second["blocks"][-1])
    assert first["text"] == second["text"] == "You have a new message"


async def test_same_key_is_posted_once(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    await sender.send(slack_delivery())
    clock.advance(5)

    again = await sender.send(slack_delivery())

    assert again.outcome is Outcome.SENT
    assert slack.call_count("chat.postMessage") == 1


async def test_retry_resumes_after_the_last_message_posted(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    card = Card(text="Your list", facts=tuple(Fact(f"Item {n}", "x") for n in range(600)))
    slack.add_response("chat.postMessage")  # the first message goes
    slack.add_response("chat.postMessage", status=429, headers={"Retry-After": "2"})

    first = await sender.send(slack_delivery(body=card))
    clock.advance(2)
    second = await sender.send(slack_delivery(body=card))

    assert first == DeliveryResult.retry(2.0, "rate_limited")
    assert second.outcome is Outcome.SENT
    calls = slack.calls("chat.postMessage")
    assert [len(c["blocks"]) for c in calls] == [50, 11, 11]


def restarted(slack: FakeSlackAPI, clock: FakeClock) -> SlackSender:
    """A sender in a new process: it remembers nothing of what the last one posted."""
    return SlackSender(AsyncWebClient(token="xoxb-test", base_url=slack.url), clock=clock)


async def test_each_message_carries_its_key_in_metadata(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    await sender.send(slack_delivery())

    assert slack.last("chat.postMessage")["metadata"] == {
        "event_type": "peerlink_delivery", "event_payload": {"key": f"out-{ALICE}", "part": 0}}


async def test_a_delivery_in_doubt_after_a_crash_is_not_posted_twice(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    await sender.send(slack_delivery())  # posted; then the process died before recording it

    again = await restarted(slack, clock).send(slack_delivery(in_doubt=True))

    assert again.outcome is Outcome.SENT
    assert slack.call_count("chat.postMessage") == 1
    history = slack.last("conversations.history")
    assert history["channel"].startswith("D") and history["include_all_metadata"] in (
        "1", "true", True)


async def test_a_delivery_in_doubt_that_never_went_out_is_posted(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    await sender.send(slack_delivery(BEN))  # someone else's message in another DM

    result = await sender.send(slack_delivery(in_doubt=True))

    assert result.outcome is Outcome.SENT
    assert [c["channel"] for c in slack.calls("chat.postMessage")] == [BEN, ALICE]


async def test_a_long_delivery_in_doubt_resumes_after_the_parts_shown(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    card = Card(text="Your list", facts=tuple(Fact(f"Item {n}", "x") for n in range(600)))
    slack.add_user(ALICE)
    await sender.send(slack_delivery(body=card))
    slack.history.clear()
    first = slack.calls("chat.postMessage")[0]
    slack.history["D00000001"].append({"ts": "1", "metadata": first["metadata"]})

    result = await restarted(slack, clock).send(slack_delivery(body=card, in_doubt=True))

    assert result.outcome is Outcome.SENT
    assert [c["metadata"]["event_payload"]["part"] for c in slack.calls("chat.postMessage")
            ] == [0, 1, 1]


async def test_the_check_failing_retries_without_posting(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    slack.add_response("conversations.open", status=500)

    result = await sender.send(slack_delivery(in_doubt=True))

    assert result.outcome is Outcome.RETRY
    assert slack.call_count("chat.postMessage") == 0


async def test_missing_address_is_undeliverable(slack: FakeSlackAPI, sender: SlackSender) -> None:
    result = await sender.send(slack_delivery(address={"tenant": TEAM}))

    assert result == DeliveryResult.undeliverable("no_address")
    assert slack.call_count("chat.postMessage") == 0


# Pacing ----------------------------------------------------------------------


async def test_same_channel_within_a_second_is_deferred_others_go_at_once(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    await sender.send(slack_delivery(key="a-1"))
    clock.advance(0.25)

    deferred = await sender.send(slack_delivery(key="a-2"))
    to_ben = await sender.send(slack_delivery(BEN, key="b-1"))

    assert deferred.outcome is Outcome.DEFERRED
    assert deferred.reason == "paced"
    assert deferred.retry_after == pytest.approx(0.75)
    assert to_ben.outcome is Outcome.SENT
    assert [c["channel"] for c in slack.calls("chat.postMessage")] == [ALICE, BEN]

    clock.advance(0.75)
    assert (await sender.send(slack_delivery(key="a-2"))).outcome is Outcome.SENT


async def test_workspace_budget_defers_once_spent(slack: FakeSlackAPI, clock: FakeClock) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    sender = SlackSender(client, workspace_per_second=2.0, clock=clock)
    other_team = {"tenant": "T0OTHER", "user_id": "U0CAROL"}

    sent = [await sender.send(slack_delivery(f"U{n}")) for n in range(2)]
    deferred = await sender.send(slack_delivery("U2"))
    elsewhere = await sender.send(slack_delivery("U0CAROL", address=other_team))

    assert all(r.outcome is Outcome.SENT for r in sent)
    assert deferred.outcome is Outcome.DEFERRED
    assert deferred.reason == "paced"
    assert deferred.retry_after == pytest.approx(0.5)
    assert elsewhere.outcome is Outcome.SENT
    assert slack.call_count("chat.postMessage") == 3

    clock.advance(0.5)
    assert (await sender.send(slack_delivery("U2"))).outcome is Outcome.SENT


async def test_a_backlog_waits_in_places_not_all_for_the_next_refill(
    slack: FakeSlackAPI, clock: FakeClock
) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    sender = SlackSender(client, workspace_per_second=2.0, clock=clock)
    for n in range(2):
        await sender.send(slack_delivery(f"U{n}"))  # the budget is spent

    waits = [(await sender.send(slack_delivery(f"U{n}"))).retry_after for n in range(2, 6)]
    same_channel = [(await sender.send(slack_delivery(BEN, key=f"b-{n}"))).retry_after
                    for n in range(2)]

    # Each waiting message has its own place: half a second apart in the workspace...
    assert waits == pytest.approx([0.5, 1.0, 1.5, 2.0])
    # ...and, for one person's DM, a second apart after that.
    assert same_channel == pytest.approx([2.5, 3.5])
    clock.advance(0.5)
    assert (await sender.send(slack_delivery("U2"))).outcome is Outcome.SENT


async def test_concurrent_sends_share_the_workspace_budget(
    slack: FakeSlackAPI, clock: FakeClock
) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    sender = SlackSender(client, workspace_per_second=3.0, clock=clock)

    results = await asyncio.gather(*(sender.send(slack_delivery(f"U{n}")) for n in range(10)))

    assert [r.outcome for r in results].count(Outcome.SENT) == 3
    assert slack.call_count("chat.postMessage") == 3


async def test_crisis_reply_skips_pacing(slack: FakeSlackAPI, clock: FakeClock) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    sender = SlackSender(client, workspace_per_second=1.0, clock=clock)
    await sender.send(slack_delivery(key="ordinary"))

    results = [
        await sender.send(slack_delivery(key=f"crisis-{n}", priority=Priority.CRISIS))
        for n in range(3)
    ]

    assert all(r.outcome is Outcome.SENT for r in results)
    assert slack.call_count("chat.postMessage") == 4
    # Ordinary messages wait out what the crisis replies used.
    assert (await sender.send(slack_delivery(BEN))).reason == "paced"


# Slack's errors --------------------------------------------------------------


async def test_rate_limit_retries_after_what_slack_asked(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock
) -> None:
    slack.add_response("chat.postMessage", status=429, headers={"Retry-After": "7"})

    result = await sender.send(slack_delivery())
    clock.advance(1)
    too_soon = await sender.send(slack_delivery())

    assert result == DeliveryResult.retry(7.0, "rate_limited")
    assert (too_soon.outcome, too_soon.reason) == (Outcome.DEFERRED, "paced")
    assert too_soon.retry_after == pytest.approx(6.0)
    assert slack.call_count("chat.postMessage") == 1


async def test_rate_limit_without_retry_after_waits_thirty_seconds(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    slack.add_response("chat.postMessage", status=429)

    assert await sender.send(slack_delivery()) == DeliveryResult.retry(30.0, "rate_limited")


@pytest.mark.parametrize(
    "code", ["channel_not_found", "user_not_found", "is_archived", "cannot_dm_bot", "user_disabled"]
)
async def test_recipient_gone_is_undeliverable_and_counted(
    slack: FakeSlackAPI, sender: SlackSender, code: str
) -> None:
    slack.add_response("chat.postMessage", json={"ok": False, "error": code})
    slack.add_response("chat.postMessage", json={"ok": False, "error": code})

    first = await sender.send(slack_delivery(ALICE))
    second = await sender.send(slack_delivery(BEN))

    assert first == second == DeliveryResult.undeliverable(code)
    assert sender.undeliverable_counts == {code: 2}
    assert sender.healthy


async def test_account_inactive_of_the_person_is_undeliverable(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    slack.add_response("chat.postMessage", json={"ok": False, "error": "account_inactive"})

    result = await sender.send(slack_delivery())

    assert result == DeliveryResult.undeliverable("account_inactive")
    assert sender.undeliverable_counts == {"account_inactive": 1}
    assert sender.healthy


async def test_account_inactive_of_our_token_marks_sender_unhealthy(
    slack: FakeSlackAPI, sender: SlackSender
) -> None:
    slack.add_response("chat.postMessage", json={"ok": False, "error": "account_inactive"})
    slack.add_response("auth.test", json={"ok": False, "error": "account_inactive"})

    result = await sender.send(slack_delivery())

    assert result == DeliveryResult.retry(300.0, "account_inactive")
    assert sender.health() == {"slack": "degraded: account_inactive"}
    assert not sender.undeliverable_counts


async def test_revoked_token_is_logged_once_until_accepted_again(
    slack: FakeSlackAPI, sender: SlackSender, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        slack.add_response("chat.postMessage", json={"ok": False, "error": "token_revoked"})

    with caplog.at_level(logging.INFO, logger="peerlink.slack"):
        results = [await sender.send(slack_delivery(key=f"k{n}")) for n in range(3)]
        unhealthy = sender.health()
        recovered = await sender.send(slack_delivery(key="k3"))

    assert results == [DeliveryResult.retry(300.0, "token_revoked")] * 3
    assert unhealthy == {"slack": "degraded: token_revoked"}
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "Slack rejected the bot token (token_revoked): reinstall the app or set SLACK_BOT_TOKEN"
    ]
    assert recovered.outcome is Outcome.SENT
    assert sender.healthy
    assert sender.health() == {"slack": "ok"}


async def test_message_text_is_never_logged(
    slack: FakeSlackAPI, sender: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_response("chat.postMessage", json={"ok": False, "error": "user_not_found"})
    slack.add_response("chat.postMessage", json={"ok": False, "error": "msg_too_long"})
    card = Card(text="something private")

    with caplog.at_level(logging.DEBUG, logger="peerlink.slack"):
        await sender.send(slack_delivery(ALICE, body=card))
        await sender.send(slack_delivery(BEN, body=card))

    assert caplog.records
    assert "private" not in caplog.text
    assert "user_not_found" in caplog.text


async def test_unknown_error_fails(slack: FakeSlackAPI, sender: SlackSender) -> None:
    slack.add_response("chat.postMessage", json={"ok": False, "error": "msg_too_long"})

    assert await sender.send(slack_delivery()) == DeliveryResult.failed("msg_too_long")
    assert sender.healthy


async def test_slack_down_is_retried_with_backoff(slack: FakeSlackAPI, sender: SlackSender) -> None:
    slack.add_response("chat.postMessage", json={"ok": False}, status=503)

    result = await sender.send(slack_delivery())

    assert result == DeliveryResult.retry(None, "http_503")


async def test_slow_answer_is_retried_with_backoff(slack: FakeSlackAPI, clock: FakeClock) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url, timeout=0.05)  # type: ignore[arg-type]
    sender = SlackSender(client, clock=clock)
    slack.add_response("chat.postMessage", delay=10.0)

    result = await sender.send(slack_delivery())

    assert result == DeliveryResult.retry(None, "network")


# The fake --------------------------------------------------------------------


async def test_fake_answers_like_slack(slack: FakeSlackAPI) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    slack.add_user("U0FR", email="fr@example.org", locale="fr-CA", tz="Europe/Paris")

    user = (await client.users_info(user="U0FR"))["user"]
    default = (await client.users_info(user="U0ZZ"))["user"]
    dm = (await client.conversations_open(users="U0FR"))["channel"]["id"]
    posted = await client.chat_postMessage(channel="U0FR", text="hi")
    view = (await client.views_open(trigger_id="t", view={"type": "modal", "blocks": []}))["view"]

    assert (user["profile"]["email"], user["locale"], user["tz"]) == (
        "fr@example.org",
        "fr-CA",
        "Europe/Paris",
    )
    assert (default["tz"], default["locale"], default["team_id"]) == (
        "America/Toronto",
        "en-US",
        TEAM,
    )
    assert dm.startswith("D")
    assert posted["channel"] == dm
    assert posted["ts"]
    assert view["type"] == "modal"
    assert slack.last("users.info") == {"user": "U0ZZ"}
    assert slack.call_count("users.info") == 2
