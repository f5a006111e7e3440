"""Guided sessions end to end: a patient on the emulator, the real bot polling it over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import Checkin, ExerciseSession, Patient
from sibot.sessions import ABANDON_AFTER
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import TEST_HOLD_SCALE, BotHarness, ManualClock


def _label(name: str) -> str:
    return text("en", f"session.button.{name}")


NEXT, PAUSE, SKIP, STOP, HURTS = (_label(n) for n in ("next", "pause", "skip", "stop", "hurts"))
CONTINUE, START_OVER, SKIP_SCORE = _label("continue"), _label("start_over"), _label("skip_question")
STALE = text("en", "common.stale_button")
GENTLE = text("en", "diary.gentle.button")
HOLD_TIP = "tell you when to relax"


async def _patient(bot: BotHarness, emulator: Emulator, clock: ManualClock, **kw: Any) -> TelegramUser:
    """A patient at their own pace: Next at every step (the guided pace is in test_guided_flow)."""
    kw.setdefault("pace", "own")
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), **kw)
    return patient


async def _ask_to_start(patient: TelegramUser) -> Message:
    """/exercise; returns the pain question a new session opens with."""
    await patient.send("/exercise")
    return await patient.expect("how much does it hurt")


async def _start(patient: TelegramUser) -> Message:
    """/exercise, skip the pain question; returns the first exercise's intro."""
    await _ask_to_start(patient)
    await patient.tap(SKIP_SCORE)
    return await patient.expect("Hip adduction (1 of 6)")


async def _to_first_step(patient: TelegramUser) -> Message:
    """Start, then Next; returns the first exercise's first setup step."""
    await _start(patient)
    await patient.tap(NEXT)
    return await patient.expect("Step 1 of 3")


async def _to_first_hold(patient: TelegramUser) -> Message:
    await _start(patient)
    return await _next_hold(patient)


async def _next_hold(patient: TelegramUser) -> Message:
    """Next until a hold is on screen; returns it."""
    while True:
        await patient.tap(NEXT)
        message = await patient.next_message()
        if HOLD_TIP in message.text:
            return message


async def _say_it_hurts(patient: TelegramUser, score: str, sharp: bool) -> None:
    """It hurts, this much, sharp (or shooting) or not."""
    await patient.tap(HURTS)
    await patient.expect("How bad is the pain")
    await patient.tap(score)
    await patient.expect("shoot down your leg")
    await patient.tap(_label("yes" if sharp else "no"))


async def _tap_old(patient: TelegramUser, message: Message, label: str = NEXT) -> None:
    """Tap a button of an earlier message, as it was when that message came."""
    await patient.tap_data(message.button_data[label], message_id=message.message_id)


async def _sessions(bot: BotHarness) -> list[ExerciseSession]:
    async with bot.core.db.transaction() as session:
        return list(await session.scalars(select(ExerciseSession).order_by(ExerciseSession.id)))


async def _statuses(bot: BotHarness) -> list[str]:
    return [row.status for row in await _sessions(bot)]


async def _restart_with_hold_scale(bot: BotHarness, scale: float) -> None:
    bot.settings = bot.settings.model_copy(update={"hold_time_scale": scale})
    await bot.restart()


async def test_a_whole_session_of_one_exercise_from_the_library(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, repetitions=1)
    await patient.send("/exercises")
    library = await patient.expect("The exercises")
    assert len(library.labels) == 6
    await patient.answer_to(await patient.tap("Hip flexion"))
    card = await patient.next_message()  # with its picture, below the list
    assert card.photo is not None and "muscles around your hips" in card.text
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap("3")
    intro = await patient.expect("Hip flexion (1 of 1)")
    assert "a few pillows" in intro.text and "Both sides, right first" in intro.text
    seen: list[str] = []
    message = intro
    while "How much does it hurt now" not in message.text:
        if HOLD_TIP in message.text:
            message = await patient.next_message()  # it comes by itself
            seen.append("relax" if message.text.startswith("Relax.") else message.text)
        await patient.tap(NEXT)
        message = await patient.next_message()
        seen.append("hold" if HOLD_TIP in message.text else message.text.split("\n")[0])
    assert seen == [
        "Step 1 of 2", "Step 2 of 2", "Right side first: cross your right leg over your left.",
        "hold", "relax", "Now swap: uncross, then cross your left leg over your right.",
        "hold", "relax", "That was the last one!",
    ]
    await patient.tap("2")
    summary = await patient.expect("Session done")
    assert "1 exercise done" in summary.text and "3 → 2" in summary.text
    assert "1 day in a row" in summary.text
    assert summary.labels == [text("en", "about.open")]  # the first session offers /learn
    [row] = await _sessions(bot)
    assert (row.status, row.source) == ("completed", "library")
    assert (row.pain_before, row.pain_after) == (3, 2)


