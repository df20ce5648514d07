"""Send deliveries to Teams through botbuilder, paced per conversation and per tenant.

A stored conversation reference is continued (``continue_conversation``); a
person with only a tenant and a user id gets a 1:1 chat created first
(``create_conversation``), and its reference comes back in
``DeliveryResult.extra["address"]`` (``{"reference": …}``), which the worker stores.

Pacing never sleeps: a delivery that would go out too soon is handed back as
DEFERRED with the seconds left. Crisis replies skip pacing.

The connector's answers, sorted for the worker:

- 403 (blocked, uninstalled, disabled by an admin): UNDELIVERABLE, counted by reason.
- 404: UNDELIVERABLE (conversation or person not found).
- 429: RETRY after ``Retry-After`` (worker backoff without one); the conversation waits too.
- 412, 502, 503, 504, network errors: RETRY after ``Retry-After`` or with backoff.
- 401, or no token for the bot's credentials: RETRY in 5 min, unhealthy, logged once.
- anything else: FAILED with the status.

Message text is never logged: only delivery keys, conversation ids and statuses.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import requests
from botbuilder.core import CloudAdapterBase, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.render import attachment, render_card, summary
from bot.delivery import Delivery, DeliveryResult
from bot.messages import Platform, Priority

log = logging.getLogger("peerlink.teams")

CHANNEL_ID = "msteams"
TRANSIENT = frozenset({412, 502, 503, 504})
CREDENTIALS_RETRY_AFTER = 300.0
CREDENTIALS_HELP = (
    "the Bot Connector rejected the bot's credentials (%s): "
    "check MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD"
)
_EPSILON = 1e-9  # seconds: a bucket refilled to within float error is full
NETWORK_ERRORS = (
    ClientRequestError,
    requests.RequestException,
    aiohttp.ClientError,
    ConnectionError,
    TimeoutError,
)


class TokenBuckets:
    """One token bucket per key, refilled at ``per_second`` and holding one second's worth.

    Sending may overdraw a bucket (a long body goes as several cards); the
    overdraft is waited out.
    """

    def __init__(self, per_second: float, clock: Callable[[], float]) -> None:
        if per_second <= 0:
            raise ValueError("a rate must be positive")
        self._rate = per_second
        self._burst = max(per_second, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, as of)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may send one message; 0 means now."""
        wait = (1 - self._tokens(key, self._clock())) / self._rate
        return wait if wait > _EPSILON else 0.0

    def take(self, key: str) -> None:
        """Count one message just sent."""
        now = self._clock()
        if len(self._buckets) > 4096:  # forget the full ones: they read as full anyway
            self._buckets = {
                k: v for k, v in self._buckets.items() if self._tokens(k, now) < self._burst
            }
        self._buckets[key] = (self._tokens(key, now) - 1, now)

    def hold(self, key: str, seconds: float) -> None:
        """Teams asked us to wait ``seconds`` before sending to ``key`` again."""
        now = self._clock()
        self._buckets[key] = (min(self._tokens(key, now), 1 - seconds * self._rate), now)

    def _tokens(self, key: str, now: float) -> float:
        tokens, since = self._buckets.get(key, (self._burst, now))
        return min(self._burst, tokens + (now - since) * self._rate)


@dataclass(frozen=True)
class _Target:
    tenant: str
    user_id: str
    service_url: str
    reference: ConversationReference | None

    @property
    def conversation(self) -> str:
        """The pacing key: the conversation when known, else the person."""
        if self.reference is not None and self.reference.conversation is not None:
            return str(self.reference.conversation.id)
        return f"user:{self.user_id}"


