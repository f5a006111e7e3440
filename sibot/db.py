"""The async engine, the session factory, and upgrading the schema at start."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

import migrations
from sibot.aiosqlite_private import make_calls_at_once, open_without_worker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).parent

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; NORMAL is safe with WAL and much faster.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, not merely unlinked: /delete must erase. Some
    # builds of SQLite do this by default, others not.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (relative to the working folder, as SQLite reads it); None for
    PostgreSQL and for a database in memory."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner alone, before SQLite creates it with the
    umask's 0644. SQLite gives its -wal and -shm files the mode of the database file."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        pass  # a missing folder, no permission: SQLite's own error says so next


class _SqliteOnTheLoop(aiosqlite.Connection):
    """aiosqlite's connection, its calls made on the event loop's thread instead of a worker's.

    With one connection every transaction waits for the one before it. Through the worker thread
    a transaction held the connection for a dozen trips between the threads, each waiting for its
    turn in a busy event loop; now it runs through without yielding, in the fraction of a
    millisecond SQLite takes, and pain taps on SQLite go much faster (see benchmarks/README.md).
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        make_calls_at_once(self)

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return open_without_worker(self).__await__()


def create_engine(url: str) -> AsyncEngine:
    """An engine for a SQLite file or a PostgreSQL server, set up for this bot's load."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One connection serialises writers in the process: no SQLITE_BUSY between our own
        # transactions, and the lowest p99 measured here. Never hold a session while opening another.
        arguments, options = parsed.get_dialect()().create_connect_args(parsed)
        connector = partial(sqlite3.connect, *arguments, **options)
        path = sqlite_file(url)

        async def connect() -> aiosqlite.Connection:
            if path is not None:
                _create_private(path)
            return await _SqliteOnTheLoop(connector)

        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60, async_creator=connect, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters on both: a failed statement is logged, and its parameters are health data.
    engine = create_async_engine(url, pool_size=10, max_overflow=10, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _note_idle_since)  # a new one is alive
    event.listen(engine.sync_engine, "checkin", _note_idle_since)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection in use a moment ago still has its server; one that sat idle may have lost
# it (a restart, a failover) and is pinged before use. SQLAlchemy's pool_pre_ping pinged at every
# checkout, three round trips on asyncpg: much of a PostgreSQL pain tap (see benchmarks/README.md).
PING_AFTER_IDLE_S = 5.0


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_S:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool drops this connection and checks out another (a new one if need be).
        raise DisconnectionError("the pooled connection is gone") from error


class Database:
    """The engine and its session factory; one AsyncSession per update or job."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.kind = self.engine.dialect.name
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction that commits on success and rolls back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (the newest by default)."""
        async with self.engine.begin() as connection:
            # Importing alembic took a sixth of every start, and most starts find nothing to do.
            if revision == "head" and await connection.run_sync(_at_newest_revision):
                return
            await connection.run_sync(run_alembic, "upgrade", revision)

    async def forget_deleted(self) -> None:
        """Make rows deleted a moment ago unreadable from the database's files.

        SQLite's write-ahead log keeps earlier versions of the pages, the erased rows in them,
        until it happens to write over them; a TRUNCATE checkpoint copies the newest pages into
        the database file and empties the log. PostgreSQL keeps deleted rows as dead tuples
        until VACUUM reuses their space, which is its own business.
        """
        if self.kind != "sqlite":
            return
        async with self.engine.connect() as connection:
            busy, _, _ = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        if busy:
            # Another connection (a `sqlite3` shell, a backup) read an older snapshot past the
            # busy timeout; the erased rows stay in the log until SQLite writes over them.
            log.warning("the write-ahead log still holds erased rows: another reader kept it busy")

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not reachable" for a health check
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _at_newest_revision(connection: Connection) -> bool:
    if not inspect(connection).has_table("alembic_version"):
        return False
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions == [migrations.NEWEST_REVISION]


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def run_alembic(connection: Connection, verb: str, revision: str) -> None:
    """Run `alembic upgrade|downgrade <revision>` on a connection the caller holds."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, verb)(config, revision)
