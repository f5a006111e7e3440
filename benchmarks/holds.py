"""Hold timers under load: patients in exercise holds while a reminder fan-out runs.

Each of the session patients runs a real session (/exercise, Next, ...) and waits out every hold
("hold:<session id>" timers); meanwhile the reminders of the fan-out patients fall due. Lateness
of "Relax" = when it reached Telegram - (when the hold message reached Telegram + the hold).
Baseline in the same run: a bare PTB bot whose holds are plain asyncio timers, doing the bare
fan-out (AIORateLimiter, same limit) in the same process at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sibot.emulator import Emulator, TelegramUser
from sibot.texts import text

from benchmarks.fanout import settled
from benchmarks.load import Delivery, show_bot_message
from benchmarks.profiling import Profiler
from benchmarks.report import Options, percentile, ratio, run, table
from benchmarks.stage import (
    ReminderPlan,
    add_patients,
    bare_process,
    patient_ids,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)

LIMIT = 1000
HOLD_SECONDS = 5  # the patients' setting
HOLD_SCALE = 0.4  # so a "5 s" hold lasts 2 s and each patient holds often
HOLD = HOLD_SECONDS * HOLD_SCALE
REPETITIONS = 10
# A patient reads each step before tapping: without it 100 sessions alone would ask for more
# updates a second than the bot serves, and every timer would be late whatever the fan-out did.
READING_SECONDS = 1.0
SESSION_FIRST_ID = 900_000_001
TARGET_P99_MS = 250.0
# sibot's texts that mark a hold and its end (plain text, as the patient reads them)
HOLD_TIP = "tell you when to relax"
NEXT = text("en", "session.button.next")
SKIP = text("en", "session.button.skip_question")


@dataclass(frozen=True, slots=True)
class Size:
    fan_out: int
    sessions: int
    lead_seconds: float  # from launch until the fan-out is due: time to start and reach the holds


def size_of(options: Options) -> Size:
    return Size(200, 10, 12.0) if options.tiny else Size(5000, 100, 20.0)


def lateness(
    emulator: Emulator, chats: set[int], is_hold: Callable[[str], bool], is_relax: Callable[[str], bool], fan_out: Delivery
) -> dict[str, Any]:
    """Relax lateness in ms, split by whether the hold overlapped the fan-out."""
    during: list[float] = []
    outside: list[float] = []
    hold_at: dict[int, float] = {}
    for record in emulator.requests:
        if record.chat_id not in chats or record.method.lower() != "sendmessage" or record.status != 200:
            continue
        message = str(record.payload.get("text", ""))
        if is_hold(message):
            hold_at[record.chat_id] = record.at
        elif is_relax(message) and record.chat_id in hold_at:
            started = hold_at.pop(record.chat_id)
            late = (record.at - (started + HOLD)) * 1000
            overlaps = (
                fan_out.first_at is not None and fan_out.last_at is not None
                and started <= fan_out.last_at and started + HOLD >= fan_out.first_at
            )
            (during if overlaps else outside).append(late)
    return {
        "relaxes_during_fan_out": len(during),
        "p50_ms": _round(percentile(during, 0.5)),
        "p99_ms": _round(percentile(during, 0.99)),
        "max_ms": _round(max(during, default=None)),
        "relaxes_outside_fan_out": len(outside),
        "outside_p50_ms": _round(percentile(outside, 0.5)),
        "outside_p99_ms": _round(percentile(outside, 0.99)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def practise(patient: TelegramUser) -> None:
    """A patient doing sessions for as long as they are left to: Next after every relax."""
    await patient.send("/exercise")
    while True:
        message = await patient.next_message(timeout=60)
        if HOLD_TIP in message.text:
            continue  # wait for "Relax"
        await asyncio.sleep(READING_SECONDS)
        if NEXT in message.labels:
            await patient.tap(NEXT)
        elif SKIP in message.labels:
            await patient.tap(SKIP)
        else:
            await patient.send("/exercise")


async def sibot(size: Size, options: Options) -> tuple[dict[str, Any], dict[str, Any] | None]:
    fan_out_ids, session_ids = patient_ids(size.fan_out), patient_ids(size.sessions, SESSION_FIRST_ID)
    now = datetime.now(UTC)
    async with throwaway_database("sqlite") as url:
        due = now + timedelta(seconds=size.lead_seconds)
        await seed_patients(url, fan_out_ids, ReminderPlan(now=now, due_at=due))
        await seed_patients(
            url, session_ids, None, hold_seconds=HOLD_SECONDS, repetitions=REPETITIONS, pace="own"
        )
        async with running_emulator(global_rate=LIMIT) as emulator:
            add_patients(emulator, fan_out_ids)
            patients = [emulator.patient(user_id=pid) for pid in session_ids]
            child = sibot_process(
                emulator, url, SIBOT_SEND_RATE=str(LIMIT), SIBOT_HOLD_TIME_SCALE=str(HOLD_SCALE)
            )
            await child.start()
            await child.wait_for_log("ready")
            practising = [asyncio.create_task(practise(p)) for p in patients]
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            async with Profiler(child.pid, "holds", enabled=options.profile) as profiler:
                delivery = await settled(emulator, set(fan_out_ids))
            await _end(practising)
            await child.stop()
            figures = lateness(
                emulator, set(session_ids), lambda m: HOLD_TIP in m, lambda m: "Relax." in m, delivery
            )
            return {**figures, "fan_out_rate_per_s": _rate(delivery)}, profiler.summary


async def _end(tasks: list[asyncio.Task[None]]) -> None:
    """Stop the patients; one that gave up early (AssertionError) is reported by its figures."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, AssertionError):
            await task


