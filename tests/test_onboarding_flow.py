"""Onboarding end to end: a patient on the emulated Telegram talks to the real bot."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, func, select

from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import Checkin, Patient, Reminder, SafetyAnswer
from sibot.onboarding import Step
from sibot.routine import ROUTINE_KEYS, Pace, estimated_minutes
from sibot.safety import SCREEN, Question
from sibot.schedule import mask_to_weekdays
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness

# A worrying answer that asks for a doctor first: the question, the buttons it taps, the advice.
DOCTOR_FIRST = [
    (Question.ONE_LEG_WEAK, None, "see a doctor today"),
    (Question.HISTORY, "Fever, or feeling unwell", "see a doctor today"),
    (Question.HISTORY, "I have had cancer", "see your doctor before you start"),
    (Question.HISTORY, "Back pain new, and I'm over 50", "see your doctor before you start"),
]
EMERGENCIES = [Question.SADDLE_NUMBNESS, Question.BLADDER_BOWEL, Question.LEGS_WEAKER]


async def shows(patient: TelegramUser, message_id: int, label: str) -> None:
    """Wait until the bot has edited the message to show a button `label`."""
    await patient.chat.changes.wait_until(lambda: label in patient.current(message_id).labels or None, 5)


async def tick_and_confirm(patient: TelegramUser, message_id: int, label: str) -> None:
    """Tick one sign of a checklist, wait for the tick to show, then tap Done."""
    await shows(patient, message_id, label)
    await patient.tap(label)
    await shows(patient, message_id, f"✅ {label}")
    await patient.tap("Done")


async def _row(bot: BotHarness, patient_id: int) -> Patient | None:
    async with bot.core.db.transaction() as session:
        return await session.get(Patient, patient_id)


async def _at_step(bot: BotHarness, patient: TelegramUser, step: str, answered: int = 0) -> None:
    """Store the patient as if they had got to `step`, with the first `answered` questions a no."""
    now = bot.clock.now()
    async with bot.core.db.transaction() as session:
        session.add(
            Patient(
                id=patient.user_id, name="Ana", onboarding_step=step, consented_at=now,
                awaiting=step if step in (Step.TIMEZONE, Step.REMINDER_TIME) else None,
                created_at=now, last_seen_at=now,
            )
        )
        await session.flush()
        session.add_all(
            SafetyAnswer(patient_id=patient.user_id, question=sign.value, answer=False, answered_at=now)
            for question in list(Question)[:answered]
            for sign in SCREEN[question]
        )


@pytest.mark.slow
async def test_the_happy_path_from_deep_link_to_first_session_button(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient(first_name="Ana", language_code="fr")
    await patient.send("/start clinic_a")
    welcome = await patient.next_message()
    assert "Hi, Ana" in welcome.text and "not a medical device" in welcome.text and "/delete" in welcome.text
    assert welcome.labels == ["I agree"]

    await patient.tap("I agree")
    first = await patient.next_message()
    assert "Question 1 of 6" in first.text and "numbness" in first.text
    await patient.tap("No")
    for number in range(2, 7):
        question = await patient.next_message()
        assert f"Question {number} of 6" in question.text
        await patient.tap("None of these" if "None of these" in question.labels else "No")

    zones = await patient.next_message()
    assert "time zone" in zones.text
    assert zones.labels == ["UTC", "Paris, France (Europe/Paris)"]  # the default and the one "fr" suggests
    await patient.send("Tokyo")
    confirm = await patient.next_message()
    assert "Asia/Tokyo" in confirm.text and "16:00, Monday" in confirm.text
    await patient.tap("Yes, that's right")

    await patient.expect("remind you")
    await patient.send("7.30 pm")
    days = await patient.expect("19:30")
    await patient.tap("Choose days")
    for tapped, then in (("Mon", "✅ Mon"), ("Tue", "✅ Tue"), ("Wed", "✅ Wed"), ("✅ Tue", "Tue")):
        await shows(patient, days.message_id, tapped)
        await patient.tap(tapped)
        await shows(patient, days.message_id, then)
    await patient.tap("Done")

    baseline = await patient.expect("hurt right now")
    assert baseline.labels == [str(score) for score in range(11)]
    await patient.tap("4")
    summary = await patient.expect("All set")
    assert "19:30 on Mon, Wed" in summary.text and "Mon 19:30" in summary.text and "4/10" in summary.text
    assert summary.button_data == {
        "▶️ Start my first session": "ss:start:onboarding",
        "📋 Track everyday activities (optional)": "fn:open",  # one button: skipping costs nothing
    }
    bot.clock.advance(timedelta(seconds=7))
    await patient.tap("▶️ Start my first session")
    first = await patient.expect("Pain before: 4/10, as you told me just now.")  # not asked again
    assert "Hip adduction (1 of 6)" in first.text

    row = await _row(bot, patient.user_id)
    assert row is not None
    assert (row.onboarding_step, row.awaiting, row.cohort, row.timezone) == (None, None, "clinic_a", "Asia/Tokyo")
    async with bot.core.db.transaction() as session:
        answers = await session.scalar(select(func.count()).select_from(SafetyAnswer))
        reminder = await session.scalar(select(Reminder))
        checkin = await session.scalar(select(Checkin))
    assert answers == sum(len(signs) for signs in SCREEN.values())
    assert reminder is not None and reminder.local_time == time(19, 30)
    assert mask_to_weekdays(reminder.weekdays) == {0, 2}
    assert checkin is not None and (checkin.score, checkin.source) == (4, "baseline")


async def test_nothing_happens_before_the_disclaimer_is_accepted(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await patient.send("/start")
    await patient.next_message()
    for attempt in ("hello", "/settings", "/exercise", "/help"):
        await patient.send(attempt)
        reminder = await patient.next_message()
        assert "tap “I agree”" in reminder.text, attempt
        assert reminder.labels == ["I agree"]
    query = await patient.tap_data("ss:start:menu", message_id=patient.messages[0].message_id)
    assert "I agree" in await patient.answer_to(query)
    row = await _row(bot, patient.user_id)
    assert row is not None and (row.onboarding_step, row.consented_at) == (Step.DISCLAIMER, None)


@pytest.mark.parametrize(("question", "ticked", "advice"), DOCTOR_FIRST)
async def test_a_yes_that_asks_for_a_doctor_waits_for_clearance(
    bot: BotHarness, emulator: Emulator, question: Question, ticked: str | None, advice: str
) -> None:
    """A yes/no question's Yes (`ticked` None), or one sign ticked on the checklist."""
    patient = emulator.patient()
    number = list(Question).index(question)
    await _at_step(bot, patient, Step.SAFETY, answered=number)
    await patient.send("/start")
    asked = await patient.expect("carry on")
    assert f"Question {number + 1} of 6" in asked.text

    if ticked is None:
        await patient.tap("Yes")
    else:
        await tick_and_confirm(patient, asked.message_id, ticked)
    answer = await patient.next_message()
    assert advice in answer.text
    assert answer.labels == ["A clinician has cleared me"]
    await patient.send("/exercise")
    held = await patient.next_message()
    assert "finish setting up" in held.text and advice in held.text

    await patient.tap("A clinician has cleared me")
    after = await patient.next_message()
    assert "Thank you" in after.text and f"Question {number + 2} of 6" in after.text
    async with bot.core.db.transaction() as session:
        yes = set(await session.scalars(select(SafetyAnswer.question).where(SafetyAnswer.answer.is_(True))))
    assert len(yes) == 1 and yes <= set(SCREEN[question])
    row = await _row(bot, patient.user_id)
    assert row is not None and row.cleared_at == bot.clock.now()


