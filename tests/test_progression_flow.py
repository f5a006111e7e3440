"""Everyday activities and the step offered, end to end: a patient on the emulator, the real bot,
a clock the test moves."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from sibot.checkins import CheckinSource
from sibot.diary import record_checkin
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import DoseChange, ExerciseSession, FunctionActivity, Patient
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.test_diary_flow import edited
from tests.test_reminders_flow import at

BERLIN = "Europe/Berlin"
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday; 08:00 in Berlin
TRACK = text("en", "function.button.open")
CHANGE = text("en", "function.button.change")
STAIRS = text("en", "function.suggestion.stairs")
DONE = text("en", "function.button.done")
TYPE_OWN = text("en", "function.button.type")
WEEKLY = "Your weekly check"
STEP_UP = text("en", "progression.button.up")
NOT_NOW = text("en", "progression.button.no")


async def patient_with_reminder(
    bot: BotHarness, emulator: Emulator, zone: str = BERLIN, reminder: time = time(9, 0)
) -> TelegramUser:
    patient = emulator.patient(first_name="Ana", language_code="en")
    await onboarded_patient(
        bot.core.db, patient.user_id, bot.clock.now(), timezone=zone, reminder_at=reminder,
        hold_seconds=5, repetitions=5,
    )
    return patient


async def open_picker(patient: TelegramUser) -> Message:
    """/progress, and its button to track everyday activities."""
    await patient.send("/progress")
    empty = await patient.next_message()
    assert TRACK in empty.labels
    await patient.tap(TRACK)
    return await patient.next_message()


async def track_stairs(patient: TelegramUser, score: str) -> None:
    """From /progress: open the picker, choose climbing stairs, score it, done."""
    picker = await open_picker(patient)
    assert "Which everyday things" in picker.text and STAIRS in picker.labels
    await patient.tap(STAIRS)
    first = await edited(patient, picker.message_id, "How well can you manage Climbing stairs today?")
    assert first.labels == [str(n) for n in range(11)]
    await patient.tap(score)
    again = await edited(patient, picker.message_id, "You track:\n• Climbing stairs")
    assert STAIRS not in again.labels and "✖ Climbing stairs" in again.labels
    await patient.tap(DONE)
    await edited(patient, picker.message_id, "Once a week")


async def seed_sessions(bot: BotHarness, patient_id: int, days: range) -> None:
    """Completed sessions at 10:00 Berlin on these days after START."""
    async with bot.core.db.transaction() as session:
        for day in days:
            ended = START + timedelta(days=day, hours=2)
            session.add(
                ExerciseSession(
                    patient_id=patient_id, status="completed", source="command",
                    exercise_keys=["pillow_squeeze"], hold_seconds=5, repetitions=5,
                    started_at=ended - timedelta(minutes=8), updated_at=ended, ended_at=ended,
                )
            )


async def dose_of(bot: BotHarness, patient_id: int) -> tuple[int, int]:
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient_id)
        assert row is not None
        return row.hold_seconds, row.repetitions


@pytest.mark.slow
async def test_four_good_weeks_end_with_8_s_holds_and_the_report_says_why(
    bot: BotHarness, emulator: Emulator, tmp_path: Path
) -> None:
    patient = await patient_with_reminder(bot, emulator)
    await track_stairs(patient, "3")
    for week in (1, 2, 3):
        await seed_sessions(bot, patient.user_id, range(7 * (week - 1), 7 * week - 2))
        await at(bot, bot.clock, START + timedelta(days=7 * week, hours=1))  # 09:00 in Berlin
        check = await patient.expect(WEEKLY)
        assert "▶ Climbing stairs" in check.text
        await patient.tap(str(3 + week))
        offer = await edited(patient, check.message_id, "Ready for one step up?")
        assert f"✓ Climbing stairs: {3 + week}" in offer.text
        # a change of 2 points or more, and only that, is named as real
        change = "+1.0)" if week == 1 else f"+{week}.0: a real change)"
        assert f"Thank you! Your average now: {3 + week}.0 ({change}" in offer.text
        assert f"Holds of {5 + week} s instead of {4 + week} s." in offer.text
        assert offer.labels == [STEP_UP, NOT_NOW]
        assert await dose_of(bot, patient.user_id) == (4 + week, 5)  # nothing without the tap
        await patient.tap(STEP_UP)
        await edited(patient, check.message_id, "Your next session uses it")
        assert await dose_of(bot, patient.user_id) == (5 + week, 5)
    week_four = START + timedelta(days=27, hours=12)
    await seed_sessions(bot, patient.user_id, range(21, 27))
    bot.clock.set(week_four)
    assert await dose_of(bot, patient.user_id) == (8, 5)

    await patient.send("/report")
    report = await patient.next_message(timeout=15)
    assert report.document is not None
    pages = PdfReader(io.BytesIO(report.document)).pages
    assert len(pages) == 2
    why = " ".join(pages[1].extract_text().split())
    assert "Everyday activities" in why and "Climbing stairs" in why
    assert "+3: a real change" in why
    assert "Holds of 8 s instead of 7 s. Accepted: a good week (4+ sessions, no pain signals)" in why
    assert "Holds of 6 s instead of 5 s." in why
    (tmp_path / "report.pdf").write_bytes(report.document)  # to look at: pdftoppm -png -r 60

    await patient.send("/progress")
    await patient.next_message(timeout=15)  # the pain chart
    activities = await patient.next_message(timeout=15)
    assert activities.photo is not None
    assert "Average: 3.0 → 4.0 → 5.0 → 6.0 (+3.0: a real change)" in activities.text
    assert "• Climbing stairs: 3 → 4 → 5 → 6 (+3: a real change)" in activities.text
    assert activities.labels == [CHANGE]


async def test_the_weekly_check_comes_at_the_patients_local_time(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await patient_with_reminder(bot, emulator, zone="America/New_York", reminder=time(19, 0))
    await track_stairs(patient, "4")
    due = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 19:00 in New York (EDT since 8 March)
    await at(bot, bot.clock, due - timedelta(days=1))
    await patient.expect("Time for your SI joint routine")  # the daily one, without the check
    await at(bot, bot.clock, due - timedelta(minutes=1))
    await patient.assert_silent(0.3)
    await at(bot, bot.clock, due)
    await patient.expect("Time for your SI joint routine")
    check = await patient.expect(WEEKLY)
    assert check.labels == [str(n) for n in range(11)]
    await at(bot, bot.clock, due + timedelta(days=1))
    await patient.expect("Time for your SI joint routine")
    await patient.assert_silent(0.3)  # once a week, not every day


async def test_a_typed_activity_is_kept_in_the_patients_words_and_never_logged(
    bot: BotHarness, emulator: Emulator, production_log_lines: io.StringIO
) -> None:
    patient = await patient_with_reminder(bot, emulator)
    picker = await open_picker(patient)
    await patient.tap(TYPE_OWN)
    await edited(patient, picker.message_id, "Type the activity")
    await patient.send("x" * 81)
    assert "keep it under 80 characters" in (await patient.next_message()).text
    await patient.send("  Putting on   <socks>  ")
    first = await patient.next_message()
    assert "How well can you manage Putting on <socks> today?" in first.text
    await patient.tap("2")
    await edited(patient, first.message_id, "• Putting on <socks>")
    async with bot.core.db.transaction() as session:
        typed = await session.scalar(select(FunctionActivity.typed))
    assert typed == "Putting on <socks>"
    assert "socks" not in production_log_lines.getvalue()

    await patient.send("/export")
    export = await patient.next_message(timeout=15)
    assert export.document is not None
    rows = list(csv.DictReader(io.StringIO(export.document.decode())))
    assert [(r["record"], r["score"], r["activity"]) for r in rows] == [
        ("function", "2", "Putting on <socks>")
    ]


async def test_a_step_back_after_it_hurts_twice_and_a_declined_offer_changes_nothing(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await patient_with_reminder(bot, emulator)
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None
        row.hold_seconds = 8
    for day in (3, 5):
        async with bot.core.db.transaction() as session:
            await record_checkin(
                session, patient.user_id, START + timedelta(days=day), 4, CheckinSource.HURTS
            )
    await at(bot, bot.clock, START + timedelta(days=7, hours=1))
    offer = await patient.expect("twice this week")  # no activities: the check is the offer
    assert "Holds of 7 s instead of 8 s." in offer.text
    await patient.tap(NOT_NOW)
    await edited(patient, offer.message_id, "Fine, your routine stays as it is.")
    assert await dose_of(bot, patient.user_id) == (8, 5)
    answer = await patient.answer_to(
        await patient.tap_data("pg:yes:7:5", offer.message_id)
    )
    assert answer == text("en", "progression.stale")
    assert await dose_of(bot, patient.user_id) == (8, 5)
    async with bot.core.db.transaction() as session:
        answers = (await session.scalars(select(DoseChange))).all()
    assert [(a.reason, a.accepted) for a in answers] == [("hurts_twice", False)]


async def test_old_or_forged_activity_buttons_get_a_short_answer(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await patient_with_reminder(bot, emulator)
    picker = await open_picker(patient)
    for forged in ("fn:score:99:5:1", "fn:score:1:11:0", "fn:add:flying", "fn:drop:x", "pg:yes:99:5"):
        answer = await patient.answer_to(await patient.tap_data(forged, picker.message_id))
        assert answer == text("en", "common.stale_button")
    assert patient.current(picker.message_id).text == picker.text
