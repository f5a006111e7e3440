"""Patients who keep the bot busy, and what the emulator's record says about the run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.world import ChatEvent, StoredMessage, unix_now

from benchmarks.report import percentile

DONE_TIMEOUT = 30.0


@dataclass(slots=True)
class LoadRun:
    """A closed-loop run: at most `in_flight` patients wait for the bot at any moment."""

    pushed_at: dict[int, float] = field(default_factory=dict)  # chat id -> loop time of the update
    done_at: dict[int, float] = field(default_factory=dict)  # chat id -> when the bot's last call came
    unanswered: int = 0

    def figures(self) -> dict[str, Any]:
        latencies = [self.done_at[c] - self.pushed_at[c] for c in self.done_at]
        if not latencies:
            return {"updates": 0, "updates_per_s": None, "p50_ms": None, "p99_ms": None, "unanswered": self.unanswered}
        seconds = max(self.done_at.values()) - min(self.pushed_at.values())
        return {
            "updates": len(latencies),
            "updates_per_s": round(len(latencies) / seconds, 1),
            "p50_ms": _ms(percentile(latencies, 0.5)),
            "p99_ms": _ms(percentile(latencies, 0.99)),
            "unanswered": self.unanswered,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def closed_loop(
    emulator: Emulator,
    patients: Sequence[TelegramUser],
    act: Callable[[TelegramUser], Any],
    finished_by: str,
    in_flight: int,
) -> LoadRun:
    """Each patient acts once (`act` pushes an update); a new one acts when one is answered.

    A patient is answered when the bot's call `finished_by` (such as "editMessageText") for their
    chat has come; its arrival time, from the emulator's record, ends the patient's latency.
    """
    run = LoadRun()
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(in_flight)
    method = finished_by.lower()

    async def one(patient: TelegramUser) -> None:
        async with slots:
            before = len(patient.chat.events)
            run.pushed_at[patient.user_id] = loop.time()
            await act(patient)
            try:
                await patient.chat.changes.wait_until(
                    lambda: True if len(patient.chat.events) > before and _bot_acted(patient, before) else None,
                    DONE_TIMEOUT,
                )
            except TimeoutError:
                run.unanswered += 1

    await asyncio.gather(*(one(patient) for patient in patients))
    by_chat = _last_arrivals(emulator, method, {p.user_id for p in patients})
    run.done_at = {chat: at for chat, at in by_chat.items() if chat in run.pushed_at}
    return run


def _bot_acted(patient: TelegramUser, before: int) -> bool:
    """Whether the bot sent or edited a message in the chat since event `before`."""
    return any(
        event.kind in ("sent", "edited") and event.message is not None and event.message.from_bot
        for event in patient.chat.events[before:]
    )


def _last_arrivals(emulator: Emulator, method: str, chats: set[int]) -> dict[int, float]:
    arrivals: dict[int, float] = {}
    for record in emulator.requests:
        if record.chat_id in chats and record.method.lower() == method and record.status == 200:
            arrivals[record.chat_id] = record.at
    return arrivals


def show_bot_message(emulator: Emulator, patient: TelegramUser, text: str, rows: list[list[tuple[str, str]]]) -> int:
    """Put a message with inline buttons in the chat as if the bot had sent it; its id."""
    chat = patient.chat
    markup = {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]}
    body = {
        "message_id": chat.next_message_id(),
        "from": emulator.api.bot_user,
        "chat": chat.info,
        "date": unix_now(),
        "text": text,
        "reply_markup": markup,
    }
    chat.record(ChatEvent("sent", StoredMessage(body, True, "HTML", markup)))
    return int(body["message_id"])


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the emulator's record says about one fan-out."""

    delivered: int
    too_many_requests: int
    duplicates: int
    lost: int
    first_at: float | None
    last_at: float | None

    @property
    def seconds(self) -> float | None:
        if self.first_at is None or self.last_at is None:
            return None
        return self.last_at - self.first_at

    def rate(self) -> float | None:
        """Messages a second from the first delivered to the last."""
        if self.seconds is None or self.delivered < 2 or self.seconds <= 0:
            return None
        return (self.delivered - 1) / self.seconds


def delivery_of(emulator: Emulator, chat_ids: set[int], method: str = "sendmessage") -> Delivery:
    """Delivered messages, 429s, chats that got more than one and chats that got none."""
    per_chat: dict[int, int] = dict.fromkeys(chat_ids, 0)
    limited = 0
    times: list[float] = []
    for record in emulator.requests:
        if record.chat_id not in per_chat or record.method.lower() != method:
            continue
        if record.status == 429:
            limited += 1
        elif record.status == 200:
            per_chat[record.chat_id] += 1
            times.append(record.at)
    return Delivery(
        delivered=sum(per_chat.values()),
        too_many_requests=limited,
        duplicates=sum(count - 1 for count in per_chat.values() if count > 1),
        lost=sum(1 for count in per_chat.values() if count == 0),
        first_at=min(times, default=None),
        last_at=max(times, default=None),
    )
