"""Every benchmark still runs: each at its tiny size, as `python -m benchmarks.<name>`.

The figures of a tiny run on a shared CI machine say nothing, so only the shape of results.json
is checked, and the properties that hold at any speed: no reminder lost or sent twice, every
tap stored exactly once, a flood held back with a notice. A PostgreSQL case may say it was
skipped when no server answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import BENCHMARKS
from benchmarks.stage import REPOSITORY

MACHINE_KEYS = {"cpu", "cores", "python", "python_loop_s", "date"}
RUN_TIMEOUT = 300


def run_tiny(name: str, results: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--size", "tiny", "--results", str(results)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip(), "the benchmark printed no table"
    return json.loads(results.read_text())


def check_placement(figures: dict[str, Any]) -> None:
    for run in ("same_process", "separate_process"):
        assert figures["echo"][run]["updates"] == figures["echo_updates"]
        assert figures["echo"][run]["unanswered"] == 0
        assert figures["fan_out"][run]["delivered"] == figures["fan_out_messages"]
    assert figures["fairer"] in ("same_process", "separate_process")


def check_fanout(figures: dict[str, Any]) -> None:
    scenarios = [entry for key, entry in figures.items() if key != "size"]
    assert scenarios
    for entry in scenarios:
        if "skipped" in entry:
            continue
        for sender in ("sibot", "bare_ptb"):
            assert set(entry[sender]) >= {"rate_per_s", "rate_over_limit", "too_many_requests", "duplicates", "lost"}
        assert (entry["sibot"]["delivered"], entry["sibot"]["duplicates"], entry["sibot"]["lost"]) == (entry["patients"], 0, 0)
        assert isinstance(entry["meets_target"], bool)


def check_restart(figures: dict[str, Any]) -> None:
    for kind in ("sqlite", "postgresql"):
        entry = figures[kind]
        if "skipped" in entry:
            assert kind == "postgresql"
            continue
        for design in ("sibot", "sibot_empty_database", "naive_job_per_patient"):
            assert entry[design]["ready_s"] > 0 and entry[design]["peak_rss_mb"] > 0
        assert entry["naive_job_per_patient"]["jobs"] == entry["patients"]
        assert isinstance(entry["meets_target"], bool)


def check_holds(figures: dict[str, Any]) -> None:
    for bot in ("sibot", "bare_ptb_asyncio_timers"):
        assert set(figures[bot]) >= {"relaxes_during_fan_out", "p50_ms", "p99_ms", "fan_out_rate_per_s"}
        assert figures[bot]["relaxes_during_fan_out"] + figures[bot]["relaxes_outside_fan_out"] > 0
    assert isinstance(figures["meets_target"], bool)


def check_throughput(figures: dict[str, Any]) -> None:
    for bare in ("bare_tap", "bare_tap_aiohttp", "bare_echo"):
        assert figures[bare]["updates"] == figures["taps"] and figures[bare]["unanswered"] == 0
        assert len(figures[bare]["rounds_per_s"]) == figures["rounds"]
    for kind in ("sqlite", "postgresql"):
        entry = figures[f"sibot_{kind}"]
        if "skipped" in entry:
            assert kind == "postgresql"
            continue
        assert entry["updates"] == figures["taps"]
        assert entry["every_tap_stored_once"], entry
        assert isinstance(entry["meets_target"], bool)


def check_fairness(figures: dict[str, Any]) -> None:
    for run in ("quiet", "flooded"):
        entry = figures[run]
        assert entry["taps"] == figures["tappers"] * figures["taps_each"] and entry["unanswered"] == 0
        assert set(entry) >= {"p50_ms", "p99_ms", "bot_cpu_s", "too_many_requests"}
    flooded = figures["flooded"]
    assert flooded["notices"] >= 1 and flooded["stranger_notices"] >= 1, flooded
    assert 0 < flooded["help_answers"] < figures["flood"]["help"], "the flood was held back, not all of it"
    assert isinstance(figures["meets_target"], bool)


def check_locks(figures: dict[str, Any]) -> None:
    for kind in ("sqlite", "postgresql"):
        entry = figures[kind]
        if "skipped" in entry:
            assert kind == "postgresql"
            continue
        for phase in ("quiet", "locked", "after_release"):
            assert entry[phase]["unanswered"] == 0 and entry[phase]["other_answers"] == 0
            assert entry[phase]["bystander_answers"] > 0
        # while the lock is held no write gets through, and each is answered "try again"
        assert entry["locked"]["writes_saved"] == 0 and entry["locked"]["writes_try_again"] > 0
        assert entry["quiet"]["writes_try_again"] == entry["after_release"]["writes_try_again"] == 0
        assert isinstance(entry["meets_target"], bool)


def check_pace(figures: dict[str, Any]) -> None:
    guided, own = figures["guided"], figures["own"]
    # the counts hold at any speed: the guided pace asks fewer taps and sends fewer messages
    assert guided["taps"] < own["taps"] and guided["messages"] < own["messages"]
    assert guided["edits"] == own["edits"] == 0
    assert guided["sessions_a_day"] > own["sessions_a_day"]
    assert isinstance(figures["meets_targets"], bool)


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "placement": check_placement,
    "fanout": check_fanout,
    "restart": check_restart,
    "holds": check_holds,
    "throughput": check_throughput,
    "fairness": check_fairness,
    "locks": check_locks,
    "pace": check_pace,
}


def test_every_benchmark_has_a_smoke_check() -> None:
    assert set(CHECKS) == set(BENCHMARKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_at_tiny_size(name: str, tmp_path: Path) -> None:
    results = run_tiny(name, tmp_path / "results.json")
    assert set(results["machine"]) >= MACHINE_KEYS
    figures = results["benchmarks"][name]
    assert figures["size"] == "tiny"
    CHECKS[name](figures)
