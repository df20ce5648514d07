"""Send deliveries to Slack, paced per channel and per workspace, errors sorted for the worker.

Pacing never sleeps: a delivery that would go out too soon is handed back as
RETRY with the seconds left, so one busy channel never holds up anyone else's
message. Crisis replies skip pacing altogether: Slack tolerates a short burst,
and a crisis reply must not wait.

Slack's answers, sorted for the worker:

- HTTP 429: RETRY after ``Retry-After`` (30 s without one); the channel waits too.
- recipient gone (``user_not_found`` …): UNDELIVERABLE, counted by reason.
- bot token rejected (``token_revoked`` …): RETRY in 5 min, unhealthy, logged once.
- Slack briefly down (HTTP 5xx), network error, timeout: RETRY with backoff.
- anything else: FAILED.

A delivery taken again after its process died (``in_doubt``) is looked for in the
DM first (its key is in each message's metadata), so a crash between posting and
recording it does not post it twice.

Message text is never logged: only delivery keys, channel ids and error codes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import notification_text, render_message
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Platform, Priority

log = logging.getLogger("peerlink.slack")

RECIPIENT_GONE = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "account_inactive",
        "is_archived",
        "cannot_dm_bot",
        "user_disabled",
    }
)
TOKEN_REJECTED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
SLACK_UNAVAILABLE = frozenset(
    {"service_unavailable", "fatal_error", "internal_error", "request_timeout"}
)
DEFAULT_RETRY_AFTER = 30.0
TOKEN_RETRY_AFTER = 300.0
# Each message carries its delivery key in Slack's message metadata (never shown to the
# person), so a delivery taken again after a crash can see whether it went out.
METADATA_EVENT = "peerlink_delivery"
HISTORY_CHECKED = 50  # the latest messages of the DM looked at for it
TOKEN_HELP = "Slack rejected the bot token (%s): reinstall the app or set SLACK_BOT_TOKEN"


class Pacer:
    """When Slack will next take a message: per channel, and per workspace (a token bucket).

    Each workspace's bucket refills at ``per_second`` and holds one second's worth
    (at least one message). Sending may overdraw it; the overdraft is waited out.

    A message that must wait is given a place (:meth:`place`): after those already
    waiting for the same channel and the same workspace. A backlog of thousands then
    comes back one place at a time, each message about when it can go, instead of
    all of it every time the budget refills (each return costs the outbox a claim
    and a deferral).
    """

    def __init__(
        self, per_channel_interval: float, per_second: float, clock: Callable[[], float]
    ) -> None:
        if per_second <= 0 or per_channel_interval < 0:
            raise ValueError("pacing needs a positive workspace rate and a non-negative interval")
        self._interval = per_channel_interval
        self._rate = per_second
        self._burst = max(per_second, 1.0)
        self._clock = clock
        self._channel_free_at: dict[str, float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # team -> (tokens, as of)
        # The next free place for a waiting message, per channel and per workspace.
        self._channel_places: dict[str, float] = {}
        self._team_places: dict[str, float] = {}

    def wait(self, team: str, channel: str) -> float:
        """Seconds until ``channel`` in ``team`` may be posted to; 0 means now."""
        now = self._clock()
        channel_wait = self._channel_free_at.get(channel, now) - now
        tokens = self._tokens(team, now)
        team_wait = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
        return max(channel_wait, team_wait, 0.0)

    def place(self, team: str, channel: str) -> float:
        """Seconds until a message that cannot go now should be tried again: its place
        behind the messages already waiting for ``channel`` and for ``team``'s budget."""
        now = self._clock()
        channel_at = max(self._channel_places.get(channel, now),
                         self._channel_free_at.get(channel, now))
        team_at = max(self._team_places.get(team, now),
                      now + max(0.0, (1 - self._tokens(team, now)) / self._rate))
        at = max(channel_at, team_at, now)
        if len(self._channel_places) > 1024:
            self._channel_places = {c: t for c, t in self._channel_places.items() if t > now}
        self._channel_places[channel] = at + self._interval
        self._team_places[team] = at + 1 / self._rate
        return at - now

    def spend(self, team: str) -> None:
        """Count one call against the workspace's budget, as it is made (so concurrent
        sends each see what the others took)."""
        now = self._clock()
        self._buckets[team] = (self._tokens(team, now) - 1, now)

    def posted(self, channel: str) -> None:
        """A message went to ``channel``: the next waits its interval."""
        now = self._clock()
        self._forget_free_channels(now)
        self._channel_free_at[channel] = now + self._interval

    def hold(self, channel: str, seconds: float) -> None:
        """Slack asked us to wait before posting to ``channel`` again."""
        now = self._clock()
        self._channel_free_at[channel] = max(self._channel_free_at.get(channel, now), now + seconds)

    def _tokens(self, team: str, now: float) -> float:
        tokens, since = self._buckets.get(team, (self._burst, now))
        return min(self._burst, tokens + (now - since) * self._rate)

    def _forget_free_channels(self, now: float) -> None:
        if len(self._channel_free_at) > 1024:
            self._channel_free_at = {c: t for c, t in self._channel_free_at.items() if t > now}


