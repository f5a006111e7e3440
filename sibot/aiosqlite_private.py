"""The private parts of aiosqlite that `sibot.db` reaches into, in one place.

aiosqlite makes every call on a worker thread and has no switch to make it on the caller's.
tests/test_private_apis.py checks these against the installed aiosqlite, so an upgrade that changes
them fails there, loudly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiosqlite


class _CallsAtOnce:
    """Stands where aiosqlite queues each call for its worker thread: the call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, call = item
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            if future is None:
                raise
            future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


def make_calls_at_once(connection: aiosqlite.Connection) -> None:
    """Each call of `connection` runs at once on the caller's thread, none on its worker thread."""
    connection._tx = _CallsAtOnce()  # type: ignore[assignment]  # noqa: SLF001


async def open_without_worker(connection: aiosqlite.Connection) -> aiosqlite.Connection:
    """Open `connection` without starting its worker thread, which `make_calls_at_once` idles."""
    return await connection._connect()  # noqa: SLF001
