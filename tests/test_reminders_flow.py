"""Reminders end to end: the real bot polls the emulator; the test moves the clock and wakes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.reminders import wake_dispatcher
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import Checkin, ExerciseSession, Patient, ReminderDelivery
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)

BERLIN = "Europe/Berlin"
DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin; the clock starts at 07:00 UTC
REMINDER = "Time for your SI joint routine"
NUDGE = "gentle nudge"
START_NOW, SNOOZE_15, SNOOZE_60, SKIP_TODAY = (
    text("en", f"reminders.button.{name}") for name in ("start", "snooze_15", "snooze_60", "skip")
)


async def reminded_patient(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, **fields: Any
) -> TelegramUser:
    patient = emulator.patient(first_name="Ana", language_code="en")
    fields = {"timezone": BERLIN, "reminder_at": time(9, 0), **fields}
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), **fields)
    return patient


async def reminded_at_due(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> tuple[TelegramUser, Message]:
    """A patient whose 09:00 reminder has just come, and that reminder."""
    patient = await reminded_patient(bot, emulator, clock)
    await at(bot, clock, DUE)
    return patient, await patient.expect(REMINDER)


async def at(bot: BotHarness, clock: ManualClock, instant: datetime) -> None:
    """Move the clock and let the dispatcher act on it."""
    clock.set(instant)
    await wake_dispatcher(bot.application)  # type: ignore[arg-type]


def delivered(emulator: Emulator, chat_id: int) -> int:
    """sendMessage calls to the chat that Telegram took."""
    return sum(
        1
        for request in emulator.requests
        if request.method == "sendMessage" and request.chat_id == chat_id and request.status == 200
    )


async def test_the_reminder_comes_on_time_with_its_buttons(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)

    await at(bot, clock, DUE - timedelta(minutes=1))
    await patient.assert_silent(0.2)
    await at(bot, clock, DUE)
    message = await patient.expect(REMINDER)
    await at(bot, clock, DUE + timedelta(minutes=1))

    assert "(about " in message.text and "minutes)" in message.text
    assert message.buttons[:3] == [[START_NOW], [SNOOZE_15, SNOOZE_60], [SKIP_TODAY]]
    assert [label for row in message.buttons[3:] for label in row] == [str(n) for n in range(11)]
    assert message.button_data[START_NOW] == "ss:start:reminder"
    assert message.button_data["7"] == "pn:score:7:reminder"
    await patient.assert_silent(0.2)
    assert delivered(emulator, patient.user_id) == 1


async def test_snooze_sends_it_again_later(bot, emulator, clock):
    patient, _ = await reminded_at_due(bot, emulator, clock)

    answer = await patient.answer_to(await patient.tap(SNOOZE_15))
    assert answer == text("en", "reminders.snoozed", time="09:15")
    await at(bot, clock, DUE + timedelta(minutes=14))
    await patient.assert_silent(0.2)
    await at(bot, clock, DUE + timedelta(minutes=15))
    await patient.expect(REMINDER)

    answer = await patient.answer_to(await patient.tap(SNOOZE_60))
    assert answer == text("en", "reminders.snoozed", time="10:15")
    await at(bot, clock, DUE + timedelta(minutes=75))
    await patient.expect(REMINDER)
    assert delivered(emulator, patient.user_id) == 3


async def test_skip_today_means_nothing_more_until_tomorrow(bot, emulator, clock):
    patient, _ = await reminded_at_due(bot, emulator, clock)

    answer = await patient.answer_to(await patient.tap(SKIP_TODAY))
    assert answer == text("en", "reminders.skipped")
    answer = await patient.answer_to(await patient.tap(SNOOZE_15))
    assert answer == text("en", "reminders.stale")
    await at(bot, clock, DUE + timedelta(hours=3))  # past the follow-up
    await patient.assert_silent(0.2)
    await at(bot, clock, DUE + timedelta(days=1))
    await patient.expect(REMINDER)


async def test_an_ignored_reminder_gets_one_followup(bot, emulator, clock):
    patient, _ = await reminded_at_due(bot, emulator, clock)

    await at(bot, clock, DUE + timedelta(hours=2))
    nudge = await patient.expect(NUDGE)
    await at(bot, clock, DUE + timedelta(hours=4))
    await at(bot, clock, DUE + timedelta(hours=8))

    assert nudge.labels == [START_NOW, SKIP_TODAY]
    await patient.assert_silent(0.2)
    assert delivered(emulator, patient.user_id) == 2


async def test_starting_the_session_from_the_reminder_cancels_the_followup(bot, emulator, clock):
    patient, _ = await reminded_at_due(bot, emulator, clock)

    await patient.tap(START_NOW)
    await patient.next_message()  # the session's first question
    await at(bot, clock, DUE + timedelta(hours=3))

    await patient.assert_silent(0.3)


async def test_no_followup_for_a_patient_who_turned_them_off(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None
        row.followups_enabled = False
    await at(bot, clock, DUE)
    await patient.expect(REMINDER)

    await at(bot, clock, DUE + timedelta(hours=3))

    await patient.assert_silent(0.2)


async def test_an_old_reminders_buttons_only_get_a_kind_answer(bot, emulator, clock):
    patient, monday = await reminded_at_due(bot, emulator, clock)
    await at(bot, clock, DUE + timedelta(days=1))
    await patient.expect(REMINDER)

    stale = text("en", "reminders.stale")
    for data in ("rm:snooze:15", "rm:skip"):
        assert await patient.answer_to(await patient.tap_data(data, monday.message_id)) == stale
    for forged in ("rm:snooze:7", "rm:snooze:x", "rm:nap"):
        assert await patient.answer_to(await patient.tap_data(forged, monday.message_id)) == stale
    await at(bot, clock, DUE + timedelta(days=1, minutes=20))
    await patient.assert_silent(0.2)


async def test_restart_after_downtime_inside_the_grace_sends_it_late_once(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    await bot.stop()
    clock.set(DUE + timedelta(hours=1, minutes=30))

    await bot.start()
    await at(bot, clock, clock.now())

    await patient.expect(REMINDER)
    await patient.assert_silent(0.2)
    assert delivered(emulator, patient.user_id) == 1


async def test_restart_after_downtime_past_the_grace_skips_it(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    await bot.stop()
    clock.set(DUE + timedelta(hours=2, minutes=30))

    await bot.start()
    await at(bot, clock, clock.now())
    await patient.assert_silent(0.3)
    await at(bot, clock, DUE + timedelta(days=1))

    await patient.expect(REMINDER)
    assert delivered(emulator, patient.user_id) == 1


async def test_a_429_storm_delivers_every_reminder_once(bot, emulator, clock):
    patients = [await reminded_patient(bot, emulator, clock) for _ in range(12)]
    emulator.faults.add("429", method="sendMessage", count=8, retry_after=1)

    await at(bot, clock, DUE)
    # a chat still told to wait after the rate limiter's retries is tried again after the backoff
    await at(bot, clock, DUE + timedelta(minutes=1))
    for patient in patients:
        await patient.expect(REMINDER)

    assert [delivered(emulator, patient.user_id) for patient in patients] == [1] * 12


async def test_a_5xx_storm_is_retried_until_every_reminder_is_delivered_once(bot, emulator, clock):
    await five_hundreds_storm(bot, emulator, clock)


async def test_a_5xx_storm_on_postgresql_delivers_every_reminder_once(
    bot_on_postgres, emulator, clock
):
    await five_hundreds_storm(bot_on_postgres, emulator, clock)


async def five_hundreds_storm(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> None:
    patients = [await reminded_patient(bot, emulator, clock) for _ in range(12)]
    emulator.faults.add("5xx", method="sendMessage", count=20, status=502)

    await at(bot, clock, DUE)
    for minutes in (1, 2, 4, 8):  # the dispatcher's backoff: 30 s, 1, 2, 4 minutes
        await at(bot, clock, DUE + timedelta(minutes=minutes))
    for patient in patients:
        await patient.expect(REMINDER)

    assert [delivered(emulator, patient.user_id) for patient in patients] == [1] * 12
    async with bot.core.db.transaction() as session:
        statuses = set(await session.scalars(select(ReminderDelivery.status)))
    assert statuses == {"sent"}


async def test_a_patient_who_blocked_the_bot_gets_nothing_until_start(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    patient.block_bot(bot_told=False)  # the bot was down when Telegram told it: a 403 tells it

    await at(bot, clock, DUE)
    await at(bot, clock, DUE + timedelta(days=1))
    await at(bot, clock, DUE + timedelta(days=1, hours=2))

    attempts = [r for r in emulator.requests if r.method == "sendMessage" and r.chat_id == patient.user_id]
    assert [r.status for r in attempts] == [403]
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None and row.active is False

    patient.unblock_bot(bot_told=False)
    await patient.send("/start")
    await patient.next_message()
    await at(bot, clock, DUE + timedelta(days=2))
    await patient.expect(REMINDER)


async def _active_becomes(bot: BotHarness, user_id: int, active: bool) -> None:
    """Wait (a few seconds at most) for the bot to handle Telegram's word of a block or unblock."""
    async with asyncio.timeout(5):
        while True:
            async with bot.core.db.transaction() as session:
                if await session.scalar(select(Patient.active).where(Patient.id == user_id)) is active:
                    return
            await asyncio.sleep(0.02)


