"""The Telegram side of the start: reach the Bot API and have the token accepted, or say why not.

PTB's `Application.initialize` asks Telegram who the bot is (getMe). `ConnectingApplication`
tries that again while Telegram cannot be reached, and turns a failure into the one-line
StartupFailure of `sibot.startup`, in polling mode, in webhook mode and in the sandbox alike.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.ptb.context import core_of
from sibot.startup import StartupFailure, network_reason, with_retries


class ConnectingApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application whose `initialize` waits out a Telegram that cannot be reached, and
    whose `stop_running` ends `serve_polling` (handlers.ptb.lifecycle)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stop_requested = asyncio.Event()

    def stop_running(self) -> None:
        """Have the bot stop, as a signal would. PTB's own stops the loop its `run_polling` runs
        forever, which sibot does not use: in ours it would end the loop mid-way."""
        self.stop_requested.set()

    async def initialize(self) -> None:
        settings = core_of(self).settings
        host = urlsplit(settings.telegram_api_base_url).netloc
        await with_retries(
            super().initialize, lambda error: telegram_failure(error, host), settings.startup_retries
        )

    async def shutdown(self) -> None:
        await super().shutdown()
        # A failed getMe leaves the bot's HTTP sessions open, and PTB's shutdown skips an
        # application that never initialized: Python would warn of unclosed sessions at exit.
        await self.bot.shutdown()


def telegram_failure(error: Exception, host: str) -> StartupFailure | None:
    """What kept getMe from answering, or None for anything else. Never quotes the token: PTB's
    InvalidToken message holds it, and a transport error's may hold the URL, which holds it too."""
    if isinstance(error, InvalidToken):
        return StartupFailure(
            f"Telegram ({host}) refused the bot token: copy the current token from @BotFather into "
            "TELEGRAM_BOT_TOKEN (and check TELEGRAM_API_BASE_URL if you set it)",
            outage=False,
        )
    if isinstance(error, RetryAfter):
        return StartupFailure(f"Telegram ({host}) asks the bot to wait ({error.retry_after} s)", outage=True)
    if isinstance(error, NetworkError):
        # Without a cause the message is Telegram's own answer ("Bad Gateway").
        reason = network_reason(error) if error.__cause__ is not None else error.message
        return StartupFailure(
            f"cannot reach Telegram at {host} ({reason}); check this host's network "
            "and TELEGRAM_API_BASE_URL",
            outage=True,
        )
    return None
