"""Where the emulator should run: in the bot's process, or beside it in its own?

On two cores a bot in the emulator's process shares one interpreter (one core, one GIL) with the
Telegram it talks to, so every figure would include the emulator's own work. This measures the
bare PTB echo bot and the bare fan-out both ways; the other benchmarks use the fairer placement.
"""

from __future__ import annotations

from typing import Any

from benchmarks import bare
from benchmarks.load import closed_loop, delivery_of
from benchmarks.report import Options, ratio, run, table
from benchmarks.stage import (
    add_patients,
    bare_process,
    own_cpu_seconds,
    patient_ids,
    process_cpu_seconds,
    running_emulator,
)

RATE = 1000
IN_FLIGHT = 100


async def echo_in_process(updates: int) -> dict[str, Any]:
    async with running_emulator(global_rate=None, chat_rate=None) as emulator:
        patients = [emulator.patient(user_id=pid) for pid in patient_ids(updates)]
        application = bare.interactive_application("echo", emulator.base_url)
        await bare.start(application)
        cpu = own_cpu_seconds()
        load = await closed_loop(emulator, patients, lambda p: p.send("hello"), "sendMessage", IN_FLIGHT)
        cpu = own_cpu_seconds() - cpu
        await bare.stop(application)
    return {**load.figures(), "bot_and_emulator_cpu_s": round(cpu, 2)}


async def echo_in_child(updates: int) -> dict[str, Any]:
    async with running_emulator(global_rate=None, chat_rate=None) as emulator:
        patients = [emulator.patient(user_id=pid) for pid in patient_ids(updates)]
        child = bare_process("echo", emulator)
        await child.start()
        await child.wait_for_log("ready")
        bot_cpu, emulator_cpu = process_cpu_seconds(child.pid) or 0.0, own_cpu_seconds()
        load = await closed_loop(emulator, patients, lambda p: p.send("hello"), "sendMessage", IN_FLIGHT)
        bot_cpu = (process_cpu_seconds(child.pid) or 0.0) - bot_cpu
        emulator_cpu = own_cpu_seconds() - emulator_cpu
        await child.stop()
    return {**load.figures(), "bot_cpu_s": round(bot_cpu, 2), "emulator_cpu_s": round(emulator_cpu, 2)}


async def fan_out_in_process(count: int) -> dict[str, Any]:
    async with running_emulator(global_rate=RATE, chat_rate=None) as emulator:
        ids = patient_ids(count)
        add_patients(emulator, ids)
        bot = bare.limited_bot(emulator.base_url, RATE)
        async with bot:
            await bare.fan_out(bot, ids)
        return _fan_out_figures(delivery_of(emulator, set(ids)))


async def fan_out_in_child(count: int) -> dict[str, Any]:
    async with running_emulator(global_rate=RATE, chat_rate=None) as emulator:
        ids = patient_ids(count)
        add_patients(emulator, ids)
        child = bare_process("send", emulator, "--rate", str(RATE), "--first", str(ids[0]), "--count", str(count))
        await child.start()
        await child.wait()
        return _fan_out_figures(delivery_of(emulator, set(ids)))


def _fan_out_figures(delivery: Any) -> dict[str, Any]:
    rate = delivery.rate()
    return {
        "delivered": delivery.delivered,
        "rate_per_s": None if rate is None else round(rate, 1),
        "rate_over_limit": ratio(rate, RATE),
        "too_many_requests": delivery.too_many_requests,
    }


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    updates, count = (100, 100) if options.tiny else (3000, 3000)
    echo = {"same_process": await echo_in_process(updates), "separate_process": await echo_in_child(updates)}
    fan_out = {"same_process": await fan_out_in_process(count), "separate_process": await fan_out_in_child(count)}
    gain = ratio(echo["separate_process"]["updates_per_s"], echo["same_process"]["updates_per_s"])
    fairer = "separate_process" if (gain or 0) >= 1 else "same_process"
    figures = {
        "echo_updates": updates,
        "fan_out_messages": count,
        "fan_out_limit_per_s": RATE,
        "echo": echo,
        "fan_out": fan_out,
        "echo_separate_over_same": gain,
        "fairer": fairer,
    }
    rows = [
        ["echo bot, same process", echo["same_process"]["updates_per_s"], echo["same_process"]["p99_ms"], "-"],
        ["echo bot, separate process", echo["separate_process"]["updates_per_s"], echo["separate_process"]["p99_ms"], "-"],
        ["bare fan-out, same process", fan_out["same_process"]["rate_per_s"], None, fan_out["same_process"]["too_many_requests"]],
        ["bare fan-out, separate process", fan_out["separate_process"]["rate_per_s"], None, fan_out["separate_process"]["too_many_requests"]],
    ]
    printed = table(
        f"Placement of the emulator ({updates} echo updates, {count} sends at {RATE}/s): fairer = {fairer}",
        ["run", "per second", "p99 ms", "429s"],
        rows,
    )
    return figures, printed


if __name__ == "__main__":
    run("placement", measure)
