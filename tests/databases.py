"""Throwaway databases for tests: a SQLite file in tmp_path, or a new database on PostgreSQL.

PostgreSQL cases skip with a reason when the server does not answer, unless
SIBOT_REQUIRE_POSTGRES=1 (CI sets it): then they fail, so CI can never pass without them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

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


@asynccontextmanager
async def postgres_database_url() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards (about 30 ms each)."""
    await require_postgres()
    name = f"sibot_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_raw_postgres_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
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
