"""Reminder fan-out: every patient due in the same minute, at the emulator's limit.

sibot's dispatcher (`python bot.py`, reminders seeded due 30 s ago) against a bare PTB loop that
calls send_message for the same chats through PTB's AIORateLimiter at the same limit. The
emulator's record gives the achieved rate, 429s, duplicates and losses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sibot.emulator import Emulator

from benchmarks.load import Delivery, delivery_of
from benchmarks.profiling import Profiler
from benchmarks.report import Options, ratio, run, table
from benchmarks.stage import (
    DatabaseUnavailable,
    ReminderPlan,
    add_patients,
    bare_process,
    patient_ids,
    running_emulator,
    seed_patients,
    sibot_process,
    throwaway_database,
)

# After the last delivery, wait this long for late duplicates before counting.
QUIET_SECONDS = 2.0
STALL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Scenario:
    patients: int
    limit: int  # messages a second, for the emulator and for the bot
    database: str = "sqlite"

    @property
    def key(self) -> str:
        return f"{self.patients}_at_{self.limit}_per_s_{self.database}"


def scenarios(options: Options) -> list[Scenario]:
    if options.tiny:
        return [Scenario(60, 1000), Scenario(20, 30)]
    return [Scenario(5000, 1000), Scenario(5000, 1000, "postgresql"), Scenario(300, 30)]


async def settled(emulator: Emulator, chats: set[int]) -> Delivery:
    """The delivery once every chat got its message (or nothing moved for STALL_SECONDS)."""
    last_change, last_count = asyncio.get_running_loop().time(), -1
    while True:
        await asyncio.sleep(0.25)
        now = asyncio.get_running_loop().time()
        delivery = delivery_of(emulator, chats)
        count = delivery.delivered + delivery.too_many_requests
        if count != last_count:
            last_change, last_count = now, count
        if delivery.lost == 0 and now - last_change >= QUIET_SECONDS:
            return delivery
        if now - last_change >= STALL_SECONDS:
            return delivery


async def baseline(scenario: Scenario) -> Delivery:
    async with running_emulator(global_rate=scenario.limit) as emulator:
        ids = patient_ids(scenario.patients)
        add_patients(emulator, ids)
        child = bare_process(
            "send", emulator, "--rate", str(scenario.limit), "--first", str(ids[0]), "--count", str(len(ids))
        )
        await child.start()
        await child.wait()
        return await settled(emulator, set(ids))


async def sibot(scenario: Scenario, options: Options) -> tuple[Delivery, dict[str, Any] | None]:
    ids = patient_ids(scenario.patients)
    now = datetime.now(UTC)
    async with throwaway_database(scenario.database) as url:
        await seed_patients(url, ids, ReminderPlan(now=now, due_at=now - timedelta(seconds=30)))
        async with running_emulator(global_rate=scenario.limit) as emulator:
            add_patients(emulator, ids)
            child = sibot_process(emulator, url, SIBOT_SEND_RATE=str(scenario.limit))
            await child.start()
            await child.wait_for_log("ready")
            async with Profiler(child.pid, f"fanout-{scenario.key}", enabled=options.profile) as profiler:
                delivery = await settled(emulator, set(ids))
            await child.stop()
            return delivery, profiler.summary


def figures_of(delivery: Delivery, limit: int) -> dict[str, Any]:
    rate = delivery.rate()
    return {
        "delivered": delivery.delivered,
        "seconds": None if delivery.seconds is None else round(delivery.seconds, 2),
        "rate_per_s": None if rate is None else round(rate, 1),
        "rate_over_limit": ratio(rate, limit),
        "too_many_requests": delivery.too_many_requests,
        "duplicates": delivery.duplicates,
        "lost": delivery.lost,
    }


def meets_target(figures: dict[str, Any]) -> bool:
    return (
        (figures["rate_over_limit"] or 0) >= 0.95
        and figures["too_many_requests"] == 0
        and figures["duplicates"] == 0
        and figures["lost"] == 0
    )


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    results: dict[str, Any] = {}
    rows: list[list[Any]] = []
    for scenario in scenarios(options):
        try:
            delivery, profile = await sibot(scenario, options)
        except DatabaseUnavailable as exc:
            results[scenario.key] = {"skipped": str(exc)}
            continue
        ours = figures_of(delivery, scenario.limit)
        bare = figures_of(await baseline(scenario), scenario.limit)
        entry = {
            "patients": scenario.patients, "limit_per_s": scenario.limit, "database": scenario.database,
            "sibot": ours, "bare_ptb": bare,
            "rate_over_bare": ratio(ours["rate_per_s"], bare["rate_per_s"]),
            "meets_target": meets_target(ours),
        }
        if profile is not None:
            entry["profile"] = profile
        results[scenario.key] = entry
        for name, figures in (("sibot", ours), ("bare PTB + AIORateLimiter", bare)):
            rows.append([
                f"{scenario.patients} @ {scenario.limit}/s", scenario.database if name == "sibot" else "-", name,
                figures["rate_per_s"], figures["rate_over_limit"], figures["too_many_requests"],
                figures["duplicates"], figures["lost"],
            ])
    printed = table(
        "Reminder fan-out (target: rate/limit >= 0.95, no 429, no duplicate, no loss)",
        ["patients @ limit", "database", "sender", "msg/s", "rate/limit", "429s", "dupes", "lost"],
        rows,
    )
    return results, printed


if __name__ == "__main__":
    run("fanout", measure)
