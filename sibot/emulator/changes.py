"""A broadcast wake-up for coroutines that wait until some state holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    """Waiters re-check their condition whenever `notify()` is called; no polling.

    Unlike asyncio.Condition, `notify()` is a plain call, so synchronous code can wake waiters.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_until(self, ready: Callable[[], T | None], timeout: float | None) -> T:
        """The first non-None result of `ready()`; raises TimeoutError after `timeout` seconds.

        `ready()` may raise to end the wait with an error.
        """
        async with asyncio.timeout(timeout):
            while (result := ready()) is None:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)
            return result
