"""Logging set-up: text or JSON lines, and never a secret in any of them."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import quote

_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


# PostgreSQL's error detail quotes the row a statement failed on: "Key (patient_id)=(42)",
# "Failing row contains (42, Ana, ...)", names and health data included.
_ROW_DETAIL = re.compile(r"^DETAIL: .*$", re.MULTILINE)


class Redact(logging.Filter):
    """Replaces the bot token (and any other secret given) wherever it shows up in a record: the
    message, every `extra=` field, the traceback and the stack; and hides a database error's row."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(
            {form for secret in secrets for form in _spellings(secret) if form}, key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redacted(record.getMessage()), None
        # aiohttp's access log puts the request line in `extra`, and a webhook path may be the token.
        for field, value in vars(record).items():
            if field not in _RECORD_FIELDS:
                setattr(record, field, self._redacted(value))
        # A traceback can quote a request URL, and a Bot API URL carries the token.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = self._redacted(record.exc_text)
        record.stack_info = self._redacted(record.stack_info)
        return True

    def _redacted(self, value: Any) -> Any:
        if isinstance(value, str):
            if "DETAIL:" in value:
                value = _ROW_DETAIL.sub("DETAIL:  [hidden]", value)
            for secret in self.secrets:
                value = value.replace(secret, "[redacted]")
            return value
        if isinstance(value, dict):
            return {key: self._redacted(item) for key, item in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self._redacted(item) for item in value]
        if value is None or isinstance(value, (int, float)):
            return value
        # Any other object is written as its str(), which could quote a secret.
        written = str(value)
        return value if written == self._redacted(written) else self._redacted(written)


def _spellings(token: str) -> tuple[str, ...]:
    """The token, percent-encoded as a URL carries it ("123%3AABC"), and its secret part alone:
    the part before the colon is the bot's public id, the part after it is the password."""
    return token, quote(token, safe=""), token.rpartition(":")[2]


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
    handler.addFilter(Redact(secrets))
    return handler


# The bot's own loggers. Every other one (PTB, aiohttp, SQLAlchemy, APScheduler, fontTools, ...)
# stays at WARNING whatever the bot's level: PTB's and httpx's debug lines quote whole requests,
# message texts and Bot API URLs (the token) included, and fontTools writes the glyphs of a report.
OWN_LOGGERS = ("sibot", "handlers")


def set_levels(level: str) -> None:
    """The bot's own lines at `level`; every library's at WARNING or above, unless a library's
    logger is given a level of its own."""
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    # Through the log, never straight to stderr: PTB's InvalidToken quotes the token.
    logging.getLogger("sibot").critical("stopped by an unexpected error", exc_info=(kind, error, traceback))


def configure_logging(level: str, fmt: str, secrets: list[str]) -> None:
    """Route every log line, warning and uncaught exception to stderr in the chosen format, with
    secrets redacted."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(sys.stderr, fmt, secrets)]
    set_levels(level)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
