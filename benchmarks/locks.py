"""A foreign lock: another client holds the lock the pain diary needs while patients go on.

Twenty patients store pain scores (`/pain 1`, `/pain 2`, ...: a write to `checkins`) and five bystanders ask for
/help (reads only), each in a loop with a short pause. First a quiet run (the baseline, same
length), then the same load while a second client holds the lock for `--lock-seconds` (45 s by
default): on SQLite a connection inside BEGIN IMMEDIATE on the bot's file, on PostgreSQL one
holding `checkins` in ACCESS EXCLUSIVE mode. Targets: the bystanders' p99 within 250 ms of the
quiet run's, and every write during the lock told "try again" within 3 s.

`python -m benchmarks.locks --lock-seconds 10` for a quick run (its p99 then counts the bystanders
caught in the first 2 s of the lock, while the writes wait for it).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from sibot.db import LOCK_PATIENCE_S
from sibot.emulator import TelegramUser
from sibot.texts import text

from benchmarks.report import Options, percentile, run, table
from benchmarks.stage import (
    DatabaseUnavailable,
    patient_ids,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)

WRITERS = 20
BYSTANDERS = 10
WRITER_PAUSE_S = 1.0
BYSTANDER_PAUSE_S = 1.0
ANSWER_TIMEOUT_S = 60.0
TARGET_P99_MARGIN_MS = 250.0
TARGET_TRY_AGAIN_S = 3.0
TRY_AGAIN = text("en", "common.db_unavailable")
SAVED = "/10 saved"
_spread = random.Random(19)
_last_stored: dict[int, int] = {}  # patient -> the pain score stored last


@dataclass(slots=True)
class Phase:
    """What the patients saw in one run: the bystanders' waits, and the writers' answers."""

    bystander_s: list[float] = field(default_factory=list)
    saved_s: list[float] = field(default_factory=list)
    try_again_s: list[float] = field(default_factory=list)
    other_answers: int = 0
    unanswered: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "bystander_answers": len(self.bystander_s),
            "bystander_p50_ms": _ms(percentile(self.bystander_s, 0.5)),
            "bystander_p99_ms": _ms(percentile(self.bystander_s, 0.99)),
            "bystander_max_ms": _ms(max(self.bystander_s, default=None)),
            "writes_saved": len(self.saved_s),
            "writes_try_again": len(self.try_again_s),
            "try_again_p99_ms": _ms(percentile(self.try_again_s, 0.99)),
            "try_again_max_ms": _ms(max(self.try_again_s, default=None)),
            "other_answers": self.other_answers,
            "unanswered": self.unanswered,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def _ask(patient: TelegramUser, message: str) -> tuple[float, str] | None:
    """Send `message`; the seconds until the bot's answer and its text, None if none came."""
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    await patient.send(message)
    try:
        answer = await patient.next_message(ANSWER_TIMEOUT_S)
    except AssertionError:
        return None
    return loop.time() - sent_at, answer.text


async def _write_until(patient: TelegramUser, phase: Phase, ends_at: float) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(_spread.uniform(0, WRITER_PAUSE_S))  # patients act on their own, not in step
    while loop.time() < ends_at:
        # the score stored last would be taken as a repeat, and not written again
        score = 3 - _last_stored.get(patient.user_id, 2)
        answered = await _ask(patient, f"/pain {score}")
        if answered is None:
            phase.unanswered += 1
        elif answered[1] == TRY_AGAIN:
            phase.try_again_s.append(answered[0])
        elif SAVED in answered[1]:
            phase.saved_s.append(answered[0])
            _last_stored[patient.user_id] = score
        else:
            phase.other_answers += 1
        await asyncio.sleep(WRITER_PAUSE_S)


async def _ask_help_until(patient: TelegramUser, phase: Phase, ends_at: float) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(_spread.uniform(0, BYSTANDER_PAUSE_S))
    while loop.time() < ends_at:
        answered = await _ask(patient, "/help")
        if answered is None:
            phase.unanswered += 1
        else:
            phase.bystander_s.append(answered[0])
        await asyncio.sleep(BYSTANDER_PAUSE_S)


async def _load(writers: list[TelegramUser], bystanders: list[TelegramUser], seconds: float) -> Phase:
    phase = Phase()
    ends_at = asyncio.get_running_loop().time() + seconds
    await asyncio.gather(
        *(_write_until(p, phase, ends_at) for p in writers),
        *(_ask_help_until(p, phase, ends_at) for p in bystanders),
    )
    return phase


