"""The bot as a real operating-system process: `python bot.py`, started, signalled, killed."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness import TOKEN

REPOSITORY = Path(__file__).resolve().parent.parent


# Below Linux's ephemeral range (32768-60999): an outgoing connection, which takes its local port
# from that range, cannot take the port between the probe and the bot's own bind. CI once lost a
# webhook replica, most likely to exactly that.
_PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, never the same one twice in a test run."""
    for port in random.sample(_PORTS, len(_PORTS)):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


_started: list[BotProcess] = []


async def kill_left_behind() -> None:
    """SIGKILL every bot process a test started and did not end (a test that failed half way): a
    process left polling would take CPU from every test after it."""
    left, _started[:] = list(_started), []
    for process in left:
        if process.process is not None and process.process.returncode is None:
            await process.kill()


class BotProcess:
    """One `python bot.py` with JSON logs on stderr, which the test reads line by line, and
    anything it prints on stdout (it should print nothing)."""

    def __init__(self, base_url: str, database_url: str, **environment: str) -> None:
        self.environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "SIBOT_LOG_FORMAT": "json",
            "SIBOT_LOG_LEVEL": "INFO",
            **environment,
        }
        self.command = [sys.executable, str(REPOSITORY / "bot.py")]
        self.cwd = REPOSITORY
        # user, group and extra_groups, to start the bot as someone else (tests run as root)
        self.credentials: dict[str, Any] = {}
        self.process: asyncio.subprocess.Process | None = None
        self.log_lines: list[dict[str, Any]] = []
        self.raw_log: list[str] = []
        self.stdout: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._stdout_reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Event()

    async def start(self, *arguments: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, *arguments,
            cwd=self.cwd, env=self.environment,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, **self.credentials,
        )
        _started.append(self)
        self._reader = asyncio.create_task(self._read_logs())
        self._stdout_reader = asyncio.create_task(self._read_stdout())

    async def wait_for_log(self, message: str, timeout: float = 20) -> dict[str, Any]:
        """The first log line whose message is `message`, waiting for it."""
        return await self._wait_for(lambda line: line.get("message") == message, timeout)

    async def wait_for_log_containing(self, fragment: str, timeout: float = 20) -> dict[str, Any]:
        """The first log line whose message contains `fragment`, waiting for it."""
        return await self._wait_for(lambda line: fragment in line.get("message", ""), timeout)

    async def _wait_for(self, wanted: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for line in self.log_lines:
                    if wanted(line):
                        return line
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"the bot exited early: {self.raw_log[-5:]}")
                self._new_line.clear()
                await self._new_line.wait()

    async def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, as systemd and Docker stop a service; the exit status."""
        return await self._signal(signal.SIGTERM, timeout)

    async def kill(self) -> int:
        return await self._signal(signal.SIGKILL, 10)

    async def wait(self, timeout: float = 20) -> int:
        assert self.process is not None
        async with asyncio.timeout(timeout):
            status = await self.process.wait()
        await asyncio.gather(*(task for task in (self._reader, self._stdout_reader) if task is not None))
        return status

    async def _signal(self, number: int, timeout: float) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(number)
        return await self.wait(timeout)

    async def _read_logs(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.raw_log.append(line)
            try:
                self.log_lines.append(json.loads(line))
            except json.JSONDecodeError:
                self.log_lines.append({"message": line})
            self._new_line.set()
        self._new_line.set()

    async def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            self.stdout.append(raw.decode(errors="replace").rstrip("\n"))


def webhook_process(base_url: str, database_url: str, port: int, **environment: str) -> BotProcess:
    """A bot process in webhook mode, taking Telegram's posts on 127.0.0.1:`port`."""
    return BotProcess(
        base_url,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        **environment,
    )
