"""Restart at scale: patients with daily reminders in the database, and the bot starting up.

Time from spawning the process to its "ready" log line, and its peak resident set (VmHWM) a
moment after ready, once the dispatcher's first tick has run. Baseline: the naive design (one
JobQueue run_daily job per patient, loaded at start) on the same database, in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
from datetime import UTC, datetime
from typing import Any

from benchmarks.profiling import Profiler
from benchmarks.report import Options, ratio, run, table
from benchmarks.stage import (
    Child,
    DatabaseUnavailable,
    ReminderPlan,
    bare_process,
    patient_ids,
    process_peak_rss_mb,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)

# After "ready", give the first dispatcher tick this long before reading the peak.
SETTLE_SECONDS = 1.0
SIBOT_STARTS = 3  # the median of these is reported
TARGET_SECONDS = 2.0
TARGET_MB = 200.0
TARGET_SPEEDUP = 5.0


async def start_and_measure(child: Child, profile: Profiler | None = None) -> dict[str, Any]:
    await child.start()
    if profile is not None:
        profile.pid = child.pid
    seconds, line = await child.wait_for_log("ready", timeout=300)
    await asyncio.sleep(SETTLE_SECONDS)
    peak = process_peak_rss_mb(child.pid)
    await child.stop()
    figures: dict[str, Any] = {"ready_s": round(seconds, 3), "peak_rss_mb": peak}
    if "jobs" in line:
        figures["jobs"] = line["jobs"]
    return figures


async def sibot_starts(url: str, count: int) -> dict[str, Any]:
    async with running_emulator() as emulator:
        starts = [await start_and_measure(sibot_process(emulator, url)) for _ in range(count)]
    return {
        "ready_s": round(statistics.median(s["ready_s"] for s in starts), 3),
        "peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in starts),
        "ready_s_each": [s["ready_s"] for s in starts],
    }


async def naive_start(url: str) -> dict[str, Any]:
    async with running_emulator() as emulator:
        return await start_and_measure(bare_process("naive", emulator, "--database-url", url))


async def one_database(kind: str, patients: int, starts: int) -> dict[str, Any]:
    ids = patient_ids(patients)
    async with throwaway_database(kind) as url:
        empty = await sibot_starts(url, 1)
        await seed_patients(url, ids, ReminderPlan(now=datetime.now(UTC)))
        ours = await sibot_starts(url, starts)
        naive = await naive_start(url)
    speedup = ratio(naive["ready_s"], ours["ready_s"])
    return {
        "patients": patients,
        "sibot": ours,
        "sibot_empty_database": empty,
        "naive_job_per_patient": naive,
        "speedup_over_naive": speedup,
        "memory_over_naive": ratio(ours["peak_rss_mb"], naive["peak_rss_mb"]),
        "meets_target": (
            ours["ready_s"] <= TARGET_SECONDS
            and (ours["peak_rss_mb"] or 0) <= TARGET_MB
            and (speedup or 0) >= TARGET_SPEEDUP
        ),
    }


async def profile_start(kind: str, patients: int) -> dict[str, Any] | None:
    """py-spy over one sibot start, from spawn to ready (attaches as soon as the pid exists)."""
    ids = patient_ids(patients)
    async with throwaway_database(kind) as url:
        await seed_patients(url, ids, ReminderPlan(now=datetime.now(UTC)))
        async with running_emulator() as emulator:
            child = sibot_process(emulator, url)
            await child.start()
            async with Profiler(child.pid, f"restart-{kind}", enabled=True) as profiler:
                await child.wait_for_log("ready", timeout=300)
            await child.stop()
    return profiler.summary


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    patients = 300 if options.tiny else 100_000
    results: dict[str, Any] = {}
    rows: list[list[Any]] = []
    for kind in ("sqlite", "postgresql"):
        try:
            entry = await one_database(kind, patients, 1 if options.tiny else SIBOT_STARTS)
        except DatabaseUnavailable as exc:
            results[kind] = {"skipped": str(exc)}
            continue
        if options.profile:
            entry["profile"] = await profile_start(kind, patients)
        results[kind] = entry
        rows += [
            [kind, "sibot, empty database", 0, entry["sibot_empty_database"]["ready_s"], entry["sibot_empty_database"]["peak_rss_mb"], None],
            [kind, "sibot", patients, entry["sibot"]["ready_s"], entry["sibot"]["peak_rss_mb"], entry["speedup_over_naive"]],
            [kind, "naive: a job per patient", patients, entry["naive_job_per_patient"]["ready_s"], entry["naive_job_per_patient"]["peak_rss_mb"], 1.0],
        ]
    printed = table(
        f"Restart with {patients:,} patients (target: <= {TARGET_SECONDS:g} s, <= {TARGET_MB:g} MB, >= {TARGET_SPEEDUP:g}x naive)",
        ["database", "design", "patients", "start to ready s", "peak RSS MB", "speed-up"],
        rows,
    )
    return results, printed


if __name__ == "__main__":
    run("restart", measure)
