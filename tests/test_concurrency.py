"""The update processor, driven directly through PTB's `process_update` contract: one chat in
order, chats side by side, and one chat's backlog in one shared slot at most."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from handlers.ptb.concurrency import PerChatUpdateProcessor

SLOTS = 16


def _update(number: int, chat_id: int) -> Update:
    user = User(chat_id, "Pat", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(number, message=Message(number, datetime.now(UTC), chat, from_user=user, text="/help"))


class Handling:
    """Stands in for PTB's handlers: records which updates started, finishes them on request."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self._done: dict[int, asyncio.Event] = {}

    async def handle(self, number: int) -> None:
        self.started.append(number)
        await self._done.setdefault(number, asyncio.Event()).wait()

    def finish(self, number: int) -> None:
        self._done.setdefault(number, asyncio.Event()).set()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_chats_backlog_holds_one_slot_and_another_chat_goes_at_once() -> None:
    processor = PerChatUpdateProcessor(SLOTS)
    handling = Handling()
    flood = [
        asyncio.create_task(processor.process_update(_update(n, 1), handling.handle(n)))
        for n in range(3 * SLOTS)
    ]
    other = asyncio.create_task(processor.process_update(_update(1000, 2), handling.handle(1000)))
    await _settle()
    assert handling.started == [0, 1000]
    assert processor.current_concurrent_updates == 2
    handling.finish(1000)
    await other
    for number in range(3 * SLOTS):  # the flooding chat, in its order, one at a time
        await _settle()
        assert handling.started == [0, 1000, *range(1, number + 1)]
        assert processor.current_concurrent_updates == 1
        handling.finish(number)
    await asyncio.gather(*flood)
    assert processor.current_concurrent_updates == 0


async def test_different_chats_share_the_slots() -> None:
    processor = PerChatUpdateProcessor(SLOTS)
    handling = Handling()
    tasks = [
        asyncio.create_task(processor.process_update(_update(n, 100 + n), handling.handle(n)))
        for n in range(SLOTS + 4)
    ]
    await _settle()
    assert handling.started == list(range(SLOTS))
    for number in range(SLOTS + 4):
        handling.finish(number)
    await asyncio.gather(*tasks)
    assert sorted(handling.started) == list(range(SLOTS + 4))
