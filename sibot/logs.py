"""Logging set-up: text or JSON lines, and never a secret in any of them."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import quote

_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactSecrets(logging.Filter):
    """Replaces the bot token (and any other secret given) wherever it shows up in a record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # A URL carries the token percent-encoded ("123%3AABC"), so both spellings are redacted.
        self.secrets = sorted({form for secret in secrets if secret for form in (secret, quote(secret, safe=""))})

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = self._redacted(record.getMessage()), None
            # A traceback can quote a request URL, and a Bot API URL carries the token.
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._redacted(record.exc_text)
        return True

    def _redacted(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with any `extra=` fields kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines, with `extra=` fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}
        return line + "".join(f" {k}={v}" for k, v in extras.items())


def log_handler(stream: TextIO, fmt: str, secrets: list[str]) -> logging.Handler:
    """The handler every sibot log line goes through: the chosen format, secrets redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactSecrets(secrets))
    return handler


def quiet_chatty_libraries(level: str) -> None:
    # httpx (PTB's default transport, still used by any Bot built without ours) logs every
    # request URL, and a Bot API URL carries the token; PTB's debug lines quote whole requests,
    # message texts included.
    for chatty in ("httpx", "httpcore", "aiohttp.client", "apscheduler", "aiosqlite", "telegram"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def configure_logging(level: str, fmt: str, secrets: list[str]) -> None:
    """Route every logger to stderr in the chosen format, with secrets redacted."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(sys.stderr, fmt, secrets)]
    root.setLevel(level)
    quiet_chatty_libraries(level)
