"""The PTB adapters: a rate limiter that keeps Telegram's flood limits by priority, and the Sender.

How `PriorityRateLimiter` decides who goes next:

- Only calls that put a message in a chat are throttled (`send*` except `sendChatAction`,
  `copyMessage(s)`, `forwardMessage(s)`, `editMessage*`): those are what Telegram's limits count.
  Everything else (`answerCallbackQuery`, `getMe`, `setMyCommands`, `deleteMessage`, ...) runs at
  once, never behind a queue, and a 429 on it is passed to the caller untouched.
- Each chat is a lane: its calls leave strictly in the order they came, one at a time (the next
  starts when the previous has its answer, and the chat's bucket counts each call from its
  answer), at most `chat_per_second` with a burst of
  `chat_burst` in a private chat, and `group_per_minute` without a burst in a group or channel
  (a negative or `@username` chat id). Calls without a chat (inline messages) get a lane each.
- Ready lanes take turns through one bot-wide limit: never more than `overall_per_second` calls in
  any one second, spread out by a token bucket that saves up a tenth of a second's worth (so a
  timer that fires late loses no throughput). The lane whose most
  urgent waiting call has the lowest `Priority` (then the oldest) goes first. A chat's urgent call
  lends its priority to the calls ahead of it in the same chat: they go first to keep the order,
  and a patient's answer never waits behind reminder fan-out to other chats.
- A network fault or a 5xx (not a 400) is tried again twice, after `NETWORK_RETRY_DELAYS`.
- A 429 pauses only the chat it came from, and the call is retried first in its lane after
  `retry_after`, up to `max_retries` times, then the `RetryAfter` is re-raised. Telegram does not
  say whether a 429 is about the chat or the bot, so when two different chats are told to wait at
  the same time we take it as the bot-wide limit and pause the whole queue too.
- A bucket resumes from a pause with a single token: no burst right after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import heapq
import itertools
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterator, Sequence
from typing import Any, TypeAlias, TypedDict

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.warnings import PTBUserWarning

from handlers.ptb.private import retry_after_seconds
from sibot import picture_files
from sibot.core import Core
from sibot.pictures import picture_file, picture_file_name
from sibot.ports import (
    Button,
    OutgoingMessage,
    Priority,
    RecipientBlocked,
    SendError,
    TemporarySendFailure,
)

_LOGGER = logging.getLogger(__name__)
warnings.filterwarnings("ignore", r"Please use 'Bot\.sendMessage'", PTBUserWarning)

ApiResult: TypeAlias = bool | dict[str, Any] | list[dict[str, Any]]
ApiCall: TypeAlias = Callable[..., Coroutine[Any, Any, ApiResult]]

# Seconds to wait before each new try of a send that met a network fault or a 5xx.
NETWORK_RETRY_DELAYS = (0.5, 2.0)
# A timer may fire up to a clock tick early; instants this close are due.
_SLACK_SECONDS = 1e-6


class RateLimitArgs(TypedDict, total=False):
    """What callers may pass as `rate_limit_args` to the bot's methods."""

    priority: Priority


def _is_throttled(endpoint: str) -> bool:
    """Whether the call puts a message in a chat, which is what Telegram's flood limits count."""
    message_endpoints = ("send", "copyMessage", "forwardMessage", "editMessage")
    return endpoint.startswith(message_endpoints) and endpoint != "sendChatAction"


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; a call takes `cost` tokens (one unless
    said)."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._stamp = now

    def _level(self, now: float) -> float:
        return min(self._burst, self._tokens + (now - self._stamp) * self._rate)

    def ready_at(self, now: float, cost: float = 1) -> float:
        """The instant `cost` tokens are there: `now` if they already are."""
        missing = cost - self._level(now)
        return now if missing <= 0 else now + missing / self._rate

    def full_at(self) -> float:
        """The instant the bucket is full again, when forgetting it changes nothing."""
        return self._stamp + (self._burst - self._tokens) / self._rate

    def take(self, now: float, cost: float = 1) -> None:
        self._tokens = self._level(now) - cost
        self._stamp = now

    def pause_until(self, instant: float) -> None:
        """Hold back every token until `instant`, then resume from one token (no burst)."""
        if instant > self._stamp:
            self._tokens = 1
            self._stamp = instant

    def count_from(self, instant: float) -> None:
        """Count the last call from `instant` (its answer) instead of its grant: no tokens come
        back for the time it was on its way."""
        self._stamp = max(self._stamp, instant)


