"""Configuration from the environment or `.env`, read once at the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NAMESMITH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    discord_token: SecretStr | None = None
    # python-telegram-bot's base_url form; point it at a self-hosted Bot API server (or a fake).
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    # Outgoing messages per second across all chats (the Bot API's published limit is 30).
    telegram_overall_rate: float = 30.0

    database: Path = Path("data/namesmith.sqlite3")
    models_dir: Path = Path("data/models")  # retrained styles; they override the shipped ones
    # Platform-neutral keys of the admins: "tg:123,dc:456".
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    rate_limit: int = 10  # requests per user ...
    rate_period: float = 10.0  # ... per this many seconds
    sampling_threads: int = 2
    log_level: str = "INFO"

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value
