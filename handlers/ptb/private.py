"""The few private parts of python-telegram-bot the glue cannot do without, in one place.

PTB offers no public name for these. tests/test_private_apis.py checks each against the installed
PTB, so an upgrade that moves one fails there, loudly, instead of changing the bot's behaviour.
"""

from __future__ import annotations

import datetime as dtm

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import RetryAfter
from telegram.ext import Updater

__all__ = ["DefaultValue", "ODVInput", "retry_after_seconds", "skip_last_poll"]


def skip_last_poll(updater: Updater) -> None:
    """Stop `updater` without the poll PTB makes on stopping to confirm the updates it fetched."""
    updater._Updater__polling_cleanup_cb = None  # type: ignore[attr-defined]  # noqa: SLF001


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asks to wait. The public `retry_after` warns about a PTB 22.2
    deprecation on every read; PTB's own rate limiter reads this attribute too."""
    retry_after: dtm.timedelta = error._retry_after  # noqa: SLF001
    return retry_after.total_seconds()
