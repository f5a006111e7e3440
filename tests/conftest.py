"""Shared fixtures: databases of both kinds, settings, a clock you can move."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sibot.db import Database
from sibot.logs import log_handler, set_levels
from tests.databases import MigratedTemplates, database_url
from tests.harness import TOKEN
from tests.processes import kill_left_behind
from tests.reliability.counters import COUNTS, Counts, add

if TYPE_CHECKING:
    from sibot.core import Core
    from sibot.emulator import Emulator
    from tests.harness import BotHarness, ManualClock

DATABASE_KINDS = ["sqlite", "postgresql"]
# The part of the test bot's token that is secret; a log line must never show it.
TOKEN_SECRET = TOKEN.split(":", 1)[1]
_COUNTS_KEY = "sibot_reliability_counts"


@pytest.fixture(autouse=True)
async def no_bot_process_outlives_its_test() -> AsyncIterator[None]:
    yield
    await kill_left_behind()


@pytest.fixture(autouse=True)
def production_log_lines() -> Iterator[io.StringIO]:
    """Every log line of the test, through the production handler; none may show the token."""
    lines = io.StringIO()
    handler = log_handler(lines, "json", [TOKEN])
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    set_levels("DEBUG")
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    leaked = [line for line in lines.getvalue().splitlines() if TOKEN_SECRET in line]
    assert not leaked, f"the bot token appeared in the logs: {leaked[:3]}"


@pytest.fixture(params=DATABASE_KINDS)
async def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, once SQLite and once PostgreSQL."""
    async with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    yield templates
    asyncio.run(templates.drop())


@pytest.fixture(params=DATABASE_KINDS)
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> AsyncIterator[Database]:
    """A migrated database of each kind: a copy of one this test process migrated."""
    async with migrated_templates.copy(request.param, tmp_path) as url:
        db = Database(url)
        await db.upgrade()  # finds it at the newest revision, as a restarted bot does
        yield db
        await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    from tests.harness import ManualClock

    return ManualClock()


@pytest.fixture
def core(database: Database, clock: ManualClock) -> Core:
    """The core on a migrated database of each kind, with the manual clock: for use cases."""
    from sibot.core import Core
    from sibot.settings import load_settings

    return Core(settings=load_settings(require_token=False), db=database, clock=clock)


def chat_rate(request: pytest.FixtureRequest) -> float:
    """Telegram's limit of messages a second in a private chat, for the emulator and the bot
    alike: 1, unless the test's chat_rate marker scales time down (as TEST_HOLD_SCALE does the
    holds)."""
    marker = request.node.get_closest_marker("chat_rate")
    return float(marker.args[0]) if marker is not None else 1.0


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    from sibot.emulator import Emulator

    emu = Emulator(token=TOKEN, chat_rate=chat_rate(request))
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, emulator: Emulator, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[BotHarness]:
    """The real bot on a fresh SQLite file, polling the emulator; stopped after the test."""
    from tests.harness import BotHarness

    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    harness = BotHarness(emulator, url, clock, chat_sends_per_second=chat_rate(request))
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture
async def bot_on_postgres(emulator: Emulator, clock: ManualClock) -> AsyncIterator[BotHarness]:
    """The real bot on a fresh PostgreSQL database."""
    from tests.databases import postgres_database_url
    from tests.harness import BotHarness

    async with postgres_database_url() as url:
        harness = BotHarness(emulator, url, clock)
        await harness.start()
        yield harness
        await harness.stop()


@pytest.fixture
async def admin_bot(emulator: Emulator, tmp_path: Path, clock: ManualClock) -> AsyncIterator[BotHarness]:
    """The real bot with one operator, ADMIN_ID, in SIBOT_ADMIN_IDS."""
    from tests.harness import ADMIN_ID, BotHarness

    url = f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"
    harness = BotHarness(emulator, url, clock, SIBOT_ADMIN_IDS=str(ADMIN_ID))
    await harness.start()
    yield harness
    await harness.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow go first in each parallel worker's share of the run.

    `--dist worksteal` hands each worker a contiguous share of this list (as `_shares` cuts
    it) and lets idle workers take from the end of the busiest one's; a slow test at the end of
    a share starts last and sets the run's length. Every worker orders the list the same way,
    as xdist requires.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    slow = [item for item in items if item.get_closest_marker("slow")]
    rest = [item for item in items if not item.get_closest_marker("slow")]
    ordered: list[pytest.Item] = []
    for worker, size in enumerate(_shares(len(items), workers)):
        first = slow[worker::workers]
        taken = max(0, size - len(first))
        ordered += first + rest[:taken]
        rest = rest[taken:]
    items[:] = ordered + rest


def _shares(count: int, workers: int) -> list[int]:
    """The sizes of the workers' first shares, as xdist's worksteal scheduler cuts them."""
    sizes = []
    for remaining in range(workers, 0, -1):
        sizes.append(count // remaining)
        count -= sizes[-1]
    return sizes


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A parallel worker hands its reliability figures to the controller, which prints the sum."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_COUNTS_KEY] = asdict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Add a finished worker's figures to this (the controller's) counts."""
    add(Counts(**node.workeroutput.get(_COUNTS_KEY, {})))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability suite's figures, when it ran: faults, restarts, fuzzed updates, losses."""
    if COUNTS.ran:
        terminalreporter.write_sep("=", "sibot reliability")
        terminalreporter.write_line(COUNTS.line())
