"""How updates run: chats side by side, one chat in order, and one log line per update."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseHandler, BaseUpdateProcessor

from handlers.ptb.context import AnyApplication

log = logging.getLogger("sibot.updates")


@dataclass
class UpdateTrace:
    """What became of one update; filled in by the handlers that ran."""

    handlers: list[str] = field(default_factory=list)
    outcome: str = "ok"


_current_trace: contextvars.ContextVar[UpdateTrace | None] = contextvars.ContextVar(
    "sibot_update_trace", default=None
)


def mark_failed() -> None:
    """Called by the error handler: the update being processed ended in an exception."""
    trace = _current_trace.get()
    if trace is not None:
        trace.outcome = "error"


def _traced(name: str, callback: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(callback)
    async def run(update: object, context: Any) -> Any:
        trace = _current_trace.get()
        if trace is not None:
            trace.handlers.append(name)
        return await callback(update, context)

    return run


def trace_handlers(application: AnyApplication) -> None:
    """Wrap every registered callback so the update's log line can name the handler."""
    for group in application.handlers.values():
        for handler in group:
            _trace_handler(handler)


def _trace_handler(handler: BaseHandler[Any, Any, Any]) -> None:
    callback = handler.callback
    name = f"{callback.__module__.removeprefix('handlers.')}.{callback.__qualname__}"
    handler.callback = _traced(name, callback)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return type(update).__name__
    for kind in ("callback_query", "message", "edited_message", "channel_post", "my_chat_member"):
        if getattr(update, kind) is not None:
            return kind
    return "other"


class Doorkeeper(Protocol):
    """Decides, as an update arrives and before it waits for anything, whether it goes on."""

    async def let_in(self, update: object) -> bool:
        """False for an update held back (and answered, if it needs an answer)."""

    def close(self) -> None:
        """The bot stops."""


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One chat in order, chats side by side: a double tap is handled after the first tap, never
    beside it, and one chat's backlog never holds more than one of the shared slots.

    An update first passes the doorkeeper (the flood limit), then waits for its chat's turn, and
    only then takes one of the `max_concurrent_updates` slots. PTB's `process_update` takes the
    slot first: a chat with 50 updates queued then held all 16 slots while they waited for each
    other, and every other chat waited behind them (31 s behind 50 /help, each answer paced at
    Telegram's one message a second per chat)."""

    def __init__(self, max_concurrent_updates: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        self.doorkeeper: Doorkeeper | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiters: dict[int, int] = {}

    # PTB marks this `@final` (for type checkers only): overriding it is the one way to let an
    # update wait for its chat before it takes a slot.
    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        if self.doorkeeper is not None and not await self.doorkeeper.let_in(update):
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never to run: closed, so Python does not warn it was never awaited
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await super().process_update(update, coroutine)
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiters[chat.id] = self._waiters.get(chat.id, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)  # takes a shared slot
        finally:
            # Forget a chat's lock once nobody waits on it, so memory stays flat.
            self._waiters[chat.id] -= 1
            if not self._waiters[chat.id]:
                del self._waiters[chat.id], self._locks[chat.id]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update in its chat's turn and a shared slot, and write its log line."""
        await self._logged(update, coroutine)

    @staticmethod
    async def _logged(update: object, coroutine: Awaitable[Any]) -> None:
        trace = UpdateTrace()
        token = _current_trace.set(trace)
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            _current_trace.reset(token)
            user = update.effective_user if isinstance(update, Update) else None
            log.info(
                "update",
                extra={
                    "kind": update_kind(update),
                    "handler": ",".join(trace.handlers) or "none",
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "outcome": trace.outcome,
                    "user_id": user.id if user else None,
                },
            )

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let the doorkeeper log what it has not logged yet."""
        if self.doorkeeper is not None:
            self.doorkeeper.close()
