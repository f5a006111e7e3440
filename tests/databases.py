"""Throwaway databases for tests: a SQLite file in tmp_path, or a new database on PostgreSQL.

PostgreSQL cases skip with a reason when the server does not answer, unless
SIBOT_REQUIRE_POSTGRES=1 (CI sets it): then they fail, so CI can never pass without them.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from sibot.db import Database

POSTGRES_URL = os.environ.get(
    "SIBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
_raw_postgres_url = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _postgres_answers() -> bool:
    try:
        connection = await asyncpg.connect(_raw_postgres_url, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return False
    await connection.close()
    return True


async def require_postgres() -> None:
    if await _postgres_answers():
        return
    message = f"PostgreSQL does not answer at {POSTGRES_URL}"
    if os.environ.get("SIBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " and SIBOT_REQUIRE_POSTGRES=1")
    pytest.skip(message)


def _postgres_url_of(name: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@asynccontextmanager
async def postgres_database_url(template: str = "template1") -> AsyncIterator[str]:
    """The URL of a new PostgreSQL database, a copy of `template` (by default empty), dropped
    afterwards."""
    await require_postgres()
    name = f"sibot_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_raw_postgres_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _postgres_url_of(name)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


@asynccontextmanager
async def database_url(kind: str, folder: Path) -> AsyncIterator[str]:
    """A fresh, empty database of `kind` ('sqlite' or 'postgresql')."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'sibot.db'}"
    else:
        async with postgres_database_url() as url:
            yield url


class MigratedTemplates:
    """One database of each kind, migrated once per test process, that tests get copies of.

    Migrating takes about a second on PostgreSQL and a tenth on SQLite; a copy of the migrated
    database is the same database for a fraction of that. test_migrations.py runs the migrations
    themselves, on empty databases.
    """

    def __init__(self, folder: Path) -> None:
        self._sqlite = folder / "migrated.db"
        self._postgres: str | None = None  # the template database's name, once made

    @asynccontextmanager
    async def copy(self, kind: str, folder: Path) -> AsyncIterator[str]:
        """A new migrated database of `kind` ('sqlite' or 'postgresql'), dropped afterwards."""
        if kind == "sqlite":
            yield await self._sqlite_copy(folder / "sibot.db")
            return
        if self._postgres is None:
            self._postgres = await self._migrated_postgres()
        async with postgres_database_url(self._postgres) as url:
            yield url

    async def _sqlite_copy(self, path: Path) -> str:
        if not self._sqlite.exists():
            await _migrate(f"sqlite+aiosqlite:///{self._sqlite}")
        # the backup API copies what is committed, whatever the write-ahead log still holds
        source, target = sqlite3.connect(self._sqlite), sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return f"sqlite+aiosqlite:///{path}"

    async def _migrated_postgres(self) -> str:
        await require_postgres()
        name = f"sibot_template_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(_raw_postgres_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        await _migrate(_postgres_url_of(name))
        return name

    async def drop(self) -> None:
        if self._postgres is None:
            return
        connection = await asyncpg.connect(_raw_postgres_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)')
        finally:
            await connection.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