async def test_telegram_s_word_of_a_block_stops_reminders_at_once_and_of_an_unblock_brings_them_back(
    bot, emulator, clock
):
    patient = await reminded_patient(bot, emulator, clock)
    patient.block_bot()
    await _active_becomes(bot, patient.user_id, False)
    await at(bot, clock, DUE)
    assert not [r for r in emulator.requests if r.method == "sendMessage" and r.chat_id == patient.user_id]

    patient.unblock_bot()
    await _active_becomes(bot, patient.user_id, True)
    await at(bot, clock, DUE + timedelta(days=1))
    await patient.expect(REMINDER)


async def test_the_bot_added_to_a_group_or_removed_from_one_changes_no_patient(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    group = {"id": -1001234, "type": "supergroup", "title": "Physio class"}
    member = {"status": "member", "user": emulator.world.bot_user}
    emulator.feed_update({"my_chat_member": {
        "chat": group, "from": patient.user, "date": 0, "old_chat_member": {**member, "status": "left"},
        "new_chat_member": member,
    }})
    emulator.feed_update({"my_chat_member": {
        "chat": group, "from": patient.user, "date": 0, "old_chat_member": member,
        "new_chat_member": {**member, "status": "kicked", "until_date": 0},
    }})
    await patient.send("/start")  # handled after both: the updates of one user come in order
    await patient.next_message()
    await at(bot, clock, DUE)
    await patient.expect(REMINDER)


# ---- /start names the next reminder that will really be sent ----------------------------------

SATURDAY_EVENING = datetime(2026, 3, 28, 18, 30, tzinfo=UTC)  # 19:30 in Berlin; DST starts Sunday
SATURDAYS_AND_MONDAYS = 0b0100001


async def completed_session(bot: BotHarness, patient_id: int, at_: datetime) -> None:
    async with bot.core.db.transaction() as session:
        session.add(
            ExerciseSession(
                patient_id=patient_id, status="completed", source="command", exercise_keys=["knee_to_chest"],
                hold_seconds=5, repetitions=2, started_at=at_ - timedelta(minutes=6), updated_at=at_,
                ended_at=at_,
            )
        )


async def next_reminder_on_start(patient: TelegramUser, language: str) -> str:
    await patient.send("/start")
    welcome = await patient.expect(text(language, "settings.next_reminder", next="").rstrip("."))
    return welcome.text.rpartition(text(language, "settings.next_reminder", next="").rstrip("."))[2]


@pytest.mark.parametrize(
    ("language", "today", "monday"),
    [("en", "Sat 19:30", "Mon 19:30"), ("de", "Sa 19:30", "Mo 19:30"), ("es", "sáb 19:30", "lun 19:30"),
     ("ru", "сб 19:30", "пн 19:30")],
)
async def test_start_after_todays_session_names_the_next_reminder_on_a_chosen_day(
    bot, emulator, clock, language: str, today: str, monday: str
):
    """Done on Saturday: not tonight's 19:30 but Monday's, the next chosen day, in summer time."""
    clock.set(SATURDAY_EVENING - timedelta(hours=6))
    patient = await reminded_patient(
        bot, emulator, clock, reminder_at=time(19, 30), weekdays=SATURDAYS_AND_MONDAYS, language=language
    )
    assert today in await next_reminder_on_start(patient, language)
    await completed_session(bot, patient.user_id, clock.now())
    shown = await next_reminder_on_start(patient, language)
    assert monday in shown and today not in shown
    await at(bot, clock, SATURDAY_EVENING + timedelta(days=2, hours=-1))  # Monday 19:30 CEST = 17:30 UTC
    reminder = await patient.next_message()
    assert text(language, "reminders.button.start") in reminder.labels


async def test_start_names_a_snooze_and_drops_it_once_the_session_is_done(bot, emulator, clock):
    clock.set(SATURDAY_EVENING - timedelta(hours=10))
    patient = await reminded_patient(bot, emulator, clock, reminder_at=time(19, 30), weekdays=SATURDAYS_AND_MONDAYS)
    await at(bot, clock, SATURDAY_EVENING)
    await patient.expect(REMINDER)
    await patient.tap(SNOOZE_15)
    assert "Sat 19:45" in await next_reminder_on_start(patient, "en")
    await completed_session(bot, patient.user_id, SATURDAY_EVENING + timedelta(minutes=10))
    assert "Mon 19:30" in await next_reminder_on_start(patient, "en")
    await at(bot, clock, SATURDAY_EVENING + timedelta(minutes=20))
    await patient.assert_silent(0.2)  # the snooze of a done day stays unsent, as /start said


async def test_start_after_skip_today_names_the_next_chosen_day(bot, emulator, clock):
    clock.set(SATURDAY_EVENING - timedelta(hours=10))
    patient = await reminded_patient(bot, emulator, clock, reminder_at=time(19, 30), weekdays=SATURDAYS_AND_MONDAYS)
    await at(bot, clock, SATURDAY_EVENING)
    await patient.expect(REMINDER)
    await patient.tap(SNOOZE_15)
    await patient.tap(SKIP_TODAY)
    assert "Mon 19:30" in await next_reminder_on_start(patient, "en")


async def test_once_a_week_the_reminder_asks_for_new_warning_signs(bot, emulator, clock):
    patient = await reminded_patient(bot, emulator, clock)
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        row.signs_checked_at = DUE - timedelta(days=7)
    await at(bot, clock, DUE)
    reminder = await patient.expect(REMINDER)
    assert "any new warning signs?" in reminder.text
    assert reminder.buttons[-1] == ["Yes, something new", "No"]

    # No: one tap, a word of thanks, no message, and the question waits a week
    assert "next week" in await patient.answer_to(await patient.tap("No"))
    await patient.assert_silent(0.3)
    await at(bot, clock, DUE + timedelta(days=1))
    assert "warning signs" not in (await patient.expect(REMINDER)).text
    await at(bot, clock, DUE + timedelta(days=7))
    assert "warning signs" in (await patient.expect(REMINDER)).text

    # Yes: the symptom list of /pain, whose answer is a check-in without a score
    await patient.tap("Yes, something new")
    asked = await patient.expect("Anything new since last time?")
    await patient.tap("One leg newly weak")
    await patient.chat.changes.wait_until(
        lambda: "✅ One leg newly weak" in patient.current(asked.message_id).labels or None, 5
    )
    await patient.tap("Done")
    await patient.expect("see a doctor today")
    async with bot.core.db.transaction() as session:
        checkin = await session.scalar(select(Checkin).where(Checkin.patient_id == patient.user_id))
        row = await session.get(Patient, patient.user_id)
    assert (checkin.score, checkin.source, checkin.symptoms) == (None, "reminder", ["one_leg_weak"])
    assert row.signs_checked_at == clock.now()


async def test_a_high_score_on_the_reminder_asks_for_new_symptoms(bot, emulator, clock):
    patient, _ = await reminded_at_due(bot, emulator, clock)
    await patient.tap("8")
    where = await patient.expect("Where do you feel it?")
    advice = await patient.expect("Pain of 8 or more")
    assert advice.labels == [text("en", "diary.gentle.button")] and "gentler routine" in advice.text
    await patient.tap("Done")
    await patient.chat.changes.wait_until(
        lambda: "Anything new since last time?" in patient.current(where.message_id).text or None, 5
    )
