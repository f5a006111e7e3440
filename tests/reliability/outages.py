"""Databases that go away on purpose: a throwaway PostgreSQL cluster the test can stop and start,
and another process that holds a SQLite file's exclusive lock."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.processes import free_port

# How long the database stays away. The issue speaks of 30 s; a few seconds prove the same
# (every request in the window fails), so tests use this unless the environment says otherwise.
OUTAGE_SECONDS = float(os.environ.get("SIBOT_TEST_OUTAGE_SECONDS", "2"))


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        pytest.fail("the database outage tests need PostgreSQL's initdb and pg_ctl (postgresql package)")
    return Path(initdb).parent


class ThrowawayCluster:
    """A PostgreSQL cluster of its own on a free port, never the shared server on 5432.

    initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
    """

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="sibot-pg-"))
        self.port = free_port()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    async def create(self) -> None:
        await self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
        await self.start()

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        await self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "-o", options, "start"
        )

    async def stop(self) -> None:
        """Stop at once, as a crashed or rebooted server does: sessions are cut off mid-query."""
        await self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-m", "immediate", "stop")

    async def destroy(self) -> None:
        if (self.folder / "data" / "postmaster.pid").exists():
            await self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    async def _run(self, program: str, *arguments: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._as_owner, str(self.bin / program), *arguments,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, f"{program} failed: {output.decode(errors='replace')}"


_HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.rollback()
"""


class SqliteLockHolder:
    """Another process inside `BEGIN EXCLUSIVE` on the file until `release()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._process: asyncio.subprocess.Process | None = None

    async def hold(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HOLD_LOCK, str(self.path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        assert (await self._process.stdout.readline()).strip() == b"locked"

    async def release(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(b"done\n")
        await self._process.stdin.drain()
        assert await self._process.wait() == 0
