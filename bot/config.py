"""Configuration from the environment or `.env`, read once at the composition root.

Every value is checked at start: a bad one stops the bot with a message naming the variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "NAMESMITH_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ADMIN = re.compile(r"(tg|dc):-?[0-9]{1,20}|console:local", re.ASCII)
_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})", re.ASCII)
# The same, or a bare ":9108" for every interface.
_LISTEN_ANY = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)?:(?P<port>[0-9]{1,5})", re.ASCII
)
# What Telegram accepts as a webhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}", re.ASCII)


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    discord_token: SecretStr | None = None
    # python-telegram-bot's base_url form; point it at a self-hosted Bot API server (or a fake).
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    # Outgoing messages per second across all chats (the Bot API's published limit is 30).
    telegram_overall_rate: Annotated[float, Field(gt=0, le=100_000)] = 30.0
    # Seconds to wait for Telegram's answer to a send; past it, the reply is not sent again.
    telegram_read_timeout: Annotated[float, Field(gt=0, le=300)] = 15.0
    # Seconds to keep trying to reach the API at start before giving up.
    telegram_start_patience: Annotated[float, Field(ge=0, le=3600)] = 60.0
    # Webhook mode (several replicas behind a load balancer): the public URL Telegram posts
    # updates to; unset, the bot polls. The server listens on host:port at the URL's path, and
    # refuses requests without the secret in X-Telegram-Bot-Api-Secret-Token.
    telegram_webhook_url: HttpUrl | None = None
    telegram_webhook_listen: str = "0.0.0.0:8443"
    telegram_webhook_secret: Annotated[SecretStr | None, Field(validate_default=True)] = None
    # The operator's port: /healthz, /readyz, /metrics (bot/monitor.py). Unset, none is opened.
    metrics_listen: str | None = None

    # Text commands on Discord start with this ("!name Eld 0.7"); slash commands always work.
    discord_prefix: Annotated[str, Field(min_length=1, max_length=5)] = "!"
    # Discord's REST base; point it at a REST proxy (or a fake) for a large deployment or a test.
    discord_api_url: str = "https://discord.com/api/v10"
    # The gateway to connect to; unset, the one Discord names (GET /gateway/bot).
    discord_gateway_url: str | None = None
    # Shards in all (unset: as many as Discord recommends), and the ones this process runs.
    discord_shards: Annotated[int | None, Field(ge=1, le=10_000)] = None
    discord_shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # A role (name or id) whose members may set a server's defaults besides Manage Server.
    discord_admin_role: Annotated[str | None, Field(max_length=100)] = None

    # A SQLite file path, or a postgresql:// URL (a secret: it may hold a password).
    database: SecretStr = SecretStr("data/namesmith.sqlite3")
    models_dir: Path = Path("data/models")  # retrained styles; they override the shipped ones
    # Seconds between looks at models_dir for styles adopted or rolled back by another process
    # sharing it (replicas on a shared volume); 0 turns the watch off.
    models_poll_seconds: Annotated[float, Field(ge=0, le=3600)] = 2.0
    # Platform-neutral keys of the admins: "tg:123,dc:456".
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Retraining from chat (/retrain): the default and the largest time budget, in seconds.
    retrain_seconds: Annotated[int, Field(ge=10, le=86_400)] = 150
    retrain_max_seconds: Annotated[int, Field(ge=10, le=86_400)] = 900

    rate_limit: Annotated[int, Field(ge=1, le=10_000)] = 10  # requests per user ...
    rate_period: Annotated[float, Field(gt=0, le=86_400)] = 10.0  # ... per this many seconds
    # Where rate-limit buckets live: "memory" (one process), "database" (shared by every
    # process on the database), or "auto": the database when it is PostgreSQL, else memory.
    rate_limit_store: Literal["auto", "memory", "database"] = "auto"
    sampling_threads: Annotated[int, Field(ge=1, le=64)] = 2
    log_level: str = "INFO"

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _ADMIN.fullmatch(v)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(b[:30]) for b in bad[:3])} not understood; "
                "write platform keys such as tg:123456789 or dc:123456789012345678"
            )
        return value

    @field_validator("discord_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if value != value.strip() or value.startswith("/"):
            raise ValueError("must be a few visible characters such as ! or ?, not / or spaces")
        return value

    @field_validator("discord_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("must be an http(s) URL such as https://discord.com/api/v10")
        return value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_gateway_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"wss?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("must be a ws(s) URL such as wss://gateway.discord.gg/")
        return value or None

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("discord_admin_role")
    @classmethod
    def _check_admin_role(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @model_validator(mode="after")
    def _check_shards(self) -> Config:
        ids = self.discord_shard_ids
        if ids:
            if self.discord_shards is None:
                raise ValueError(
                    "NAMESMITH_DISCORD_SHARD_IDS needs NAMESMITH_DISCORD_SHARDS (the total count)"
                )
            bad = [i for i in ids if not 0 <= i < self.discord_shards]
            if bad or len(set(ids)) != len(ids):
                raise ValueError(
                    "NAMESMITH_DISCORD_SHARD_IDS must be distinct shard numbers from 0 to "
                    f"{self.discord_shards - 1} (NAMESMITH_DISCORD_SHARDS={self.discord_shards})"
                )
        return self

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        m = _LISTEN.fullmatch(value.strip())
        if not m or not 0 < int(m["port"]) < 65536:
            raise ValueError("write host:port, such as 0.0.0.0:8443 or [::]:8443")
        return value.strip()

    @field_validator("metrics_listen")
    @classmethod
    def _check_metrics_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        m = _LISTEN_ANY.fullmatch(value.strip())
        if not m or not 0 < int(m["port"]) < 65536:
            raise ValueError("write host:port or :port, such as 127.0.0.1:9108 or :9108")
        return value.strip()

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_webhook_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            if info.data.get("telegram_webhook_url") is not None:
                raise ValueError(
                    "required when NAMESMITH_TELEGRAM_WEBHOOK_URL is set: without it anyone who "
                    "finds the URL can post updates as any user; make one with "
                    "`openssl rand -hex 32`"
                )
            return None
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule); "
                "make one with `openssl rand -hex 32`"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @property
    def database_target(self) -> str:
        return self.database.get_secret_value()

    @property
    def telegram_webhook_address(self) -> tuple[str, int]:
        """Where the webhook server listens: (host, port)."""
        m = _LISTEN.fullmatch(self.telegram_webhook_listen)
        assert m is not None  # checked by the validator
        return m["host"].strip("[]"), int(m["port"])

    @property
    def metrics_address(self) -> tuple[str | None, int] | None:
        """Where the operator's port listens: (host, port), host None for every interface; None
        when it is off."""
        if self.metrics_listen is None:
            return None
        m = _LISTEN_ANY.fullmatch(self.metrics_listen)
        assert m is not None  # checked by the validator
        return (m["host"].strip("[]") if m["host"] else None), int(m["port"])

    @property
    def shared_rate_limits(self) -> bool:
        """Whether rate-limit state lives in the database (shared by every replica)."""
        if self.rate_limit_store == "auto":
            return self.database_target.startswith(("postgresql://", "postgres://"))
        return self.rate_limit_store == "database"

    def tokens(self) -> dict[str, str]:
        """The platforms with a token set, and their tokens."""
        found = {"telegram": self.telegram_token, "discord": self.discord_token}
        return {k: v.get_secret_value() for k, v in found.items() if v and v.get_secret_value()}

    def secrets(self) -> list[str]:
        """Everything that must never reach a log, token parts included."""
        out: list[str] = []
        for token in (self.telegram_token, self.discord_token):
            if token and token.get_secret_value():
                value = token.get_secret_value()
                out.append(value)
                _, _, tail = value.partition(":")  # a Telegram token's secret half
                if len(tail) >= 8:
                    out.append(tail)
        if self.telegram_webhook_secret is not None:
            out.append(self.telegram_webhook_secret.get_secret_value())
        password = re.match(r"postgres(?:ql)?://[^:/@]*:([^@]+)@", self.database_target)
        if password:
            out.append(password[1])
        return out


def load() -> Config:
    """The configuration, or ConfigError with one line per bad variable."""
    try:
        return Config()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if not err["loc"]:  # a check across fields: its message names the variables
                lines.append(message)
                continue
            field = str(err["loc"][0])
            secret = any(word in field for word in ("token", "database", "secret"))
            if not secret:  # a secret's value stays out of the message
                message += f" (got {str(err.get('input'))[:40]!r})"
            lines.append(f"{ENV_PREFIX}{field.upper()}: {message}")
        raise ConfigError("; ".join(lines)) from None


class ConfigError(Exception):
    """A configuration value that cannot be used; the message names the variable."""
