"""The flood limit: every user's updates take tokens from a bucket of their own, and an update
that finds too few is dropped at the door, before it waits for its chat's turn.

The numbers, and why:
- `RATE_PER_SECOND` = 1: Telegram lets the bot write to a chat about once a second, so a user
  whose updates come faster than that for long only builds a backlog of answers to wait through.
  A patient who waits for each answer (a session's Next, the diary's buttons) never goes faster
  than the answers come, and never runs short.
- `BURST` = 10: what a person does at once: a double tap (2), a message sent again because the
  answer was slow, tapping ahead through a few steps, an album of up to 10 photos.
- `HEAVY_COST` = 3 for /report, /progress and /export, which draw a PDF or a chart (many times
  the CPU of /help: see benchmarks/README.md): all three in a row still
  fit in the burst; a flood of them gets one every 3 s.
- `NOTICE_INTERVAL` = 10 s, the time an empty bucket takes to fill up: a user's first update
  held back opens a window this long, in which they get one "one moment" message at most. A
  button press held back gets a short toast each time instead: Telegram wants an answer to every
  press anyway, or the button keeps spinning.

Dropped updates get no log line each: one line when a window opens, and one with the count of
updates dropped in it once it is over (or the bot stops), with the user's id only.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Chat, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from handlers.gate import command_of
from handlers.ptb.concurrency import PerChatUpdateProcessor
from handlers.ptb.context import AnyApplication, chosen_language, core_of
from handlers.ptb.transport import TokenBucket, acknowledge
from sibot import patients
from sibot.ports import Clock
from sibot.texts import text

log = logging.getLogger("sibot.floods")

RATE_PER_SECOND = 1.0
BURST = 10
HEAVY_COST = 3
HEAVY_COMMANDS = frozenset({"report", "progress", "export"})
NOTICE_INTERVAL = 10.0


@dataclass(slots=True)
class _Sender:
    bucket: TokenBucket
    window_ends: float = float("-inf")  # a flood's window opens at its first drop
    dropped: int = 0  # in the current window
    noticed: bool = False  # whether the window's "one moment" message went out


class _Seconds:
    """Seconds counted on whichever clock moved further since the last look: the monotonic
    clock, or the core's clock, which tests move by hand. In production the two move together,
    and a wall clock set back changes nothing."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._wall = clock.now()
        self._monotonic = time.monotonic()
        self._seconds = 0.0

    def __call__(self) -> float:
        wall, monotonic = self._clock.now(), time.monotonic()
        self._seconds += max(0.0, (wall - self._wall).total_seconds(), monotonic - self._monotonic)
        self._wall, self._monotonic = wall, monotonic
        return self._seconds


class FloodLimit:
    """A token bucket per user, forgotten once it is full again and its flood window over."""

    def __init__(
        self, clock: Clock, chosen_language: Callable[[int], str | None] = lambda _: None
    ) -> None:
        self._seconds = _Seconds(clock)
        self._chosen_language = chosen_language  # a user's language in /settings, if known
        self._senders: OrderedDict[int, _Sender] = OrderedDict()

    async def let_in(self, update: object) -> bool:
        """Whether the update goes on; one held back is answered here, cheaply."""
        user = update.effective_user if isinstance(update, Update) else None
        if user is None or _forged(update.effective_chat, user.id):
            return True
        assert isinstance(update, Update)
        if self.admit(user.id, cost_of(update)):
            return True
        # Their choice in /settings, noted by the gatekeeper: no database read per dropped update.
        language = self._chosen_language(user.id) or patients.language_for(user.language_code)
        chat = update.effective_chat
        if update.callback_query is not None:
            await acknowledge(update.callback_query, text(language, "common.flood_toast"))
        elif update.message is not None and chat is not None and chat.type == ChatType.PRIVATE:
            if self.notice_due(user.id):
                await _send_notice(update, chat.id, text(language, "common.flood_notice"))
        return False

    def admit(self, user_id: int, cost: int) -> bool:
        """Take the update's tokens from the user's bucket; False when there are too few."""
        now = self._seconds()
        self._forget_settled(now)
        sender = self._senders.get(user_id)
        if sender is None:
            sender = self._senders[user_id] = _Sender(TokenBucket(RATE_PER_SECOND, BURST, now))
        self._senders.move_to_end(user_id)
        if sender.bucket.ready_at(now, cost) <= now:
            sender.bucket.take(now, cost)
            return True
        if now >= sender.window_ends:
            self._report(user_id, sender)
            sender.window_ends, sender.noticed = now + NOTICE_INTERVAL, False
            log.info("flood limit: holding back a user's updates", extra={"user_id": user_id})
        sender.dropped += 1
        return False

    def notice_due(self, user_id: int) -> bool:
        """Whether the "one moment" message may go to a user held back: once a window."""
        sender = self._senders[user_id]
        due, sender.noticed = not sender.noticed, True
        return due

    def close(self) -> None:
        """Log the counts not logged yet, and forget everyone."""
        for user_id, sender in self._senders.items():
            self._report(user_id, sender)
        self._senders.clear()

    def _forget_settled(self, now: float) -> None:
        # The least recently seen first: stop at the first one still filling up or flooding.
        while self._senders:
            user_id, sender = next(iter(self._senders.items()))
            if sender.bucket.full_at() > now or sender.window_ends > now:
                return
            self._report(user_id, sender)
            del self._senders[user_id]

    @staticmethod
    def _report(user_id: int, sender: _Sender) -> None:
        if sender.dropped:
            log.warning(
                "flood limit: updates dropped",
                extra={"user_id": user_id, "dropped": sender.dropped, "window_s": NOTICE_INTERVAL},
            )
            sender.dropped = 0


def _forged(chat: Chat | None, user_id: int) -> bool:
    """A private chat that is not the sender's own: the sender check (gate) drops the update and
    logs it; it must neither take the named sender's tokens nor draw a notice into that chat."""
    return chat is not None and chat.type == ChatType.PRIVATE and chat.id != user_id


def cost_of(update: Update) -> int:
    """How many tokens an update takes: a drawn chart or PDF more than anything else."""
    return HEAVY_COST if command_of(update.message) in HEAVY_COMMANDS else 1


async def _send_notice(update: Update, chat_id: int, notice: str) -> None:
    try:
        await update.get_bot().send_message(chat_id, notice)
    except TelegramError as exc:
        log.info("the flood notice went unsent: %s", type(exc).__name__)


def register(application: AnyApplication) -> None:
    """Put the flood limit, on the core's clock, at the door of the update processor."""
    processor = application.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    processor.doorkeeper = FloodLimit(
        core_of(application).clock, lambda user_id: chosen_language(application, user_id)
    )
