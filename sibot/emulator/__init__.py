"""A local Telegram Bot API server for tests, the sandbox and benchmarks; and its Telegram users.

It speaks the Bot API over real HTTP on 127.0.0.1 and keeps Telegram's rules (lengths, callback
data, flood limits, blocked users, one poller at a time), so the bot meets here what it would meet
in production. It imports neither `telegram` nor `handlers`, nor anything else of sibot.

It lives in `sibot/`, not in `tests/`, because it also serves the sandbox (`bot.py --sandbox`: the
bot in a terminal, without a token), a product feature rather than a test tool.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from sibot.emulator.client import Message, NoSuchButton, TelegramUser
from sibot.emulator.faults import Faults
from sibot.emulator.limits import RateLimiter
from sibot.emulator.server import ApiRequest, BotApi
from sibot.emulator.updates import UpdateQueue
from sibot.emulator.webhook import WebhookDelivery
from sibot.emulator.world import StoredMessage, World

__all__ = ["ApiRequest", "Emulator", "Message", "NoSuchButton", "TelegramUser"]


class Emulator:
    """The server, the world it keeps, and the Telegram users who live in it.

    `global_rate` messages a second for the whole bot, `chat_rate` a second per chat with a burst
    of `chat_burst`: Telegram's limits by default; `None` switches a limit off.
    """

    def __init__(
        self,
        token: str,
        *,
        global_rate: int | None = 30,
        chat_rate: float | None = 1.0,
        chat_burst: int = 3,
        seed: int = 0,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.token = token
        bot_number = token.split(":", 1)[0]
        bot_id = int(bot_number) if bot_number.isdigit() else 1
        bot_user = {"id": bot_id, "is_bot": True, "first_name": "sibot", "username": "sibot_bot"}
        self.world = World(bot_user)
        self.updates = UpdateQueue()
        self.faults = Faults(seed)
        self.limits = RateLimiter(
            global_rate=global_rate, chat_rate=chat_rate, chat_burst=chat_burst, clock=_loop_time
        )
        self.api = BotApi(token, bot_user, self.world, self.updates, self.faults, self.limits)
        self.webhook = WebhookDelivery(self.updates, retry_delay=webhook_retry_delay, timeout=10)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """TELEGRAM_API_BASE_URL for the bot: PTB appends the token and the method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def requests(self) -> list[ApiRequest]:
        return self.api.requests

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.api.handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self.api.download)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.webhook.start()

    async def stop(self) -> None:
        self.updates.close()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    def patient(
        self, first_name: str = "Ana", language_code: str | None = "en", user_id: int | None = None
    ) -> TelegramUser:
        """A new Telegram user who can talk to the bot (a patient, as tests see them)."""
        user = self.world.new_user(first_name, language_code, user_id)
        return TelegramUser(self.world, self.updates, user)

    def feed_update(self, body: dict[str, Any]) -> int | None:
        """Queues a raw update (without update_id), such as a channel post or an edited message."""
        for field in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if field in body and "chat" in body[field]:
                self.world.chat_for(body[field]["chat"])
        return self.updates.push(body)

    def sent_messages(self, chat_id: int | None = None) -> list[StoredMessage]:
        """Every message the bot put in a chat (or in one chat), in the order sent."""
        chats = [self.world.chats[chat_id]] if chat_id is not None else self.world.chats.values()
        return [
            event.message for chat in chats for event in chat.events if event.bot_sent and event.message
        ]

    def commands(self, language_code: str = "", scope: str = "default") -> list[dict[str, str]]:
        """The command menu the bot set with setMyCommands."""
        return self.api.commands.get((scope, language_code), [])


def _loop_time() -> float:
    return asyncio.get_running_loop().time()
