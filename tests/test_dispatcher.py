"""The reminder dispatcher on real databases (SQLite and PostgreSQL), with a recording Sender."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from handlers.reminders import MESSAGES
from sibot.db import Database
from sibot.diary import delete_patient
from sibot.dispatcher import LEASE, MAX_ATTEMPTS, MAX_WAIT, SEND_CHUNK, Dispatcher
from sibot.health import Heartbeat
from sibot.models import ExerciseSession, Patient, Reminder, ReminderDelivery
from sibot.ports import OutgoingMessage, Priority, RecipientBlocked, TemporarySendFailure
from sibot.reminders import configure_reminder, skip_today, snooze
from sibot.schedule import EVERY_DAY
from sibot.settings import Settings, load_settings
from tests.databases import postgres_database_url
from tests.factories import onboarded_patient
from tests.harness import ManualClock

# 2026-03-02 is a Monday; 09:00 in Berlin is 08:00 UTC in winter.
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"
PATIENT = 1001


class RecordingSender:
    """Records what would go to Telegram; `failures` are raised first, one per call."""

    def __init__(self, failures: list[Exception] | None = None, first_message_id: int = 10_001) -> None:
        self.sent: list[tuple[int, OutgoingMessage, Priority]] = []
        self.failures = list(failures or [])
        self.calls = 0
        self.first_message_id = first_message_id

    async def send(
        self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
    ) -> int:
        self.calls += 1
        await asyncio.sleep(0)  # let a concurrent dispatcher interleave
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, message, priority))
        return self.first_message_id + len(self.sent) - 1

    def texts_to(self, chat_id: int) -> list[str]:
        return [message.text for chat, message, _ in self.sent if chat == chat_id]


class ProcessKilled(BaseException):
    """Stands for a SIGKILL: nothing after it runs (no `except Exception` sees it)."""


class CrashingSender:
    """Dies the way a killed process does: after the claim, before Telegram hears anything."""

    async def send(self, chat_id: int, message: OutgoingMessage, *, priority: Priority) -> int:
        raise ProcessKilled


@pytest.fixture
def settings() -> Settings:
    return load_settings(require_token=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_dispatcher(
    database: Database,
    settings: Settings,
    sender: object,
    heartbeat: Heartbeat | None = None,
    clock: ManualClock | None = None,
) -> Dispatcher:
    # The clock stamps the heartbeat between chunks and the leases; every test passes `now` to
    # tick(), and those about leases pass the clock they move too.
    clock = clock or ManualClock(START)
    return Dispatcher(database, settings, heartbeat or Heartbeat(), sender, clock, MESSAGES)  # type: ignore[arg-type]


async def add_patient(database: Database, patient_id: int = PATIENT, **fields: object) -> None:
    await onboarded_patient(
        database, patient_id, START, timezone=BERLIN, reminder_at=time(9, 0), **fields  # type: ignore[arg-type]
    )


async def deliveries(database: Database) -> list[ReminderDelivery]:
    async with database.transaction() as session:
        return list(
            (await session.scalars(select(ReminderDelivery).order_by(ReminderDelivery.id))).all()
        )


async def reminder_row(database: Database, patient_id: int = PATIENT) -> Reminder:
    async with database.transaction() as session:
        reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == patient_id))
        assert reminder is not None
        return reminder


async def set_patient(database: Database, patient_id: int = PATIENT, **values: object) -> None:
    async with database.transaction() as session:
        await session.execute(update(Patient).where(Patient.id == patient_id).values(**values))


async def add_session(
    database: Database, started_at: datetime, *, status: str = "completed", patient_id: int = PATIENT
) -> None:
    async with database.transaction() as session:
        session.add(
            ExerciseSession(
                patient_id=patient_id, status=status, source="reminder",
                exercise_keys=["glute_bridge"], hold_seconds=5, repetitions=2,
                started_at=started_at, updated_at=started_at,
                ended_at=started_at + timedelta(minutes=10) if status == "completed" else None,
            )
        )


async def test_nothing_is_sent_before_the_reminder_is_due(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    heartbeat = Heartbeat()

    next_tick = await make_dispatcher(database, settings, sender, heartbeat).tick(clock.now())

    assert sender.sent == []
    assert heartbeat.last_tick == START
    assert next_tick == START + MAX_WAIT


async def test_next_tick_is_the_earliest_due_reminder(database, settings, clock):
    await add_patient(database)
    clock.set(DUE - timedelta(seconds=10))

    next_tick = await make_dispatcher(database, settings, RecordingSender()).tick(clock.now())

    assert next_tick == DUE


async def test_a_due_reminder_is_sent_once_with_its_buttons(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)
    clock.set(DUE)

    await dispatcher.tick(clock.now())
    await dispatcher.tick(clock.now() + timedelta(seconds=1))

    assert len(sender.sent) == 1
    chat_id, message, priority = sender.sent[0]
    assert (chat_id, priority) == (PATIENT, Priority.REMINDER)
    assert message.text.startswith("Time for your SI joint routine (about ")
    data = [button.data for row in message.buttons for button in row]
    assert data[:4] == ["ss:start:reminder", "rm:snooze:15", "rm:snooze:60", "rm:skip"]
    assert data[4:] == [f"pn:score:{score}:reminder" for score in range(11)]
    [row] = await deliveries(database)
    assert (row.status, row.kind, row.attempts, row.message_id) == ("sent", "daily", 1, 10_001)
    assert row.occurrence_date.isoformat() == "2026-03-02"
    reminder = await reminder_row(database)
    assert reminder.next_fire_at == DUE + timedelta(days=1)


async def test_late_within_the_grace_is_sent_once(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    clock.set(DUE + settings.reminder_grace - timedelta(minutes=1))

    await make_dispatcher(database, settings, sender).tick(clock.now())

    assert [chat for chat, _, _ in sender.sent] == [PATIENT]


async def test_missed_by_the_grace_is_skipped_and_advanced(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    clock.set(DUE + settings.reminder_grace)

    await make_dispatcher(database, settings, sender).tick(clock.now())

    assert sender.sent == []
    assert await deliveries(database) == []
    assert (await reminder_row(database)).next_fire_at == DUE + timedelta(days=1)


async def test_after_days_of_downtime_only_the_newest_occurrence_goes(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    clock.set(DUE + timedelta(days=3, minutes=30))

    await make_dispatcher(database, settings, sender).tick(clock.now())

    [row] = await deliveries(database)
    assert len(sender.sent) == 1
    assert row.occurrence_date.isoformat() == "2026-03-05"
    assert (await reminder_row(database)).next_fire_at == DUE + timedelta(days=4)


async def test_a_pending_row_left_by_a_crash_is_sent_at_the_next_start(database, settings, clock):
    await add_patient(database)
    clock.set(DUE)
    with pytest.raises(BaseExceptionGroup):  # the TaskGroup wraps the "kill"
        await make_dispatcher(database, settings, CrashingSender(), clock=clock).tick(clock.now())
    [row] = await deliveries(database)
    assert (row.status, row.attempts) == ("pending", 0)

    sender = RecordingSender()
    clock.advance(LEASE)  # the dead bot's lease lapses
    await make_dispatcher(database, settings, sender, clock=clock).tick(clock.now())
    await make_dispatcher(database, settings, sender, clock=clock).tick(clock.now())

    assert [chat for chat, _, _ in sender.sent] == [PATIENT]
    [row] = await deliveries(database)
    assert row.status == "sent"


async def test_a_crash_older_than_the_grace_is_not_sent_late(database, settings, clock):
    await add_patient(database)
    clock.set(DUE)
    with pytest.raises(BaseExceptionGroup):
        await make_dispatcher(database, settings, CrashingSender(), clock=clock).tick(clock.now())

    sender = RecordingSender()
    clock.advance(settings.reminder_grace)
    await make_dispatcher(database, settings, sender, clock=clock).tick(clock.now())

    assert sender.sent == []
    [row] = await deliveries(database)
    assert row.status == "expired"


class HangingSender(RecordingSender):
    """Answers at once, except for `hangs`: its send stays out until `release` is set."""

    def __init__(self, hangs: int) -> None:
        super().__init__()
        self.hangs = hangs
        self.out = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
    ) -> int:
        if chat_id == self.hangs:
            self.out.set()
            await self.release.wait()
        return await super().send(chat_id, message, priority=priority)


async def statuses_by_patient(database: Database) -> dict[int, str]:
    return {row.patient_id: row.status for row in await deliveries(database)}


async def wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(10):
        while not await condition():
            await asyncio.sleep(0.01)


async def test_each_send_is_recorded_as_soon_as_telegram_answers(database, settings, clock):
    # The four are claimed together; the last one's send stays out while the others answer.
    patients = [PATIENT + offset for offset in range(4)]
    for patient_id in patients:
        await add_patient(database, patient_id)
    sender = HangingSender(hangs=patients[-1])
    clock.set(DUE)
    tick = asyncio.create_task(make_dispatcher(database, settings, sender, clock=clock).tick(DUE))

    async def answered_ones_recorded() -> bool:
        statuses = await statuses_by_patient(database)
        return [statuses.get(p) for p in patients] == ["sent", "sent", "sent", "pending"]

    await wait_for(answered_ones_recorded)
    tick.cancel()  # the bot dies with the last send out
    with pytest.raises(asyncio.CancelledError):
        await tick

    restarted = RecordingSender()
    clock.advance(LEASE)
    await make_dispatcher(database, settings, restarted, clock=clock).tick(clock.now())
    assert [chat for chat, _, _ in restarted.sent] == [patients[-1]]
    assert set((await statuses_by_patient(database)).values()) == {"sent"}


async def test_a_delivery_claimed_by_a_bot_that_died_waits_for_its_lease(database, settings, clock):
    await add_patient(database)
    clock.set(DUE)
    with pytest.raises(BaseExceptionGroup):
        await make_dispatcher(database, settings, CrashingSender(), clock=clock).tick(DUE)

    sender = RecordingSender()
    restarted = make_dispatcher(database, settings, sender, clock=clock)
    clock.advance(timedelta(seconds=1))
    next_tick = await restarted.tick(clock.now())
    assert sender.sent == []
    assert next_tick == DUE + LEASE

    clock.set(next_tick)
    await restarted.tick(clock.now())
    assert [chat for chat, _, _ in sender.sent] == [PATIENT]


async def test_a_tick_that_failed_sends_its_own_claims_at_the_next_one(database, settings, clock):
    await add_patient(database)

    class FailsOnce(RecordingSender):
        async def send(
            self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
        ) -> int:
            if self.calls == 0:
                self.calls += 1
                raise ProcessKilled  # stands for the database going away mid-tick
            return await super().send(chat_id, message, priority=priority)

    sender = FailsOnce()
    dispatcher = make_dispatcher(database, settings, sender, clock=clock)
    clock.set(DUE)
    with pytest.raises(BaseExceptionGroup):
        await dispatcher.tick(DUE)
    clock.advance(timedelta(seconds=1))  # well within its own lease
    await dispatcher.tick(clock.now())

    assert [chat for chat, _, _ in sender.sent] == [PATIENT]


async def test_a_lease_is_renewed_while_its_send_is_out(database, settings, clock):
    await add_patient(database)
    sender = HangingSender(hangs=PATIENT)
    lease = timedelta(seconds=0.3)  # renewed every 0.1 s
    holder = Dispatcher(database, settings, Heartbeat(), sender, clock, MESSAGES, lease=lease)  # type: ignore[arg-type]
    clock.set(DUE)
    tick = asyncio.create_task(holder.tick(DUE))
    await sender.out.wait()
    clock.advance(timedelta(minutes=1))  # long past the first lease

    async def renewed() -> bool:
        [row] = await deliveries(database)
        return row.lease_until is not None and row.lease_until > clock.now()

    await wait_for(renewed)
    other = RecordingSender()
    await make_dispatcher(database, settings, other, clock=clock).tick(clock.now())
    sender.release.set()
    await tick

    assert other.calls == 0
    assert [chat for chat, _, _ in sender.sent] == [PATIENT]
    [row] = await deliveries(database)
    assert (row.status, row.claimed_by, row.lease_until) == ("sent", None, None)


async def test_a_send_whose_lease_lapsed_leaves_the_record_of_the_one_that_took_over(
    database, settings, clock
):
    await add_patient(database)
    slow = HangingSender(hangs=PATIENT)
    # a lease that is never renewed within the test: as if this bot had frozen
    frozen = Dispatcher(database, settings, Heartbeat(), slow, clock, MESSAGES, lease=timedelta(hours=1))  # type: ignore[arg-type]
    clock.set(DUE)
    tick = asyncio.create_task(frozen.tick(DUE))
    await slow.out.wait()
    clock.advance(timedelta(hours=1))
    other = RecordingSender(first_message_id=20_001)

    await make_dispatcher(database, settings, other, clock=clock).tick(clock.now())
    slow.release.set()
    await tick

    [row] = await deliveries(database)
    assert [chat for chat, _, _ in slow.sent + other.sent] == [PATIENT, PATIENT]  # sent twice
    assert (row.status, row.message_id, row.claimed_by) == ("sent", 20_001, None)


async def test_temporary_failures_are_retried_with_backoff(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender([TemporarySendFailure("Bad Gateway"), TemporarySendFailure("Timed out")])
    dispatcher = make_dispatcher(database, settings, sender)
    clock.set(DUE)

    next_tick = await dispatcher.tick(clock.now())
    assert next_tick == DUE + timedelta(seconds=30)
    await dispatcher.tick(clock.now() + timedelta(seconds=10))  # too early for the retry
    assert sender.calls == 1
    await dispatcher.tick(DUE + timedelta(seconds=30))
    assert sender.calls == 2
    await dispatcher.tick(DUE + timedelta(seconds=90))

    assert [chat for chat, _, _ in sender.sent] == [PATIENT]
    [row] = await deliveries(database)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)


async def test_a_delivery_that_keeps_failing_is_recorded_as_failed(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender([TemporarySendFailure("Bad Gateway")] * MAX_ATTEMPTS)
    dispatcher = make_dispatcher(database, settings, sender)
    now = DUE
    while now < DUE + timedelta(hours=1):  # backoff 30 s, 1, 2, 4 min: done in 8 min
        now = await dispatcher.tick(now)

    assert sender.calls == MAX_ATTEMPTS
    [row] = await deliveries(database)
    assert (row.status, row.attempts, row.error) == ("failed", MAX_ATTEMPTS, "Bad Gateway")


async def test_a_patient_who_blocked_the_bot_is_marked_inactive(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender([RecipientBlocked("Forbidden: bot was blocked by the user")])
    dispatcher = make_dispatcher(database, settings, sender)

    await dispatcher.tick(DUE)
    await dispatcher.tick(DUE + timedelta(days=1))
    await dispatcher.tick(DUE + timedelta(days=1, hours=2))

    assert sender.calls == 1
    [row] = await deliveries(database)
    assert row.status == "failed"
    async with database.transaction() as session:
        patient = await session.get(Patient, PATIENT)
        assert patient is not None and patient.active is False

    await set_patient(database, active=True)  # what /start does
    await dispatcher.tick(DUE + timedelta(days=2))
    assert [chat for chat, _, _ in sender.sent] == [PATIENT]


async def test_each_delivery_of_one_batch_keeps_its_own_outcome(database, settings, clock):
    # The four share one chunk of sends.
    patients = [PATIENT, PATIENT + 1, PATIENT + 2, PATIENT + 3]
    for patient_id in patients:
        await add_patient(database, patient_id)
    # the third is a fault of the bot's own, which must not undo the others' records either
    sender = RecordingSender(
        [RecipientBlocked("Forbidden: bot was blocked"), TemporarySendFailure("Bad Gateway"), KeyError("id")]
    )

    await make_dispatcher(database, settings, sender).tick(DUE)

    assert [chat for chat, _, _ in sender.sent] == [PATIENT + 3]
    outcomes = [(row.patient_id, row.status, row.attempts, row.error) for row in await deliveries(database)]
    assert outcomes == [
        (PATIENT, "failed", 1, "Forbidden: bot was blocked"),
        (PATIENT + 1, "pending", 1, "Bad Gateway"),
        (PATIENT + 2, "pending", 1, "KeyError: 'id'"),
        (PATIENT + 3, "sent", 1, None),
    ]
    async with database.transaction() as session:
        active = {p.id: p.active for p in (await session.scalars(select(Patient))).all()}
    assert active == {PATIENT: False, PATIENT + 1: True, PATIENT + 2: True, PATIENT + 3: True}


async def test_a_patient_deleted_while_their_reminder_is_out_stays_deleted(database, settings, clock):
    # Nothing locks the delivery while it is sent, so the deletion goes through at once.
    await add_patient(database, PATIENT)
    await add_patient(database, PATIENT + 1)
    deletions: list[asyncio.Task[list[int]]] = []

    async def delete_first() -> list[int]:
        async with database.transaction() as session:
            return await delete_patient(session, PATIENT)

    class DeletingSender(RecordingSender):
        async def send(
            self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
        ) -> int:
            if chat_id == PATIENT:
                deletions.append(asyncio.create_task(delete_first()))
                await deletions[0]
            return await super().send(chat_id, message, priority=priority)

    sender = DeletingSender()
    await make_dispatcher(database, settings, sender).tick(DUE)
    await asyncio.gather(*deletions)

    assert sorted(chat for chat, _, _ in sender.sent) == [PATIENT, PATIENT + 1]
    assert [(row.patient_id, row.status) for row in await deliveries(database)] == [(PATIENT + 1, "sent")]
    async with database.transaction() as session:
        assert await session.get(Patient, PATIENT) is None
        reminders = (await session.scalars(select(Reminder))).all()
    assert [(r.patient_id, r.followup_at is not None) for r in reminders] == [(PATIENT + 1, True)]


@pytest.mark.parametrize(
    "values",
    [
        {"paused_until": DUE + timedelta(days=1)},
        {"active": False},
        {"onboarding_step": "baseline"},
    ],
    ids=["paused", "inactive", "not-onboarded"],
)
async def test_no_reminder_for_a_patient_who_cannot_take_it(database, settings, clock, values):
    await add_patient(database)
    await set_patient(database, **values)
    sender = RecordingSender()

    await make_dispatcher(database, settings, sender).tick(DUE)

    assert sender.sent == []
    assert (await reminder_row(database)).next_fire_at == DUE + timedelta(days=1)


async def test_a_pause_that_ended_lets_reminders_through(database, settings, clock):
    await add_patient(database)
    await set_patient(database, paused_until=DUE - timedelta(minutes=1))
    sender = RecordingSender()

    await make_dispatcher(database, settings, sender).tick(DUE)

    assert len(sender.sent) == 1


async def test_no_reminder_after_todays_session_is_completed(database, settings, clock):
    await add_patient(database)
    await add_session(database, datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # 07:00 in Berlin
    await add_session(database, datetime(2026, 3, 1, 7, 0, tzinfo=UTC))  # yesterday
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)

    await dispatcher.tick(DUE)
    await dispatcher.tick(DUE + timedelta(days=1))

    [row] = await deliveries(database)
    assert row.occurrence_date.isoformat() == "2026-03-03"
    assert len(sender.sent) == 1


async def test_a_session_completed_yesterday_late_in_utc_counts_for_the_local_day(database, settings):
    await add_patient(database)
    # 23:30 UTC on Sunday is 00:30 on Monday in Berlin: Monday's session is done.
    await add_session(database, datetime(2026, 3, 1, 23, 20, tzinfo=UTC))
    sender = RecordingSender()

    await make_dispatcher(database, settings, sender).tick(DUE)

    assert sender.sent == []


async def test_an_ignored_reminder_gets_one_gentle_followup(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)

    await dispatcher.tick(DUE)
    assert await dispatcher.tick(DUE + timedelta(minutes=5)) == DUE + timedelta(minutes=5, seconds=30)
    await dispatcher.tick(DUE + settings.followup_delay - timedelta(seconds=1))
    assert len(sender.sent) == 1
    await dispatcher.tick(DUE + settings.followup_delay)
    await dispatcher.tick(DUE + settings.followup_delay * 3)

    texts = sender.texts_to(PATIENT)
    assert len(texts) == 2
    assert texts[1].startswith("Just a gentle nudge")
    kinds = [row.kind for row in await deliveries(database)]
    assert kinds == ["daily", "followup"]


async def test_no_followup_once_a_session_started(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)
    await dispatcher.tick(DUE)
    await add_session(database, DUE + timedelta(minutes=20), status="stopped")

    await dispatcher.tick(DUE + settings.followup_delay)

    assert len(sender.sent) == 1
    assert (await reminder_row(database)).followup_at is None


async def test_no_followup_when_the_patient_turned_them_off(database, settings, clock):
    await add_patient(database)
    await set_patient(database, followups_enabled=False)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)

    await dispatcher.tick(DUE)
    await dispatcher.tick(DUE + settings.followup_delay)

    assert len(sender.sent) == 1


async def test_snooze_sends_that_day_again_then_goes_on_with_the_next(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)
    await dispatcher.tick(DUE)
    async with database.transaction() as session:
        fire_at = await snooze(session, PATIENT, 10_001, 15, DUE + timedelta(minutes=1))
    assert fire_at == DUE + timedelta(minutes=16)

    await dispatcher.tick(DUE + timedelta(minutes=15))
    assert len(sender.sent) == 1
    await dispatcher.tick(DUE + timedelta(minutes=16))
    await dispatcher.tick(DUE + timedelta(days=1))

    rows = await deliveries(database)
    assert [(row.occurrence_date.day, row.kind) for row in rows] == [
        (2, "daily"), (2, "snooze1"), (3, "daily"),
    ]
    assert len(sender.sent) == 3
    # the follow-up of Monday came from the snoozed re-send, and Tuesday's replaced it
    assert (await reminder_row(database)).followup_date.day == 3  # type: ignore[union-attr]


async def test_a_stale_or_unknown_message_cannot_snooze_or_skip(database, settings, clock):
    await add_patient(database)
    dispatcher = make_dispatcher(database, settings, RecordingSender())
    await dispatcher.tick(DUE)
    await dispatcher.tick(DUE + timedelta(days=1))  # Tuesday's reminder is 10_002 (no follow-up yet)

    async with database.transaction() as session:
        assert await snooze(session, PATIENT, 10_001, 15, DUE + timedelta(days=1)) is None
        assert await snooze(session, PATIENT, 10_002, 7, DUE + timedelta(days=1)) is None
        assert await skip_today(session, PATIENT, 10_001, DUE + timedelta(days=1)) is False
        assert await skip_today(session, PATIENT, 999, DUE + timedelta(days=1)) is False
        assert await skip_today(session, PATIENT + 1, 10_002, DUE + timedelta(days=1)) is False


async def test_skip_today_cancels_the_snooze_and_the_followup(database, settings, clock):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)
    await dispatcher.tick(DUE)
    async with database.transaction() as session:
        await snooze(session, PATIENT, 10_001, 60, DUE)
    async with database.transaction() as session:
        assert await skip_today(session, PATIENT, 10_001, DUE + timedelta(minutes=2)) is True
    async with database.transaction() as session:
        assert await snooze(session, PATIENT, 10_001, 15, DUE + timedelta(minutes=3)) is None

    await dispatcher.tick(DUE + timedelta(hours=1))
    await dispatcher.tick(DUE + settings.followup_delay)
    assert len(sender.sent) == 1
    assert (await reminder_row(database)).next_fire_at == DUE + timedelta(days=1)
    await dispatcher.tick(DUE + timedelta(days=1))
    assert len(sender.sent) == 2


async def test_changing_the_time_after_todays_reminder_does_not_send_it_twice(
    database, settings, clock
):
    await add_patient(database)
    sender = RecordingSender()
    dispatcher = make_dispatcher(database, settings, sender)
    await dispatcher.tick(DUE)
    async with database.transaction() as session:
        await configure_reminder(session, PATIENT, time(15, 0), EVERY_DAY, BERLIN, DUE)

    await dispatcher.tick(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))

    assert len(sender.sent) == 1
    assert (await reminder_row(database)).next_fire_at == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


async def add_many_patients(database: Database, count: int, first_id: int = 5000) -> list[int]:
    """`count` onboarded patients, all with a reminder due at DUE, in one transaction."""
    ids = list(range(first_id, first_id + count))
    async with database.transaction() as session:
        session.add_all(
            Patient(
                id=patient_id, timezone=BERLIN, consented_at=START,
                hold_seconds=5, repetitions=2, created_at=START, last_seen_at=START,
            )
            for patient_id in ids
        )
        await session.flush()
        # a bulk insert lets the column default win over an explicit None
        await session.execute(update(Patient).where(Patient.id.in_(ids)).values(onboarding_step=None))
        for patient_id in ids:
            await configure_reminder(session, patient_id, time(9, 0), EVERY_DAY, BERLIN, START)
    return ids


async def test_many_due_reminders_are_claimed_in_batches_and_sent_once(database, settings):
    ids = await add_many_patients(database, 450)
    sender = RecordingSender()

    await make_dispatcher(database, settings, sender).tick(DUE)

    assert sorted(chat for chat, _, _ in sender.sent) == ids
    async with database.transaction() as session:
        statuses = Counter((await session.scalars(select(ReminderDelivery.status))).all())
    assert statuses == {"sent": 450}


async def test_a_stopping_bot_ends_the_fan_out_early_and_its_next_start_sends_the_rest(
    database, settings
):
    ids = await add_many_patients(database, 450)
    sender = RecordingSender()
    stopping = Dispatcher(
        database, settings, Heartbeat(), sender, ManualClock(START), MESSAGES,  # type: ignore[arg-type]
        keep_going=lambda: sender.calls < 20,  # the stop comes after 20 sends began
    )

    await stopping.tick(DUE)

    sent_before_the_stop = len(sender.sent)
    assert 20 <= sent_before_the_stop <= SEND_CHUNK  # the chunk or batches under way, no more
    async with database.transaction() as session:
        statuses = Counter((await session.scalars(select(ReminderDelivery.status))).all())
    assert statuses == {"sent": sent_before_the_stop, "pending": 450 - sent_before_the_stop}
    await make_dispatcher(database, settings, sender).tick(DUE + timedelta(minutes=1))
    assert sorted(chat for chat, _, _ in sender.sent) == ids  # everyone once


async def test_two_dispatchers_on_postgresql_send_each_reminder_once(settings):
    async with postgres_database_url() as url:
        first, second = Database(url), Database(url)
        try:
            await two_dispatchers_share_500_reminders(first, second, settings)
        finally:
            await first.dispose()
            await second.dispose()


async def two_dispatchers_share_500_reminders(
    first: Database, second: Database, settings: Settings
) -> None:
    await first.upgrade()
    ids = await add_many_patients(first, 500)
    senders = RecordingSender(), RecordingSender()
    dispatchers = [make_dispatcher(db, settings, s) for db, s in zip((first, second), senders)]

    await asyncio.gather(*(dispatcher.tick(DUE) for dispatcher in dispatchers))
    await asyncio.gather(*(dispatcher.tick(DUE + timedelta(seconds=1)) for dispatcher in dispatchers))

    chats = [chat for sender in senders for chat, _, _ in sender.sent]
    assert sorted(chats) == ids
    assert all(sender.sent for sender in senders), "both dispatchers should have taken a share"
    async with first.transaction() as session:
        sent = await session.scalar(
            select(func.count()).select_from(ReminderDelivery).where(ReminderDelivery.status == "sent")
        )
    assert sent == 500