class SlackSender:
    """A :class:`bot.delivery.PlatformSender` for Slack.

    ``Delivery.address`` is ``{"tenant": team_id, "user_id": "U…"}``, optionally
    with ``"channel": "D…"`` (the direct-message channel, posted to when known).
    A body too long for one Slack message goes as several, in order; a retry
    resumes after the last one posted, and a key already delivered is not posted
    again.
    """

    platform: Platform = Platform.SLACK

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        per_channel_interval: float = 1.0,
        workspace_per_second: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        keys_kept: int = 10_000,
        tokens: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        self._client = client
        # Multi-workspace: each team's bot token, from the installation store.
        self._tokens = tokens
        self._pacer = Pacer(per_channel_interval, workspace_per_second, clock)
        self._keys_kept = keys_kept
        self._posted: OrderedDict[str, int] = OrderedDict()  # key -> messages posted
        self._token_error = ""
        self.healthy = True
        self.undeliverable_counts: Counter[str] = Counter()

    async def send(self, delivery: Delivery) -> DeliveryResult:
        team = str(delivery.address.get("tenant") or "")
        channel = delivery.address.get("channel") or delivery.address.get("user_id")
        if not isinstance(channel, str) or not channel:
            return self._undeliverable(delivery, "", "no_address")
        if (paced := self._paced(delivery, team, channel)) is not None:
            return paced  # pacing first: a deferral costs nothing
        messages = render_message(delivery.body)
        done = self._posted.get(delivery.key, 0)
        if done >= len(messages):
            return DeliveryResult.sent()
        token: dict[str, Any] = {}
        if self._tokens is not None:
            found = await self._tokens(team)
            if not found:  # the workspace uninstalled the app
                return self._undeliverable(delivery, channel, "not_installed")
            token["token"] = found
        if delivery.in_doubt and delivery.key not in self._posted:
            try:
                done = await self._already_posted(channel, delivery.key, token)
            except SlackApiError as exc:
                return await self._rejected(delivery, channel, exc, token)
            except (aiohttp.ClientError, TimeoutError):
                return DeliveryResult.retry(None, "network")
            if done >= len(messages):
                log.info("slack delivery %s to %s: already posted before a restart",
                         delivery.key, channel)
                return DeliveryResult.sent()
        # Again, with no await before the post: concurrent sends each take their own
        # place in the budget rather than all seeing the same one left.
        if (paced := self._paced(delivery, team, channel)) is not None:
            return paced
        text = notification_text(delivery)
        for index in range(done, len(messages)):
            self._pacer.spend(team)  # Slack counts every call, whatever its answer
            try:
                await self._client.chat_postMessage(
                    channel=channel, text=text, blocks=messages[index] or None,
                    metadata={"event_type": METADATA_EVENT,
                              "event_payload": {"key": delivery.key, "part": index}},
                    **token,
                )
            except SlackApiError as exc:
                return await self._rejected(delivery, channel, exc, token)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning(
                    "slack delivery %s to %s: network error %s",
                    delivery.key,
                    channel,
                    type(exc).__name__,
                )
                return DeliveryResult.retry(None, "network")
            self._pacer.posted(channel)
            self._remember(delivery.key, index + 1)
            self._token_accepted()
        return DeliveryResult.sent()

    def _paced(self, delivery: Delivery, team: str, channel: str) -> DeliveryResult | None:
        """A deferral to this message's place when it cannot go now; crisis replies
        are never paced."""
        if delivery.priority > Priority.CRISIS and self._pacer.wait(team, channel) > 0:
            return DeliveryResult.defer(self._pacer.place(team, channel))
        return None

    async def _already_posted(self, channel: str, key: str, token: dict[str, Any]) -> int:
        """How many parts of ``key`` the DM already shows (a process died between posting
        and recording it): each part carries the key in its message metadata."""
        if not channel.startswith("D"):
            opened = await self._client.conversations_open(users=channel, **token)
            channel = str((opened.get("channel") or {}).get("id", channel))
        history = await self._client.conversations_history(
            channel=channel, limit=HISTORY_CHECKED, include_all_metadata=True, **token)
        parts = [int(payload.get("part", 0))
                 for message in history.get("messages") or []
                 for meta in [message.get("metadata") or {}]
                 if meta.get("event_type") == METADATA_EVENT
                 for payload in [meta.get("event_payload") or {}]
                 if payload.get("key") == key]
        return max(parts) + 1 if parts else 0

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, shared with the event adapter."""
        return self._client

    def health(self) -> dict[str, str]:
        """For ``/healthz``: ``{"slack": "ok"}`` or ``{"slack": "degraded: <code>"}``."""
        return {"slack": "ok" if self.healthy else f"degraded: {self._token_error}"}

    async def _rejected(
        self, delivery: Delivery, channel: str, exc: SlackApiError, token: dict[str, Any]
    ) -> DeliveryResult:
        status, code, headers = _answer(exc)
        if status == 429:
            after = _retry_after(headers)
            self._pacer.hold(channel, after)
            log.info("slack delivery %s to %s: rate limited for %ss", delivery.key, channel, after)
            return DeliveryResult.retry(after=after, reason="rate_limited")
        if code == "account_inactive":
            return await self._account_inactive(delivery, channel, token)
        if code in TOKEN_REJECTED:
            return self._token_rejected(code)
        if status >= 500 or code in SLACK_UNAVAILABLE:
            log.warning(
                "slack delivery %s to %s: Slack unavailable (%s)", delivery.key, channel, code
            )
            return DeliveryResult.retry(None, code)
        self._token_accepted()  # Slack took the token, whatever else it disliked
        if code in RECIPIENT_GONE:
            return self._undeliverable(delivery, channel, code)
        log.warning("slack delivery %s to %s failed: %s", delivery.key, channel, code)
        return DeliveryResult.failed(code)

    async def _account_inactive(
        self, delivery: Delivery, channel: str, token: dict[str, Any]
    ) -> DeliveryResult:
        """Slack says ``account_inactive`` of a deactivated person and of a dead bot token.

        ``auth.test`` tells which.
        """
        try:
            await self._client.auth_test(**token)
        except SlackApiError as exc:
            _, code, _ = _answer(exc)
            if code in TOKEN_REJECTED:
                return self._token_rejected(code)
            return DeliveryResult.retry(None, code)
        except (aiohttp.ClientError, TimeoutError):
            return DeliveryResult.retry(None, "network")
        self._token_accepted()
        return self._undeliverable(delivery, channel, "account_inactive")

    def _token_rejected(self, code: str) -> DeliveryResult:
        if self.healthy:
            log.error(TOKEN_HELP, code)
        self.healthy = False
        self._token_error = code
        return DeliveryResult.retry(after=TOKEN_RETRY_AFTER, reason=code)

    def _token_accepted(self) -> None:
        if not self.healthy:
            log.info("Slack accepts the bot token again")
        self.healthy = True
        self._token_error = ""

    def _undeliverable(self, delivery: Delivery, channel: str, reason: str) -> DeliveryResult:
        self.undeliverable_counts[reason] += 1
        log.info("slack delivery %s to %s undeliverable: %s", delivery.key, channel, reason)
        return DeliveryResult.undeliverable(reason)

    def _remember(self, key: str, posted: int) -> None:
        self._posted[key] = posted
        self._posted.move_to_end(key)
        if len(self._posted) > self._keys_kept:
            self._posted.popitem(last=False)


def _answer(exc: SlackApiError) -> tuple[int, str, Mapping[str, Any]]:
    """HTTP status, Slack error code and headers of a rejected call."""
    response = exc.response
    status: int = getattr(response, "status_code", None) or getattr(response, "status", 0) or 0
    data = getattr(response, "data", None)
    code = data.get("error", "") if isinstance(data, Mapping) else ""
    headers = getattr(response, "headers", None) or {}
    return status, str(code or f"http_{status}"), headers


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER
