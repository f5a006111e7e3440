"""/healthz tells a database that refuses writes, and a dispatcher whose ticks fail, from a
healthy bot."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from handlers.ptb.webhook import build_web_app
from handlers.reminders import wake_dispatcher
from sibot.db import Database
from sibot.emulator import Emulator
from sibot.health import DISPATCHER_MAX_SILENCE, REPLICA
from sibot.models import ReplicaHeartbeat
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness

TRY_AGAIN = text("en", "common.db_unavailable")


async def healthz(bot: BotHarness) -> tuple[int, dict[str, Any]]:
    assert bot.application is not None
    web_app = build_web_app(bot.application, path="/telegram", secret=None)
    async with TestClient(TestServer(web_app)) as client:
        answer = await client.get("/healthz")
        return answer.status, await answer.json()


async def first_tick_done(bot: BotHarness) -> None:
    async with asyncio.timeout(10):
        while bot.core.heartbeat.last_tick is None:
            await asyncio.sleep(0.01)


async def sqlite_read_only(db: Database) -> None:
    """Every connection the bot opens from now on refuses writes, as on a read-only mount."""

    def query_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    event.listen(db.engine.sync_engine, "connect", query_only)
    await db.engine.dispose()


async def postgres_read_only(bot: BotHarness, read_only: bool) -> None:
    """ALTER DATABASE ... SET default_transaction_read_only, as on a standby; the bot reconnects."""
    url = bot.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(
            f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if read_only else "off"}'
        )
    finally:
        await admin.close()
    await bot.core.db.engine.dispose()


async def test_a_healthy_bot_writes_its_heartbeat(bot: BotHarness) -> None:
    await first_tick_done(bot)
    status, report = await healthz(bot)
    assert (status, report["status"], report["database"], report["dispatcher"]) == (200, "ok", "ok", "ok")
    async with bot.core.db.transaction() as session:
        written = await session.scalar(select(ReplicaHeartbeat.written_at).where(ReplicaHeartbeat.replica == REPLICA))
    assert written == bot.clock.now()


async def test_a_read_only_sqlite_database_is_unhealthy(bot: BotHarness, emulator: Emulator) -> None:
    await first_tick_done(bot)
    ana = emulator.patient()
    await onboarded_patient(bot.core.db, ana.user_id, bot.clock.now())
    await sqlite_read_only(bot.core.db)
    status, report = await healthz(bot)
    assert (status, report["status"], report["database"]) == (503, "unavailable", "read-only")
    assert report["dispatcher"] == "ok"
    await ana.send("/pain 4")
    await ana.expect(TRY_AGAIN)


async def test_a_read_only_postgresql_database_is_unhealthy(
    bot_on_postgres: BotHarness, emulator: Emulator
) -> None:
    bot = bot_on_postgres
    await first_tick_done(bot)
    ana = emulator.patient()
    await onboarded_patient(bot.core.db, ana.user_id, bot.clock.now())
    await postgres_read_only(bot, True)
    try:
        status, report = await healthz(bot)
        await ana.send("/pain 4")
        await ana.expect(TRY_AGAIN)
    finally:
        await postgres_read_only(bot, False)
    assert (status, report["database"]) == (503, "read-only")
    status, report = await healthz(bot)
    assert (status, report["database"]) == (200, "ok")


async def test_a_dispatcher_whose_ticks_fail_is_stalled_after_the_silence_window(
    bot: BotHarness, emulator: Emulator
) -> None:
    assert bot.application is not None
    await first_tick_done(bot)
    started = bot.clock.now()
    ana = emulator.patient()
    await onboarded_patient(bot.core.db, ana.user_id, started, reminder_at=time(7, 1))
    await sqlite_read_only(bot.core.db)  # the due reminder's claim cannot be written

    bot.clock.set(started + DISPATCHER_MAX_SILENCE - timedelta(seconds=10))
    with pytest.raises(DBAPIError):
        await wake_dispatcher(bot.application)
    assert (await healthz(bot))[1]["dispatcher"] == "ok"  # its last good tick is recent enough

    bot.clock.advance(timedelta(seconds=11))
    with pytest.raises(DBAPIError):
        await wake_dispatcher(bot.application)  # a tick began a moment ago, and failed
    status, report = await healthz(bot)
    assert (status, report["dispatcher"]) == (503, "stalled")
    assert report["dispatcher_last_tick"] == started.isoformat()
