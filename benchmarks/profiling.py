"""Sampling a bot process with py-spy while a benchmark runs, summed up by function.

py-spy (from PyPI) attaches to the running process, so the bot runs unchanged. With `--profile`
a benchmark wraps its measured phase in a `Profiler`; the summary (where the samples fell, by
function, with and without callees) goes into results.json.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

SAMPLES_PER_SECOND = 200
TOP = 15


def _py_spy() -> str | None:
    beside_python = Path(sys.executable).parent / "py-spy"
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


class Profiler:
    """`async with Profiler(pid, name, enabled=...) as p:` ...; then `p.summary` (None if off)."""

    def __init__(self, pid: int, name: str, *, enabled: bool) -> None:
        self.pid = pid
        self.name = name
        self.enabled = enabled
        self.summary: dict[str, Any] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="sibot-profile-"))
        self._output = self._folder / f"{name}.txt"

    async def __aenter__(self) -> Profiler:
        executable = _py_spy()
        if not self.enabled:
            return self
        if executable is None:
            self.summary = {"skipped": "py-spy is not installed (pip install py-spy)"}
            return self
        self._process = await asyncio.create_subprocess_exec(
            executable, "record", "--pid", str(self.pid), "--format", "raw", "--rate",
            str(SAMPLES_PER_SECOND), "--output", str(self._output), "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.3)  # let it attach
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGINT)
        await self._process.wait()
        if self._output.exists():
            self.summary = summarize(self._output.read_text())
            self.summary["raw_stacks"] = str(self._output)
        else:
            self.summary = {"skipped": "py-spy wrote nothing (is ptrace allowed here?)"}


def summarize(collapsed: str) -> dict[str, Any]:
    """Top functions by share of samples, inclusive (on the stack) and self (on top)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "inclusive_pct": {name: round(100 * n / total, 1) for name, n in inclusive.most_common(TOP * 3) if not _is_plumbing(name)},
        "self_pct": {name: round(100 * n / total, 1) for name, n in own.most_common(TOP)},
    }


def _short(frame: str) -> str:
    """'send_message (telegram/_bot.py:123)' -> 'send_message (telegram/_bot.py)'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


def _is_plumbing(name: str) -> bool:
    """Frames that are on every stack and tell nothing (the event loop, the entry point)."""
    return any(
        part in name
        for part in ("asyncio/base_events.py", "asyncio/events.py", "asyncio/runners.py", "<module>", "bot.py)", "run_polling", "_run (")
    )