class _BotWideLimit:
    """At most `per_second` calls in any one second, as Telegram counts, spread out by a token
    bucket that saves up a tenth of a second's worth, so a timer that fires late loses nothing.

    Telegram counts a call when it arrives, which is after we grant it and before its answer
    comes. A call is first counted at its grant; once answered, at its answer: the next call may
    go a second after that. No jitter between the grant and the wire, however long on a busy
    machine, can then put one call too many into Telegram's second."""

    __slots__ = ("_bucket", "_recent")

    def __init__(self, per_second: float, now: float) -> None:
        self._bucket = TokenBucket(per_second, max(1.0, per_second / 10), now)
        self._recent: deque[_Counted] = deque(maxlen=max(1, int(per_second)))

    def ready_at(self, now: float) -> float:
        instant = self._bucket.ready_at(now)
        if len(self._recent) == self._recent.maxlen:
            instant = max(instant, self._recent[0].at + 1)
        return instant

    def take(self, now: float) -> _Counted:
        """Count a granted call; tell `answered` when its answer comes."""
        self._bucket.take(now)
        counted = _Counted(now)
        self._recent.append(counted)
        return counted

    def pause_until(self, instant: float) -> None:
        self._bucket.pause_until(instant)


class _Counted:
    """When a call reached Telegram at the latest: its grant, then its answer."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at

    def answered(self, now: float) -> None:
        self.at = max(self.at, now)


class _State(enum.Enum):
    IDLE = enum.auto()  # nothing waiting, nothing in flight
    READY = enum.auto()  # in the ready heap: may send as soon as the bot-wide bucket allows
    DELAYED = enum.auto()  # in the delayed heap: waits for its own bucket
    BUSY = enum.auto()  # one call in flight


class _Request:
    __slots__ = ("future", "priority", "seq")

    def __init__(self, priority: int, seq: int, future: asyncio.Future[None]) -> None:
        self.priority = priority
        self.seq = seq
        self.future = future


class _Lane:
    """The calls to one chat, in order, and the chat's token bucket."""

    __slots__ = ("bucket", "generation", "in_flight", "key", "queue", "seqs_by_priority", "state")

    def __init__(self, key: Hashable, bucket: TokenBucket) -> None:
        self.key = key
        self.bucket = bucket
        self.in_flight: _Counted | None = None  # the bot-wide count of the call in flight
        self.queue: deque[_Request] = deque()
        # the waiting calls' seqs per priority, oldest first: the lane's rank in O(1)
        self.seqs_by_priority: dict[int, deque[int]] = {}
        self.state = _State.IDLE
        # bumped on every state change; heap entries from older generations are stale
        self.generation = 0

    def push(self, request: _Request, *, first: bool) -> None:
        seqs = self.seqs_by_priority.setdefault(request.priority, deque())
        if first:
            self.queue.appendleft(request)
            seqs.appendleft(request.seq)
        else:
            self.queue.append(request)
            seqs.append(request.seq)

    def pop_live(self) -> _Request | None:
        """The first waiting call whose caller still waits, dropping cancelled ones."""
        while self.queue:
            request = self.queue.popleft()
            seqs = self.seqs_by_priority[request.priority]
            seqs.popleft()
            if not seqs:
                del self.seqs_by_priority[request.priority]
            if not request.future.done():
                return request
        return None

    def rank(self) -> tuple[int, int]:
        """The priority and age of the most urgent waiting call."""
        priority = min(self.seqs_by_priority)
        return priority, self.seqs_by_priority[priority][0]


class PriorityRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """Keeps Telegram's flood limits, sends by `Priority`, and honours 429s per chat.

    Pass `rate_limit_args={"priority": Priority.REMINDER}` to a bot method to queue the call
    behind interactive ones; without it a call is `Priority.INTERACTIVE`. See the module
    docstring for the rules. Waiting calls cost O(log n) each, whatever the queue's length.
    """

    __slots__ = (
        "_chat_burst",
        "_chat_per_second",
        "_closed",
        "_delayed",
        "_group_per_second",
        "_idle",
        "_lanes",
        "_last_flood",
        "_max_retries",
        "_overall",
        "_overall_per_second",
        "_ready",
        "_sequence",
        "_timer",
    )

    def __init__(
        self,
        *,
        overall_per_second: float = 30,
        chat_per_second: float = 1,
        chat_burst: int = 3,
        group_per_minute: float = 20,
        max_retries: int = 3,
    ) -> None:
        self._overall_per_second = overall_per_second
        self._chat_per_second = chat_per_second
        self._chat_burst = chat_burst
        self._group_per_second = group_per_minute / 60
        self._max_retries = max_retries
        self._overall: _BotWideLimit | None = None
        self._lanes: dict[Hashable, _Lane] = {}
        self._ready: list[tuple[tuple[int, int], int, _Lane]] = []
        self._delayed: list[tuple[float, int, _Lane]] = []
        self._idle: list[tuple[float, int, _Lane]] = []
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._last_flood: tuple[Hashable, float] | None = None
        self._closed = False

    async def initialize(self) -> None:
        """Open for calls (again, after a shutdown)."""
        self._closed = False

    async def shutdown(self) -> None:
        """Fail the calls still waiting with a `NetworkError`; calls in flight finish."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for lane in self._lanes.values():
            while (request := lane.pop_live()) is not None:
                request.future.set_exception(
                    NetworkError("The rate limiter shut down before this request was sent")
                )
        self._lanes.clear()
        self._ready.clear()
        self._delayed.clear()
        self._idle.clear()
        self._overall = None
        self._last_flood = None

    async def process_request(
        self,
        callback: ApiCall,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> ApiResult:
        """Call `callback` when its turn comes; retry it after a 429 (see the class)."""
        if not _is_throttled(endpoint):
            return await _with_network_retries(callback, args, kwargs)
        priority = (rate_limit_args or {}).get("priority", Priority.INTERACTIVE)
        lane = self._lane_for(data.get("chat_id"))
        request = self._enqueue(lane, priority, seq=next(self._sequence), first=False)
        attempt = 0
        while True:
            await self._turn(lane, request)
            try:
                return await _with_network_retries(callback, args, kwargs)
            except RetryAfter as exc:
                self._hold_back(lane, exc)
                if attempt == self._max_retries:
                    _LOGGER.warning("%s still rate limited after %d retries", endpoint, attempt)
                    raise
                attempt += 1
                # first in its lane again, before the lane is released: the chat keeps its order
                request = self._enqueue(lane, priority, seq=request.seq, first=True)
            finally:
                self._release(lane)

    def _lane_for(self, chat_id: object) -> _Lane:
        key: Hashable = ("no chat", next(self._sequence)) if chat_id is None else chat_id
        with contextlib.suppress(ValueError, TypeError):
            key = int(chat_id)  # type: ignore[call-overload]
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key, self._chat_bucket(key))
        return lane

    def _chat_bucket(self, key: Hashable) -> TokenBucket:
        now = asyncio.get_running_loop().time()
        if isinstance(key, tuple):  # no chat: only the bot-wide limit applies
            return TokenBucket(self._overall_per_second, 1, now)
        if isinstance(key, int) and key > 0:
            return TokenBucket(self._chat_per_second, self._chat_burst, now)
        # a group or channel: bursts there would break the per-minute limit
        return TokenBucket(self._group_per_second, 1, now)

    def _enqueue(self, lane: _Lane, priority: int, *, seq: int, first: bool) -> _Request:
        if self._closed:
            raise NetworkError("The rate limiter is shut down")
        request = _Request(priority, seq, asyncio.get_running_loop().create_future())
        ranked_as = lane.rank()[0] if lane.state is _State.READY else None
        lane.push(request, first=first)
        now = asyncio.get_running_loop().time()
        if lane.state is _State.IDLE or (ranked_as is not None and priority < ranked_as):
            self._settle(lane, now)
        self._pump()
        return request

    async def _turn(self, lane: _Lane, request: _Request) -> None:
        """Wait until the request may go; a caller cancelled right after its grant frees the lane."""
        try:
            await request.future
        except asyncio.CancelledError:
            if request.future.done() and not request.future.cancelled():
                self._release(lane)
            raise

    def _release(self, lane: _Lane) -> None:
        if self._closed:
            return
        now = asyncio.get_running_loop().time()
        if lane.in_flight is not None:
            lane.in_flight.answered(now)
            # Telegram counts a chat's message when it arrives, as it counts the bot's: a call
            # that took longer on its way than the next would let the two arrive closer than the
            # chat's limit, a 429 would hold the chat back a whole second, and two such at once
            # would pause every chat (see `_hold_back`).
            lane.bucket.count_from(now)
            lane.in_flight = None
        self._settle(lane, now)
        self._pump()

    def _hold_back(self, lane: _Lane, exc: RetryAfter) -> None:
        now = asyncio.get_running_loop().time()
        until = now + retry_after_seconds(exc)
        lane.bucket.pause_until(until)
        _LOGGER.info("429 for chat %s: holding it back until %.3f", lane.key, until)
        if self._last_flood is not None:
            flooded_key, flooded_until = self._last_flood
            if flooded_key != lane.key and flooded_until > now:
                _LOGGER.warning("429s for several chats: pausing all sending until %.3f", until)
                self._bot_wide(now).pause_until(until)
        self._last_flood = (lane.key, until)

    def _bot_wide(self, now: float) -> _BotWideLimit:
        if self._overall is None:
            self._overall = _BotWideLimit(self._overall_per_second, now)
        return self._overall

    def _settle(self, lane: _Lane, now: float) -> None:
        """Put a lane that has nothing in flight where it belongs: idle, ready or delayed."""
        lane.generation = next(self._sequence)
        if not lane.queue:
            lane.state = _State.IDLE
            heapq.heappush(self._idle, (lane.bucket.full_at(), lane.generation, lane))
            return
        ready_at = lane.bucket.ready_at(now)
        if ready_at <= now + _SLACK_SECONDS:
            lane.state = _State.READY
            heapq.heappush(self._ready, (lane.rank(), lane.generation, lane))
        else:
            lane.state = _State.DELAYED
            heapq.heappush(self._delayed, (ready_at, lane.generation, lane))

    def _pump(self) -> None:
        """Grant every call that may go now, and set a timer for the next one."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = now + _SLACK_SECONDS
        overall = self._bot_wide(now)
        while self._delayed and self._delayed[0][0] <= due:
            _, generation, lane = heapq.heappop(self._delayed)
            if generation == lane.generation:
                self._settle(lane, now)
        while self._ready and overall.ready_at(now) <= due:
            _, generation, lane = heapq.heappop(self._ready)
            if generation != lane.generation:
                continue
            request = lane.pop_live()
            if request is None:
                self._settle(lane, now)
                continue
            lane.in_flight = overall.take(now)
            lane.bucket.take(now)
            lane.state = _State.BUSY
            lane.generation = next(self._sequence)
            request.future.set_result(None)
        while self._idle and self._idle[0][0] <= due:
            _, generation, lane = heapq.heappop(self._idle)
            if generation == lane.generation:
                del self._lanes[lane.key]
        self._wake_at(loop, now)

    def _wake_at(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        if self._ready:
            instant = self._bot_wide(now).ready_at(now)
        elif self._delayed:
            instant = self._delayed[0][0]
        else:
            return
        if self._timer is not None:
            if self._timer.when() <= instant:
                return
            self._timer.cancel()
        self._timer = loop.call_at(instant, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()


async def _with_network_retries(callback: ApiCall, args: Any, kwargs: dict[str, Any]) -> ApiResult:
    """A network fault or a 5xx is often gone a moment later. Trying again after a lost answer
    may show a message twice; a patient left without their next step is worse."""
    for delay in NETWORK_RETRY_DELAYS:
        try:
            return await callback(*args, **kwargs)
        except NetworkError as exc:
            if isinstance(exc, BadRequest):  # Telegram's "no": asking again changes nothing
                raise
            _LOGGER.info("network fault, trying again: %s", type(exc).__name__)
        await asyncio.sleep(delay)
    return await callback(*args, **kwargs)


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Render rows of buttons as Telegram's inline keyboard; no rows, no keyboard."""
    return _keyboard(tuple(tuple(row) for row in rows)) if rows else None


# A fan-out sends every patient of a language the same reminder keyboard: building its fifteen
# buttons for each was a tenth of the fan-out's time. PTB's objects are frozen, so one can serve.
@functools.lru_cache(maxsize=1024)
def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    return _BuiltOnce(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


class _BuiltOnce(InlineKeyboardMarkup):
    """A keyboard that keeps the dict PTB sends for it. PTB builds that dict at every send, from
    each button's attributes: a good share of each reminder send's CPU (see benchmarks/README.md).
    The keyboard is frozen, so its dict cannot go out of date."""

    def __init__(self, rows: Sequence[Sequence[InlineKeyboardButton]]) -> None:
        super().__init__(rows)
        with self._unfrozen():
            self._as_sent = super().to_dict()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        return dict(self._as_sent)  # a copy of the top: PTB's callers may add to what they get


async def acknowledge(query: CallbackQuery, notice: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press, the one way every handler does. The answer only stops the button's
    spinner (or shows a short notice), so a failure to send it must not keep the patient from
    what the press did."""
    try:
        await query.answer(notice, show_alert=alert)
    except TelegramError as exc:
        _LOGGER.info("a button press went unanswered: %s", type(exc).__name__)


async def reply(update: Update, message: OutgoingMessage) -> None:
    """Send `message` (HTML, inline buttons) to the chat the update came from."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        message.text, parse_mode=ParseMode.HTML, reply_markup=inline_keyboard(message.buttons)
    )


async def replace_message(query: CallbackQuery, message: OutgoingMessage) -> None:
    """Put `message` in place of the one whose button was tapped."""
    await unless_unchanged(
        query.edit_message_text(
            message.text, parse_mode=ParseMode.HTML, reply_markup=inline_keyboard(message.buttons)
        )
    )


async def unless_unchanged(edit: Awaitable[object]) -> None:
    """Await an edit of a tapped message. A double tap asks for the same edit twice; the first one
    already shows, so Telegram's "not modified" is no error."""
    try:
        await edit
    except BadRequest as error:
        if "message is not modified" not in error.message.lower():
            raise


class TelegramSender:
    """The core's `Sender` over a PTB bot: HTML text, inline buttons, the priority to the limiter.

    It calls sendMessage through `do_api_request` and reads the id from Telegram's answer:
    `send_message` parses the whole answer into a `Message`, keyboard and all, a good share of the
    bot's CPU in the reminder fan-out (see benchmarks/README.md). PTB's warning to use
    `send_message` instead is silenced for this one call.

    A message with a picture goes out as an animation or photo with the text as its caption, by
    the file id stored for this bot (`sibot.picture_files`) or, the first time and once more when
    Telegram refuses that id, as an upload whose new id is stored. Without a core (no store at
    hand), or when Telegram refuses the upload itself, the caption goes out alone, as text: it
    says in words what the picture shows, so the patient's step is never lost.

    Telegram's answers become the core's errors: 403 and "chat not found" (the chat is gone or
    never started the bot; retrying cannot help) are `RecipientBlocked`; timeouts, network faults,
    5xx and a 429 that outlived the limiter's retries are `TemporarySendFailure`; any other
    refusal is `SendError`.
    """

    def __init__(self, bot: ExtBot[Any], core: Core | None = None) -> None:
        self._bot = bot
        self._core = core  # for the stored picture file ids; without it a picture's caption goes alone

    async def send(
        self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
    ) -> int:
        """Send the message and return its id."""
        rate_limit_args = RateLimitArgs(priority=priority) if self._bot.rate_limiter else None
        with _as_send_errors():
            if message.photo is not None:
                return await self._send_photo(chat_id, message, rate_limit_args)
            if message.picture is not None and self._core is not None:
                return await self._send_picture(self._core, chat_id, message, rate_limit_args)
            return await self._send_text(chat_id, message, rate_limit_args)

    async def _send_text(
        self, chat_id: int, message: OutgoingMessage, rate_limit_args: RateLimitArgs | None
    ) -> int:
        sent = await self._bot.do_api_request(
            "sendMessage",
            api_kwargs={
                "chat_id": chat_id,
                "text": message.text,
                "parse_mode": ParseMode.HTML,
                "reply_markup": inline_keyboard(message.buttons),
            },
            rate_limit_args=rate_limit_args,
        )
        return int(sent["message_id"])

    async def _send_photo(
        self, chat_id: int, message: OutgoingMessage, rate_limit_args: RateLimitArgs | None
    ) -> int:
        """A picture drawn for this message alone (a weekly summary's chart): uploaded each time."""
        sent = await self._bot.send_photo(chat_id, message.photo, **self._caption(message, rate_limit_args))
        return sent.message_id

    async def _send_picture(
        self, core: Core, chat_id: int, message: OutgoingMessage, rate_limit_args: Any
    ) -> int:
        """Send a picture by its stored file id, or upload it (once more, if the id is refused)."""
        assert message.picture is not None
        name = message.picture
        send = self._bot.send_animation if name.endswith(".animation") else self._bot.send_photo
        file_id = await picture_files.stored_file_id(core, self._bot.id, name)
        if file_id is not None:
            try:
                sent = await send(chat_id, file_id, **self._caption(message, rate_limit_args))
                return sent.message_id
            except BadRequest as exc:
                if not any(fragment in exc.message.lower() for fragment in _REFUSED_FILE):
                    raise
                _LOGGER.info("Telegram refused a stored picture id; uploading the picture again")
        # the first read of a picture's file is disk work: off the event loop
        data = await asyncio.to_thread(picture_file, name)
        try:
            sent = await send(
                chat_id, data, filename=picture_file_name(name), **self._caption(message, rate_limit_args)
            )
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise
            # the caption says in words what the picture shows: the patient's step goes on
            _LOGGER.warning("Telegram refused a picture upload (%s); its caption goes as text", exc.message)
            return await self._send_text(chat_id, message, rate_limit_args)
        uploaded = sent.animation or sent.document or (sent.photo[-1] if sent.photo else None)
        if uploaded is not None:
            await picture_files.remember_file_id(core, self._bot.id, name, uploaded.file_id)
        return sent.message_id

    @staticmethod
    def _caption(message: OutgoingMessage, rate_limit_args: Any) -> dict[str, Any]:
        return {
            "caption": message.text,
            "parse_mode": ParseMode.HTML,
            "reply_markup": inline_keyboard(message.buttons),
            "rate_limit_args": rate_limit_args,
        }


# What Telegram says when a file id is not (or no longer) good for this bot.
_REFUSED_FILE = ("wrong file identifier", "wrong remote file", "file reference", "wrong type of the web page content")


@contextlib.contextmanager
def _as_send_errors() -> Iterator[None]:
    """Telegram's refusals as the core's errors (see `TelegramSender`)."""
    try:
        yield
    except Forbidden as exc:
        raise RecipientBlocked(exc.message) from exc
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            raise RecipientBlocked(exc.message) from exc
        raise SendError(exc.message) from exc
    except (RetryAfter, NetworkError) as exc:
        raise TemporarySendFailure(exc.message) from exc
    except TelegramError as exc:
        raise SendError(exc.message) from exc
