"""Update throughput: patients tapping pain scores as fast as the emulator feeds them.

Each patient has the /pain question on screen and taps a score (`pn:score:2:diary`): sibot loads
the patient, stores the check-in, answers the callback and edits the message. A closed loop keeps
IN_FLIGHT taps waiting at any moment. Baselines in the same run, on the same emulator: a bare PTB
bot that answers and edits the same way with no database and no logic, and a bare echo bot.
Afterwards every tap must be in the database exactly once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from sibot.db import Database
from sibot.emulator import Emulator, Patient
from sibot.models import Checkin

from benchmarks.load import closed_loop, show_bot_message
from benchmarks.profiling import Profiler
from benchmarks.report import Options, ratio, run, table
from benchmarks.stage import (
    DatabaseUnavailable,
    bare_process,
    patient_ids,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)

IN_FLIGHT = 100
SCORE = 2  # low enough that no red-flag rule fires
TAP = f"pn:score:{SCORE}:diary"
TARGET_RATIO = 0.7
QUESTION = "How much does it hurt right now? 0 is no pain, 10 the worst."


def pain_question(emulator: Emulator, patient: Patient) -> int:
    """The /pain question with its 0-10 buttons, as sibot shows it."""
    rows = [[(str(n), f"pn:score:{n}:diary") for n in range(start, min(start + 6, 11))] for start in (0, 6)]
    return show_bot_message(emulator, patient, QUESTION, rows)


async def tapping(emulator: Emulator, ids: list[int]) -> dict[str, Any]:
    patients = [emulator.patient(user_id=pid) for pid in ids]
    questions = {p.user_id: pain_question(emulator, p) for p in patients}
    load = await closed_loop(
        emulator, patients, lambda p: p.tap_data(TAP, message_id=questions[p.user_id]), "editMessageText", IN_FLIGHT
    )
    return load.figures()


async def stored_once(url: str, ids: list[int]) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            rows = (await session.execute(select(Checkin.patient_id, func.count()).group_by(Checkin.patient_id))).all()
    finally:
        await database.dispose()
    counts = Counter({patient_id: count for patient_id, count in rows})
    return {
        "stored_once": sum(1 for pid in ids if counts[pid] == 1),
        "stored_twice_or_more": sum(1 for pid in ids if counts[pid] > 1),
        "not_stored": sum(1 for pid in ids if counts[pid] == 0),
    }


async def sibot(kind: str, taps: int, options: Options) -> tuple[dict[str, Any], dict[str, Any] | None]:
    ids = patient_ids(taps)
    async with throwaway_database(kind) as url:
        await seed_patients(url, ids, None)
        async with running_emulator(global_rate=None, chat_rate=None) as emulator:
            child = sibot_process(emulator, url, SIBOT_SEND_RATE="1000")
            await child.start()
            await child.wait_for_log("ready")
            async with Profiler(child.pid, f"throughput-{kind}", enabled=options.profile) as profiler:
                figures = await tapping(emulator, ids)
            await child.stop()
        figures.update(await stored_once(url, ids))
    figures["every_tap_stored_once"] = figures["stored_once"] == taps
    return figures, profiler.summary


async def bare(kind: str, updates: int) -> dict[str, Any]:
    ids = patient_ids(updates)
    async with running_emulator(global_rate=None, chat_rate=None) as emulator:
        child = bare_process(kind, emulator)
        await child.start()
        await child.wait_for_log("ready")
        if kind == "tap":
            figures = await tapping(emulator, ids)
        else:
            patients = [emulator.patient(user_id=pid) for pid in ids]
            figures = (await closed_loop(emulator, patients, lambda p: p.send("hello"), "sendMessage", IN_FLIGHT)).figures()
        await child.stop()
    return figures


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    taps = 60 if options.tiny else 3000
    bare_tap, bare_echo = await bare("tap", taps), await bare("echo", taps)
    results: dict[str, Any] = {"taps": taps, "in_flight": IN_FLIGHT, "bare_tap": bare_tap, "bare_echo": bare_echo}
    rows = [
        ["bare PTB: answer + edit", "-", bare_tap["updates_per_s"], bare_tap["p50_ms"], bare_tap["p99_ms"], 1.0, "-"],
        ["bare PTB echo", "-", bare_echo["updates_per_s"], bare_echo["p50_ms"], bare_echo["p99_ms"], ratio(bare_echo["updates_per_s"], bare_tap["updates_per_s"]), "-"],
    ]
    for kind in ("sqlite", "postgresql"):
        try:
            ours, profile = await sibot(kind, taps, options)
        except DatabaseUnavailable as exc:
            results[f"sibot_{kind}"] = {"skipped": str(exc)}
            continue
        ours["over_bare_tap"] = ratio(ours["updates_per_s"], bare_tap["updates_per_s"])
        ours["over_bare_echo"] = ratio(ours["updates_per_s"], bare_echo["updates_per_s"])
        ours["meets_target"] = (ours["over_bare_tap"] or 0) >= TARGET_RATIO and ours["every_tap_stored_once"]
        if profile is not None:
            ours["profile"] = profile
        results[f"sibot_{kind}"] = ours
        rows.insert(0, [
            "sibot pain tap", kind, ours["updates_per_s"], ours["p50_ms"], ours["p99_ms"], ours["over_bare_tap"],
            "yes" if ours["every_tap_stored_once"] else f"no ({ours['stored_twice_or_more']} twice, {ours['not_stored']} missing)",
        ])
    printed = table(
        f"Pain-tap throughput, {taps:,} taps, {IN_FLIGHT} in flight (target: >= {TARGET_RATIO} of the bare tap bot, each stored once)",
        ["bot", "database", "updates/s", "p50 ms", "p99 ms", "vs bare tap", "stored once"],
        rows,
    )
    return results, printed


if __name__ == "__main__":
    run("throughput", measure)
