"""The async engine, the session factory, and upgrading the schema at start."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

import migrations
from sibot.aiosqlite_private import open_without_worker, replace_call_queue

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).parent

log = logging.getLogger(__name__)

# How long statements wait for a lock another client holds (a second process on the SQLite file,
# an operator's LOCK TABLE): then the update fails and the patient is told to try again in a
# minute, within 3 s of their tap.
LOCK_PATIENCE_S = 2.0
# A lock met again within this long of the last meeting is the same lock (one episode).
LOCK_EPISODE_GAP_S = 2.0
# At most this many statements wait for locks at once; others fail at once. Each waiting update
# holds one of the bot's 16 update slots, and the patients who need no lock must find one free.
MAX_LOCK_WAITERS = 4
# PostgreSQL tells of a lock wait only when it gives up: a transaction open this long may be
# waiting (ours take milliseconds), and MAX_LOCK_WAITERS of them are taken to be.
MAYBE_WAITING_S = 0.1
# PostgreSQL: a statement that may not wait still waits this long, for the row locks our own
# transactions hold for milliseconds.
LOCK_FLOOR_S = 0.05
# PostgreSQL cancels a statement that runs longer than this: a runaway query must not hold a
# pooled connection and an update slot for minutes.
STATEMENT_TIMEOUT_S = 10.0
# How long an update waits for a pooled connection before it is told to try again.
POOL_TIMEOUT_S = 1.0
# SQLite: a call that met a lock is tried again after 5 ms, 10, 20, 40, then every 50 ms.
_FIRST_RETRY_S = 0.005
_LONGEST_RETRY_S = 0.05

# False inside a transaction that would rather fail than wait for a lock (Database.transaction).
_waits_for_locks: ContextVar[bool] = ContextVar("sibot_waits_for_locks", default=True)


class LockWatch:
    """The lock waits of one database, as episodes: statements that meet a lock another client
    holds wait for it until LOCK_PATIENCE_S after the episode began, not each from its own start,
    and at most MAX_LOCK_WAITERS at once; the others fail at once, until a wait ends with the lock
    taken (or no lock is met for a while).

    A waiting update holds one of the bot's 16 update slots. With every statement waiting its own
    full patience, twenty patients storing pain scores through a long lock kept every slot, and
    the patients who needed no lock waited behind them for seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._began: float | None = None
        self._last_met = 0.0
        self._waiting = 0  # SQLite: statements waiting for a lock now
        self._open: dict[object, float] = {}  # PostgreSQL: open transactions, since when

    def met_lock(self, waited: float = 0.0) -> float:
        """Note that a statement found the lock held (and had waited `waited` seconds for it);
        the moment (on the clock) the episode's patience ends."""
        now = self._clock()
        if self._began is None or now - self._last_met > LOCK_EPISODE_GAP_S:
            self._began = now - waited
        self._last_met = now
        return self._began + LOCK_PATIENCE_S

    def start_wait(self) -> float | None:
        """A statement found the lock held: the moment its wait ends, or None if it must fail
        at once (the patience is spent, or MAX_LOCK_WAITERS statements wait already)."""
        deadline = self.met_lock()
        if deadline <= self._clock() or self._waiting >= MAX_LOCK_WAITERS:
            return None
        self._waiting += 1
        return deadline

    def end_wait(self, *, taken: bool) -> None:
        """A wait is over: with the lock `taken`, the episode too."""
        self._waiting -= 1
        if taken:
            self._began = None

    @contextmanager
    def transaction_open(self) -> Iterator[None]:
        key = object()
        self._open[key] = self._clock()
        try:
            yield
        finally:
            del self._open[key]

    def patience(self) -> float:
        """How long a PostgreSQL statement that starts now may wait for a lock."""
        now = self._clock()
        maybe_waiting = sum(1 for since in self._open.values() if now - since >= MAYBE_WAITING_S)
        if maybe_waiting >= MAX_LOCK_WAITERS:
            return LOCK_FLOOR_S
        if self._began is None or now - self._last_met > LOCK_EPISODE_GAP_S:
            return LOCK_PATIENCE_S
        return max(self._began + LOCK_PATIENCE_S - now, LOCK_FLOOR_S)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; NORMAL is safe with WAL and much faster.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No busy timeout: SQLite would sleep on the event loop's thread, and every patient with it.
    # _CallsAtOnce waits for a lock instead, with the loop free.
    cursor.execute("PRAGMA busy_timeout=0")
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
    # A missing folder or no permission: SQLite's own error says so next.
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class _CallsAtOnce:
    """Stands where aiosqlite queues each call for its worker thread: the call runs at once.

    A call that finds the write lock held by another client is tried again a little later, until
    its lock episode's patience is spent (LockWatch), while the event loop serves everyone else.
    """

    def __init__(self, locks: LockWatch) -> None:
        self._locks = locks

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, call = item
        if future is None:
            call()
            return
        try:
            result = call()
        except sqlite3.OperationalError as error:
            deadline = self._locks.start_wait() if _waits_for_locks.get() and _busy(error) else None
            if deadline is None:
                future.set_exception(error)
            else:
                self._retry(future, call, deadline, 0)
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)
        else:
            future.set_result(result)

    def _retry(
        self, future: asyncio.Future[Any], call: Callable[[], Any], deadline: float, tries: int
    ) -> None:
        left = max(deadline - time.monotonic(), 0.0)
        delay = min(_FIRST_RETRY_S * 2**tries, _LONGEST_RETRY_S, left)
        future.get_loop().call_later(delay, self._try_again, future, call, deadline, tries + 1)

    def _try_again(
        self, future: asyncio.Future[Any], call: Callable[[], Any], deadline: float, tries: int
    ) -> None:
        if future.done():  # its caller was cancelled while it waited
            self._locks.end_wait(taken=False)
            return
        try:
            result = call()
        except sqlite3.OperationalError as error:
            if _busy(error) and time.monotonic() < deadline:
                self._locks.met_lock()  # still held: the episode goes on
                self._retry(future, call, deadline, tries)
                return
            self._locks.end_wait(taken=False)
            future.set_exception(error)
        except Exception as error:  # noqa: BLE001 - as above
            self._locks.end_wait(taken=False)
            future.set_exception(error)
        else:
            self._locks.end_wait(taken=True)
            future.set_result(result)


