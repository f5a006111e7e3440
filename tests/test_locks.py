"""Another client holds a lock: only the updates that need it fail, each with one "try again",
and the patients who need nothing locked are answered meanwhile."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select

from benchmarks.locks import foreign_lock
from sibot.db import (
    LOCK_EPISODE_GAP_S,
    LOCK_FLOOR_S,
    LOCK_PATIENCE_S,
    MAX_LOCK_WAITERS,
    MAYBE_WAITING_S,
    LockWatch,
)
from sibot.emulator import Emulator, TelegramUser
from sibot.models import Checkin, Patient
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness

TRY_AGAIN = text("en", "common.db_unavailable")
HELP = "What I can do"


async def _two_patients(bot: BotHarness, emulator: Emulator) -> tuple[TelegramUser, TelegramUser]:
    ana, ben = emulator.patient(first_name="Ana"), emulator.patient(first_name="Ben")
    for patient in (ana, ben):
        await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now())
    # long enough ago that the gatekeeper would note Ben as seen: a write it must not wait for
    bot.clock.advance(timedelta(minutes=5))
    return ana, ben


async def _only_the_writer_waits(bot: BotHarness, ana: TelegramUser, ben: TelegramUser) -> None:
    await ana.send("/pain 4")  # stores a check-in: needs the lock
    await ben.send("/help")  # reads the patient: needs nothing locked
    await ben.expect(HELP)
    assert not ana.messages, "the bystander was answered only after the writer gave up"
    assert (await ana.next_message(timeout=LOCK_PATIENCE_S + 5)).text == TRY_AGAIN
    await ana.assert_silent(0.3)


async def _all_goes_on_after(bot: BotHarness, ana: TelegramUser) -> None:
    await ana.send("/pain 4")
    await ana.expect("Pain 4/10 saved")
    async with bot.core.db.transaction() as session:
        scores = (await session.scalars(select(Checkin.score).where(Checkin.patient_id == ana.user_id))).all()
    assert scores == [4]


async def _through_a_foreign_lock(kind: str, bot: BotHarness, ana: TelegramUser, ben: TelegramUser) -> None:
    async with foreign_lock(kind, bot.settings.database_url):
        await _only_the_writer_waits(bot, ana, ben)
        # The lock has outlasted the patience: the next write is told at once, and a
        # bystander is still answered.
        await ana.send("/pain 5")
        assert (await ana.next_message()).text == TRY_AGAIN
        await ben.send("/help")
        await ben.expect(HELP)
    await _all_goes_on_after(bot, ana)


async def test_a_foreign_sqlite_write_lock_fails_only_the_writes(bot: BotHarness, emulator: Emulator) -> None:
    ana, ben = await _two_patients(bot, emulator)
    await _through_a_foreign_lock("sqlite", bot, ana, ben)
    async with bot.core.db.transaction() as session:
        ben_seen = await session.scalar(select(Patient.last_seen_at).where(Patient.id == ben.user_id))
    assert ben_seen == bot.clock.now() - timedelta(minutes=5), "noting Ben as seen is skipped, not waited for"


async def test_a_foreign_postgresql_table_lock_fails_only_the_updates_that_need_the_table(
    bot_on_postgres: BotHarness, emulator: Emulator
) -> None:
    bot = bot_on_postgres
    ana, ben = await _two_patients(bot, emulator)
    await _through_a_foreign_lock("postgresql", bot, ana, ben)


async def test_a_lock_that_goes_away_within_the_patience_only_delays_the_write(
    bot: BotHarness, emulator: Emulator
) -> None:
    ana, ben = await _two_patients(bot, emulator)
    async with foreign_lock("sqlite", bot.settings.database_url):
        await ana.send("/pain 4")
        await ben.send("/help")
        await ben.expect(HELP)
    await ana.expect("Pain 4/10 saved")
    assert TRY_AGAIN not in [message.text for message in ana.messages]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_statements_meeting_one_lock_share_its_patience() -> None:
    clock = FakeClock()
    locks = LockWatch(clock)
    assert locks.met_lock() == 100.0 + LOCK_PATIENCE_S
    clock.now += 1.5
    assert locks.met_lock() == 100.0 + LOCK_PATIENCE_S  # the same lock: the same end
    assert locks.patience() == pytest.approx(LOCK_PATIENCE_S - 1.5)
    clock.now += 1.0
    assert locks.patience() == LOCK_FLOOR_S  # spent: statements hardly wait any more


def test_a_lock_postgresql_reports_after_its_wait_has_spent_the_patience() -> None:
    locks = LockWatch(FakeClock())
    locks.met_lock(waited=LOCK_PATIENCE_S)
    assert locks.patience() == LOCK_FLOOR_S


def test_a_lock_episode_ends_when_a_wait_succeeds_or_no_lock_is_met_for_a_while() -> None:
    clock = FakeClock()
    locks = LockWatch(clock)
    locks.start_wait()
    clock.now += LOCK_PATIENCE_S / 2
    locks.end_wait(taken=True)
    assert locks.patience() == LOCK_PATIENCE_S
    assert locks.met_lock() == clock.now + LOCK_PATIENCE_S

    clock.now += LOCK_EPISODE_GAP_S + 0.1
    assert locks.patience() == LOCK_PATIENCE_S
    assert locks.met_lock() == clock.now + LOCK_PATIENCE_S


def test_a_few_statements_wait_for_a_lock_at_once_and_the_others_fail_at_once() -> None:
    clock = FakeClock()
    locks = LockWatch(clock)
    deadlines = [locks.start_wait() for _ in range(MAX_LOCK_WAITERS)]
    assert deadlines == [100.0 + LOCK_PATIENCE_S] * MAX_LOCK_WAITERS
    assert locks.start_wait() is None
    locks.end_wait(taken=False)
    assert locks.start_wait() == 100.0 + LOCK_PATIENCE_S
    clock.now += LOCK_PATIENCE_S
    for _ in range(MAX_LOCK_WAITERS):
        locks.end_wait(taken=False)
    assert locks.start_wait() is None  # the patience is spent


def test_postgresql_statements_hardly_wait_while_several_transactions_may_be_waiting() -> None:
    clock = FakeClock()
    locks = LockWatch(clock)
    with ExitStack() as open_transactions:
        for _ in range(MAX_LOCK_WAITERS):
            open_transactions.enter_context(locks.transaction_open())
        assert locks.patience() == LOCK_PATIENCE_S  # they have only begun
        clock.now += 2 * MAYBE_WAITING_S
        assert locks.patience() == LOCK_FLOOR_S
    assert locks.patience() == LOCK_PATIENCE_S
