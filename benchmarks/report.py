"""What every benchmark shares: its command line, the machine, the table, results.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
SIZES = ("full", "tiny")


@dataclass(frozen=True, slots=True)
class Options:
    size: str  # "full" for the figures in the README, "tiny" for the smoke test
    results: Path
    profile: bool  # run py-spy (or cProfile) where a target is missed

    @property
    def tiny(self) -> bool:
        return self.size == "tiny"


def parse_options(name: str, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}")
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON file to merge into")
    parser.add_argument("--profile", action="store_true", help="profile sibot's side of the run")
    args = parser.parse_args(argv)
    return Options(args.size, args.results, args.profile)


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(_memory_kb() / 1024 / 1024, 1),
        "python": platform.python_version(),
        "python_telegram_bot": version("python-telegram-bot"),
        "sqlalchemy": version("SQLAlchemy"),
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "python_loop_s": python_loop_seconds(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def python_loop_seconds(iterations: int = 2_000_000) -> float:
    """How fast this machine runs plain Python right now (median of 3): virtual machines here
    have differed by 3x from one session to the next, so figures from two runs compare only
    through their ratios or with this beside them."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(iterations):
            total += number
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings), 3)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def merge_results(path: Path, name: str, figures: dict[str, Any]) -> None:
    """Put one benchmark's figures into the results file, keeping the others' figures."""
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results["machine"] = machine()
    results.setdefault("benchmarks", {})[name] = figures
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    temporary.replace(path)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line([str(h) for h in header]), rule, *(line(row) for row in cells)])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if value is None:
        return "-"
    return str(value)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (fraction 0.99 for p99); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return round(value / baseline, 3)


def run(
    name: str,
    measure: Callable[[Options], Awaitable[tuple[dict[str, Any], str]]],
    argv: Sequence[str] | None = None,
) -> None:
    """Parse the command line, measure, print the table and merge the figures."""
    options = parse_options(name, argv)
    figures, printed = asyncio.run(measure(options))
    figures = {"size": options.size, **figures}
    print(printed, flush=True)
    merge_results(options.results, name, figures)
    print(f"figures merged into {options.results}", file=sys.stderr)
