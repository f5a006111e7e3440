"""Every bad setting stops the bot with one line that names it, before anything else happens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sibot.settings import EXAMPLES, Settings, SettingsError, load_settings

GOOD_TOKEN = "123456789:AAE-abcdefghijklmnopqrstuvwxyz012345"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SIBOT_", "WEBHOOK_", "TELEGRAM_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_only_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///sibot.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.admin_ids == frozenset()
    assert settings.default_timezone == "UTC"
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert settings.reminder_grace == timedelta(hours=2)
    assert not settings.webhook_mode
    assert GOOD_TOKEN not in repr(settings)


def test_values_are_read_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/sibot")
    monkeypatch.setenv("SIBOT_ADMIN_IDS", " 1, 22 ,333")
    monkeypatch.setenv("SIBOT_DEFAULT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SIBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("SIBOT_LOG_FORMAT", "JSON")
    monkeypatch.setenv("SIBOT_REMINDER_GRACE", "90m")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("SIBOT_STARTUP_RETRIES", "0.5, 2m")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://u:p@db/sibot"
    assert settings.database_kind == "postgresql"
    assert settings.admin_ids == frozenset({1, 22, 333})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings.reminder_grace == timedelta(minutes=90)
    assert settings.webhook_mode
    assert settings.startup_retries == (0.5, 120.0)


def test_startup_retries_default_to_about_a_minute_and_can_be_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(require_token=False).startup_retries == (1, 2, 4, 8, 16, 30)
    monkeypatch.setenv("SIBOT_STARTUP_RETRIES", "")
    assert load_settings(require_token=False).startup_retries == ()


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nSIBOT_ADMIN_IDS=7\n")
    assert load_settings().admin_ids == frozenset({7})


BAD_VALUES = [
    ("TELEGRAM_BOT_TOKEN", "not-a-token", "does not look like a bot token"),
    ("DATABASE_URL", "mysql://u@h/db", "sibot supports SQLite and PostgreSQL"),
    ("DATABASE_URL", "::::", "is not a database URL"),
    ("TELEGRAM_API_BASE_URL", "ftp://x", "is not an http(s) URL"),
    ("SIBOT_ADMIN_IDS", "12,abc", "must be Telegram user ids"),
    ("SIBOT_DEFAULT_TIMEZONE", "Mars/Olympus", "is not an IANA time zone name"),
    ("SIBOT_LOG_LEVEL", "loud", "is invalid"),
    ("SIBOT_LOG_FORMAT", "xml", "is invalid"),
    ("SIBOT_REMINDER_GRACE", "soon", "is not a duration"),
    ("SIBOT_FOLLOWUP_DELAY", "2 weeks", "is not a duration"),
    ("SIBOT_SEND_RATE", "0", "is invalid"),
    ("SIBOT_HOLD_TIME_SCALE", "fast", "is invalid"),
    ("WEBHOOK_URL", "bot.example.org", "is not an http(s) URL"),
    ("WEBHOOK_PORT", "99999", "is invalid"),
    ("WEBHOOK_SECRET_TOKEN", "has spaces!", "may hold only"),
    ("SIBOT_STARTUP_RETRIES", "1s,soon", "is not a duration"),
]


@pytest.mark.parametrize(("variable", "value", "problem"), BAD_VALUES)
def test_bad_value_names_the_variable_and_shows_a_good_one(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(variable)
    assert problem in message
    assert f"for example {variable}=" in message
    assert "\n" not in message


def test_missing_token_is_required_except_in_the_sandbox() -> None:
    with pytest.raises(SettingsError, match="^TELEGRAM_BOT_TOKEN is required"):
        load_settings()
    assert load_settings(require_token=False).telegram_bot_token is None


def test_the_bot_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    environment = {"PATH": os.environ["PATH"], "SIBOT_ADMIN_IDS": "x"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py")],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sibot: SIBOT_ADMIN_IDS must be Telegram user ids (numbers) separated by commas; "
        "for example SIBOT_ADMIN_IDS=12345678,87654321"
    ]
    assert not (tmp_path / "sibot.db").exists()


def test_migrate_command_creates_the_schema_and_exits_without_a_telegram_token(tmp_path: Path) -> None:
    environment = {"PATH": os.environ["PATH"]}  # migrate never talks to Telegram
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "migrate"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sibot.db").exists()
    assert "database is at the newest revision" in result.stderr


SETTING_VARIABLES = {field.validation_alias for field in Settings.model_fields.values()}
# NAME=value, with the value up to a space, a quote or the end of inline code.
ASSIGNMENT = re.compile(r"\b([A-Z][A-Z_]+)=([^\s`'\"]+)")


def _examples_in(text: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in ASSIGNMENT.findall(text) if name in SETTING_VARIABLES]


@pytest.mark.parametrize(
    ("variable", "value"),
    _examples_in((ROOT / "README.md").read_text(encoding="utf-8")) + _examples_in("\n".join(EXAMPLES.values())),
)
def test_every_example_in_the_readme_and_the_errors_passes_the_checks(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv(variable, value)
    load_settings()


def test_the_readme_token_examples_have_the_shape_of_a_real_token() -> None:
    tokens = [value for name, value in _examples_in((ROOT / "README.md").read_text(encoding="utf-8"))
              if name == "TELEGRAM_BOT_TOKEN"]
    assert len(tokens) >= 3 and all(len(token.split(":")[1]) == 35 for token in tokens)
