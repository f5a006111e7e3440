"""The stage every benchmark sets: the emulator, bot processes, throwaway databases, seeded rows.

The emulator runs in the benchmark's own process (it keeps the record the figures come from), and
the bot under test runs in a child process, so that on two cores the emulator does not take the
bot's CPU; `benchmarks.placement` measures why (and how much) that is fairer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time as wall_clock
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import insert

from sibot.db import Database
from sibot.emulator import Emulator
from sibot.models import Patient, Reminder, SafetyAnswer
from sibot.safety import Sign
from sibot.schedule import next_occurrence

REPOSITORY = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAE-sibot-bench-token-abcdefghijk"
FIRST_PATIENT_ID = 800_000_001
# A server where the benchmark may create (and drop) its own databases; the tests' server by default.
POSTGRES_URL = os.environ.get(
    "SIBOT_BENCH_POSTGRES_URL",
    os.environ.get("SIBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
).replace("postgresql+asyncpg://", "postgresql://")
# A few zones, so the schedule is not all one offset; all have whole-hour DST rules.
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")
EVERY_DAY = frozenset(range(7))
INSERT_BATCH = 5_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def patient_ids(count: int, first: int = FIRST_PATIENT_ID) -> list[int]:
    return list(range(first, first + count))


@asynccontextmanager
async def running_emulator(**limits: Any) -> AsyncIterator[Emulator]:
    """The emulator on a random loopback port, with the limits given (see Emulator)."""
    emulator = Emulator(TOKEN, **limits)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


def add_patients(emulator: Emulator, ids: Iterable[int]) -> None:
    """Telegram users (and their private chats) the bot can write to."""
    for patient_id in ids:
        emulator.patient(first_name="Pat", language_code="en", user_id=patient_id)


# --- child processes -----------------------------------------------------------------------------


def process_peak_rss_mb(pid: int) -> float | None:
    """The peak resident set of a live process (VmHWM), read from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a live process, read from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


class Child:
    """A bot (or bare PTB script) in its own process; its JSON log lines are read as they come."""

    def __init__(self, arguments: Sequence[str], environment: dict[str, str]) -> None:
        self.arguments = list(arguments)
        self.environment = {**os.environ, **environment}
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0  # time.perf_counter() just before the process was spawned
        self.log: list[tuple[float, dict[str, Any]]] = []  # (perf_counter when read, line)
        self.stdout = b""
        self._new_line = asyncio.Event()
        self._readers: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.started_at = wall_clock.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *self.arguments, cwd=REPOSITORY, env=self.environment,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._readers = [
            asyncio.create_task(self._read_log()), asyncio.create_task(self._read_stdout())
        ]

    async def wait_for_log(self, message: str, timeout: float = 120) -> tuple[float, dict[str, Any]]:
        """(seconds since spawn, line) of the first log line whose message is `message`."""
        async with asyncio.timeout(timeout):
            while True:
                for read_at, line in self.log:
                    if line.get("message") == message:
                        return read_at - self.started_at, line
                assert self.process is not None
                if self.process.returncode is not None:
                    tail = [line.get("message") for _, line in self.log[-8:]]
                    raise RuntimeError(f"{self.arguments[1:3]} exited early: {tail}")
                self._new_line.clear()
                await self._new_line.wait()

    def lines(self, message: str) -> list[dict[str, Any]]:
        return [line for _, line in self.log if line.get("message") == message]

    async def wait(self, timeout: float = 300) -> int:
        """Wait for the process to end by itself."""
        assert self.process is not None
        async with asyncio.timeout(timeout):
            await self.process.wait()
        return await self.stop()

    async def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait; SIGKILL if it will not stop."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                status = await self.process.wait()
        except TimeoutError:
            self.process.kill()
            status = await self.process.wait()
        await asyncio.gather(*self._readers)
        return status

    async def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for raw in self.process.stderr:
            text = raw.decode(errors="replace").rstrip("\n")
            try:
                line = json.loads(text)
            except json.JSONDecodeError:
                line = {"message": text}
            self.log.append((wall_clock.perf_counter(), line if isinstance(line, dict) else {"message": text}))
            self._new_line.set()
        self._new_line.set()

    async def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self.stdout = await self.process.stdout.read()


def sibot_process(emulator: Emulator, database_url: str, **settings: str) -> Child:
    """`python bot.py`, polling the emulator, JSON logs on stderr."""
    environment = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "SIBOT_LOG_FORMAT": "json",
        "SIBOT_LOG_LEVEL": "INFO",
        **settings,
    }
    return Child([sys.executable, str(REPOSITORY / "bot.py")], environment)


