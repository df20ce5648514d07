"""Multi-workspace installs: slack-bolt's OAuth flow, with installations kept in storage.

Used when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Each workspace's
bot token is encrypted at rest (storage.installations); a state value is good
for one install attempt, for ten minutes.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from adapters.slack.manifest import OAUTH_REDIRECT_PATH, bot_scopes
from bot.clock import Clock
from storage.db import Database

INSTALL_PATH = "/slack/install"
STATE_TTL = timedelta(minutes=10)

# What is kept of an installation: what Installation(...) takes back.
_FIELDS = (
    "app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token",
    "bot_id", "bot_user_id", "bot_scopes", "user_id", "is_enterprise_install", "token_type",
)


class DatabaseInstallationStore(AsyncInstallationStore):
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def async_save(self, installation: Installation) -> None:
        data: dict[str, Any] = {name: getattr(installation, name) for name in _FIELDS}
        data["installed_at"] = installation.installed_at
        async with self._db.transaction() as uow:
            await uow.installations.save(
                installation.enterprise_id or "", installation.team_id or "", data,
                self._clock.now(),
            )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        async with self._db.transaction() as uow:
            data = await uow.installations.find(
                enterprise_id or "", "" if is_enterprise_install else team_id or ""
            )
        return Installation(**data) if data else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return installation.to_bot() if installation and installation.bot_token else None

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        async with self._db.transaction() as uow:
            await uow.installations.delete(enterprise_id or "", team_id or "")

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        async with self._db.transaction() as uow:
            await uow.oauth_states.issue(state, self._clock.now() + STATE_TTL)
        return state

    async def async_consume(self, state: str) -> bool:
        async with self._db.transaction() as uow:
            return await uow.oauth_states.consume(state[:128], self._clock.now())


def oauth_settings(
    client_id: str, client_secret: str, store: DatabaseInstallationStore,
    states: DatabaseStateStore,
) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(bot_scopes()),
        installation_store=store,
        state_store=states,
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
    )
