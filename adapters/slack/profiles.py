"""Who a Slack user is: email, locale, timezone and name from ``users.info``, cached a day."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("peerlink.slack")

DAY_S = 24 * 3600.0


@dataclass(frozen=True)
class Profile:
    email: str = ""
    locale: str = ""
    timezone: str = ""
    name: str = ""


UNKNOWN = Profile()


class ProfileCache:
    """``users.info`` per (team, user), refreshed daily; a failed look-up is retried soon."""

    def __init__(
        self,
        *,
        ttl: float = DAY_S,
        clock: Callable[[], float] = time.monotonic,
        limit: int = 50_000,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._limit = limit
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}

    async def get(self, client: AsyncWebClient, team: str, user: str) -> Profile:
        key = (team, user)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        profile, ttl = await self._fetch(client, user)
        if len(self._cache) >= self._limit:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (now + ttl, profile)
        return profile

    async def _fetch(self, client: AsyncWebClient, user: str) -> tuple[Profile, float]:
        try:
            response = await client.users_info(user=user, include_locale=True)
        except SlackApiError as exc:
            code = exc.response.get("error", "error") if exc.response else "error"
            log.warning("users.info failed", extra={"reason": code})
            return UNKNOWN, 60.0
        except (OSError, TimeoutError):
            log.warning("users.info failed", extra={"reason": "network"})
            return UNKNOWN, 60.0
        data = response.get("user") or {}
        details = data.get("profile") or {}
        profile = Profile(
            email=str(details.get("email") or ""),  # present with users:read.email
            locale=str(data.get("locale") or ""),
            timezone=str(data.get("tz") or ""),
            name=str(details.get("real_name") or data.get("real_name") or ""),
        )
        return profile, self._ttl
