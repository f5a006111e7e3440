"""Reminders across real bot processes: a SIGKILL between claim and send, a SIGTERM in the middle
of a fan-out, and two replicas.

The processes run `python bot.py` on the real clock, so the reminders here are due the minute
the test starts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sibot.db import Database
from sibot.dispatcher import SEND_CHUNK
from sibot.emulator import Emulator
from sibot.models import Patient, ReminderDelivery
from sibot.reminders import configure_reminder
from sibot.schedule import EVERY_DAY
from tests.databases import postgres_database_url
from tests.harness import TOKEN
from tests.processes import BotProcess, free_port, webhook_process

REMINDER = "Time for your SI joint routine"


async def seed_due_reminders(url: str, patient_ids: list[int]) -> None:
    """Onboarded patients in UTC whose reminder fell due at the start of this minute."""
    this_minute = datetime.now(UTC).replace(second=0, microsecond=0)
    created = this_minute - timedelta(seconds=1)
    db = Database(url)
    try:
        await db.upgrade()
        async with db.transaction() as session:
            session.add_all(
                Patient(
                    id=patient_id, consented_at=created, hold_seconds=5, repetitions=2,
                    created_at=created, last_seen_at=created,
                )
                for patient_id in patient_ids
            )
            await session.flush()
            await session.execute(
                update(Patient).where(Patient.id.in_(patient_ids)).values(onboarding_step=None)
            )
            for patient_id in patient_ids:
                await configure_reminder(
                    session, patient_id, this_minute.time(), EVERY_DAY, "UTC", created
                )
    finally:
        await db.dispose()


async def delivery_statuses(url: str) -> Counter[str]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            return Counter((await session.scalars(select(ReminderDelivery.status))).all())
    finally:
        await db.dispose()


def sends(emulator: Emulator, status: int | None = None) -> Counter[int | None]:
    """sendMessage calls per chat (that Telegram answered with `status`, if given)."""
    return Counter(
        request.chat_id
        for request in emulator.requests
        if request.method == "sendMessage" and (status is None or request.status == status)
    )


async def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_bot_killed_between_claim_and_send_sends_once_after_restart(emulator, tmp_path):
    patient = emulator.patient(first_name="Ana", language_code="en")
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    await seed_due_reminders(url, [patient.user_id])
    # Telegram never hears the first send: it hangs until the process is killed.
    emulator.faults.add("timeout", method="sendMessage", chat_id=patient.user_id, delay=3)

    first = BotProcess(emulator.base_url, url)
    await first.start()
    await wait_until(lambda: sends(emulator)[patient.user_id] == 1)
    await first.kill()
    assert await delivery_statuses(url) == {"pending": 1}
    emulator.faults.clear()

    second = BotProcess(emulator.base_url, url)
    await second.start()
    try:
        await patient.expect(REMINDER, timeout=30)  # once the dead bot's lease has lapsed
        await second.wait_for_log("ready")
        await patient.assert_silent(1.0)
    finally:
        assert await second.terminate() == 0
    assert sends(emulator, 200)[patient.user_id] == 1
    assert await delivery_statuses(url) == {"sent": 1}


@pytest.mark.slow
async def test_a_bot_stopped_mid_fan_out_exits_at_once_and_its_next_start_sends_the_rest(
    emulator, tmp_path
):
    patient_ids = [emulator.patient().user_id for _ in range(300)]
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    await seed_due_reminders(url, patient_ids)
    first = BotProcess(emulator.base_url, url)
    await first.start()
    await wait_until(lambda: sum(sends(emulator, 200).values()) >= 10)

    # SIGTERM at Telegram's 30 a second: the chunk under way ends, not the 10 s of the fan-out
    async with asyncio.timeout(8):
        assert await first.terminate() == 0
    assert sum(sends(emulator, 200).values()) <= SEND_CHUNK

    second = BotProcess(emulator.base_url, url)
    await second.start()
    try:
        await wait_until(lambda: sum(sends(emulator, 200).values()) >= len(patient_ids))
        await asyncio.sleep(0.5)  # time for a double to show up, if there were one
    finally:
        assert await second.terminate() == 0
    assert sends(emulator, 200) == Counter(patient_ids)
    assert await delivery_statuses(url) == {"sent": len(patient_ids)}


async def test_two_bot_processes_on_one_postgresql_database_send_each_reminder_once():
    # Telegram's global limit off: two replicas at full speed, so the test lasts seconds.
    emulator = Emulator(token=TOKEN, global_rate=None)
    await emulator.start()
    try:
        patient_ids = [emulator.patient().user_id for _ in range(500)]
        async with postgres_database_url() as url:
            await seed_due_reminders(url, patient_ids)
            replicas = [replica(emulator, url) for _ in range(2)]
            await asyncio.gather(*(process.start() for process in replicas))
            try:
                await wait_until(lambda: sum(sends(emulator, 200).values()) >= 500, timeout=60)
                await asyncio.sleep(1.0)  # time for a double to show up, if there were one
            finally:
                statuses = await asyncio.gather(*(process.terminate() for process in replicas))
            assert statuses == [0, 0], [process.raw_log[-20:] for process in replicas]
            assert sends(emulator, 200) == Counter(patient_ids)
            # such as PTB's advice to send with send_message, which the sender means to ignore
            assert not [line for process in replicas for line in process.raw_log if "Warning: " in line]
            assert await delivery_statuses(url) == {"sent": 500}
    finally:
        await emulator.stop()


def replica(emulator: Emulator, url: str) -> BotProcess:
    """A bot process in webhook mode, so two can run on one token (pollers would conflict)."""
    return webhook_process(emulator.base_url, url, free_port(), SIBOT_SEND_RATE="1000")
