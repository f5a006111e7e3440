"""Why the bot cannot start, in one line for the operator, and waiting out what time can fix.

A start-up step that fails is classified: either only the operator can fix the cause (a refused
token, a role or database that does not exist, a folder the bot cannot write, a schema newer than
the code), and the bot stops at once with exit status 2, which tells the service manager not to
restart it; or the cause is an outage (the database or Telegram cannot be reached), and the step
is tried again after each of the configured pauses before the bot gives up with exit status 1.
A second bot on the same SQLite file (DatabaseLock) is a cause the operator fixes.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sibot.db import BrokenReferences, Database, sqlite_file

log = logging.getLogger(__name__)

OPERATOR_MUST_FIX = 2
OUTAGE = 1

T = TypeVar("T")


class StartupFailure(Exception):
    """A start-up step that failed: one line naming the cause and the fix, and its exit status."""

    def __init__(self, message: str, *, outage: bool) -> None:
        super().__init__(message)
        self.outage = outage

    @property
    def exit_status(self) -> int:
        return OUTAGE if self.outage else OPERATOR_MUST_FIX


Classify = Callable[[Exception], "StartupFailure | None"]


async def with_retries(attempt: Callable[[], Awaitable[T]], classify: Classify, pauses: Sequence[float]) -> T:
    """`attempt()`, tried again after each pause while it fails with an outage.

    Raises the StartupFailure at once when only the operator can fix the cause, and after the
    last pause when the outage lasts; an exception `classify` does not know goes up unchanged.
    """
    tries = len(pauses) + 1
    pauses_left = iter(pauses)
    number = 0
    while True:
        number += 1
        try:
            return await attempt()
        except Exception as error:
            failure = classify(error)
            if failure is None:
                raise
            if not failure.outage:
                raise failure from error
            pause = next(pauses_left, None)
            if pause is None:
                raise StartupFailure(f"{failure}; gave up after {tries} tries", outage=True) from error
            log.warning(f"{failure}; trying again in {pause:g} s", extra={"try": number, "tries": tries})
        await asyncio.sleep(pause)


async def upgrade_database(database: Database, url: str, pauses: Sequence[float]) -> None:
    """Bring the schema to the newest revision, waiting out a database that is away."""
    await with_retries(database.upgrade, lambda error: database_failure(error, url), pauses)


def database_failure(error: Exception, url: str) -> StartupFailure | None:
    """What went wrong opening or upgrading the database at `url`, or None for anything else."""
    where = make_url(url).render_as_string(hide_password=True)
    cause = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(error, BrokenReferences):
        return StartupFailure(
            f"the schema upgrade of the database {where} stopped and changed nothing: {error}. "
            "Run the version of sibot that ran before, and report this to its developers",
            outage=False,
        )
    newer = _revision_the_code_does_not_know(error)
    if newer is not None:
        return StartupFailure(
            f"the database {where} is at schema revision {newer}, which this version of sibot does "
            "not know: a newer sibot upgraded it. Run that version (or a newer one), or restore the "
            "backup taken before the upgrade",
            outage=False,
        )
    if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError):  # a wrong password too
        return StartupFailure(
            f"PostgreSQL at {where} refused the login ({cause}); fix the user name and password "
            "in DATABASE_URL, or create the role",
            outage=False,
        )
    if isinstance(cause, asyncpg.InvalidCatalogNameError):
        return StartupFailure(
            f"PostgreSQL at {where} has no such database ({cause}); create it "
            "(createdb) or fix the database name in DATABASE_URL",
            outage=False,
        )
    if isinstance(cause, asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError):
        return StartupFailure(f"PostgreSQL at {where} does not take connections now ({cause})", outage=True)
    if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
        return StartupFailure(
            f"cannot open the SQLite database {where} ({cause}); make sure its folder exists and "
            "the bot's user may write there, or point DATABASE_URL elsewhere",
            outage=False,
        )
    if isinstance(cause, sqlite3.OperationalError) and "readonly" in str(cause):
        return StartupFailure(
            f"the SQLite database {where} is read-only ({cause}); let the bot's user write the "
            "file and its folder, or point DATABASE_URL at a file it may write",
            outage=False,
        )
    if getattr(cause, "sqlite_errorname", "").startswith("SQLITE_BUSY"):
        return StartupFailure(
            f"the SQLite database {where} is locked by another program (a backup, an sqlite3 "
            "shell, or a second bot on the same file); let it finish or stop it",
            outage=True,
        )
    if isinstance(cause, OSError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return StartupFailure(
            f"cannot reach the database at {where} ({network_reason(cause)}); check that the server "
            "runs and that DATABASE_URL names its host and port",
            outage=True,
        )
    return None


def _revision_the_code_does_not_know(error: Exception) -> str | None:
    # Alembic stops with "Can't locate revision" when the database names a revision that none of
    # our migrations is: a newer release wrote it.
    if not type(error).__module__.startswith("alembic"):
        return None  # and alembic, which logs as it loads, stays unloaded
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    if isinstance(error, CommandError) and isinstance(error.__cause__, ResolutionError):
        return str(error.__cause__.argument)
    return None


def network_reason(error: BaseException) -> str:
    """The short reason of a network failure: 'Connection refused', 'timed out'."""
    if error.__cause__ is not None and not isinstance(error, OSError):
        return network_reason(error.__cause__)
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name: {error.strerror}"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno)  # asyncio's strerror is "Connect call failed (...)"
    return type(error).__name__


class DatabaseInUse(StartupFailure):
    """Another process serves the same SQLite file: two bots would both send every reminder."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(
            f"{path} is in use by another sibot process (PID {holder}); stop it first: "
            "one bot per SQLite file (run several only on PostgreSQL)",
            outage=False,
        )


class DatabaseLock:
    """Holds a SQLite database for this process alone, in a `with` or `async with` block.

    An advisory lock on `<database>.lock` beside it, with this process's id inside. The kernel
    lets go of it when the process ends, however it ends, so a file left behind locks nothing.
    PostgreSQL needs none: replicas share it safely. Entering raises DatabaseInUse when taken.
    """

    def __init__(self, url: str) -> None:
        self.path = sqlite_file(url)
        self._lock: int | None = None

    def __enter__(self) -> None:
        if self.path is None:
            return
        try:
            lock = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # a missing folder, no permission: SQLite, which cannot work there either, says so
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(lock, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(lock)
            raise DatabaseInUse(self.path, holder) from None
        os.ftruncate(lock, 0)
        os.pwrite(lock, f"{os.getpid()}\n".encode(), 0)
        self._lock = lock

    def __exit__(self, *_exception: object) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exception: object) -> None:
        self.__exit__(*exception)
