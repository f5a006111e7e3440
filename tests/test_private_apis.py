"""The private parts of PTB and aiosqlite the bot reaches into are still there, as they were.

Each is used in one place (handlers/ptb/private.py, sibot/aiosqlite_private.py); an upgrade that
moves or changes one fails here, by name, before it changes the bot's behaviour. What each is for
is tested where it matters: tests/test_webhook.py (a second poller), tests/test_transport.py (429s),
and every test on SQLite.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import inspect
import sqlite3
import threading
import warnings
from queue import SimpleQueue

import aiosqlite
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import Updater
from telegram.request import BaseRequest

from handlers.ptb.private import DefaultValue, retry_after_seconds, skip_last_poll
from sibot.aiosqlite_private import open_without_worker, replace_call_queue
from sibot.db import LockWatch, _CallsAtOnce
from tests.harness import TOKEN


def test_ptb_still_polls_once_more_on_stopping_through_the_attribute_we_clear() -> None:
    updater = Updater(bot=Bot(TOKEN), update_queue=asyncio.Queue())
    assert updater._Updater__polling_cleanup_cb is None  # type: ignore[attr-defined]
    assert "__polling_cleanup_cb" in inspect.getsource(Updater._stop_polling)
    updater._Updater__polling_cleanup_cb = object()  # type: ignore[attr-defined]
    skip_last_poll(updater)
    assert updater._Updater__polling_cleanup_cb is None  # type: ignore[attr-defined]


def test_retry_after_is_read_in_seconds_without_a_deprecation_warning() -> None:
    whole, fraction = RetryAfter(3), RetryAfter(dtm.timedelta(seconds=1.5))  # PTB 22 warns here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retry_after_seconds(whole) == 3.0
        assert retry_after_seconds(fraction) == 1.5


def test_ptb_marks_a_timeout_not_given_with_its_default_value() -> None:
    assert isinstance(BaseRequest.DEFAULT_NONE, DefaultValue)


async def test_an_aiosqlite_connection_runs_on_the_loop_without_its_worker_thread() -> None:
    connection = aiosqlite.Connection(lambda: sqlite3.connect(":memory:"), iter_chunk_size=64)
    assert isinstance(connection._tx, SimpleQueue)  # what replace_call_queue replaces
    threads = threading.active_count()
    replace_call_queue(connection, _CallsAtOnce(LockWatch()))
    await open_without_worker(connection)
    try:
        async with connection.execute("select 40 + 2") as cursor:
            assert await cursor.fetchone() == (42,)
        assert threading.active_count() == threads
    finally:
        await connection.close()