@pytest.mark.parametrize("question", EMERGENCIES)
async def test_an_emergency_offers_no_way_on_until_an_hour_has_passed(
    bot: BotHarness, emulator: Emulator, question: Question
) -> None:
    patient = emulator.patient()
    number = list(Question).index(question)
    await _at_step(bot, patient, Step.SAFETY, answered=number)
    await patient.send("/start")
    await patient.expect("carry on")
    await patient.tap("Yes")
    answer = await patient.next_message()
    assert "emergency department straight away" in answer.text and "today" not in answer.text
    assert answer.labels == []

    bot.clock.advance(timedelta(minutes=59))
    for attempt in ("/start", "/exercise", "hello"):
        await patient.send(attempt)
        again = await patient.next_message()
        assert again.text == answer.text and again.labels == [], attempt  # no "Welcome back!"
    # the "cleared" button of earlier versions, still in old chats, does nothing
    query = await patient.tap_data(f"ob:clear:{question}", message_id=answer.message_id)
    await patient.answer_to(query)
    await patient.next_message()

    bot.clock.advance(timedelta(minutes=1))
    await patient.send("/start")
    asked = await patient.next_message()
    assert asked.text == "Has a clinician examined you since?" and asked.labels == ["Yes", "No"]
    await patient.tap("No")
    assert (await patient.next_message()).text == answer.text
    await patient.send("/start")  # the hour starts again after a no
    assert (await patient.next_message()).text == answer.text

    bot.clock.advance(timedelta(hours=1))
    await patient.send("I'm back")
    await patient.expect("examined you since")
    await patient.tap("Yes")
    after = await patient.next_message()
    assert "Thank you" in after.text and f"Question {number + 2} of 6" in after.text
    row = await _row(bot, patient.user_id)
    assert row is not None and row.advised_at is None and row.cleared_at == bot.clock.now()
    assert row.onboarding_step == Step.SAFETY


