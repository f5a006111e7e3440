"""Fairness: one chat's flood must not delay another patient's answer.

Tappers, onboarded patients, each tap a pain score (`pn:score:2:diary`) on a question of their own,
wait for the bot's edit, read for THINK_SECONDS and tap again, as a patient at the /pain question
does. In the flood run, as they start, one patient sends `/help` and `/report` by turns (with a
month of diary, so each report is a PDF drawn), and a stranger who never sent /start types
"hello", each at FLOOD_PER_SECOND. The same run without the flood, on a bot of its own, is the
baseline. A tap's latency: from its push to the arrival of the bot's edit at the emulator. The
emulator keeps Telegram's limits (30 messages a second per bot, one a second per chat with a
burst of 3), and the bot its default SIBOT_SEND_RATE of 30.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from sibot.db import Database
from sibot.emulator import Emulator, TelegramUser
from sibot.models import Checkin
from sibot.texts import text

from benchmarks.load import show_bot_message
from benchmarks.profiling import Profiler
from benchmarks.report import Options, percentile, run, table
from benchmarks.stage import (
    Child,
    patient_ids,
    process_cpu_seconds,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)
from benchmarks.throughput import QUESTION, TAP

THINK_SECONDS = 1.5  # a patient reads the answer before tapping again
FLOOD_PER_SECOND = 20  # a script's pace: the flood lasts about as long as the tapping
ANSWER_TIMEOUT = 60.0
TARGET_P99_EXTRA_MS = 250.0
FLOODER_ID = 700_000_001
STRANGER_ID = 700_000_002
NOTICE = text("en", "common.flood_notice")
HELP_START = text("en", "settings.help").split("\n")[0]


@dataclass(frozen=True, slots=True)
class Size:
    tappers: int
    taps_each: int
    helps: int
    reports: int
    hellos: int


def size_of(options: Options) -> Size:
    return Size(5, 3, 20, 5, 15) if options.tiny else Size(20, 12, 200, 50, 50)


async def tap_until_done(emulator: Emulator, patient: TelegramUser, taps: int, start_after: float) -> list[float]:
    """Tap `taps` times, each on a new question; the latency of each, in seconds."""
    loop = asyncio.get_running_loop()
    latencies = []
    await asyncio.sleep(start_after)
    for _ in range(taps):
        question = show_bot_message(emulator, patient, QUESTION, [[(str(n), f"pn:score:{n}:diary") for n in range(6)]])
        seen = len(emulator.requests)
        pushed_at = loop.time()
        await patient.tap_data(TAP, message_id=question)
        answered = await _wait_for_edit(emulator, patient, question, seen)
        latencies.append(answered - pushed_at if answered is not None else ANSWER_TIMEOUT)
        await asyncio.sleep(THINK_SECONDS)
    return latencies


async def _wait_for_edit(emulator: Emulator, patient: TelegramUser, message_id: int, seen: int) -> float | None:
    def edited() -> float | None:
        for record in emulator.requests[seen:]:
            if (
                record.chat_id == patient.user_id and record.method.lower() == "editmessagetext"
                and record.payload.get("message_id") == message_id and record.status == 200
            ):
                return record.at
        return None

    try:
        return await patient.chat.changes.wait_until(edited, ANSWER_TIMEOUT)
    except TimeoutError:
        return None


async def flood(flooder: TelegramUser, stranger: TelegramUser, size: Size) -> None:
    """The flooder's commands interleaved, as a script would send them, beside the stranger's."""
    commands = [
        command
        for number in range(max(size.helps, size.reports))
        for command, count in (("/help", size.helps), ("/report", size.reports))
        if number < count
    ]
    await asyncio.gather(_send_at_flood_pace(flooder, commands), _send_at_flood_pace(stranger, ["hello"] * size.hellos))


async def _send_at_flood_pace(patient: TelegramUser, texts: list[str]) -> None:
    for said in texts:
        await patient.send(said)
        await asyncio.sleep(1 / FLOOD_PER_SECOND)


async def seed_diary(url: str, patient_id: int, now: datetime) -> None:
    """A month of daily check-ins, so that /report draws a PDF."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(insert(Checkin.__table__), [
                {"patient_id": patient_id, "at": now - timedelta(days=day), "score": 3 + day % 4,
                 "source": "diary", "session_id": None, "locations": [], "symptoms": [],
                 "sharp_or_shooting": False}
                for day in range(1, 31)
            ])
    finally:
        await database.dispose()


def flood_figures(emulator: Emulator, flooder: TelegramUser, stranger: TelegramUser, started_at: float) -> dict[str, Any]:
    """What the flooder and the stranger got, from the emulator's record."""
    figures: dict[str, Any] = {"help_answers": 0, "reports": 0, "notices": 0, "stranger_answers": 0, "stranger_notices": 0}
    last_at = started_at
    for record in emulator.requests:
        if record.status != 200 or record.chat_id not in (flooder.user_id, stranger.user_id):
            continue
        if not record.method.lower().startswith("send"):
            continue
        last_at = max(last_at, record.at)
        said = str(record.payload.get("text", ""))
        if record.chat_id == stranger.user_id:
            figures["stranger_notices" if said == NOTICE else "stranger_answers"] += 1
        elif said == NOTICE:
            figures["notices"] += 1
        elif record.method.lower() == "senddocument":
            figures["reports"] += 1
        elif said.startswith(HELP_START):
            figures["help_answers"] += 1
    figures["flood_answered_for_s"] = round(last_at - started_at, 1)
    return figures