class _Posting(Exception):
    """An error raised while posting inside a turn, carried out past the adapter."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


class TeamsSender:
    """A :class:`bot.delivery.PlatformSender` for Microsoft Teams.

    ``Delivery.address`` is ``{"tenant": tenant_id, "user_id": aad_or_teams_id}``
    with ``"reference"`` (``ConversationReference.serialize()``) when known, and
    optionally ``"service_url"`` (else the reference's, else ``service_url``
    given here). A body too long for one card goes as several, in order; a retry
    resumes after the last one posted, and a key already delivered is not sent again.
    """

    platform: Platform = Platform.TEAMS

    def __init__(
        self,
        adapter: CloudAdapterBase,
        app_id: str,
        *,
        per_conversation_per_second: float = 7.0,
        tenant_per_second: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        service_url: str = "",
        keys_kept: int = 10_000,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._service_url = service_url
        self._conversations = TokenBuckets(per_conversation_per_second, clock)
        self._tenants = TokenBuckets(tenant_per_second, clock)
        self._keys_kept = keys_kept
        self._posted: OrderedDict[str, int] = OrderedDict()  # key -> cards posted
        # 1:1 chats created here, until the caller stores their reference.
        self._created: OrderedDict[tuple[str, str], ConversationReference] = OrderedDict()
        self._credentials_error = ""
        self.healthy = True
        self.undeliverable_counts: Counter[str] = Counter()

    async def send(self, delivery: Delivery) -> DeliveryResult:
        target = self._target(delivery.address)
        if target is None:
            return self._undeliverable(delivery, "", "no_address")
        cards = render_card(delivery.body)
        done = self._posted.get(delivery.key, 0)
        if done >= len(cards):
            return DeliveryResult.sent()
        if delivery.priority > Priority.CRISIS:
            wait = max(
                self._conversations.wait(target.conversation), self._tenants.wait(target.tenant)
            )
            if wait > 0:
                return DeliveryResult.defer(wait)
        activities = [_activity(card, summary(delivery)) for card in cards[done:]]
        created: list[ConversationReference] = []
        try:
            await self._deliver(target, activities, delivery.key, done, created)
            result = DeliveryResult.sent()
        except _Posting as exc:
            result = self._rejected(delivery, target, exc.cause, creating=False)
        except (HttpOperationError, PermissionError, *NETWORK_ERRORS) as exc:
            result = self._rejected(delivery, target, exc, creating=True)
        if created:
            result = replace(result, extra={"address": {"reference": created[0].serialize()}})
        return result

    @property
    def adapter(self) -> CloudAdapterBase:
        """The Bot Framework adapter, shared with the inbound side."""
        return self._adapter

    def health(self) -> dict[str, str]:
        """For ``/healthz``: ``{"teams": "ok"}`` or ``{"teams": "degraded: <reason>"}``."""
        return {"teams": "ok" if self.healthy else f"degraded: {self._credentials_error}"}

    # --- Sending ---------------------------------------------------------------------

    async def _deliver(
        self,
        target: _Target,
        activities: Sequence[Activity],
        key: str,
        done: int,
        created: list[ConversationReference],
    ) -> None:
        """Post ``activities`` in the person's 1:1 chat, creating it first if needed.

        Errors while posting come out as :class:`_Posting`: inside the turn they are
        caught, so the adapter's ``on_turn_error`` never answers a proactive turn.
        """
        failure: list[Exception] = []

        async def post(context: TurnContext) -> None:
            context.on_send_activities(_new_messages)
            try:
                for index, activity in enumerate(activities, start=done + 1):
                    await context.send_activity(activity)
                    self._sent(target, key, index)
            except Exception as exc:
                failure.append(exc)

        async def create_then_post(context: TurnContext) -> None:
            reference = _reference_of(context.activity, target)
            created.append(reference)
            self._remember_created(target, reference)
            await post(context)

        if target.reference is not None:
            await self._adapter.continue_conversation(target.reference, post, self._app_id)
        else:
            await self._adapter.create_conversation(
                self._app_id,
                create_then_post,
                _personal_chat(self._app_id, target),
                CHANNEL_ID,
                target.service_url,
            )
        if failure:
            raise _Posting(failure[0])

    def _sent(self, target: _Target, key: str, posted: int) -> None:
        self._conversations.take(target.conversation)
        self._tenants.take(target.tenant)
        self._posted[key] = posted
        self._posted.move_to_end(key)
        if len(self._posted) > self._keys_kept:
            self._posted.popitem(last=False)
        self._credentials_accepted()

    def _target(self, address: Mapping[str, Any]) -> _Target | None:
        tenant = str(address.get("tenant") or "")
        # Teams' own member id ("29:…") opens a chat; the AAD object id is the fallback.
        user_id = str(address.get("member_id") or address.get("user_id") or "")
        stored = address.get("reference")
        reference = (
            ConversationReference.deserialize(stored)
            if isinstance(stored, Mapping) and stored
            else self._created.get((tenant, user_id))
        )
        service_url = str(
            address.get("service_url")
            or (reference.service_url if reference is not None else "")
            or self._service_url
        )
        if reference is None and not (tenant and user_id and service_url):
            return None
        if reference is not None and not tenant:
            tenant = str(getattr(reference.conversation, "tenant_id", "") or "")
        return _Target(tenant, user_id, service_url, reference)

    def _remember_created(self, target: _Target, reference: ConversationReference) -> None:
        self._created[(target.tenant, target.user_id)] = reference
        if len(self._created) > self._keys_kept:
            self._created.popitem(last=False)

    # --- Errors ----------------------------------------------------------------------

    def _rejected(
        self, delivery: Delivery, target: _Target, exc: Exception, *, creating: bool
    ) -> DeliveryResult:
        conversation = target.conversation
        if isinstance(exc, PermissionError):  # botbuilder found no token for our credentials
            return self._credentials_rejected("no_token")
        if not isinstance(exc, HttpOperationError):
            if not isinstance(exc, NETWORK_ERRORS):
                raise exc
            log.warning(
                "teams delivery %s to %s: network error %s",
                delivery.key,
                conversation,
                type(exc).__name__,
            )
            return DeliveryResult.retry(None, "network")
        status, after = _status(exc)
        if status == 401:
            return self._credentials_rejected("401")
        if status == 403:
            return self._undeliverable(delivery, conversation, "blocked_or_uninstalled")
        if status == 404:
            reason = "user_not_found" if creating else "conversation_not_found"
            return self._undeliverable(delivery, conversation, reason)
        if status == 429:
            if after is not None:
                self._conversations.hold(conversation, after)
            log.info(
                "teams delivery %s to %s: rate limited for %ss", delivery.key, conversation, after
            )
            return DeliveryResult.retry(after, "rate_limited")
        if status in TRANSIENT:
            log.warning(
                "teams delivery %s to %s: Teams unavailable (%s)",
                delivery.key,
                conversation,
                status,
            )
            return DeliveryResult.retry(after, f"http_{status}")
        log.warning("teams delivery %s to %s failed: %s", delivery.key, conversation, status)
        return DeliveryResult.failed(str(status))

    def _credentials_rejected(self, reason: str) -> DeliveryResult:
        if self.healthy:
            log.error(CREDENTIALS_HELP, reason)
        self.healthy = False
        self._credentials_error = reason
        return DeliveryResult.retry(CREDENTIALS_RETRY_AFTER, "credentials_rejected")

    def _credentials_accepted(self) -> None:
        if not self.healthy:
            log.info("the Bot Connector accepts the bot's credentials again")
        self.healthy = True
        self._credentials_error = ""

    def _undeliverable(self, delivery: Delivery, conversation: str, reason: str) -> DeliveryResult:
        self.undeliverable_counts[reason] += 1
        log.info("teams delivery %s to %s undeliverable: %s", delivery.key, conversation, reason)
        return DeliveryResult.undeliverable(reason)


def _activity(card: dict[str, Any], notification: str) -> Activity:
    """One card as a message; ``summary`` is what notifications show, never the card.

    No ``text``: Teams would show it above the card. A card with nothing on it
    goes as its neutral summary instead.
    """
    if not card.get("body") and not card.get("actions"):
        return Activity(type=ActivityTypes.message, text=notification, summary=notification)
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment.deserialize(attachment(card))],
        summary=notification,
    )


async def _new_messages(
    context: TurnContext, activities: list[Activity], send: Callable[[], Awaitable[None]]
) -> None:
    # botbuilder addresses proactive sends as replies to the synthetic id of the
    # continuation event; a notification is a new message in the chat.
    for activity in activities:
        activity.reply_to_id = None
    await send()


def _personal_chat(app_id: str, target: _Target) -> ConversationParameters:
    return ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=f"28:{app_id}"),
        members=[ChannelAccount(id=target.user_id)],
        tenant_id=target.tenant,
        channel_data={"tenant": {"id": target.tenant}},
    )


def _reference_of(created: Activity, target: _Target) -> ConversationReference:
    """The reference of a 1:1 chat just created, for later deliveries to continue."""
    return ConversationReference(
        user=ChannelAccount(id=target.user_id),
        bot=created.recipient,
        conversation=ConversationAccount(
            id=created.conversation.id,
            tenant_id=target.tenant,
            conversation_type="personal",
            is_group=False,
        ),
        channel_id=CHANNEL_ID,
        service_url=target.service_url,
    )


def _status(exc: HttpOperationError) -> tuple[int, float | None]:
    """HTTP status and ``Retry-After`` seconds of a connector error.

    msrest keeps the transport's response: ``requests.Response`` (``status_code``)
    with botbuilder's default pipeline, an aiohttp response (``status``) with others.
    """
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", 0) or 0
    headers = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return int(status), max(float(value), 0.0)
            except ValueError:
                break
    return int(status), None
