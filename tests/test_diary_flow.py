"""The pain diary end to end: a patient on the emulator talks to the real bot over HTTP.

/pain with its optional questions and the advice of each red flag, the reminder's score buttons,
/progress, /report, /export and /delete, their empty states, and buttons that are stale, forged
or out of date.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from handlers.diary import score_buttons
from handlers.exercise import hold_job_name
from handlers.ptb.transport import inline_keyboard
from sibot.checkins import CheckinSource, Symptom
from sibot.db import Database
from sibot.diary import record_checkin
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import Checkin, ExerciseSession, Patient, RedFlag
from sibot.ports import Button
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock
from tests.test_diary import rows_of

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)

STALE = "This step is over."


async def onboarded(bot: BotHarness, emulator: Emulator, **fields: object) -> TelegramUser:
    patient = emulator.patient(first_name="Ana")
    now = bot.clock.now()
    await onboarded_patient(bot.core.db, patient.user_id, now, **fields)  # type: ignore[arg-type]
    return patient


async def edited(patient: TelegramUser, message_id: int, fragment: str) -> Message:
    """The message once an edit has put `fragment` in its text."""

    def shows() -> Message | None:
        message = patient.current(message_id)
        return message if fragment.lower() in message.text.lower() else None

    return await patient.chat.changes.wait_until(shows, 5)


async def answered(patient: TelegramUser, query_id: str) -> str:
    return await patient.answer_to(query_id)


async def toggle(patient: TelegramUser, message_id: int, label: str) -> None:
    """Tap a choice and wait for the keyboard to show it flipped, as a patient would look."""
    selected = label.removeprefix("✅ ")
    shown = selected if label.startswith("✅ ") else f"✅ {label}"
    await patient.tap(label)

    def flipped() -> bool | None:
        return shown in patient.current(message_id).labels or None

    await patient.chat.changes.wait_until(flipped, 5)


async def checkins_of(db: Database, patient_id: int) -> list[Checkin]:
    async with db.transaction() as session:
        query = select(Checkin).where(Checkin.patient_id == patient_id).order_by(Checkin.id)
        return list(await session.scalars(query))


async def flags_of(db: Database, patient_id: int) -> list[str]:
    async with db.transaction() as session:
        query = select(RedFlag.rule).where(RedFlag.patient_id == patient_id).order_by(RedFlag.id)
        return list(await session.scalars(query))


async def pain_prompt(patient: TelegramUser) -> Message:
    await patient.send("/pain")
    prompt = await patient.expect("0 = no pain, 10 = worst pain imaginable")
    assert prompt.labels[:11] == [str(n) for n in range(11)]
    return prompt


async def test_pain_with_places_and_symptoms(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    assert await answered(patient, await patient.tap("6")) == "Saved 6/10"
    where = await edited(patient, prompt.message_id, "Where do you feel it?")
    assert {"Lower back", "Buttock", "Hip", "Groin", "Down the leg", "Done"} <= set(where.labels)
    for label in ("Lower back", "✅ Lower back", "Hip"):
        await toggle(patient, prompt.message_id, label)
    await answered(patient, await patient.tap("Done"))
    symptoms = await edited(patient, prompt.message_id, "Anything new")
    assert [text("en", f"diary.symptom.{symptom}") for symptom in Symptom] == symptoms.labels[:-2]
    assert "in your buttocks (for example when you wipe)" in symptoms.text
    assert "not feeling when your bladder is full" in symptoms.text
    await toggle(patient, prompt.message_id, "Numb or tingling leg")
    await answered(patient, await patient.tap("Done"))
    summary = await edited(patient, prompt.message_id, "Saved: pain 6/10")
    assert summary.text == (
        "Saved: pain 6/10 · Hip · new: Numb or tingling leg. Thank you!"
    )
    assert summary.buttons == []
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert (row.score, row.source, row.at) == (6, "diary", bot.clock.now())
    assert (row.locations, row.symptoms) == (["hip"], ["numbness_tingling"])
    assert await flags_of(bot.core.db, patient.user_id) == []
    await patient.assert_silent(0.3)


async def test_a_score_alone_is_kept_when_the_rest_is_left(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await answered(patient, await patient.tap("3"))
    await edited(patient, prompt.message_id, "Pain 3/10 saved")
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert (row.score, row.locations, row.symptoms) == (3, [], [])
    await answered(patient, await patient.tap("Done"))
    await edited(patient, prompt.message_id, "Anything new")
    await answered(patient, await patient.tap("None"))
    await edited(patient, prompt.message_id, "Saved: pain 3/10. Thank you!")
    await patient.assert_silent(0.3)


async def test_a_lost_button_answer_keeps_neither_the_score_nor_the_next_question_back(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    # the first try and both retries of the answer are lost on the way
    emulator.faults.add("drop", method="answerCallbackQuery", count=3)
    await patient.tap("4")
    await edited(patient, prompt.message_id, "Where do you feel it?")
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert row.score == 4
    assert emulator.faults.injected == 3
    await patient.assert_silent(0.3)  # and no "something went wrong"


async def test_severe_pain_asks_for_a_pause_and_offers_a_gentler_routine(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator, hold_seconds=8, repetitions=6)
    await pain_prompt(patient)
    await patient.tap("9")
    advice = await patient.expect("contact your clinician")
    assert "/pause" in advice.text
    assert advice.labels == ["Switch to a gentler routine"]
    assert await answered(patient, await patient.tap("Switch to a gentler routine")) == (
        "Gentler routine on"
    )
    await patient.expect("holds last 5 s with 3 repetitions")
    assert await flags_of(bot.core.db, patient.user_id) == ["severe_pain"]
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None
        assert (row.gentle, row.hold_seconds, row.repetitions) == (True, 5, 3)


@pytest.mark.parametrize(
    "label", ["🚨 Numb between the legs", "🚨 Bladder, bowel or sex", "🚨 Both legs weak, or worse fast"]
)
async def test_signs_of_nerve_pressure_send_to_the_emergency_department(
    bot: BotHarness, emulator: Emulator, label: str
) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await patient.tap("9")  # severe pain too: its pause and gentler routine are not offered
    await edited(patient, prompt.message_id, "Where")
    pause = await patient.expect("Pain of 8 or more")
    await answered(patient, await patient.tap("Done"))
    await edited(patient, prompt.message_id, "Anything new")
    await toggle(patient, prompt.message_id, label)
    await answered(patient, await patient.tap("Done"))
    advice = await patient.expect("emergency department straight away")
    assert advice.labels == [] and "/pause" not in advice.text and "gentler" not in advice.text
    assert "today" not in advice.text
    assert await flags_of(bot.core.db, patient.user_id) == ["severe_pain", "cauda_equina"]
    assert pause.labels == ["Switch to a gentler routine"]

    # no way on: everything gets the advice until an hour has passed
    hold = "Please go to an emergency department straight away"
    for attempt in ("/exercise", "/start"):
        await patient.send(attempt)
        again = await patient.next_message()
        assert again.text.startswith(f"⚠️ {hold}") and again.labels == []
    query = await patient.tap_data("pn:gentle", message_id=pause.message_id)
    await patient.answer_to(query)
    assert hold in (await patient.next_message()).text
    bot.clock.advance(timedelta(hours=1))
    await patient.send("/exercise")
    await patient.expect("examined you since")
    await patient.tap("Yes")
    back = await patient.expect("Thank you")
    assert "Welcome back" in back.text
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")


async def test_weakness_in_one_leg_means_a_doctor_today(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await patient.tap("5")
    await edited(patient, prompt.message_id, "Where")
    await answered(patient, await patient.tap("Done"))
    await edited(patient, prompt.message_id, "Anything new")
    await toggle(patient, prompt.message_id, "One leg newly weak")
    await answered(patient, await patient.tap("Done"))
    advice = await patient.expect("see a doctor today")
    assert "emergency" not in advice.text
    assert await flags_of(bot.core.db, patient.user_id) == ["one_leg_weak"]
    await patient.send("/exercise")  # no hold: the patient may still open the bot
    await patient.expect("Pain before: 5/10")  # the score of a moment ago, not asked again


async def test_fever_with_back_pain_means_a_doctor_today(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await patient.tap("5")
    await edited(patient, prompt.message_id, "Where")
    await answered(patient, await patient.tap("Done"))
    await edited(patient, prompt.message_id, "Anything new")
    await toggle(patient, prompt.message_id, "Fever")
    await answered(patient, await patient.tap("Done"))
    await patient.expect("see a doctor today")
    assert await flags_of(bot.core.db, patient.user_id) == ["fever"]


async def test_pain_risen_for_three_checkins_asks_for_a_pause(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    now = bot.clock.now()
    async with bot.core.db.transaction() as session:
        for days_ago, score in [(6, 3), (5, 3), (4, 3), (3, 3), (2, 6), (1, 6)]:
            at = now - timedelta(days=days_ago)
            await record_checkin(session, patient.user_id, at, score, "diary")
    await pain_prompt(patient)
    await patient.tap("6")
    advice = await patient.expect("your last three check-ins")
    assert advice.labels == ["Switch to a gentler routine"]
    assert await flags_of(bot.core.db, patient.user_id) == ["rising_pain"]


async def test_a_score_tapped_under_a_reminder_is_tagged_reminder(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    assert bot.application is not None
    start = (Button("Start now", "ss:start:reminder"),)
    reminder = await bot.application.bot.send_message(
        patient.user_id,
        "Time for your exercises. How is your pain?",
        reply_markup=inline_keyboard((start, *score_buttons(CheckinSource.REMINDER))),
    )
    await patient.next_message()
    await answered(patient, await patient.tap("2"))
    await patient.expect("Pain 2/10 saved")
    assert patient.current(reminder.message_id).labels == ["Start now"]
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert (row.score, row.source) == (2, "reminder")


async def test_forged_and_stale_pain_buttons_get_a_short_answer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await onboarded(bot, emulator)
    other = await onboarded(bot, emulator)
    prompt = await pain_prompt(other)
    await answered(other, await other.tap("4"))
    theirs = (await checkins_of(bot.core.db, other.user_id))[0].id
    mine = await pain_prompt(patient)
    forged = [
        "pn:score:11:diary",
        "pn:score:-1:diary",
        "pn:score:x:diary",
        "pn:score:5:hurts",
        "pn:score:5",
        "pn:where:999999:0",
        f"pn:where:{theirs}:1",
        f"pn:done:{theirs}:0:16",
        "pn:loc:1:4096",
        "pn:sym:1:0:-3",
        "pn:where:99999999999999999999:0",
        "pn:done:0:0:0",
        "pn:nonsense",
        "pn:",
        "dl:yes:abc",
        "dl:yes",
        "dl:maybe",
    ]
    for data in forged:
        clock.advance(timedelta(seconds=1))  # a press a second: faster is a flood, held back
        assert await answered(patient, await patient.tap_data(data, mine.message_id)) == STALE
    # past 63 bits it is not a time at all
    assert await answered(patient, await patient.tap_data("dl:yes:99999999999999999999999", mine.message_id)) == STALE
    far_future = await patient.tap_data("dl:yes:99999999999", mine.message_id)
    assert "expired" in await answered(patient, far_future)
    assert await checkins_of(bot.core.db, patient.user_id) == []
    assert (await rows_of(bot.core.db, patient.user_id))["patients"] == 1
    [their_row] = await checkins_of(bot.core.db, other.user_id)
    assert (their_row.locations, their_row.symptoms) == ([], [])
    assert prompt.message_id in other.chat.messages
    await patient.assert_silent(0.3)


async def test_double_taps_change_nothing_twice(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await answered(patient, await patient.tap("5"))
    where = await edited(patient, prompt.message_id, "Where")
    hip = where.button_data["Hip"]
    taps = [await patient.tap_data(hip, prompt.message_id) for _ in range(2)]
    assert [await answered(patient, tap) for tap in taps] == ["", ""]
    await edited(patient, prompt.message_id, "Where")
    done = patient.current(prompt.message_id).button_data["Done"]
    for tap in [await patient.tap_data(done, prompt.message_id) for _ in range(2)]:
        await answered(patient, tap)
    symptoms = await edited(patient, prompt.message_id, "Anything new")
    none = symptoms.button_data["None"]
    for tap in [await patient.tap_data(none, prompt.message_id) for _ in range(2)]:
        await answered(patient, tap)
    await edited(patient, prompt.message_id, "Saved: pain 5/10 · Hip. Thank you!")
    await patient.assert_silent(0.5)
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert (row.score, row.locations, row.symptoms) == (5, ["hip"], [])


async def test_details_of_an_old_checkin_are_refused(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await patient.tap("4")
    await edited(patient, prompt.message_id, "Where")
    bot.clock.advance(timedelta(hours=3))
    assert await answered(patient, await patient.tap("Done")) == STALE
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert row.score == 4


async def test_text_instead_of_a_tap_gets_a_kind_word_and_the_buttons_still_work(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    prompt = await pain_prompt(patient)
    await patient.send("seven")
    reply = await patient.next_message()
    assert reply.text and reply.text != text("en", "common.error")
    assert await checkins_of(bot.core.db, patient.user_id) == []
    await patient.tap_data("pn:score:7:diary", prompt.message_id)
    await edited(patient, prompt.message_id, "Pain 7/10 saved")


async def test_pain_with_a_number_saves_it_at_once_and_junk_gets_the_question(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/pain 8")
    where = await patient.expect("Pain 8/10 saved")
    assert "Done" in where.labels
    await patient.expect("contact your clinician")
    for junk in ("/pain 11", "/pain lots", "/pain 2 3", "/pain -1", "/pain ²", "/pain ٣", "/pain +3", "/pain 007"):
        await patient.send(junk)
        await patient.expect("0 = no pain, 10 = worst pain imaginable")
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert (row.score, row.source) == (8, "diary")


async def test_the_same_pain_score_sent_again_within_a_minute_is_one_checkin(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/pain 4")
    first = await patient.expect("Pain 4/10 saved")
    bot.clock.advance(timedelta(seconds=20))
    await patient.send("/pain 4")  # the answer was slow, so the patient sent it again
    again = await patient.expect("Pain 4/10 saved")
    # a new message whose buttons add details to the stored check-in
    assert again.message_id != first.message_id and again.button_data == first.button_data
    [row] = await checkins_of(bot.core.db, patient.user_id)
    assert row.score == 4

    bot.clock.advance(timedelta(minutes=2))
    await patient.send("/pain 4")  # later, it is a new check-in
    await patient.expect("Pain 4/10 saved")
    assert [row.score for row in await checkins_of(bot.core.db, patient.user_id)] == [4, 4]


async def seed_month(db: Database, patient_id: int, now: datetime) -> None:
    """Two weeks of diary scores (6 then 4), a severe day, and a completed session yesterday."""
    async with db.transaction() as session:
        for days_ago in range(14, 0, -1):
            score = 6 if days_ago >= 7 else 4
            at = now - timedelta(days=days_ago)
            await record_checkin(session, patient_id, at, score, "diary")
        await record_checkin(session, patient_id, now - timedelta(days=20), 9, "diary")
        started = now - timedelta(days=1)
        session.add(
            ExerciseSession(
                patient_id=patient_id,
                status="completed",
                source="command",
                exercise_keys=["knee_to_chest"],
                hold_seconds=5,
                repetitions=2,
                pain_before=4,
                pain_after=3,
                started_at=started,
                updated_at=started,
                ended_at=started + timedelta(minutes=8),
            )
        )


async def test_progress_is_a_legible_chart_with_the_week_in_words(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator, timezone="Europe/Berlin")
    await seed_month(bot.core.db, patient.user_id, bot.clock.now())
    await patient.send("/progress")
    message = await patient.next_message(timeout=15)
    assert message.photo is not None
    assert "Your average pain fell from 6.0 to 4.0." in message.text
    assert "Streak: 1 day" in message.text
    image = Image.open(io.BytesIO(message.photo))
    assert image.format == "PNG" and image.width >= 800
    colours = image.convert("RGB").getcolors(maxcolors=image.width * image.height) or []
    assert len(colours) > 50
    white = max(colours)[0]
    assert white < 0.95 * image.width * image.height
    # today's date label, the last one, keeps off the right edge
    rgb = image.convert("RGB")
    labels = range(image.height - 40, image.height)
    inked = [x for x in range(image.width) for y in labels if sum(rgb.getpixel((x, y))) < 600]
    assert max(inked) < image.width - 6


async def test_progress_without_data_says_so_kindly(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/progress")
    message = await patient.next_message()
    assert message.photo is None
    assert "No check-ins or sessions in the last 30 days yet" in message.text


async def test_report_is_a_one_page_pdf_for_the_doctor(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator, timezone="Europe/Berlin", name="Ana Lima")
    now = bot.clock.now()
    await seed_month(bot.core.db, patient.user_id, now)
    await patient.send("/report")
    message = await patient.next_message(timeout=15)
    assert message.document is not None and message.filename == "sibot-report-2026-03-02.pdf"
    reader = PdfReader(io.BytesIO(message.document))
    assert len(reader.pages) == 1
    content = reader.pages[0].extract_text()
    assert "Ana Lima" in content
    assert "01/02/2026" in content and "02/03/2026" in content and "Mar 2026" not in content
    assert "Berlin, Germany (Europe/Berlin)" in content
    assert "Red flag: pain 8/10 or more" in content
    assert "Holds of 5 s, 2 repetitions" in content


async def test_report_without_data_says_so_kindly(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/report")
    message = await patient.next_message()
    assert message.document is None
    assert "nothing to report yet" in message.text


async def test_export_is_a_csv_with_local_times(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator, timezone="Europe/Berlin")
    now = bot.clock.now()
    await seed_month(bot.core.db, patient.user_id, now)
    await patient.send("/export")
    message = await patient.next_message(timeout=15)
    assert message.document is not None and message.filename == "sibot-data-2026-03-02.csv"
    rows = list(csv.DictReader(io.StringIO(message.document.decode("utf-8"))))
    assert [row["record"] for row in rows].count("checkin") == 15
    assert [row["record"] for row in rows].count("session") == 1
    first = rows[0]
    assert first["at"] == "2026-02-10T08:00:00+01:00"
    assert (first["source"], first["score"]) == ("diary", "9")
    assert datetime.fromisoformat(first["at"]) == now - timedelta(days=20)


async def test_export_without_data_says_so_kindly(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/export")
    message = await patient.next_message()
    assert message.document is None
    assert "no check-ins or sessions to export" in message.text


async def test_delete_can_be_cancelled(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator)
    await seed_month(bot.core.db, patient.user_id, bot.clock.now())
    await patient.send("/delete")
    ask = await patient.expect("can't be undone")
    await answered(patient, await patient.tap("No, keep my data"))
    await edited(patient, ask.message_id, "Nothing was deleted")
    assert (await rows_of(bot.core.db, patient.user_id))["checkins"] == 15


async def test_an_old_delete_confirmation_does_nothing(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = await onboarded(bot, emulator)
    await patient.send("/delete")
    await patient.expect("can't be undone")
    bot.clock.advance(timedelta(minutes=11))
    answer = await answered(patient, await patient.tap("Yes, delete everything"))
    assert "expired" in answer
    assert (await rows_of(bot.core.db, patient.user_id))["patients"] == 1


async def delete_everything(bot: BotHarness, emulator: Emulator) -> None:
    patient = await onboarded(bot, emulator, reminder_at=time(8, 0))
    other = await onboarded(bot, emulator)
    db, now = bot.core.db, bot.clock.now()
    await seed_month(db, patient.user_id, now)
    await seed_month(db, other.user_id, now)
    async with db.transaction() as session:
        await record_checkin(session, patient.user_id, now, 9, "diary")
        query = select(ExerciseSession.id).where(ExerciseSession.patient_id == patient.user_id)
        session_id = await session.scalar(query)
    assert bot.application is not None and bot.application.job_queue is not None
    job_queue = bot.application.job_queue
    job_queue.run_once(
        lambda _: None, 3600, name=hold_job_name(session_id), job_kwargs={"misfire_grace_time": None}
    )
    before = await rows_of(db, patient.user_id)
    assert before["patients"] == before["reminders"] == 1 and before["red_flags"] == 2
    await patient.send("/delete")
    ask = await patient.expect("can't be undone")
    await answered(patient, await patient.tap("Yes, delete everything"))
    await edited(patient, ask.message_id, "Everything about you is erased")
    assert set((await rows_of(db, patient.user_id)).values()) == {0}
    assert [job.name for job in job_queue.jobs() if job.name == hold_job_name(session_id)] == []
    assert (await rows_of(db, other.user_id))["checkins"] == 15
    await patient.send("/start")
    await patient.next_message()
    async with db.transaction() as session:
        again = await session.get(Patient, patient.user_id)
        assert again is not None and again.onboarding_step is not None
        count = select(func.count()).select_from(Checkin)
        assert await session.scalar(count.where(Checkin.patient_id == patient.user_id)) == 0


async def test_delete_erases_every_row_and_timer_and_starts_afresh(
    bot: BotHarness, emulator: Emulator
) -> None:
    await delete_everything(bot, emulator)


async def test_delete_on_postgres(bot_on_postgres: BotHarness, emulator: Emulator) -> None:
    await delete_everything(bot_on_postgres, emulator)



async def test_someone_still_in_onboarding_can_delete_too(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient(first_name="Ana")
    await patient.send("/start")
    await patient.next_message()
    await patient.send("/delete")
    ask = await patient.expect("can't be undone")
    await answered(patient, await patient.tap("Yes, delete everything"))
    await edited(patient, ask.message_id, "Everything about you is erased")
    assert set((await rows_of(bot.core.db, patient.user_id)).values()) == {0}