async def one_run(size: Size, *, flooded: bool, profile: bool = False) -> dict[str, Any]:
    tapper_ids = patient_ids(size.tappers)
    now = datetime.now(UTC)
    async with throwaway_database("sqlite") as url:
        await seed_patients(url, [*tapper_ids, FLOODER_ID], None)
        await seed_diary(url, FLOODER_ID, now)
        async with running_emulator() as emulator:
            child = sibot_process(emulator, url)
            await child.start()
            await child.wait_for_log("ready")
            tappers = [emulator.patient(user_id=pid) for pid in tapper_ids]
            flooder = emulator.patient(user_id=FLOODER_ID)
            stranger = emulator.patient(user_id=STRANGER_ID)
            cpu_before = process_cpu_seconds(child.pid) or 0.0
            started_at = asyncio.get_running_loop().time()
            # Spread over the think time, as patients are: taps all at one instant would wait for
            # the bot-wide limit of 30 messages a second, which is not what this measures.
            tapping = [
                asyncio.create_task(tap_until_done(emulator, p, size.taps_each, n * THINK_SECONDS / size.tappers))
                for n, p in enumerate(tappers)
            ]
            async with Profiler(child.pid, "fairness", enabled=profile) as profiler:
                if flooded:
                    await flood(flooder, stranger, size)
                latencies = [latency for each in await asyncio.gather(*tapping) for latency in each]
            figures = tap_figures(latencies, (process_cpu_seconds(child.pid) or 0.0) - cpu_before)
            figures.update(rate_limits(emulator, child))
            if flooded:
                await asyncio.sleep(2)  # the last notices and answers in flight
                figures.update(flood_figures(emulator, flooder, stranger, started_at))
            if profiler.summary is not None:
                figures["profile"] = profiler.summary
            await child.stop()
    return figures


def tap_figures(latencies: list[float], cpu_seconds: float) -> dict[str, Any]:
    return {
        "taps": len(latencies),
        "p50_ms": _ms(percentile(latencies, 0.5)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(max(latencies)),
        "unanswered": sum(1 for latency in latencies if latency >= ANSWER_TIMEOUT),
        "bot_cpu_s": round(cpu_seconds, 2),
    }


def rate_limits(emulator: Emulator, child: Child) -> dict[str, int]:
    """The 429s Telegram (the emulator) answered, and what the bot's rate limiter did about them."""

    def logged(start: str) -> int:
        return sum(1 for _, line in child.log if str(line.get("message")).startswith(start))

    return {
        "too_many_requests": sum(1 for record in emulator.requests if record.status == 429),
        "chats_held_back_after_429": logged("429 for chat"),
        "bot_paused_all_sending": logged("429s for several chats"),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    size = size_of(options)
    quiet = await one_run(size, flooded=False)
    flooded = await one_run(size, flooded=True, profile=options.profile)
    extra = round((flooded["p99_ms"] or 0) - (quiet["p99_ms"] or 0), 1)
    results: dict[str, Any] = {
        "tappers": size.tappers, "taps_each": size.taps_each, "think_s": THINK_SECONDS,
        "flood": {"help": size.helps, "report": size.reports, "stranger_hello": size.hellos},
        "quiet": quiet, "flooded": flooded, "p99_extra_ms": extra,
        "meets_target": extra <= TARGET_P99_EXTRA_MS and flooded["unanswered"] == 0,
    }
    rows = [
        ["quiet", quiet["taps"], quiet["p50_ms"], quiet["p99_ms"], quiet["max_ms"], quiet["bot_cpu_s"], "-", "-", "-"],
        [
            "flooded", flooded["taps"], flooded["p50_ms"], flooded["p99_ms"], flooded["max_ms"], flooded["bot_cpu_s"],
            f"{flooded['help_answers']}/{size.helps}", f"{flooded['reports']}/{size.reports}",
            f"{flooded['notices']} / {flooded['stranger_notices']}",
        ],
    ]
    printed = table(
        f"Fairness: {size.tappers} patients tap pain scores while one chat sends {size.helps} /help and"
        f" {size.reports} /report and a stranger {size.hellos} messages"
        f" (target: p99 within {TARGET_P99_EXTRA_MS:.0f} ms of the quiet run; it is {extra:+.0f} ms)",
        ["run", "taps", "p50 ms", "p99 ms", "max ms", "bot CPU s", "/help answered", "reports", "notices (flooder / stranger)"],
        rows,
    )
    return results, printed


if __name__ == "__main__":
    run("fairness", measure)