async def test_pregnancy_is_stored_with_a_caution(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _at_step(bot, patient, Step.SAFETY, answered=5)
    await patient.send("/start")
    await patient.expect("pregnant")
    await patient.tap("Yes")
    caution = await patient.next_message()
    assert "midwife" in caution.text and "time zone" in caution.text
    row = await _row(bot, patient.user_id)
    assert row is not None and row.pregnant and row.onboarding_step == Step.TIMEZONE


async def test_text_where_a_button_is_expected(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _at_step(bot, patient, Step.SAFETY, answered=2)
    await patient.send("no")
    answer = await patient.next_message()
    assert "with the buttons" in answer.text and "Question 3 of 6" in answer.text
    async with bot.core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyAnswer)) == 2


async def test_unknown_places_the_ocean_and_close_matches(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _at_step(bot, patient, Step.TIMEZONE)
    await patient.send("Atlantis <b>Prime</b>")
    unknown = await patient.next_message()
    assert "couldn't find “Atlantis <b>Prime</b>”" in unknown.text
    await patient.share_location(0.0, -30.0)
    assert "open sea" in (await patient.next_message()).text

    await patient.send("Springfield")
    assert "None of these" in (await patient.expect("Which one")).labels
    await patient.tap("None of these")
    await patient.expect("Which time zone")
    await patient.send("Springfield")
    choice = await patient.expect("Which one")
    await patient.tap(next(label for label in choice.labels if "America/Chicago" in label))
    assert "America/Chicago" in (await patient.next_message()).text
    await patient.tap("No, change it")
    await patient.expect("Which time zone")
    await patient.share_location(52.52, 13.405)
    confirm = await patient.next_message()
    assert "Europe/Berlin" in confirm.text and "08:00, Monday" in confirm.text
    row = await _row(bot, patient.user_id)
    assert row is not None and (row.timezone, row.onboarding_step) == ("Europe/Berlin", Step.ZONE_CONFIRM)


async def test_an_impossible_time_changes_nothing(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _at_step(bot, patient, Step.REMINDER_TIME)
    await patient.send("25:61")
    assert "can't read “25:61” as a time" in (await patient.next_message()).text
    async with bot.core.db.transaction() as session:
        assert await session.scalar(select(Reminder)) is None
    await patient.tap_data("ob:time:0730", message_id=patient.chat.last_message_id)
    assert "07:30" in (await patient.expect("which days")).text


async def test_an_old_button_only_gets_a_short_answer(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await patient.send("/start")
    disclaimer = await patient.next_message()
    await patient.tap("I agree")
    await patient.expect("Question 1")
    query = await patient.tap_data("ob:accept", message_id=disclaimer.message_id)
    assert "done" in await patient.answer_to(query)
    query = await patient.tap_data("ob:answer:fever:1", message_id=disclaimer.message_id)
    assert "done" in await patient.answer_to(query)
    query = await patient.tap_data("ob:zone:Mars/Base", message_id=disclaimer.message_id)
    assert "done" in await patient.answer_to(query)
    await patient.assert_silent()
    async with bot.core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyAnswer)) == 0


async def test_a_restart_mid_onboarding_carries_on(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await patient.send("/start")
    await patient.next_message()
    await patient.tap("I agree")
    await patient.expect("Question 1")
    await patient.tap("No")
    await patient.expect("Question 2")

    await bot.restart()

    await patient.tap("No")
    await patient.expect("Question 3")
    await patient.send("/start")
    again = await patient.expect("carry on")
    assert "Question 3 of 6" in again.text
    await patient.tap("No")
    await patient.expect("Question 4")


async def test_groups_and_channels_get_nothing_but_a_pointer(bot: BotHarness, emulator: Emulator) -> None:
    user = {"id": 555, "is_bot": False, "first_name": "Group member"}
    chat = {"id": -100123, "type": "supergroup", "title": "Back pain club"}
    command = [{"type": "bot_command", "offset": 0, "length": 6}]
    emulator.feed_update({"message": {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": "/start", "entities": command}})
    emulator.feed_update({"message": {"message_id": 2, "date": 0, "chat": chat, "from": user, "text": "hello all"}})
    emulator.feed_update({"channel_post": {"message_id": 3, "date": 0, "chat": {"id": -100777, "type": "channel"}, "text": "/start"}})
    patient = emulator.patient()
    await patient.send("/start")
    await patient.next_message()  # the private chat was answered, so the updates before it were handled
    assert [m.body["text"] for m in emulator.sent_messages(-100123)] == [
        "I only work in private chats. Please message me directly."
    ]
    assert emulator.sent_messages(-100777) == []
    assert await _row(bot, 555) is None


async def _summary_after_a_baseline(bot: BotHarness, patient: TelegramUser, score: int = 9) -> Message:
    await _at_step(bot, patient, Step.BASELINE, answered=len(Question))  # the screen is behind them
    await patient.send("/start")
    await patient.expect("hurt right now")
    await patient.tap(str(score))
    return await patient.expect("All set")


async def test_an_onboarding_button_after_onboarding_is_stale(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    summary = await _summary_after_a_baseline(bot, patient)
    assert "Pain of 8 or more" in summary.text  # the red flag's advice comes first
    query = await patient.tap_data("ob:pain:2", message_id=summary.message_id)
    assert "done" in await patient.answer_to(query)
    async with bot.core.db.transaction() as session:
        assert [c.score for c in await session.scalars(select(Checkin))] == [9]


async def test_a_high_baseline_offers_a_gentler_first_session(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    summary = await _summary_after_a_baseline(bot, patient)
    # not the usual start; everyday activities stay an option
    assert summary.labels == [text("en", "onboarding.start_gentle"), text("en", "function.button.open")]
    # the estimate is the gentler session's, at the guided pace, as the start will say
    gentle_minutes = estimated_minutes(ROUTINE_KEYS, 5, 3, pace=Pace.GUIDED)
    assert gentle_minutes < estimated_minutes(ROUTINE_KEYS, 5, 5, pace=Pace.GUIDED)
    assert f"about {gentle_minutes} minutes" in summary.text
    row = await _row(bot, patient.user_id)
    assert row is not None and not row.gentle  # switched only when tapped
    await patient.tap(text("en", "onboarding.start_gentle"))
    # the baseline is the pain before, and its advice was answered by choosing the gentler session
    first = await patient.expect("Pain before: 9/10, as you told me just now.")
    assert "Hip adduction (1 of 6)" in first.text and f"about {gentle_minutes} minutes" in first.text
    row = await _row(bot, patient.user_id)
    assert row is not None and row.gentle and (row.hold_seconds, row.repetitions) == (5, 3)


async def test_the_inflammatory_check_is_offered_once_after_onboarding(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    summary = await _summary_after_a_baseline(bot, patient, 3)
    # onboarding itself is as long as before
    assert summary.labels == [text("en", "onboarding.start_first"), text("en", "function.button.open")]
    offer = await patient.next_message()
    assert "not a diagnosis" in offer.text and "spondyloarthritis" in offer.text
    assert offer.buttons == [[text("en", "ibp.offer.take")], [text("en", "ibp.offer.later")]]
    await patient.answer_to(await patient.tap(text("en", "ibp.offer.later")))
    assert patient.current(offer.message_id).text == text("en", "ibp.later")
    assert patient.current(offer.message_id).buttons == []
    await patient.send("/start")
    await patient.expect("Welcome back")
    await patient.assert_silent()


async def test_taking_the_offered_check_turns_the_offer_into_its_first_question(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _summary_after_a_baseline(bot, patient, 3)
    offer = await patient.next_message()
    await patient.answer_to(await patient.tap(text("en", "ibp.offer.take")))
    question = patient.current(offer.message_id)
    assert text("en", "ibp.question.before45") in question.text
    assert question.labels == [text("en", "onboarding.yes"), text("en", "onboarding.no"), text("en", "ibp.stop")]


async def _onboarded_before_the_checklist(bot: BotHarness, patient: TelegramUser) -> None:
    """A patient who finished onboarding when the screen asked six yes/no questions."""
    await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now())
    async with bot.core.db.transaction() as session:
        await session.execute(delete(SafetyAnswer).where(SafetyAnswer.patient_id == patient.user_id))
        session.add_all(
            SafetyAnswer(patient_id=patient.user_id, question=old, answer=False, answered_at=bot.clock.now())
            for old in ("saddle", "bladder", "weakness", "fever", "injury", "pregnancy")
        )


async def test_a_patient_onboarded_before_the_checklist_answers_it_once(bot: BotHarness, emulator: Emulator) -> None:
    patient = emulator.patient()
    await _onboarded_before_the_checklist(bot, patient)
    await patient.send("/exercise")
    asked = await patient.expect("One more safety question")
    assert "I have had cancer" in asked.labels and "None of these" in asked.labels
    await patient.tap("None of these")
    thanks = await patient.expect("Thank you")
    assert thanks.labels == [text("en", "settings.action.session")]
    assert patient.current(asked.message_id).labels == []  # answered: its buttons are gone
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    async with bot.core.db.transaction() as session:
        answers = {a.question: a.answer for a in await session.scalars(select(SafetyAnswer))}
    assert {sign.value for sign in SCREEN[Question.HISTORY]} <= set(answers) and not any(answers.values())


async def test_a_yes_on_the_catch_up_question_advises_and_goes_in_the_report(
    bot: BotHarness, emulator: Emulator
) -> None:
    patient = emulator.patient()
    await _onboarded_before_the_checklist(bot, patient)
    await patient.send("/start")
    asked = await patient.expect("One more safety question")
    await tick_and_confirm(patient, asked.message_id, "Weight loss I can't explain")
    advice = await patient.expect("see your doctor before you go on")
    assert advice.labels == []
    await patient.send("/report")
    report = await patient.next_message()
    assert report.document is not None
    page = PdfReader(io.BytesIO(report.document)).pages[0].extract_text()
    assert "Safety screen, answered yes: unexplained weight loss" in page