@asynccontextmanager
async def foreign_lock(kind: str, url: str) -> AsyncIterator[None]:
    """Another client holding what the pain diary needs, until the block ends."""
    if kind == "sqlite":
        holder = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE checkins IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await connection.close()


async def one_database(kind: str, seconds: float) -> dict[str, Any]:
    ids = patient_ids(WRITERS + BYSTANDERS)
    async with throwaway_database(kind) as url:
        await seed_patients(url, ids, None)
        async with running_emulator(global_rate=None, chat_rate=None) as emulator:
            patients = [emulator.patient(first_name="Pat", user_id=pid) for pid in ids]
            writers, bystanders = patients[:WRITERS], patients[WRITERS:]
            child = sibot_process(emulator, url, SIBOT_SEND_RATE="1000")
            await child.start()
            await child.wait_for_log("ready")
            await _load(writers, bystanders, 1.0)  # warm-up: first imports, first connections
            quiet = await _load(writers, bystanders, seconds)
            async with foreign_lock(kind, url):
                locked = await _load(writers, bystanders, seconds)
            after = await _load(writers, bystanders, 2.0)
            await child.stop()
    figures = {"quiet": quiet.figures(), "locked": locked.figures(), "after_release": after.figures()}
    margin = (figures["locked"]["bystander_p99_ms"] or 0) - (figures["quiet"]["bystander_p99_ms"] or 0)
    figures["bystander_p99_over_quiet_ms"] = round(margin, 1)
    figures["meets_target"] = (
        margin <= TARGET_P99_MARGIN_MS
        and locked.unanswered == 0
        and (figures["locked"]["try_again_max_ms"] or 0) <= TARGET_TRY_AGAIN_S * 1000
        and after.saved_s != []
    )
    return figures


def _rows(kind: str, figures: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for phase in ("quiet", "locked", "after_release"):
        entry = figures[phase]
        rows.append([
            kind, phase, entry["bystander_answers"], entry["bystander_p50_ms"], entry["bystander_p99_ms"],
            entry["writes_saved"], entry["writes_try_again"], entry["try_again_max_ms"], entry["unanswered"],
        ])
    return rows


def parse_lock_seconds(argv: list[str]) -> tuple[float | None, list[str]]:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--lock-seconds", type=float, default=None)
    known, rest = parser.parse_known_args(argv)
    return known.lock_seconds, rest


LOCK_SECONDS, _REST = parse_lock_seconds(sys.argv[1:])


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    # tiny: long enough for every patient's first question (each waits up to a pause before it)
    seconds = LOCK_SECONDS or (2 * max(WRITER_PAUSE_S, BYSTANDER_PAUSE_S) if options.tiny else 45.0)
    results: dict[str, Any] = {
        "lock_seconds": seconds, "writers": WRITERS, "bystanders": BYSTANDERS,
        "lock_patience_s": LOCK_PATIENCE_S,
    }
    rows: list[list[Any]] = []
    for kind in ("sqlite", "postgresql"):
        try:
            results[kind] = await one_database(kind, seconds)
        except DatabaseUnavailable as exc:
            results[kind] = {"skipped": str(exc)}
            continue
        rows += _rows(kind, results[kind])
    printed = table(
        f"A foreign lock held {seconds:g} s: {WRITERS} patients storing pain scores, {BYSTANDERS} asking"
        f" for /help (target: bystanders' p99 within {TARGET_P99_MARGIN_MS:g} ms of the quiet run,"
        f" every write told 'try again' within {TARGET_TRY_AGAIN_S:g} s)",
        ["database", "run", "/help answers", "p50 ms", "p99 ms", "saved", "try again", "try again max ms", "unanswered"],
        rows,
    )
    verdicts = [
        f"{kind}: bystanders' p99 {results[kind]['bystander_p99_over_quiet_ms']:+} ms over the quiet run;"
        f" target {'met' if results[kind]['meets_target'] else 'missed'}"
        for kind in ("sqlite", "postgresql") if "skipped" not in results[kind]
    ]
    return results, "\n".join([printed, *verdicts])


if __name__ == "__main__":
    run("locks", measure, _REST)
