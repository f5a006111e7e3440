"""Telegram's flood limits: about 30 messages a second per bot, about one a second per chat."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sibot.emulator.wire import too_many_requests

WINDOW_SECONDS = 1.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A sliding one-second window for the whole bot and a token bucket per chat.

    The attributes can be changed at any time; `None` switches that limit off.
    """

    def __init__(
        self,
        *,
        global_rate: int | None,
        chat_rate: float | None,
        chat_burst: int,
        clock: Callable[[], float],
    ) -> None:
        self.global_rate = global_rate
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self._clock = clock
        self._recent: deque[float] = deque()
        self._buckets: dict[int, _Bucket] = {}

    def acquire(self, chat_id: int) -> None:
        """Counts one message to `chat_id`, or raises 429 with the seconds to wait."""
        now = self._clock()
        wait = max(self._global_wait(now), self._chat_wait(chat_id, now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        if self.global_rate is not None:
            self._recent.append(now)
        if self.chat_rate is not None:
            self._buckets[chat_id].tokens -= 1

    def _global_wait(self, now: float) -> float:
        while self._recent and self._recent[0] <= now - WINDOW_SECONDS:
            self._recent.popleft()
        if self.global_rate is None or len(self._recent) < self.global_rate:
            return 0.0
        return self._recent[-self.global_rate] + WINDOW_SECONDS - now

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if self.chat_rate is None:
            return 0.0
        bucket = self._buckets.setdefault(chat_id, _Bucket(float(self.chat_burst), now))
        refill = (now - bucket.updated) * self.chat_rate
        bucket.tokens = min(float(self.chat_burst), bucket.tokens + refill)
        bucket.updated = now
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.chat_rate
