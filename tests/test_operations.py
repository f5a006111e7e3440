"""Operator commands end to end: /stats by cohort, /broadcast with its confirmation, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sibot.core import Core
from sibot.db import Database
from sibot.emulator import Emulator, TelegramUser
from sibot.models import Broadcast, ExerciseSession, Patient, RedFlag
from sibot.operators import (
    BROADCAST_CHUNK,
    BROADCAST_HOLD,
    BROADCAST_IN_FLIGHT,
    CANCEL_LOOK_EVERY,
    DRAFT_LIFETIME,
    BroadcastEnd,
    BroadcastState,
    BroadcastView,
    Cancellation,
    Refusal,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    end_cancelled_broadcasts,
    resume_broadcasts,
    send_broadcast,
    stats_by_cohort,
    total,
)
from sibot.ports import OutgoingMessage, Priority, RecipientBlocked, TemporarySendFailure
from sibot.settings import load_settings
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import ADMIN_ID, BotHarness, ManualClock
from tests.processes import BotProcess
from tests.reliability.helpers import bot_message_with_button, press

SECOND_ADMIN_ID = 4343




@pytest.fixture
def admin(emulator: Emulator) -> TelegramUser:
    return emulator.patient(first_name="Olga", user_id=ADMIN_ID)


async def _patient_in(bot: BotHarness, emulator: Emulator, cohort: str | None) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now())
    async with bot.core.db.transaction() as session:
        await session.execute(
            update(Patient).where(Patient.id == patient.user_id).values(cohort=cohort)
        )
    return patient


async def test_stats_break_figures_down_by_cohort(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    clinic = [await _patient_in(admin_bot, emulator, "clinic-a") for _ in range(2)]
    await _patient_in(admin_bot, emulator, None)
    now = admin_bot.clock.now()
    async with admin_bot.core.db.transaction() as session:
        session.add(
            ExerciseSession(
                patient_id=clinic[0].user_id, status="completed", source="command",
                exercise_keys=[], hold_seconds=5, repetitions=5, started_at=now - timedelta(minutes=20),
                updated_at=now, ended_at=now,
            )
        )
        session.add(RedFlag(patient_id=clinic[1].user_id, at=now, rule="severe_pain", urgency="pause"))

    await admin.send("/stats")
    figures = (await admin.expect("sibot figures")).text

    total, clinic_a, no_cohort = figures.split("\n\n")[1:]
    assert total.startswith("All patients") and "Patients: 3 " in total
    assert clinic_a.startswith("clinic-a")
    assert "Patients: 2 " in clinic_a
    assert "Sessions today: 1 " in clinic_a
    assert "Red flags this week: 1" in clinic_a
    assert no_cohort.startswith("(no cohort)") and "Patients: 1 " in no_cohort


async def test_stats_with_no_patients_says_so(admin_bot: BotHarness, admin: TelegramUser) -> None:
    await admin.send("/stats")
    assert "No patients yet" in (await admin.expect("sibot figures")).text


async def test_operator_commands_refuse_everyone_else(admin_bot: BotHarness, emulator: Emulator) -> None:
    patient = await _patient_in(admin_bot, emulator, None)
    for command in ("/stats", "/broadcast Hello everyone"):
        await patient.send(command)
        reply = await patient.next_message()
        assert reply.text == text("en", "common.unknown_command")
    assert not any(m.text.startswith("This goes to") for m in patient.messages)


async def test_broadcast_is_confirmed_then_sent_at_bulk_priority(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    reader = await _patient_in(admin_bot, emulator, "clinic-a")
    gone = await _patient_in(admin_bot, emulator, None)
    gone.block_bot(bot_told=False)  # the broadcast is what meets the block

    await admin.send("/broadcast New <b>exercises</b> & tips are coming")
    preview = await admin.expect("This goes to")
    assert "2 active patients" in preview.text
    assert "New <b>exercises</b> & tips are coming" in preview.text  # shown as typed, not as HTML
    await reader.assert_silent(0.2)

    await admin.tap("Send it")
    done = await admin.expect("Broadcast finished")
    assert "1 sent, 1 failed" in done.text
    assert admin.current(preview.message_id).text == "Sending to 2 patients…"
    assert (await reader.expect("exercises")).text == "New <b>exercises</b> & tips are coming"
    async with admin_bot.core.db.transaction() as session:
        assert (await session.get(Patient, gone.user_id)).active is False  # type: ignore[union-attr]

    again = await admin.tap_data(preview.button_data["Send it"], preview.message_id)
    assert await admin.answer_to(again) == text("en", "admin.broadcast_already_finished")
    await reader.assert_silent(0.3)


async def test_broadcast_without_text_explains_and_cancel_sends_nothing(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    reader = await _patient_in(admin_bot, emulator, None)
    await admin.send("/broadcast")
    assert (await admin.next_message()).text == text("en", "admin.broadcast_usage")

    await admin.send("/broadcast Not today")
    await admin.expect("This goes to")
    await admin.tap("Cancel")
    await reader.assert_silent(0.5)
    assert any(m.text == text("en", "admin.broadcast_cancelled") for m in admin.messages)


async def test_stats_and_broadcast_recipients_on_both_databases(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    for patient_id, cohort in ((1, "arm-a"), (2, "arm-a"), (3, "arm-b"), (4, None)):
        await onboarded_patient(database, patient_id, clock.now() - timedelta(days=10))
        async with database.transaction() as session:
            values = {"cohort": cohort, "active": patient_id != 4}
            await session.execute(update(Patient).where(Patient.id == patient_id).values(**values))
    async with database.transaction() as session:
        await session.execute(
            update(Patient).where(Patient.id == 1).values(last_seen_at=clock.now())
        )

    rows = await stats_by_cohort(core)

    assert [(row.cohort, row.patients, row.active_7d) for row in rows] == [
        ("arm-a", 2, 1), ("", 1, 0), ("arm-b", 1, 0)
    ]
    assert total(rows).patients == 4
    assert (await draft_broadcast(core, ADMIN_ID, "hello")).recipients == 3


class CountingSender:
    """Answers after a moment, like Telegram; counts the sends in flight at once."""

    def __init__(self, blocked: int, failing: int) -> None:
        self.blocked, self.failing = blocked, failing
        self.in_flight = self.most_in_flight = 0
        self.sent: list[tuple[int, Priority]] = []

    async def send(self, chat_id: int, message: OutgoingMessage, *, priority: Priority) -> int:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if chat_id == self.blocked:
                raise RecipientBlocked("Forbidden: bot was blocked by the user")
            if chat_id == self.failing:
                raise TemporarySendFailure("Bad Gateway")
            self.sent.append((chat_id, priority))
            return len(self.sent)
        finally:
            self.in_flight -= 1


async def test_a_broadcast_sends_side_by_side_and_counts_every_outcome(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    for patient_id in range(1, 41):
        await onboarded_patient(database, patient_id, clock.now())
    sender = CountingSender(blocked=7, failing=8)
    broadcast = await draft_broadcast(core, ADMIN_ID, "Clinic closed <Monday>")
    confirmed = await confirm_broadcast(core, broadcast.id, ADMIN_ID)
    assert isinstance(confirmed, BroadcastView)

    result = await send_broadcast(core, sender, confirmed, lambda: True)

    assert (result.sent, result.failed) == (38, 2)
    assert sorted(chat for chat, _ in sender.sent) == [n for n in range(1, 41) if n not in (7, 8)]
    assert {priority for _, priority in sender.sent} == {Priority.BULK}
    assert 1 < sender.most_in_flight <= BROADCAST_IN_FLIGHT
    async with database.transaction() as session:
        assert (await session.get(Patient, 7)).active is False  # type: ignore[union-attr]
        assert (await session.get(Patient, 8)).active is True  # type: ignore[union-attr]
        row = await session.get(Broadcast, broadcast.id)
        assert row is not None and (row.sent, row.failed) == (38, 2) and row.finished_at is not None


class RecordingSender:
    """Takes every message at once; `on_send` runs before each, with the count sent so far."""

    def __init__(self, on_send: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.chats: list[int] = []
        self.on_send = on_send

    async def send(self, chat_id: int, message: OutgoingMessage, *, priority: Priority) -> int:
        if self.on_send is not None:
            await self.on_send(len(self.chats))
        self.chats.append(chat_id)
        return len(self.chats)


async def _confirmed_broadcast(core: Core, patients: int) -> BroadcastView:
    for patient_id in range(1, patients + 1):
        await onboarded_patient(core.db, patient_id, core.clock.now())
    draft = await draft_broadcast(core, ADMIN_ID, "Hi")
    confirmed = await confirm_broadcast(core, draft.id, ADMIN_ID)
    assert isinstance(confirmed, BroadcastView)
    return confirmed


async def _broadcast_row(core: Core, broadcast_id: int) -> Broadcast:
    async with core.db.transaction() as session:
        row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    return row


async def test_a_broadcast_the_bot_stops_goes_on_from_there_at_the_next_start(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    sender = RecordingSender()
    checks = iter([True])  # the bot starts stopping once the first chunk is under way

    assert await send_broadcast(core, sender, confirmed, lambda: next(checks, False)) is None

    row = await _broadcast_row(core, confirmed.id)
    assert (row.sent, row.sent_through) == (BROADCAST_CHUNK, BROADCAST_CHUNK)
    assert row.held_by is None and row.finished_at is None
    [resumed] = await resume_broadcasts(core)  # at once: the stopping bot let it go
    assert (resumed.id, resumed.admin_id, resumed.recipients) == (confirmed.id, ADMIN_ID, 70)
    result = await send_broadcast(core, sender, resumed, lambda: True)
    assert result is not None and (result.sent, result.failed) == (120, 0)
    assert sorted(sender.chats) == list(range(1, 121))  # everyone once
    row = await _broadcast_row(core, confirmed.id)
    assert row.sent == 120 and row.finished_at is not None and row.held_by is None
    assert await resume_broadcasts(core) == []


async def _sending_until_it_hangs_at_60(core: Core, confirmed: BroadcastView) -> asyncio.Task[object]:
    """A replica sending the broadcast whose 60th send never gets an answer: its process is gone.
    Returns once it hangs there."""
    hung = asyncio.Event()

    async def hang_at_60(count: int) -> None:
        if count >= 60:
            hung.set()
            await asyncio.Event().wait()

    sending = asyncio.create_task(send_broadcast(core, RecordingSender(hang_at_60), confirmed, lambda: True))
    await hung.wait()
    return sending


async def _kill(sending: asyncio.Task[object]) -> None:
    sending.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sending


async def test_a_broadcast_whose_replica_died_is_taken_over_once_its_hold_runs_out(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    dying = await _sending_until_it_hangs_at_60(core, confirmed)
    await _kill(dying)  # nothing more is written

    assert await resume_broadcasts(core) == []  # still held by the dead replica
    clock.advance(BROADCAST_HOLD)
    looks = await asyncio.gather(resume_broadcasts(core), resume_broadcasts(core))  # two replicas
    [resumed] = looks[0] + looks[1]
    sender = RecordingSender()
    result = await send_broadcast(core, sender, resumed, lambda: True)

    assert result is not None and (result.sent, result.failed) == (120, 0)
    assert sorted(sender.chats) == list(range(51, 121))  # from the last stored chunk on
    assert (await _broadcast_row(core, confirmed.id)).finished_at is not None


async def test_a_replica_whose_hold_ran_out_stops_and_leaves_the_rest_to_the_new_holder(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    taken_over: list[BroadcastView] = []
    stalled = asyncio.Event()

    async def stall_then_lose_the_hold(count: int) -> None:
        if count == 10 and not stalled.is_set():  # the chunk outlasts the hold; a replica takes over
            stalled.set()
            clock.advance(BROADCAST_HOLD)
            taken_over.extend(await resume_broadcasts(core))

    slow = RecordingSender(stall_then_lose_the_hold)
    assert await send_broadcast(core, slow, confirmed, lambda: True) is None
    assert sorted(slow.chats) == list(range(1, 51))  # its chunk ended; its write was refused

    [resumed] = taken_over
    assert resumed.recipients == 120  # the chunk never got written: it goes again
    result = await send_broadcast(core, RecordingSender(), resumed, lambda: True)
    assert result is not None and result.sent == 120


async def _broadcast_under_way(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> list[TelegramUser]:
    """90 patients, and a broadcast to them that the operator sent: the 11th has it already."""
    readers = [await _patient_in(admin_bot, emulator, None) for _ in range(90)]
    await admin.send("/broadcast The clinic moves on Monday")
    await admin.expect("This goes to")
    await admin.tap("Send it")
    await readers[10].expect("The clinic moves")  # under way, at 30 a second
    return readers


async def test_a_broadcast_cut_off_by_a_restart_goes_on_after_it(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    readers = await _broadcast_under_way(admin_bot, emulator, admin)

    await admin_bot.restart()  # the stopping bot finishes its chunk, stores it and lets go

    resumed = await admin.expect("cut off by a restart")
    assert resumed.text == text("en", "admin.broadcast_resumed", recipients=90 - BROADCAST_CHUNK)
    done = await admin.expect("Broadcast finished")
    assert "90 sent, 0 failed" in done.text
    for reader in readers:
        assert [m.text for m in reader.messages] == ["The clinic moves on Monday"]


async def test_a_bot_process_stopped_mid_broadcast_exits_at_once_and_its_next_start_goes_on(
    emulator: Emulator, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}"
    database = Database(url)
    await database.upgrade()
    readers = [emulator.patient() for _ in range(90)]
    for reader in readers:
        await onboarded_patient(database, reader.user_id, datetime.now(UTC))
    await database.dispose()
    admin = emulator.patient(first_name="Olga", user_id=ADMIN_ID)
    first = BotProcess(emulator.base_url, url, SIBOT_ADMIN_IDS=str(ADMIN_ID))
    await first.start()
    await first.wait_for_log("ready")
    await admin.send("/broadcast The clinic moves on Monday")
    await admin.expect("This goes to")
    await admin.tap("Send it")
    await readers[10].expect("The clinic moves")

    async with asyncio.timeout(10):  # SIGTERM: the chunk under way ends, and so does the process
        assert await first.terminate() == 0
    assert sum(len(reader.messages) for reader in readers) == BROADCAST_CHUNK

    second = BotProcess(emulator.base_url, url, SIBOT_ADMIN_IDS=str(ADMIN_ID))
    await second.start()
    try:
        await admin.expect("cut off by a restart", timeout=20)
        assert "90 sent, 0 failed" in (await admin.expect("Broadcast finished", timeout=20)).text
    finally:
        assert await second.terminate() == 0
    assert all(len(reader.messages) == 1 for reader in readers)


async def _shows(patient: TelegramUser, message_id: int, expected: str) -> None:
    """Waits until the message reads `expected` (an edit lands after the press is answered)."""
    await patient.chat.changes.wait_until(
        lambda: patient.current(message_id).text == expected or None, 5
    )


async def test_a_broadcast_moves_only_as_its_state_allows(database: Database, clock: ManualClock) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    await onboarded_patient(database, 1, clock.now())
    cancelled, expiring, sent = [await draft_broadcast(core, ADMIN_ID, "Hi") for _ in range(3)]

    assert await confirm_broadcast(core, cancelled.id, SECOND_ADMIN_ID) is Refusal.NOT_YOURS
    assert await cancel_broadcast(core, cancelled.id, SECOND_ADMIN_ID) is Refusal.NOT_YOURS
    assert await cancel_broadcast(core, cancelled.id, ADMIN_ID) == Cancellation(stopping=False)
    assert await confirm_broadcast(core, cancelled.id, ADMIN_ID) is Refusal.CANCELLED
    assert await cancel_broadcast(core, cancelled.id, ADMIN_ID) is Refusal.CANCELLED
    assert isinstance(await confirm_broadcast(core, sent.id, ADMIN_ID), BroadcastView)
    assert await confirm_broadcast(core, sent.id, ADMIN_ID) is Refusal.SENDING
    assert await confirm_broadcast(core, 10**9, ADMIN_ID) is Refusal.UNKNOWN
    assert await resume_broadcasts(core) == []  # the one sending is held by its sender

    clock.advance(DRAFT_LIFETIME - timedelta(seconds=1))
    assert (await _broadcast_row(core, expiring.id)).status == BroadcastState.DRAFT
    clock.advance(timedelta(seconds=1))
    assert await confirm_broadcast(core, expiring.id, ADMIN_ID) is Refusal.EXPIRED
    assert await cancel_broadcast(core, expiring.id, ADMIN_ID) is Refusal.EXPIRED
    assert [(await _broadcast_row(core, draft.id)).status for draft in (cancelled, expiring, sent)] == [
        BroadcastState.CANCELLED, BroadcastState.EXPIRED, BroadcastState.SENDING
    ]


async def test_a_cancel_during_sending_stops_the_rest_and_counts_what_went(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    answers: list[tuple[Cancellation | Refusal, int]] = []  # with the count sent when it took
    pressed = asyncio.Event()

    async def cancel_after_20(count: int) -> None:
        if count == 20 and not pressed.is_set():
            pressed.set()
            answers.append((await cancel_broadcast(core, confirmed.id, ADMIN_ID), len(sender.chats)))

    sender = RecordingSender(cancel_after_20)
    ended = await send_broadcast(core, sender, confirmed, lambda: True)

    [(answer, sent_by_then)] = answers
    assert answer == Cancellation(stopping=True)  # its sender reports the counts
    assert ended == BroadcastEnd(confirmed.id, ADMIN_ID, BroadcastState.CANCELLED, len(sender.chats), 0)
    # The sends of this instant sender outrun the cancel's transaction; after it, the next look.
    assert len(sender.chats) - sent_by_then <= CANCEL_LOOK_EVERY + BROADCAST_IN_FLIGHT
    assert len(sender.chats) < 120
    row = await _broadcast_row(core, confirmed.id)
    assert (row.status, row.sent, row.held_by) == (BroadcastState.CANCELLED, len(sender.chats), None)
    assert row.finished_at is not None
    clock.advance(BROADCAST_HOLD)
    assert await resume_broadcasts(core) == [] and await end_cancelled_broadcasts(core) == []
    assert await confirm_broadcast(core, confirmed.id, ADMIN_ID) is Refusal.CANCELLED


async def test_a_cancel_while_nobody_sends_ends_the_broadcast_at_once(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    checks = iter([True])  # the bot stops after the first chunk and lets the broadcast go
    assert await send_broadcast(core, RecordingSender(), confirmed, lambda: next(checks, False)) is None

    cancelled = await cancel_broadcast(core, confirmed.id, ADMIN_ID)

    assert cancelled == Cancellation(stopping=False, sent=BROADCAST_CHUNK, failed=0)
    assert await resume_broadcasts(core) == [] and await end_cancelled_broadcasts(core) == []
    assert (await _broadcast_row(core, confirmed.id)).finished_at == clock.now()


async def test_a_broadcast_cancelled_while_its_sender_dies_is_ended_by_the_next_look(
    database: Database, clock: ManualClock
) -> None:
    core = Core(settings=load_settings(require_token=False), db=database, clock=clock)
    confirmed = await _confirmed_broadcast(core, 120)
    dying = await _sending_until_it_hangs_at_60(core, confirmed)
    assert await cancel_broadcast(core, confirmed.id, ADMIN_ID) == Cancellation(stopping=True)
    await _kill(dying)  # before its next look

    assert await end_cancelled_broadcasts(core) == []  # its hold has not run out yet
    clock.advance(BROADCAST_HOLD)
    looks = await asyncio.gather(end_cancelled_broadcasts(core), end_cancelled_broadcasts(core))
    assert looks[0] + looks[1] == [
        BroadcastEnd(confirmed.id, ADMIN_ID, BroadcastState.CANCELLED, BROADCAST_CHUNK, 0)
    ]
    assert await resume_broadcasts(core) == [] and await end_cancelled_broadcasts(core) == []


async def test_cancel_while_sending_stops_the_broadcast_and_tells_how_many_went(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    readers = [await _patient_in(admin_bot, emulator, None) for _ in range(150)]
    await admin.send("/broadcast The clinic moves on Monday")
    preview = await admin.expect("This goes to")
    await admin.tap("Send it")
    await readers[5].expect("The clinic moves")  # under way, at 30 a second

    await admin.tap("Cancel")
    stopped = await admin.expect("Broadcast cancelled")

    await _shows(admin, preview.message_id, text("en", "admin.broadcast_stopping"))
    sent = sum(len(reader.messages) for reader in readers)
    assert stopped.text == text("en", "admin.broadcast_stopped", sent=sent, failed=0)
    assert 6 <= sent < BROADCAST_CHUNK
    await readers[-1].assert_silent(0.5)
    assert sum(len(reader.messages) for reader in readers) == sent
    again = await admin.tap_data(preview.button_data["Send it"], preview.message_id)
    assert await admin.answer_to(again) == text("en", "admin.broadcast_was_cancelled")
    assert not any("Broadcast finished" in message.text for message in admin.messages)


async def test_a_broadcast_cancelled_as_its_bot_stopped_is_ended_at_the_next_start(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    readers = await _broadcast_under_way(admin_bot, emulator, admin)
    await admin_bot.stop()  # the chunk under way is stored and the broadcast let go
    database = Database(admin_bot.settings.database_url)
    async with database.transaction() as session:  # a cancel that came after its last look
        await session.execute(update(Broadcast).values(status=BroadcastState.CANCELLED))
    await database.dispose()

    await admin_bot.start()

    stopped = await admin.expect("Broadcast cancelled")
    assert stopped.text == text("en", "admin.broadcast_stopped", sent=BROADCAST_CHUNK, failed=0)
    await readers[-1].assert_silent(0.5)
    assert sum(len(reader.messages) for reader in readers) == BROADCAST_CHUNK
    assert not any("cut off by a restart" in message.text for message in admin.messages)


async def test_a_cancelled_or_expired_draft_cannot_be_sent(
    admin_bot: BotHarness, emulator: Emulator, admin: TelegramUser
) -> None:
    reader = await _patient_in(admin_bot, emulator, None)
    await admin.send("/broadcast Not today")
    cancelled = await admin.expect("This goes to")
    await admin.tap("Cancel")
    await _shows(admin, cancelled.message_id, text("en", "admin.broadcast_cancelled"))
    await admin.send("/broadcast Tomorrow's news")
    expiring = await admin.expect("This goes to")
    admin_bot.clock.advance(DRAFT_LIFETIME)

    refusals = [(cancelled, "admin.broadcast_was_cancelled"), (expiring, "admin.broadcast_expired")]
    for draft, refusal in refusals:
        pressed = await admin.tap_data(draft.button_data["Send it"], draft.message_id)
        assert await admin.answer_to(pressed) == text("en", refusal)
    await reader.assert_silent(0.3)


async def test_only_its_operator_still_listed_when_pressing_can_send_a_broadcast(
    emulator: Emulator, tmp_path: Path, clock: ManualClock, admin: TelegramUser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"
    bot = BotHarness(emulator, url, clock, SIBOT_ADMIN_IDS=f"{ADMIN_ID},{SECOND_ADMIN_ID}")
    await bot.start()
    try:
        reader = await _patient_in(bot, emulator, None)
        colleague = emulator.patient(first_name="Carl", user_id=SECOND_ADMIN_ID)
        await admin.send("/broadcast Rest today")
        send_data = (await admin.expect("This goes to")).button_data["Send it"]
        answer = await colleague.answer_to(
            press(emulator, colleague, send_data, bot_message_with_button(colleague, send_data))
        )
        assert answer == text("en", "admin.broadcast_not_yours")

        await onboarded_patient(bot.core.db, ADMIN_ID, clock.now())  # she does her exercises too
        bot.settings = bot.settings.model_copy(update={"admin_ids": frozenset({SECOND_ADMIN_ID})})
        await bot.restart()  # Olga is no operator any more
        assert await admin.answer_to(await admin.tap("Send it")) == text("en", "settings.unknown_button")
        await reader.assert_silent(0.3)
        async with bot.core.db.transaction() as session:
            [draft] = await session.scalars(select(Broadcast))
        assert draft.status == BroadcastState.DRAFT
    finally:
        await bot.stop()


async def test_logs_carry_no_names_and_no_message_texts(
    bot: BotHarness, emulator: Emulator, production_log_lines: io.StringIO
) -> None:
    patient = emulator.patient(first_name="Zebediah", language_code="en")
    await patient.send("/start")
    await patient.expect("not a medical device")
    await patient.tap("I agree")
    await patient.expect("Question 1 of 6")
    await patient.send("my private words quokka")
    await patient.next_message()
    await patient.send("/nosuchcommand wombat")
    await patient.next_message()

    lines = production_log_lines.getvalue()
    assert '"message": "update"' in lines and str(patient.user_id) in lines  # one line per update
    for private in ("Zebediah", "quokka", "wombat", "nosuchcommand"):
        assert private not in lines
