"""A start that cannot succeed, with the real `python bot.py`: one critical line naming the cause
and the fix, no traceback, no secret, and an exit status that tells the service manager whether a
restart can help (2: the operator must fix something; 1: an outage outlasted the retries)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url

from migrations import NEWEST_REVISION
from sibot.db import Database
from sibot.emulator import Emulator
from tests.conftest import TOKEN_SECRET
from tests.databases import POSTGRES_URL, database_url, postgres_database_url, require_postgres
from tests.harness import TOKEN
from tests.test_migrations import database_whose_upgrade_loses_a_patient
from tests.processes import BotProcess, free_port, webhook_process

PASSWORD = "hunter2-secret"
# Short pauses keep the tests quick; the transport's own two quick retries come on top.
QUICK_RETRIES = {"SIBOT_STARTUP_RETRIES": "0.1"}
ANOTHER_TOKEN = "987654321:AAE-a-token-the-emulator-does-not-know"


def _postgres(**parts: str | int) -> str:
    """The test server's URL with PASSWORD (the server trusts local logins) and `parts` changed."""
    url = make_url(POSTGRES_URL).set(password=PASSWORD, **parts)
    return url.render_as_string(hide_password=False)


async def _failed_start(process: BotProcess, *arguments: str) -> tuple[int, list[str]]:
    """Run the process to its end; its exit status and its critical lines, checked for noise."""
    await process.start(*arguments)
    status = await process.wait(timeout=30)
    log = "\n".join(process.raw_log)
    assert all(line.get("level") for line in process.log_lines), f"a line that is not a log line: {log}"
    assert not any("exception" in line for line in process.log_lines), f"a traceback: {log}"
    for secret in (TOKEN_SECRET, ANOTHER_TOKEN.split(":")[1], PASSWORD, "Unclosed"):
        assert secret not in log
    critical = [line["message"] for line in process.log_lines if line["level"] == "CRITICAL"]
    assert len(critical) == 1, log
    return status, critical


def _bot(base_url: str, database_url: str, command: str, **environment: str) -> BotProcess:
    """The bot, or `sibot migrate`, which needs no token and is given none."""
    process = BotProcess(base_url, database_url, **environment)
    if command == "migrate":
        del process.environment["TELEGRAM_BOT_TOKEN"]
    return process


