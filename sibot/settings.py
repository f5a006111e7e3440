"""Typed settings from the environment, then an optional `.env` file.

A missing or malformed value stops the bot before it touches anything: `load_settings` raises a
`SettingsError` whose message names the variable, says what is wrong and shows a good value.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

# What a good value looks like, shown in the error for a bad one.
EXAMPLES = {
    "TELEGRAM_BOT_TOKEN": "TELEGRAM_BOT_TOKEN=123456789:AAE-your-token-from-BotFather-12345",
    "DATABASE_URL": "DATABASE_URL=postgresql+asyncpg://sibot:secret@db.example.org/sibot",
    "TELEGRAM_API_BASE_URL": "TELEGRAM_API_BASE_URL=https://api.telegram.org/bot",
    "SIBOT_ADMIN_IDS": "SIBOT_ADMIN_IDS=12345678,87654321",
    "SIBOT_DEFAULT_TIMEZONE": "SIBOT_DEFAULT_TIMEZONE=Europe/Berlin",
    "SIBOT_LOG_LEVEL": "SIBOT_LOG_LEVEL=INFO",
    "SIBOT_LOG_FORMAT": "SIBOT_LOG_FORMAT=json",
    "SIBOT_REMINDER_GRACE": "SIBOT_REMINDER_GRACE=2h",
    "SIBOT_FOLLOWUP_DELAY": "SIBOT_FOLLOWUP_DELAY=2h",
    "SIBOT_SEND_RATE": "SIBOT_SEND_RATE=30",
    "SIBOT_HOLD_TIME_SCALE": "SIBOT_HOLD_TIME_SCALE=1",
    "WEBHOOK_URL": "WEBHOOK_URL=https://bot.example.org/telegram",
    "WEBHOOK_LISTEN": "WEBHOOK_LISTEN=0.0.0.0",
    "WEBHOOK_PORT": "WEBHOOK_PORT=8443",
    "WEBHOOK_SECRET_TOKEN": "WEBHOOK_SECRET_TOKEN=a-long-random-string_0123",
    "SIBOT_STARTUP_RETRIES": "SIBOT_STARTUP_RETRIES=1s,2s,4s,8s,16s,30s",
}


class SettingsError(Exception):
    """A setting that is missing or malformed, described in one line for the operator."""


def parse_duration(value: Any) -> timedelta:
    """'2h', '90m', '45s', '1d' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration")
    amount, unit = float(match.group(1)), (match.group(2) or "s").lower()
    return timedelta(seconds=amount * _DURATION_UNITS[unit])


class Settings(BaseSettings):
    """Everything an operator can configure; see the configuration table in the README."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    database_url: str = Field("sqlite+aiosqlite:///sibot.db", validation_alias="DATABASE_URL")
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot", validation_alias="TELEGRAM_API_BASE_URL"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias="SIBOT_ADMIN_IDS"
    )
    default_timezone: str = Field("UTC", validation_alias="SIBOT_DEFAULT_TIMEZONE")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="SIBOT_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field("text", validation_alias="SIBOT_LOG_FORMAT")
    reminder_grace: timedelta = Field(timedelta(hours=2), validation_alias="SIBOT_REMINDER_GRACE")
    followup_delay: timedelta = Field(timedelta(hours=2), validation_alias="SIBOT_FOLLOWUP_DELAY")
    send_rate: float = Field(30.0, gt=0, le=1000, validation_alias="SIBOT_SEND_RATE")
    hold_time_scale: float = Field(1.0, gt=0, le=1, validation_alias="SIBOT_HOLD_TIME_SCALE")
    webhook_url: str | None = Field(None, validation_alias="WEBHOOK_URL")
    webhook_listen: str = Field("0.0.0.0", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(8443, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_secret_token: SecretStr | None = Field(None, validation_alias="WEBHOOK_SECRET_TOKEN")
    # The pauses between tries of a start-up step that meets an outage: about a minute in all,
    # within systemd's 90 s for a start, and the service manager's restart takes over from there.
    startup_retries: Annotated[tuple[float, ...], NoDecode] = Field(
        (1.0, 2.0, 4.0, 8.0, 16.0, 30.0), validation_alias="SIBOT_STARTUP_RETRIES"
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]{20,}", value.get_secret_value()):
            raise ValueError("does not look like a bot token from @BotFather")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        driver = _ASYNC_DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(f"uses {url.drivername!r}; sibot supports SQLite and PostgreSQL")
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("telegram_api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("is not an http(s) URL")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> frozenset[int]:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d+", part) for part in parts):
                raise ValueError("must be Telegram user ids (numbers) separated by commas")
            return frozenset(int(part) for part in parts)
        return frozenset(value)

    @field_validator("default_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name") from None
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if value.lower() in {"debug", "info", "warning", "error"} else value.lower()

    @field_validator("reminder_grace", "followup_delay", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("startup_retries", mode="before")
    @classmethod
    def _comma_separated_durations(cls, value: Any) -> tuple[float, ...]:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        return tuple(parse_duration(pause).total_seconds() for pause in value)

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("may hold only A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @property
    def database_kind(self) -> str:
        """'sqlite' or 'postgresql', for logs that must never show the URL's password."""
        return make_url(self.database_url).get_backend_name()

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None


def _describe(error: dict[str, Any]) -> str:
    variable = str(error["loc"][0]) if error["loc"] else "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is required"
    elif not message.startswith(("is ", "does ", "uses ", "must ", "may ")):
        message = f"is invalid: {message}"
    example = EXAMPLES.get(variable)
    return f"{variable} {message}" + (f"; for example {example}" if example else "")


def load_settings(*, require_token: bool = True, **overrides: Any) -> Settings:
    """Read the settings, or raise SettingsError naming the first bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc.errors()[0])) from None
    if require_token and settings.telegram_bot_token is None:
        raise SettingsError(_describe({"loc": ("TELEGRAM_BOT_TOKEN",), "type": "missing", "msg": ""}))
    return settings
