"""The database goes away mid-conversation and comes back.

While it is away, every patient who writes gets "please try again in a minute", the reminder
dispatcher's tick fails and is scheduled again, and nothing crashes. When it is back, the same
taps and commands work, the due reminder goes out once, and no check-in is lost or doubled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

import sibot.db
from handlers.reminders import JOB_NAME, RUNNER_KEY, wake_dispatcher
from sibot.db import LOCK_PATIENCE_S, Database
from sibot.emulator import Emulator
from sibot.models import Checkin, ReminderDelivery
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock
from tests.reliability import counters
from tests.reliability.helpers import LogWatch, watching_logs
from tests.reliability.outages import OUTAGE_SECONDS, SqliteLockHolder, ThrowawayCluster

DB_UNAVAILABLE = text("en", "common.db_unavailable")
NEXT = text("en", "session.button.next")
REMINDER = "Time for your SI joint routine"
DUE = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # within two hours of the session start


@pytest.fixture
async def cluster() -> AsyncIterator[ThrowawayCluster]:
    cluster = ThrowawayCluster()
    await cluster.create()
    yield cluster
    await cluster.destroy()


def _dispatcher_failed(watch: LogWatch) -> bool:
    """The dispatcher job's tick ended in the error handler (a job has no update, no user)."""
    return any(
        r.name == "handlers.ptb.errors" and r.getMessage() == "update failed" and r.user_id is None  # type: ignore[attr-defined]
        for r in watch.records
    )


async def _outage_and_recovery(
    bot: BotHarness,
    emulator: Emulator,
    clock: ManualClock,
    go_away: Callable[[], Awaitable[None]],
    come_back: Callable[[], Awaitable[None]],
    outage: float,
    *,
    newcomer: bool = True,
    wait: float = 10,
) -> None:
    """`wait`: how long a patient may wait for the answer while the database is away."""
    assert bot.application is not None and bot.application.job_queue is not None
    ana = emulator.patient(first_name="Ana")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), reminder_at=time(7, 30), pace="own")
    await ana.send("/pain 4")
    await ana.expect("Pain 4/10 saved")
    await ana.send("/exercise")
    first = await ana.expect("Pain before: 4/10")  # the check-in of a moment ago
    assert "Hip adduction" in first.text

    with watching_logs() as watch:
        await go_away()
        away_since = asyncio.get_running_loop().time()
        clock.set(DUE)
        bot.application.bot_data[RUNNER_KEY].schedule(timedelta(0))  # its next tick, by itself
        await ana.send("/pain 6")
        await ana.expect(DB_UNAVAILABLE, timeout=wait)
        await ana.tap(NEXT)
        await ana.expect(DB_UNAVAILABLE, timeout=wait)
        ben = emulator.patient(first_name="Ben")
        if newcomer:
            await ben.send("/pain 2")
            await ben.expect(DB_UNAVAILABLE, timeout=wait)
        await watch.wait_for(lambda: _dispatcher_failed(watch), timeout=wait)
        await asyncio.sleep(max(0.0, outage - (asyncio.get_running_loop().time() - away_since)))
        await come_back()
    # Nothing crashed: the bot still polls, and the dispatcher has its next tick scheduled.
    assert bot.application.updater is not None and bot.application.updater.running
    assert bot.application.job_queue.get_jobs_by_name(JOB_NAME)

    await ana.send("/pain 6")
    await ana.expect("Pain 6/10 saved")
    await ana.tap(NEXT)  # the tap that failed changed nothing: the same button acts now
    await ana.expect("Step 1 of")
    await wake_dispatcher(bot.application)
    await ana.expect(REMINDER)
    await ben.send("/start")
    await ben.expect("Hi, Ben")

    async with bot.core.db.transaction() as session:
        checkins = (await session.execute(
            select(Checkin.score, Checkin.source).where(Checkin.patient_id == ana.user_id).order_by(Checkin.id)
        )).all()
        deliveries = (await session.scalars(select(ReminderDelivery.status))).all()
    reminders = [m for m in emulator.sent_messages(ana.user_id) if REMINDER in m.body.get("text", "")]
    expected = [(4, "diary"), (6, "diary")]  # the first is the session's pain before too
    lost = len(set(expected) ^ set(checkins)) + abs(len(checkins) - len(expected)) + abs(len(reminders) - 1)
    assert counters.losses(lost) == 0, (checkins, reminders)
    assert deliveries == ["sent"]


async def test_postgresql_stopped_mid_conversation(
    cluster: ThrowawayCluster, emulator: Emulator, clock: ManualClock
) -> None:
    bot = BotHarness(emulator, cluster.url, clock)
    await bot.start()
    try:
        await _outage_and_recovery(bot, emulator, clock, cluster.stop, cluster.start, OUTAGE_SECONDS)
    finally:
        await bot.stop()
    counters.restarts()  # the database's


async def test_sqlite_locked_by_another_process(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> None:
    holder = SqliteLockHolder(Path(bot.settings.database_url.removeprefix("sqlite+aiosqlite:///")))
    # A lock shorter than the patience only delays a write; longer, and the write fails. The
    # writes that meet one lock share its patience, so the failures come together.
    await _outage_and_recovery(
        bot, emulator, clock, holder.hold, holder.release, OUTAGE_SECONDS, wait=LOCK_PATIENCE_S + 5
    )


async def test_a_restart_while_the_pool_sat_idle_costs_no_update(
    cluster: ThrowawayCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(cluster.url)
    try:
        assert await db.ping()
        await cluster.stop()
        await cluster.start()
        # the pooled connection lost its server, and has sat idle long enough to be pinged
        monkeypatch.setattr(sibot.db, "PING_AFTER_IDLE_S", 0.0)
        async with db.transaction() as session:
            assert await session.scalar(sql("SELECT 1")) == 1
    finally:
        await db.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(cluster: ThrowawayCluster) -> None:
    db = Database(cluster.url)
    try:
        assert await db.ping()
        await cluster.stop()
        await cluster.start()
        # No ping before it: the one transaction on the dead connection fails...
        with pytest.raises(DBAPIError) as failed:
            async with db.transaction() as session:
                await session.scalar(sql("SELECT 1"))
        assert failed.value.connection_invalidated
        # ...and the pool has let it go, so the next one works.
        async with db.transaction() as session:
            assert await session.scalar(sql("SELECT 1")) == 1
    finally:
        await db.dispose()