@pytest.fixture
async def newer_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database a newer sibot upgraded: at a revision this code does not know."""
    async with database_url(request.param, tmp_path) as url:
        database = Database(url)
        await database.upgrade()
        async with database.transaction() as session:
            await session.execute(sql("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        await database.dispose()
        yield url


def _read_only_sqlite(folder: Path) -> str:
    (folder / "sibot.db").touch()
    return f"sqlite+aiosqlite:///file:{folder / 'sibot.db'}?mode=ro&uri=true"


OPERATOR_MUST_FIX = [
    pytest.param(lambda _: _postgres(username="no_such_role"), 'refused the login (role "no_such_role" does not exist)', id="role"),
    pytest.param(lambda _: _postgres(database="no_such_database"), "has no such database", id="database"),
    # Tests run as root, which may write anywhere: a folder that is a file stands in for one the
    # bot may not write. SQLite says the same for both ("unable to open database file").
    pytest.param(lambda _: "sqlite+aiosqlite:////dev/null/sibot/sibot.db", "cannot open the SQLite database", id="sqlite-folder"),
    pytest.param(_read_only_sqlite, "is read-only (attempt to write a readonly database)", id="sqlite-read-only"),
]


@pytest.mark.parametrize(("make_url_in", "cause"), OPERATOR_MUST_FIX)
@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_database_only_the_operator_can_fix_stops_the_start_with_status_2(
    emulator: Emulator, tmp_path: Path, make_url_in: Callable[[Path], str], cause: str, command: str
) -> None:
    url = make_url_in(tmp_path)
    if url.startswith("postgresql"):
        await require_postgres()

    status, [line] = await _failed_start(_bot(emulator.base_url, url, command), command)

    assert status == 2
    assert cause in line and "DATABASE_URL" in line
    if url.startswith("postgresql"):
        assert ":***@" in line


@pytest.mark.parametrize("newer_database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_database_newer_than_the_code_stops_the_start_with_status_2(
    emulator: Emulator, newer_database_url: str, command: str
) -> None:
    status, [line] = await _failed_start(_bot(emulator.base_url, newer_database_url, command), command)

    assert status == 2
    assert "schema revision 9999_from_the_future" in line and "a newer sibot upgraded it" in line


@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_an_upgrade_that_would_leave_rows_referring_to_nothing_stops_the_start_with_status_2(
    emulator: Emulator, tmp_path: Path, command: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    await database_whose_upgrade_loses_a_patient(url)

    status, [line] = await _failed_start(_bot(emulator.base_url, url, command), command)

    assert status == 2
    assert line.startswith(f"the schema upgrade of the database {url} stopped and changed nothing: ")
    assert "1 of exercise_sessions without their row in patients" in line
    assert line.endswith("Run the version of sibot that ran before, and report this to its developers")


@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_database_that_does_not_answer_is_tried_again_then_status_1(
    emulator: Emulator, command: str
) -> None:
    process = _bot(emulator.base_url, _postgres(port=free_port()), command, SIBOT_STARTUP_RETRIES="0.1,0.1")

    status, [line] = await _failed_start(process, command)

    assert status == 1
    tries = [entry for entry in process.log_lines if entry["level"] == "WARNING"]
    assert [(entry["try"], entry["tries"]) for entry in tries] == [(1, 3), (2, 3)]
    assert all("(Connection refused)" in entry["message"] for entry in tries)
    assert "cannot reach the database at postgresql+asyncpg://" in line and ":***@" in line
    assert line.endswith("gave up after 3 tries")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_sqlite_file_another_program_locks_is_waited_for(
    emulator: Emulator, tmp_path: Path, command: str
) -> None:
    path = tmp_path / "sibot.db"
    other_program = sqlite3.connect(path, isolation_level=None)
    other_program.execute("BEGIN EXCLUSIVE")  # as a backup or an sqlite3 shell might
    process = _bot(emulator.base_url, f"sqlite+aiosqlite:///{path}", command, SIBOT_STARTUP_RETRIES="0.5")
    try:
        await process.start(command)
        warning = await process.wait_for_log_containing("is locked by another program")
        other_program.rollback()
        if command == "migrate":
            assert await process.wait(timeout=30) == 0
        else:
            await process.wait_for_log("ready")
            patient = emulator.patient()
            await patient.send("/start")
            assert "not a medical device" in (await patient.next_message(timeout=10)).text
            assert await process.terminate() == 0
    finally:
        other_program.close()

    assert warning["level"] == "WARNING" and warning["try"] == 1
    assert not any("exception" in line for line in process.log_lines), process.raw_log


async def test_a_token_telegram_refuses_stops_the_start_with_status_2(emulator: Emulator, tmp_path: Path) -> None:
    process = BotProcess(
        emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}", TELEGRAM_BOT_TOKEN=ANOTHER_TOKEN
    )

    status, [line] = await _failed_start(process)

    assert status == 2
    assert line.startswith("Telegram (127.0.0.1:") and "refused the bot token" in line
    assert "TELEGRAM_BOT_TOKEN" in line
    assert not (tmp_path / "sibot.db").exists()  # Telegram comes first: nothing was touched


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_telegram_out_of_reach_is_tried_again_then_status_1(tmp_path: Path, mode: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/bot"
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    if mode == "polling":
        process = BotProcess(closed, url, **QUICK_RETRIES)
    else:
        process = webhook_process(closed, url, free_port(), **QUICK_RETRIES)

    status, [line] = await _failed_start(process)

    assert status == 1
    [retry] = [entry for entry in process.log_lines if entry["logger"] == "sibot.startup"]
    assert "cannot reach Telegram at 127.0.0.1:" in retry["message"] and "(Connection refused)" in line
    assert line.endswith("gave up after 2 tries")


async def test_a_webhook_bot_whose_database_is_missing_stops_with_status_2(emulator: Emulator) -> None:
    await require_postgres()
    process = webhook_process(emulator.base_url, _postgres(database="no_such_database"), free_port())

    status, [line] = await _failed_start(process)

    assert status == 2 and "has no such database" in line


async def test_a_telegram_outage_that_ends_during_the_retries_lets_the_bot_start(tmp_path: Path) -> None:
    port = free_port()
    process = BotProcess(
        f"http://127.0.0.1:{port}/bot",
        f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}",
        SIBOT_STARTUP_RETRIES="0.5,1,1,1,1,1,1,1,1,1",
    )
    await process.start()
    emulator = Emulator(token=TOKEN)
    try:
        first = await process.wait_for_log_containing("cannot reach Telegram")
        await emulator.start(port=port)
        await process.wait_for_log("ready", timeout=30)

        patient = emulator.patient()
        await patient.send("/start")
        assert "not a medical device" in (await patient.next_message(timeout=10)).text
        assert first["try"] == 1
        assert await process.terminate() == 0
    finally:
        if process.process is not None and process.process.returncode is None:
            await process.kill()
        await emulator.stop()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def _forwarding(port: int, to: tuple[str, int]) -> AsyncIterator[None]:
    """127.0.0.1:`port` forwarded to `to`: the database server comes back on that port."""

    async def connect(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*to)
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


async def test_a_database_outage_that_ends_during_the_retries_lets_the_bot_start(emulator: Emulator) -> None:
    async with postgres_database_url() as url:
        real = make_url(url)
        port = free_port()
        process = BotProcess(
            emulator.base_url,
            real.set(port=port).render_as_string(hide_password=False),
            SIBOT_STARTUP_RETRIES="0.5,1,1,1,1,1,1,1,1,1",
        )
        await process.start()
        try:
            await process.wait_for_log_containing("cannot reach the database")
            async with _forwarding(port, (real.host or "127.0.0.1", real.port or 5432)):
                await process.wait_for_log("ready", timeout=30)
                assert await process.terminate() == 0
        finally:
            if process.process is not None and process.process.returncode is None:
                await process.kill()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("waits_for", ["Telegram", "the database"])
async def test_a_bot_stopped_while_it_waits_at_start_exits_at_once_and_quietly(
    emulator: Emulator, tmp_path: Path, waits_for: str, mode: str
) -> None:
    if waits_for == "Telegram":
        telegram, database = f"http://127.0.0.1:{free_port()}/bot", f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    else:
        telegram, database = emulator.base_url, "postgresql+asyncpg://nobody@127.0.0.1:1/gone"
    if mode == "webhook":
        process = webhook_process(telegram, database, free_port(), SIBOT_STARTUP_RETRIES="30")
    else:
        process = BotProcess(telegram, database, SIBOT_STARTUP_RETRIES="30")
    await process.start()
    await process.wait_for_log_containing(f"cannot reach {waits_for}")

    assert await process.terminate(timeout=10) == 0
    assert not any("exception" in line or line["level"] in ("ERROR", "CRITICAL") for line in process.log_lines)
    assert all(line.get("level") for line in process.log_lines), process.raw_log


async def test_replicas_upgrading_one_postgresql_database_together_take_turns(emulator: Emulator) -> None:
    async with postgres_database_url() as url:
        replicas = [_bot(emulator.base_url, url, "migrate") for _ in range(3)]
        await asyncio.gather(*(replica.start("migrate") for replica in replicas))
        assert await asyncio.gather(*(replica.wait(timeout=60) for replica in replicas)) == [0, 0, 0]
        database = Database(url)
        try:
            async with database.transaction() as session:
                versions = (await session.execute(sql("SELECT version_num FROM alembic_version"))).scalars()
                assert list(versions) == [NEWEST_REVISION]
        finally:
            await database.dispose()


@pytest.mark.parametrize("telegram_delay", [0.0, 1.0], ids=["prompt", "slow-deleteWebhook"])
async def test_a_polling_bot_stopped_right_after_ready_exits_cleanly(
    emulator: Emulator, tmp_path: Path, telegram_delay: float
) -> None:
    """SIGTERM in the first moments after "ready", while polling is still being set up (a slow
    deleteWebhook holds it there): status 0, no error, no traceback."""
    if telegram_delay:
        emulator.faults.add("timeout", method="deleteWebhook", delay=telegram_delay, takes_effect=True)
    process = BotProcess(emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}")
    await process.start()
    await process.wait_for_log("ready")

    assert await process.terminate(timeout=15) == 0
    log = "\n".join(process.raw_log)
    assert not any(line["level"] in ("ERROR", "CRITICAL") for line in process.log_lines), log
    assert "Traceback" not in log and not any("exception" in line for line in process.log_lines), log
    assert all(line.get("level") for line in process.log_lines), log