async def test_a_hold_relaxes_by_itself_then_next_gives_the_next_rep(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    hold = await _to_first_hold(patient)
    assert "Rep 1 of 2" in hold.text and NEXT not in hold.labels
    relax = await patient.next_message()
    assert relax.text.startswith("Relax.") and NEXT in relax.labels
    await patient.assert_silent(0.2)
    await patient.tap(NEXT)
    assert "Rep 2 of 2" in (await patient.next_message()).text


async def test_pause_and_continue_repeat_the_step(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    step = await _to_first_step(patient)
    await patient.tap(PAUSE)
    paused = await patient.expect("Paused")
    assert paused.labels == [CONTINUE, STOP]
    await _tap_old(patient, step)
    await patient.tap(CONTINUE)
    assert (await patient.next_message()).text == step.text
    assert STALE in patient.callback_answers


async def test_pausing_a_hold_cancels_its_timer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _to_first_hold(patient)
    await patient.tap(PAUSE)
    await patient.expect("Paused")
    await patient.assert_silent(0.3)
    await patient.tap(CONTINUE)
    assert "Rep 1 of 2" in (await patient.next_message()).text
    assert (await patient.next_message()).text.startswith("Relax.")


async def test_skip_goes_to_the_next_exercise(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _start(patient)
    await patient.tap(SKIP)
    assert "Hip abduction (2 of 6)" in (await patient.next_message()).text
    [row] = await _sessions(bot)
    assert row.skipped_exercises == ["hip_adduction"]


async def test_stop_ends_the_session_and_the_next_exercise_starts_afresh(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _start(patient)
    await patient.tap(STOP)
    await patient.expect("Stopped. You finished 0 exercises")
    await _ask_to_start(patient)
    assert await _statuses(bot) == ["stopped", "active"]


async def test_it_hurts_badly_stops_for_today_and_is_recorded(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _start(patient)
    await _say_it_hurts(patient, "6", sharp=True)
    advice = await patient.expect("ended today's session")
    assert "talk to your clinician" in advice.text
    [row] = await _sessions(bot)
    assert row.status == "stopped"
    async with bot.core.db.transaction() as session:
        hurts = await session.scalar(select(Checkin))
    assert hurts is not None
    assert (hurts.source, hurts.score, hurts.sharp_or_shooting, hurts.session_id) == (
        "hurts", 6, True, row.id,
    )


async def test_a_mild_hurt_leaves_the_exercise_and_goes_on(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _start(patient)
    await _say_it_hurts(patient, "3", sharp=False)
    noted = await patient.expect("Thank you for telling me")
    assert noted.labels == [CONTINUE, STOP]
    await patient.tap(CONTINUE)
    await patient.expect("Hip abduction (2 of 6)")


async def _stale_and_double_taps(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> None:
    patient = await _patient(bot, emulator, clock)
    intro = await _start(patient)
    await _tap_old(patient, intro)
    await _tap_old(patient, intro)
    assert "Step 1 of 3" in (await patient.next_message()).text
    await patient.assert_silent(0.3)
    await _tap_old(patient, intro)
    await patient.tap_data("ss:next:99999:1", message_id=intro.message_id)
    await patient.tap_data("ss:pb:junk", message_id=intro.message_id)
    await patient.assert_silent(0.3)
    assert patient.callback_answers.count(STALE) == 4
    [row] = await _sessions(bot)
    assert row.step_index == 1


async def test_high_pain_before_offers_a_gentler_session_instead_of_the_usual_one(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, hold_seconds=10, repetitions=5)
    await _ask_to_start(patient)
    await patient.tap("9")
    offer = await patient.expect("Pain of 8 or more")
    assert "gentler one now" in offer.text
    assert offer.labels == [GENTLE, _label("stop_today")]  # no Next into the usual routine
    await patient.tap(GENTLE)
    await patient.expect("Hip adduction (1 of 6)")
    message = await _next_hold(patient)
    assert "Rep 1 of 3" in message.text and "5 seconds" in message.text  # was 5 reps of 10 s
    [row] = await _sessions(bot)
    assert (row.status, row.pain_before, row.hold_seconds, row.repetitions) == ("active", 9, 5, 3)
    query = await patient.tap_data(offer.button_data[GENTLE], message_id=offer.message_id)
    assert await patient.answer_to(query) == STALE
    await patient.assert_silent(0.3)


async def test_stop_for_today_after_high_pain_before(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _ask_to_start(patient)
    await patient.tap("9")
    await patient.expect("Pain of 8 or more")
    await patient.tap(_label("stop_today"))
    await patient.expect("Stopped")
    [row] = await _sessions(bot)
    assert (row.status, row.hold_seconds) == ("stopped", 5)


async def test_stale_and_double_taps_never_advance_twice(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    await _stale_and_double_taps(bot, emulator, clock)


async def test_stale_and_double_taps_on_postgresql(
    bot_on_postgres: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    await _stale_and_double_taps(bot_on_postgres, emulator, clock)


async def test_exercise_during_a_session_offers_continue_or_start_over(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    step = await _to_first_step(patient)
    await patient.send("/exercise")
    choice = await patient.expect("middle of a session (Hip adduction)")
    assert choice.labels == [CONTINUE, START_OVER]
    await patient.tap(CONTINUE)
    assert (await patient.next_message()).text == step.text
    await patient.send("/exercise")
    await patient.expect("middle of a session")
    await patient.tap(START_OVER)
    await patient.expect("how much does it hurt")
    assert await _statuses(bot) == ["stopped", "active"]


async def test_a_session_untouched_for_two_hours_is_abandoned(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _start(patient)
    clock.advance(ABANDON_AFTER)
    await patient.tap(NEXT)
    await patient.expect("untouched for over two hours")
    await _ask_to_start(patient)
    assert await _statuses(bot) == ["abandoned", "active"]


async def test_pregnant_patients_get_the_caution_at_every_start(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, pregnant=True)
    first = await _ask_to_start(patient)
    assert "midwife" in first.text


async def test_the_start_button_of_other_features_starts_a_session(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await patient.send("/exercises")
    library = await patient.expect("The exercises")
    await patient.tap_data("ss:start:reminder", message_id=library.message_id)
    await patient.expect("how much does it hurt")
    [row] = await _sessions(bot)
    assert row.source == "reminder"


async def test_a_restart_in_the_middle_of_a_hold_rearms_it(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    await _restart_with_hold_scale(bot, 1.0)  # a real 5 s hold, so the restart lands inside it
    patient = await _patient(bot, emulator, clock)
    await _to_first_hold(patient)
    await _restart_with_hold_scale(bot, TEST_HOLD_SCALE)
    assert (await patient.next_message()).text.startswith("Relax.")
    await patient.assert_silent(0.3)
    await patient.tap(NEXT)
    assert "Rep 2 of 2" in (await patient.next_message()).text


async def test_a_hold_that_ended_during_the_downtime_relaxes_at_once(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    await _restart_with_hold_scale(bot, 1.0)
    patient = await _patient(bot, emulator, clock)
    await _to_first_hold(patient)
    await bot.stop()
    clock.advance(timedelta(minutes=1))
    await bot.start()
    # a re-armed 5 s hold would miss this timeout; the lapsed one relaxes at once
    assert (await patient.next_message(timeout=2)).text.startswith("Relax.")


async def test_a_restart_between_steps_asks_to_continue(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    intro = await _start(patient)
    await bot.restart()
    prompt = await patient.expect("We were interrupted: continue from Hip adduction?")
    assert prompt.labels == [CONTINUE, STOP]
    await _tap_old(patient, intro)
    await patient.tap(CONTINUE)
    assert (await patient.next_message()).text == intro.text
    assert STALE in patient.callback_answers


# ---- a check-in of the last 30 minutes is the pain before -------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Pain before: 4/10, as you told me 29 minutes ago."),
        ("de", "Schmerz vorher: 4/10, wie du mir vor 29 Minuten gesagt hast."),
        ("es", "Dolor antes: 4/10, como me dijiste hace 29 minutos."),
        ("ru", "Боль до занятия: 4/10 — вы отметили её 29 минут назад."),
    ],
)
async def test_a_checkin_29_minutes_old_is_the_pain_before(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, language: str, said: str
) -> None:
    patient = await _patient(bot, emulator, clock, language=language)
    await patient.send("/pain 4")
    await patient.next_message()
    clock.advance(timedelta(minutes=29))
    await patient.send("/exercise")
    first = await patient.expect(said)
    assert text(language, "routine.hip_adduction.title") in first.text  # the first exercise at once
    async with bot.core.db.transaction() as session:
        row = await session.scalar(select(ExerciseSession))
        checkins = (await session.scalars(select(Checkin.score))).all()
    assert row is not None and row.pain_before == 4
    assert checkins == [4]  # the one check-in, not a copy of it


async def test_a_checkin_31_minutes_old_is_not_and_the_question_comes(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await patient.send("/pain 4")
    await patient.next_message()
    clock.advance(timedelta(minutes=31))
    question = await _ask_to_start(patient)
    assert "Pain before" not in question.text


async def test_a_severe_recent_checkin_offers_the_gentler_routine_before_the_session(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await patient.send("/pain 9")
    await patient.expect("contact your clinician")
    clock.advance(timedelta(minutes=5))
    await patient.send("/exercise")
    offer = await patient.expect("Pain before: 9/10, as you told me 5 minutes ago.")
    assert GENTLE in offer.labels


SYMPTOMS = "Anything new since last time?"


async def test_high_pain_before_asks_for_new_symptoms_and_an_emergency_ends_the_way_on(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _ask_to_start(patient)
    await patient.tap("9")
    offer = await patient.expect("Pain of 8 or more")
    assert "I can offer" not in offer.text and offer.labels == [GENTLE, _label("stop_today")]
    asked = await patient.expect(SYMPTOMS)
    await patient.tap("🚨 Both legs weak, or worse fast")
    await patient.chat.changes.wait_until(
        lambda: "✅ 🚨 Both legs weak, or worse fast" in patient.current(asked.message_id).labels or None, 5
    )
    await patient.tap(text("en", "diary.pain.done_button"))
    advice = await patient.expect("emergency department straight away")
    assert advice.labels == []
    # the offer's gentler routine is no way on now
    await _tap_old(patient, offer, GENTLE)
    assert "emergency department straight away" in (await patient.next_message()).text
    [row] = await _sessions(bot)
    assert row.step_index == 0 and row.hold_seconds == 5


async def test_high_pain_before_for_a_patient_on_the_gentler_routine_stops_without_an_empty_offer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None
        row.gentle = True
    await _ask_to_start(patient)
    await patient.tap("8")
    stop = await patient.expect("Pain of 8 or more")
    assert "ended today's session" in stop.text and "gentler" not in stop.text and stop.labels == []
    asked = await patient.expect(SYMPTOMS)
    assert text("en", "diary.pain.none_button") in asked.labels
    assert await _statuses(bot) == ["stopped"]


@pytest.mark.slow
async def test_a_strong_hurt_and_a_high_pain_after_ask_for_new_symptoms(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, repetitions=1)
    await _start(patient)
    await _say_it_hurts(patient, "8", sharp=False)
    stop = await patient.expect("ended today's session")
    assert "gentler" not in stop.text
    await patient.expect(SYMPTOMS)
    await patient.tap(text("en", "diary.pain.none_button"))
    await patient.assert_silent(0.3)

    await patient.send("/exercises")
    await patient.expect("The exercises")
    await patient.answer_to(await patient.tap("Hip flexion"))
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap(SKIP_SCORE)
    message = await patient.next_message()
    while "How much does it hurt now" not in message.text:
        if HOLD_TIP not in message.text:  # a hold's "Relax" comes by itself
            await patient.tap(NEXT)
        message = await patient.next_message()
    await patient.tap("9")
    summary = await patient.expect("Session done")
    assert "Pain of 8 or more" in summary.text and "gentler" not in summary.text
    await patient.expect(SYMPTOMS)
