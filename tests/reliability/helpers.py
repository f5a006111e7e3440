"""What the reliability tests share: a watch on the bot's log records, and row snapshots."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, select

from sibot.db import Database
from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.world import ChatEvent, StoredMessage, unix_now
from sibot.models import Base
from tests.harness import TOKEN

BOT_ID = int(TOKEN.split(":", 1)[0])

Snapshot = dict[str, list[tuple[Any, ...]]]


class LogWatch(logging.Handler):
    """Keeps every log record of the bot, so a test can wait for updates to be handled."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._changed.set()

    def handled(self, since: int = 0) -> list[logging.LogRecord]:
        """The "update" records the bot writes when it is done with an update (from record `since`)."""
        return [
            r for r in self.records[since:] if r.name == "sibot.updates" and r.getMessage() == "update"
        ]

    def failures(self, since: int = 0) -> list[str]:
        """Updates that ended in the error handler, and any error or traceback logged."""
        found = [
            f"{r.levelname} {r.name}: {r.getMessage()}"
            for r in self.records[since:]
            if r.levelno >= logging.ERROR or r.exc_info is not None
        ]
        found += [
            f"an update of user {r.user_id} ended in the error handler"  # type: ignore[attr-defined]
            for r in self.handled(since)
            if r.outcome != "ok"  # type: ignore[attr-defined]
        ]
        return found

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_handled(self, count: int, timeout: float = 15) -> None:
        """Until the bot has handled `count` updates in all."""
        await self.wait_for(lambda: len(self.handled()) >= count, timeout)


@contextmanager
def watching_logs() -> Iterator[LogWatch]:
    watch = LogWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)


def _owner_column(table: Table) -> str | None:
    if "patient_id" in table.c:
        return "patient_id"
    return "id" if table.name == "patients" else None


async def rows_of(db: Database, patient_ids: list[int]) -> Snapshot:
    """Every row of every table that belongs to these patients, in a comparable form."""
    snapshot: Snapshot = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            owner = _owner_column(table)
            if owner is None:
                continue
            result = await session.execute(select(table).where(table.c[owner].in_(patient_ids)))
            snapshot[table.name] = sorted((tuple(row) for row in result), key=repr)
    return snapshot


async def all_rows(db: Database) -> Snapshot:
    """Every row of every table, in a comparable form."""
    snapshot: Snapshot = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            snapshot[table.name] = sorted((tuple(row) for row in await session.execute(select(table))), key=repr)
    return snapshot


def bot_message_with_button(patient: TelegramUser, data: str) -> dict[str, Any]:
    """A message from the bot in the patient's chat that shows a button with `data`."""
    body = {
        "message_id": patient.chat.next_message_id(),
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "sibot", "username": "sibot_bot"},
        "chat": patient.chat.info,
        "date": unix_now(),
        "text": "An older message",
        "reply_markup": {"inline_keyboard": [[{"text": "Tap", "callback_data": data}]]},
    }
    patient.chat.record(ChatEvent("sent", StoredMessage(body, from_bot=True)))
    return body


def press(emulator: Emulator, patient: TelegramUser, data: str, message: dict[str, Any]) -> str:
    """A tap by `patient` on a button with `data` under `message`, whoever's it is; the query id."""
    emulator.world.chat_for(message["chat"])
    query_id = emulator.world.new_callback_query(int(message["chat"]["id"]))
    emulator.feed_update(
        {"callback_query": {"id": query_id, "from": patient.user, "message": message,
                            "chat_instance": str(message["chat"]["id"]), "data": data}}
    )
    return query_id