def bare_process(kind: str, emulator: Emulator, *arguments: str, transport: str = "httpx") -> Child:
    """One of the bare PTB baselines in benchmarks/bare.py, on PTB's default transport (httpx)
    or on sibot's (aiohttp)."""
    return Child(
        [sys.executable, "-m", "benchmarks.bare", kind, "--base-url", emulator.base_url, *arguments],
        {"SIBOT_BENCH_TOKEN": TOKEN, "SIBOT_BENCH_TRANSPORT": transport},
    )


# --- databases -----------------------------------------------------------------------------------


class DatabaseUnavailable(Exception):
    """PostgreSQL does not answer at SIBOT_BENCH_POSTGRES_URL."""


@asynccontextmanager
async def throwaway_database(kind: str) -> AsyncIterator[str]:
    """The URL of a new, empty, migrated database of `kind`, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sibot-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'sibot.db'}"
            await _migrate(url)
            yield url
        return
    name = f"sibot_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise DatabaseUnavailable(f"PostgreSQL does not answer at {POSTGRES_URL}: {exc}") from exc
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + f"/{name}"
        await _migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """When seeded reminders fire: all at `due_at` (fan-out), or spread over the day after `now`."""

    now: datetime
    due_at: datetime | None = None


async def seed_patients(
    url: str,
    ids: Sequence[int],
    plan: ReminderPlan | None,
    *,
    hold_seconds: int = 5,
    repetitions: int = 2,
    pace: str = "guided",
) -> None:
    """Onboarded patients, each with a daily reminder when `plan` is given; core SQL, in batches."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            for start in range(0, len(ids), INSERT_BATCH):
                batch = ids[start : start + INSERT_BATCH]
                await connection.execute(
                    insert(Patient.__table__),
                    [_patient_row(pid, plan, hold_seconds, repetitions, pace) for pid in batch],
                )
                # every warning sign answered "no", or /exercise would ask the safety question first
                await connection.execute(
                    insert(SafetyAnswer.__table__),
                    [_answer_row(pid, sign, plan) for pid in batch for sign in Sign],
                )
                if plan is not None:
                    await connection.execute(
                        insert(Reminder.__table__), [_reminder_row(pid, plan) for pid in batch]
                    )
    finally:
        await database.dispose()


def _patient_row(
    patient_id: int, plan: ReminderPlan | None, hold_seconds: int, repetitions: int, pace: str
) -> dict[str, Any]:
    now = plan.now if plan is not None else datetime.now(UTC)
    return {
        "id": patient_id, "name": "Pat", "language": "en", "timezone": _zone_of(patient_id, plan),
        "cohort": None, "onboarding_step": None, "awaiting": None,
        "consented_at": now - timedelta(days=30), "cleared_at": now - timedelta(days=30),
        "pregnant": False, "hold_seconds": hold_seconds, "repetitions": repetitions,
        "pace": pace, "rest_seconds": None,
        "gentle": False, "followups_enabled": False, "paused_until": None, "active": True,
        "created_at": now - timedelta(days=30), "last_seen_at": now - timedelta(days=1),
        "signs_checked_at": now - timedelta(days=1),
    }


def _answer_row(patient_id: int, sign: Sign, plan: ReminderPlan | None) -> dict[str, Any]:
    now = plan.now if plan is not None else datetime.now(UTC)
    return {"patient_id": patient_id, "question": sign.value, "answer": False, "answered_at": now - timedelta(days=30)}


def _zone_of(patient_id: int, plan: ReminderPlan | None) -> str:
    """UTC for a fan-out (everyone due at one instant), a mix of zones otherwise."""
    if plan is None or plan.due_at is not None:
        return "UTC"
    return ZONES[patient_id % len(ZONES)]


def _reminder_row(patient_id: int, plan: ReminderPlan) -> dict[str, Any]:
    if plan.due_at is not None:
        local_time = plan.due_at.time().replace(microsecond=0)
        fire_at = datetime.combine(plan.due_at.date(), local_time, UTC)
        local_date = plan.due_at.date()
    else:
        minute_of_day = (patient_id * 7919) % (24 * 60)
        local_time = time(minute_of_day // 60, minute_of_day % 60)
        occurrence = next_occurrence(plan.now, local_time, ZoneInfo(_zone_of(patient_id, plan)), EVERY_DAY)
        fire_at, local_date = occurrence.fire_at, occurrence.local_date
    return {
        "patient_id": patient_id, "local_time": local_time, "weekdays": 0b1111111, "enabled": True,
        "next_fire_at": fire_at, "occurrence_date": local_date, "next_kind": "daily",
        "followup_at": None, "followup_date": None,
    }