def _rate(delivery: Delivery) -> float | None:
    rate = delivery.rate()
    return None if rate is None else round(rate, 1)


async def hold_again_and_again(patient: TelegramUser, message_id: int) -> None:
    while True:
        await patient.tap_data("hold:go", message_id=message_id)
        await patient.expect("Relax", timeout=60)
        await asyncio.sleep(READING_SECONDS)


async def baseline(size: Size) -> dict[str, Any]:
    fan_out_ids, session_ids = patient_ids(size.fan_out), patient_ids(size.sessions, SESSION_FIRST_ID)
    async with running_emulator(global_rate=LIMIT) as emulator:
        add_patients(emulator, fan_out_ids)
        patients = [emulator.patient(user_id=pid) for pid in session_ids]
        fan_out_at = time.time() + size.lead_seconds / 2
        child = bare_process(
            "hold", emulator, "--rate", str(LIMIT), "--first", str(fan_out_ids[0]),
            "--count", str(size.fan_out), "--fanout-at", str(fan_out_at), "--hold-seconds", str(HOLD),
        )
        await child.start()
        await child.wait_for_log("ready")
        holding = [
            asyncio.create_task(hold_again_and_again(p, show_bot_message(emulator, p, "Ready?", [[("Hold", "hold:go")]])))
            for p in patients
        ]
        await asyncio.sleep(max(0.0, fan_out_at - time.time()))
        delivery = await settled(emulator, set(fan_out_ids))
        await _end(holding)
        await child.stop()
        figures = lateness(
            emulator, set(session_ids), lambda m: m.startswith("Hold for"), lambda m: m.startswith("Relax."), delivery
        )
        return {**figures, "fan_out_rate_per_s": _rate(delivery)}


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    size = size_of(options)
    ours, profile = await sibot(size, options)
    bare = await baseline(size)
    figures: dict[str, Any] = {
        "fan_out_patients": size.fan_out,
        "sessions": size.sessions,
        "hold_s": HOLD,
        "limit_per_s": LIMIT,
        "sibot": ours,
        "bare_ptb_asyncio_timers": bare,
        "p99_over_bare": ratio(ours["p99_ms"], bare["p99_ms"]),
        "meets_target": ours["p99_ms"] is not None and ours["p99_ms"] <= TARGET_P99_MS,
    }
    if profile is not None:
        figures["profile"] = profile
    rows = [
        [name, f["relaxes_during_fan_out"], f["p50_ms"], f["p99_ms"], f["outside_p50_ms"], f["outside_p99_ms"], f["fan_out_rate_per_s"]]
        for name, f in (("sibot", ours), ("bare PTB, asyncio timers", bare))
    ]
    printed = table(
        f"\"Relax\" lateness, {size.sessions} sessions in {HOLD:g} s holds during a {size.fan_out:,}-patient "
        f"fan-out at {LIMIT}/s (target p99 <= {TARGET_P99_MS:g} ms)",
        ["bot", "relaxes", "p50 ms", "p99 ms", "idle p50 ms", "idle p99 ms", "fan-out msg/s"],
        rows,
    )
    return figures, printed


if __name__ == "__main__":
    run("holds", measure)
