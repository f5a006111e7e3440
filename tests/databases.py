"""Throwaway databases for tests: a SQLite file in tmp_path, or a new database on PostgreSQL,
empty or (MigratedTemplates) a copy of a migrated one.

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

from migrations import NEWEST_REVISION
from sibot.db import Database
from sibot.models import Base

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
async def postgres_database_url() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    await require_postgres()
    name = await _create("sibot_test", "template1")
    try:
        yield _postgres_url_of(name)
    finally:
        await _drop(name)


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

    Migrating takes about a second on PostgreSQL and a tenth on SQLite, and creating and dropping
    a PostgreSQL database most of another: a copy of the migrated database is the same database
    for a fraction of that, and on PostgreSQL the copy a finished test leaves is emptied for the
    next one (TRUNCATE, identities restarted). test_migrations.py runs the migrations
    themselves, on empty databases.
    """

    def __init__(self, folder: Path) -> None:
        self._sqlite = folder / "migrated.db"
        self._postgres: str | None = None  # the template database's name, once made
        self._emptied: list[str] = []  # PostgreSQL copies that finished tests left, emptied

    @asynccontextmanager
    async def copy(self, kind: str, folder: Path) -> AsyncIterator[str]:
        """A migrated database of `kind` ('sqlite' or 'postgresql') of the test's own."""
        if kind == "sqlite":
            yield await self._sqlite_copy(folder / "sibot.db")
            return
        name = self._emptied.pop() if self._emptied else await self._postgres_copy()
        try:
            yield _postgres_url_of(name)
        finally:
            if await _emptied(name):
                self._emptied.append(name)
            else:
                await _drop(name)

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

    async def _postgres_copy(self) -> str:
        await require_postgres()
        if self._postgres is None:
            self._postgres = await _create("sibot_template", "template1")
            await _migrate(_postgres_url_of(self._postgres))
        return await _create("sibot_test", self._postgres)

    async def drop(self) -> None:
        for name in [*self._emptied, *filter(None, [self._postgres])]:
            await _drop(name)


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


async def _create(prefix: str, template: str) -> str:
    """A new PostgreSQL database, a copy of `template`; its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _as_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def _drop(name: str) -> None:
    await _as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _as_admin(statement: str) -> None:
    connection = await asyncpg.connect(_raw_postgres_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _emptied(name: str) -> bool:
    """Empty every table of a finished test's PostgreSQL database but Alembic's, with the ids
    restarted: as its template has them. False when that would not make it so: a test changed
    the schema, or still holds a lock on a table."""
    connection = await asyncpg.connect(_raw_postgres_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        if await connection.fetchval("SELECT version_num FROM alembic_version") != NEWEST_REVISION:
            return False
        listed = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in listed]
        if set(tables) != {*Base.metadata.tables, "alembic_version"}:
            return False
        await connection.execute("SET lock_timeout = '1s'")
        emptied = ", ".join(f'"{table}"' for table in tables if table != "alembic_version")
        await connection.execute(f"TRUNCATE {emptied} RESTART IDENTITY CASCADE")
    except asyncpg.PostgresError:
        return False
    finally:
        await connection.close()
    return True
