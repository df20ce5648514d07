"""One typed settings object, read from the environment once at start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///peerlink.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    host: str = "127.0.0.1"
    port: int = 3978
    # Where people's browsers reach this server (calendar invites are links to it).
    public_url: str = ""
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    config_path: Path | None = None
    crisis_lexicon_dir: Path | None = None  # a program office's extra crisis lexicon files
    web_chat: bool = False
    log_format: str = "json"
    log_level: str = "INFO"
    conversation_ttl: timedelta = timedelta(minutes=30)
    delivery_max_attempts: int = 8
    delivery_lease: timedelta = timedelta(seconds=60)
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = ""
    slack_workspace_per_second: float = 10.0
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    socket_mode: bool = False  # set by `peerlink serve --socket-mode`
    microsoft_app_id: str = ""
    microsoft_app_password: str = field(default="", repr=False)
    microsoft_app_type: str = "MultiTenant"
    microsoft_app_tenant_id: str = ""
    # Teams without authentication, for the Bot Framework Emulator on this machine only.
    teams_unauthenticated: bool = False
    teams_tenant_per_second: float = 30.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_unauthenticated

    @property
    def slack_oauth(self) -> bool:
        """Multi-workspace: each workspace installs the app; tokens come from storage."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token) or self.slack_oauth

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping; bad values raise ConfigError."""
        keys = tuple(k.strip() for k in env.get("PEERLINK_SECRET_KEY", "").split(",") if k.strip())
        config = env.get("PEERLINK_CONFIG", "").strip()
        lexicon_dir = env.get("PEERLINK_CRISIS_LEXICON_DIR", "").strip()
        return cls(
            database_url=database_url(env.get("DATABASE_URL", "")),
            host=env.get("PEERLINK_HOST", "").strip() or "127.0.0.1",
            port=_int(env, "PORT", 3978, 1, 65535),
            public_url=_public_url(env.get("PEERLINK_PUBLIC_URL", "")),
            secret_keys=keys,
            config_path=Path(config) if config else None,
            crisis_lexicon_dir=Path(lexicon_dir) if lexicon_dir else None,
            web_chat=_bool(env, "PEERLINK_WEB_CHAT", False),
            log_format=_choice(env, "PEERLINK_LOG_FORMAT", "json", ("json", "text")),
            log_level=_choice(
                env, "PEERLINK_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            conversation_ttl=timedelta(
                minutes=_int(env, "PEERLINK_CONVERSATION_TIMEOUT_MINUTES", 30, 1, 24 * 60)
            ),
            delivery_max_attempts=_int(env, "PEERLINK_DELIVERY_MAX_ATTEMPTS", 8, 1, 50),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
            slack_app_token=env.get("SLACK_APP_TOKEN", "").strip(),
            slack_api_url=env.get("SLACK_API_URL", "").strip(),
            slack_client_id=env.get("SLACK_CLIENT_ID", "").strip(),
            slack_client_secret=env.get("SLACK_CLIENT_SECRET", "").strip(),
            slack_workspace_per_second=float(
                _int(env, "PEERLINK_SLACK_MESSAGES_PER_SECOND", 10, 1, 1000)
            ),
            microsoft_app_id=env.get("MICROSOFT_APP_ID", "").strip(),
            microsoft_app_password=env.get("MICROSOFT_APP_PASSWORD", "").strip(),
            microsoft_app_type=env.get("MICROSOFT_APP_TYPE", "").strip() or "MultiTenant",
            microsoft_app_tenant_id=env.get("MICROSOFT_APP_TENANT_ID", "").strip(),
            teams_unauthenticated=_bool(env, "PEERLINK_TEAMS_UNAUTHENTICATED", False),
            teams_tenant_per_second=float(
                _int(env, "PEERLINK_TEAMS_MESSAGES_PER_SECOND", 30, 1, 1000)
            ),
        )


_SCHEMES = {
    "postgres": "postgresql+asyncpg",  # what Heroku-style platforms set
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


def check_slack(settings: Settings) -> Settings:
    """Slack needs its signing secret (HTTP) or an app token (Socket Mode) with the bot token."""
    if settings.slack_bot_token and not settings.slack_bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token (xoxb-...)")
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-...)")
    if settings.slack_oauth and not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is required with SLACK_CLIENT_ID")
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        raise ConfigError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together")
    if settings.slack_bot_token and not settings.slack_signing_secret and not (
        settings.socket_mode and settings.slack_app_token
    ):
        raise ConfigError(
            "SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN "
            "(or use --socket-mode with SLACK_APP_TOKEN)"
        )
    if settings.socket_mode and not (settings.slack_app_token and settings.slack_bot_token):
        raise ConfigError("--socket-mode needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN")
    return settings


_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


def check_teams(settings: Settings) -> Settings:
    """The Microsoft app settings hang together (checked before serving)."""
    if not settings.microsoft_app_id:
        return settings
    if not _GUID.fullmatch(settings.microsoft_app_id):
        raise ConfigError("MICROSOFT_APP_ID must be the bot's app id (a GUID)")
    if settings.microsoft_app_type not in _APP_TYPES:
        raise ConfigError(f"MICROSOFT_APP_TYPE must be one of {', '.join(_APP_TYPES)}")
    if settings.microsoft_app_type != "UserAssignedMSI" and not settings.microsoft_app_password:
        raise ConfigError("MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID")
    if settings.microsoft_app_type != "MultiTenant" and not settings.microsoft_app_tenant_id:
        raise ConfigError(
            f"MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_TYPE="
            f"{settings.microsoft_app_type}"
        )
    return settings


def _public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url and not (url.startswith("https://") or url.startswith("http://127.0.0.1")
                    or url.startswith("http://localhost")):
        raise ConfigError("PEERLINK_PUBLIC_URL must be an https:// address (or http://127.0.0.1 "
                          "for a local try)")
    return url


def database_url(raw: str) -> str:
    """The URL with the async driver this program uses; other schemes are refused."""
    raw = raw.strip()
    if not raw:
        return DEFAULT_DATABASE_URL
    scheme, sep, rest = raw.partition("://")
    driver = _SCHEMES.get(scheme.lower()) if sep else None
    if driver is None:
        raise ConfigError(
            "DATABASE_URL must start with postgresql:// (or postgres://) or sqlite:///"
        )
    return f"{driver}://{rest}"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    for option in allowed:
        if raw.lower() == option.lower():
            return option
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
