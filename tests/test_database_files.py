"""The SQLite files on disk: one bot per file, readable by its user alone, nothing of a patient
left in them after /delete. Real bot processes and the real bot against the emulator."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest

from sibot.db import Database
from sibot.startup import DatabaseInUse, DatabaseLock
from sibot.emulator import Emulator, TelegramUser
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.processes import BotProcess, free_port, webhook_process


def _bot(mode: str, emulator: Emulator, url: str) -> BotProcess:
    if mode == "webhook":
        return webhook_process(emulator.base_url, url, free_port())
    return BotProcess(emulator.base_url, url)


def _critical_lines(process: BotProcess) -> list[str]:
    return [line["message"] for line in process.log_lines if line.get("level") == "CRITICAL"]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_second_bot_on_one_sqlite_file_refuses_to_start(
    emulator: Emulator, tmp_path: Path, mode: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    first, second = _bot(mode, emulator, url), _bot(mode, emulator, url)
    await first.start()
    await first.wait_for_log("ready")
    assert first.process is not None

    await second.start()
    assert await second.wait() == 2
    assert second.raw_log == [second.raw_log[0]]  # one line, no traceback
    [refusal] = _critical_lines(second)
    assert f"PID {first.process.pid}" in refusal and "sibot.db" in refusal

    # The first goes on serving, alone: the second neither polled (which would have stopped the
    # first) nor pointed Telegram's webhook at itself.
    patient = emulator.patient()
    await patient.send("/start")
    await patient.expect("not a medical device", timeout=15)
    webhooks_set = [request for request in emulator.requests if request.method == "setWebhook"]
    assert len(webhooks_set) == (1 if mode == "webhook" else 0)
    assert await first.terminate() == 0


async def test_migrate_refuses_beside_a_running_bot_and_a_lock_left_by_a_killed_one_locks_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    running = BotProcess(emulator.base_url, url)
    await running.start()
    await running.wait_for_log("ready")
    assert running.process is not None

    migrate = BotProcess(emulator.base_url, url)
    await migrate.start("migrate")
    assert await migrate.wait() == 2
    assert f"PID {running.process.pid}" in _critical_lines(migrate)[0]

    await running.kill()
    assert (tmp_path / "sibot.db.lock").read_text() == f"{running.process.pid}\n"
    migrate = BotProcess(emulator.base_url, url)
    await migrate.start("migrate")
    assert await migrate.wait() == 0, migrate.raw_log[-3:]


async def test_the_database_its_log_and_its_lock_are_readable_by_their_owner_alone(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    database = Database(url)
    previous_umask = os.umask(0o022)  # the usual one, which made these files 0644
    try:
        async with DatabaseLock(url):
            await database.upgrade()
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
            with pytest.raises(DatabaseInUse), DatabaseLock(url):
                pass
    finally:
        os.umask(previous_umask)
        await database.dispose()
    assert modes == {name: 0o600 for name in ("sibot.db", "sibot.db-wal", "sibot.db-shm", "sibot.db.lock")}


async def _pain_with_a_red_flag(patient: TelegramUser) -> None:
    """/pain with numbness around the groin, which sends the patient to an emergency department."""
    await patient.send("/pain")
    prompt = await patient.expect("0 = no pain")

    async def shows(fragment: str) -> None:
        await patient.chat.changes.wait_until(
            lambda: fragment in patient.current(prompt.message_id).text or None, 5
        )

    await patient.tap("4")
    await shows("Where")
    await patient.tap("Done")
    await shows("Anything new")
    await patient.tap("🚨 Numb between the legs")
    await patient.chat.changes.wait_until(
        lambda: "✅ 🚨 Numb between the legs" in patient.current(prompt.message_id).labels or None, 5
    )
    await patient.tap("Done")
    await patient.expect("emergency department straight away")


def _files_holding(folder: Path, traces: list[bytes]) -> dict[str, list[bytes]]:
    """Which of the database's files hold which of `traces`, byte for byte."""
    found = {}
    for path in sorted(folder.glob("sibot.db*")):
        content = path.read_bytes()
        found[path.name] = [trace for trace in traces if trace in content]
    return {name: held for name, held in found.items() if held}


async def test_delete_leaves_nothing_of_the_patient_in_the_database_files(
    bot: BotHarness, emulator: Emulator, tmp_path: Path
) -> None:
    name = f"Quenby{uuid.uuid4().hex[:8]}"
    patient = emulator.patient(first_name=name)
    await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now(), name=name)
    await _pain_with_a_red_flag(patient)
    # The name, the symptom of the diary entry and the red flag it raised.
    traces = [name.encode(), b'"saddle_numbness"', b"cauda_equina"]
    before = _files_holding(tmp_path, traces)
    assert set(sum(before.values(), [])) == set(traces), before

    await patient.send("/delete")
    ask = await patient.expect("can't be undone")
    await patient.tap("Yes, delete everything")
    await patient.chat.changes.wait_until(
        lambda: "Everything about you is erased" in patient.current(ask.message_id).text or None, 5
    )
    # More traffic after the erase writes new pages to the log.
    someone_else = emulator.patient(first_name="Ana")
    await someone_else.send("/start")
    await someone_else.expect("not a medical device")

    assert _files_holding(tmp_path, traces) == {}