def _busy(error: sqlite3.OperationalError) -> bool:
    """The lock is held by another connection; not SQLITE_BUSY_SNAPSHOT, which no wait mends."""
    return getattr(error, "sqlite_errorname", None) == "SQLITE_BUSY"


class _SqliteOnTheLoop(aiosqlite.Connection):
    """aiosqlite's connection, its calls made on the event loop's thread instead of a worker's.

    With one connection every transaction waits for the one before it. Through the worker thread
    a transaction held the connection for a dozen trips between the threads, each waiting for its
    turn in a busy event loop; now it runs through without yielding, in the fraction of a
    millisecond SQLite takes, and pain taps on SQLite go much faster (see benchmarks/README.md).
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], locks: LockWatch) -> None:
        super().__init__(connector, iter_chunk_size=64)
        replace_call_queue(self, _CallsAtOnce(locks))

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return open_without_worker(self).__await__()


def create_engine(url: str, locks: LockWatch) -> AsyncEngine:
    """An engine for a SQLite file or a PostgreSQL server, set up for this bot's load."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One connection serialises writers in the process: a transaction runs through without
        # yielding (see _SqliteOnTheLoop), so no SQLITE_BUSY between our own transactions, and
        # the lowest p99 measured here. Only a transaction waiting for another client's lock
        # holds its connection across a yield: the others take overflow connections meanwhile.
        arguments, options = parsed.get_dialect()().create_connect_args(parsed)
        connector = partial(sqlite3.connect, *arguments, **options)
        path = sqlite_file(url)

        async def connect() -> aiosqlite.Connection:
            if path is not None:
                _create_private(path)
            return await _SqliteOnTheLoop(connector, locks)

        # hide_parameters on both: a failed statement is logged, and its parameters are health data.
        engine = create_async_engine(
            url, pool_size=1, max_overflow=31, pool_timeout=POOL_TIMEOUT_S, async_creator=connect,
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    timeouts = {"lock_timeout": _ms(LOCK_PATIENCE_S), "statement_timeout": _ms(STATEMENT_TIMEOUT_S)}
    engine = create_async_engine(
        url, pool_size=10, max_overflow=10, pool_timeout=POOL_TIMEOUT_S,
        connect_args={"server_settings": timeouts}, hide_parameters=True,
    )
    event.listen(engine.sync_engine, "connect", _note_idle_since)  # a new one is alive
    event.listen(engine.sync_engine, "checkin", _note_idle_since)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


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
        self.locks = LockWatch()
        self.engine = create_engine(url, self.locks)
        self.kind = self.engine.dialect.name
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self, *, wait_for_locks: bool = True) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction that commits on success and rolls back on error.

        With `wait_for_locks=False` a statement that finds a lock held fails at once (or nearly:
        LOCK_FLOOR_S on PostgreSQL), for writes that may be skipped.
        """
        waits = _waits_for_locks.set(wait_for_locks)
        try:
            with self.locks.transaction_open():
                async with self.sessionmaker() as session, session.begin():
                    if self.kind == "postgresql":
                        await self._limit_lock_wait(session, wait_for_locks)
                    yield session
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == _LOCK_TIMEOUT and wait_for_locks:
                # PostgreSQL tells of a lock only once the statement has waited its patience.
                self.locks.met_lock(waited=LOCK_PATIENCE_S)
            raise
        finally:
            _waits_for_locks.reset(waits)

    async def _limit_lock_wait(self, session: AsyncSession, wait_for_locks: bool) -> None:
        """Shorten the server's lock_timeout for this transaction during a lock episode."""
        patience = self.locks.patience() if wait_for_locks else LOCK_FLOOR_S
        if patience < LOCK_PATIENCE_S:  # the connection's own setting holds otherwise
            await session.execute(text(f"SET LOCAL lock_timeout = {_ms(patience)}"))

    async def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (the newest by default)."""
        if revision == "head":
            # Importing alembic took a sixth of every start, and most starts find nothing to do.
            async with self.engine.connect() as connection:
                if await connection.run_sync(_at_newest_revision):
                    return
        await self.migrate("upgrade", revision)

    async def migrate(self, verb: str, revision: str) -> None:
        """Run `alembic upgrade|downgrade <revision>` in one transaction (migration_transaction)."""
        async with self.engine.connect() as connection:
            await connection.run_sync(run_alembic, verb, revision)

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


# What a failure says of the database (trouble_of).
BUSY = "busy"  # a lock held too long, a statement cancelled, no pooled connection free
READ_ONLY = "read-only"
UNREACHABLE = "unreachable"
# PostgreSQL's SQLSTATEs: lock_timeout, statement_timeout, and a write in a read-only
# transaction (default_transaction_read_only, or a standby).
_LOCK_TIMEOUT = "55P03"
_POSTGRES_TROUBLE = {_LOCK_TIMEOUT: BUSY, "57014": BUSY, "25006": READ_ONLY}


def trouble_of(error: BaseException | None) -> str | None:
    """BUSY, READ_ONLY or UNREACHABLE when `error` comes from the database's state; None when it
    is a fault of ours (a bug, a constraint)."""
    if isinstance(error, PoolTimeout):
        return BUSY
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        sqlite_error = getattr(error.orig, "sqlite_errorname", None) or ""
        if sqlstate in _POSTGRES_TROUBLE:
            return _POSTGRES_TROUBLE[sqlstate]
        if sqlite_error.startswith("SQLITE_BUSY"):
            return BUSY
        if sqlite_error.startswith("SQLITE_READONLY"):
            return READ_ONLY
        if isinstance(error, OperationalError) or error.connection_invalidated:
            return UNREACHABLE
        return None
    return UNREACHABLE if isinstance(error, (ConnectionError, TimeoutError)) else None


def _at_newest_revision(connection: Connection) -> bool:
    if not inspect(connection).has_table("alembic_version"):
        return False
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions == [migrations.NEWEST_REVISION]


class BrokenReferences(Exception):
    """A migration on SQLite would leave rows that refer to rows that are not there; it was
    rolled back."""

    def __init__(self, dangling: Counter[tuple[str, str]]) -> None:
        rows = ", ".join(
            f"{count} of {table} without their row in {parent}"
            for (table, parent), count in sorted(dangling.items())
        )
        super().__init__(
            f"the migration would leave rows that refer to rows that are not there ({rows})"
        )


# PostgreSQL's advisory lock key for migrations (any constant; "sibot" in ASCII).
_MIGRATION_LOCK = 0x7369626F74


@contextmanager
def migration_transaction(connection: Connection) -> Iterator[None]:
    """The one transaction a migration runs in, on a `connection` that is in none yet.

    SQLite has almost no ALTER TABLE: Alembic's batch mode copies a table to change it and drops
    the old one. With foreign keys enforced, that drop deletes every row referring to the table
    (ON DELETE CASCADE): dropping a column of `patients` deleted every patient's sessions. So
    foreign keys are off while a migration runs (SQLite takes that only outside a transaction),
    checked before the commit, and on again after it. pysqlite commits each DDL statement at
    once unless a transaction is open: the explicit BEGIN makes a failed migration change nothing.
    """
    if connection.in_transaction():
        raise RuntimeError(
            "a migration runs in a transaction of its own: hand it a connection in none"
        )
    if connection.dialect.name != "sqlite":
        with connection.begin():
            # A migration may rewrite a big table, and must wait for the transactions of the
            # replicas still running the old version.
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            # Replicas starting together take turns: the next one finds the schema at its revision
            # and has nothing to do, where two migrations at once would wait on each other for ever.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            yield
        return
    with _foreign_keys_off(connection), connection.begin():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        with _references_kept(connection):
            yield


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's foreign keys off in the block, and on again after it; a connection that cannot
    have them back is dropped, so the pool never hands it out without them."""
    if not _enforce_foreign_keys(connection, on=False):
        raise RuntimeError("SQLite kept foreign keys on: a transaction was open on the connection")
    try:
        yield
    finally:
        try:
            restored = _enforce_foreign_keys(connection, on=True)
        except DBAPIError:  # the connection broke; the migration's own error, if any, goes on up
            restored = False
        if not restored:
            connection.invalidate()


