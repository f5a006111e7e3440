"""The bot under test: the same Application bot.py builds, polling the emulator over HTTP."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import build_application
from handlers.ptb.context import AnyApplication, core_of
from handlers.ptb.lifecycle import polling
from sibot.core import Core
from sibot.emulator import Emulator
from sibot.settings import Settings, load_settings

TOKEN = "123456789:AAE-sibot-test-token-abcdefghijk"
# The operator of the `admin_bot` fixture (SIBOT_ADMIN_IDS).
ADMIN_ID = 4242
# Holds of "5 seconds" last 50 ms in end-to-end tests.
TEST_HOLD_SCALE = 0.01


class ManualClock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, instant: datetime) -> None:
        self.current = instant


class BotHarness:
    """Starts, stops and restarts the bot on one database against one emulator."""

    def __init__(
        self,
        emulator: Emulator,
        database_url: str,
        clock: ManualClock,
        *,
        chat_sends_per_second: float = 1,
        **settings: Any,
    ):
        self.emulator = emulator
        self.clock = clock
        self.chat_sends_per_second = chat_sends_per_second
        self.settings: Settings = load_settings(
            require_token=False,
            DATABASE_URL=database_url,
            TELEGRAM_API_BASE_URL=emulator.base_url,
            SIBOT_HOLD_TIME_SCALE=TEST_HOLD_SCALE,
            **settings,
        )
        self.application: AnyApplication | None = None
        self._running = AsyncExitStack()

    @property
    def core(self) -> Core:
        assert self.application is not None, "the bot is not running"
        return core_of(self.application)

    async def start(self) -> None:
        self.application = build_application(
            self.settings, clock=self.clock, token=TOKEN,
            chat_sends_per_second=self.chat_sends_per_second,
        )
        await self._running.enter_async_context(polling(self.application, poll_timeout=1))

    async def stop(self) -> None:
        if self.application is None:
            return
        self.application = None
        await self._running.aclose()

    async def restart(self) -> None:
        await self.stop()
        await self.start()
