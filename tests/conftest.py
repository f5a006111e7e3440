"""Shared fixtures: databases of both kinds, settings, a clock you can move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sibot.db import Database
from tests.databases import database_url

DATABASE_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASE_KINDS)
async def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, once SQLite and once PostgreSQL."""
    async with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def database(any_database_url: str) -> AsyncIterator[Database]:
    """A migrated database of each kind."""
    db = Database(any_database_url)
    await db.upgrade()
    yield db
    await db.dispose()