def _enforce_foreign_keys(connection: Connection, *, on: bool) -> bool:
    """Turn SQLite's foreign keys on or off; False when SQLite ignored it (inside a transaction)."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    connection.commit()
    return bool(enforced) == on


@contextmanager
def _references_kept(connection: Connection) -> Iterator[None]:
    """Raise BrokenReferences when the block leaves rows that refer to rows that are not there.

    Rows that did so before it were written while foreign keys were off (an sqlite3 shell has
    them off): not the migration's doing, and no reason to keep the bot from starting.
    """
    before = _dangling_references(connection)
    yield
    added = _dangling_references(connection) - before
    if added:
        raise BrokenReferences(added)
    if before:
        dangling = {f"{table}->{parent}": count for (table, parent), count in before.items()}
        log.warning(
            "rows refer to rows that are not there; the migration left them as they were",
            extra={"dangling": dangling},
        )


def _dangling_references(connection: Connection) -> Counter[tuple[str, str]]:
    """How many rows of each table refer to a missing row of another, by (table, other table)."""
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    return Counter((table, parent) for table, _rowid, parent, _key in rows)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def run_alembic(connection: Connection, verb: str, revision: str) -> None:
    """Run `alembic upgrade|downgrade <revision>` on a connection the caller holds, in none of its
    transactions: migrations/env.py runs it in migration_transaction."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, verb)(config, revision)
