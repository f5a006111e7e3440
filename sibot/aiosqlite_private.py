"""The private parts of aiosqlite that `sibot.db` reaches into, in one place.

aiosqlite makes every call on a worker thread and has no switch to make it on the caller's.
tests/test_private_apis.py checks these against the installed aiosqlite, so an upgrade that changes
them fails there, loudly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import aiosqlite


class CallQueue(Protocol):
    """Where aiosqlite puts each call (a future, or None, and the call) for its worker thread."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None: ...


def replace_call_queue(connection: aiosqlite.Connection, queue: CallQueue) -> None:
    """Each call of `connection` goes to `queue` instead of to its worker thread."""
    connection._tx = queue  # type: ignore[assignment]  # noqa: SLF001


async def open_without_worker(connection: aiosqlite.Connection) -> aiosqlite.Connection:
    """Open `connection` without starting its worker thread, which `replace_call_queue` idles."""
    return await connection._connect()  # noqa: SLF001
