"""The guided pace end to end: a patient on the emulator, the real bot polling it over HTTP.

Holds, rests and reading pauses run at TEST_HOLD_SCALE, and so does the chat's send limit (in the
bot and in the emulator), as on a fast clock. The patient takes `POSITION` on the test's clock
before each tap, as someone getting into position would, which keeps the flood limit content.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.pace import guided_bot, walk_session
from benchmarks.stage import running_emulator, seed_patients
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import ExerciseSession
from sibot.pictures import picture_file
from sibot.routine import POSITION_SECONDS, ROUTINE, ROUTINE_KEYS, Pace, estimated_seconds
from sibot.texts import text
from tests.conftest import TOKEN
from tests.factories import onboarded_patient
from tests.harness import TEST_HOLD_SCALE, BotHarness, ManualClock

POSITION = timedelta(seconds=POSITION_SECONDS)
SUMMARY = "Session done"
RELAX = "Relax."
STALE = text("en", "common.stale_button")


def _label(name: str) -> str:
    return text("en", f"session.button.{name}")


IN_POSITION, NEXT_EXERCISE, NEXT = _label("in_position"), _label("next_exercise"), _label("next")
PAUSE, STOP, HURTS, CONTINUE, SKIP = (_label(n) for n in ("pause", "stop", "hurts", "continue", "skip"))
REPETITION_BUTTONS = [PAUSE, HURTS, STOP]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """Telegram without its one-a-second limit in a chat: the fast clock speeds that up too."""
    emu = Emulator(token=TOKEN, chat_rate=None)
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot(emulator: Emulator, tmp_path: Path, clock: ManualClock) -> AsyncIterator[BotHarness]:
    harness = BotHarness(
        emulator, f"sqlite+aiosqlite:///{tmp_path / 'sibot.db'}", clock,
        chat_sends_per_second=1 / TEST_HOLD_SCALE,
    )
    await harness.start()
    yield harness
    await harness.stop()


async def _patient(bot: BotHarness, emulator: Emulator, clock: ManualClock, **kw: object) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), **kw)  # type: ignore[arg-type]
    return patient


async def _tap(patient: TelegramUser, clock: ManualClock, label: str) -> None:
    clock.advance(POSITION)
    await patient.tap(label)


async def _start(patient: TelegramUser, clock: ManualClock) -> Message:
    """/exercise, pain 2; returns the first exercise's opening."""
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    await _tap(patient, clock, "2")
    return await patient.expect("Hip adduction (1 of 6)")


async def _to_first_rep(patient: TelegramUser, clock: ManualClock) -> Message:
    await _start(patient, clock)
    await patient.expect("Tap I'm in position")
    await _tap(patient, clock, IN_POSITION)
    return await patient.expect("Rep 1 of")


async def _walk(patient: TelegramUser, clock: ManualClock) -> tuple[list[Message], int]:
    """/exercise, pain 2 before and after, and the taps the guided pace waits for: every message
    to the summary, and the taps."""
    await patient.send("/exercise")
    transcript, taps = [], 0
    while True:
        message = await patient.next_message()
        transcript.append(message)
        if SUMMARY in message.text:
            return transcript, taps
        for label in ("2", IN_POSITION, NEXT_EXERCISE):
            if label in message.labels:
                await _tap(patient, clock, label)
                taps += 1
                break


async def _session(bot: BotHarness) -> ExerciseSession:
    async with bot.core.db.transaction() as session:
        row = await session.scalar(select(ExerciseSession))
    assert row is not None
    return row


async def test_a_whole_guided_session_asks_a_tap_only_between_setups_sides_and_exercises(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, rest_seconds=20)
    transcript, taps = await _walk(patient, clock)
    assert taps == 17  # pain before, 6 setups, 4 other sides, 5 next exercises, pain after
    texts = [message.text for message in transcript]
    assert not any(NEXT in message.labels for message in transcript)
    # every hold's end is a message of its own (it buzzes), never an edit
    relaxes = [message for message in transcript if RELAX in message.text]
    assert len(relaxes) == 16 and not any(message.edited for message in transcript)
    calls = [request.method.lower() for request in emulator.requests if request.chat_id == patient.user_id]
    assert not any(method.startswith("edit") for method in calls)
    # a repetition carries Pause, It hurts and Stop, nothing else
    reps = [message for message in transcript if "Rep " in message.text]
    assert len(reps) == 20 and all(message.labels == REPETITION_BUTTONS for message in reps)
    # said once per exercise at most
    assert sum("tell you when to relax" in t for t in texts) == 5
    assert sum("I'm in position when" in t for t in texts) == 6
    # the first side is named before the setup
    flexion = next(t for t in texts if "Hip flexion (3 of 6)" in t)
    assert "right first" in flexion and "Step 1 of 2" in flexion
    _assert_rests_timed(emulator, patient.user_id, seconds=20 * TEST_HOLD_SCALE)
    row = await _session(bot)
    assert (row.status, row.pace, row.pain_before, row.pain_after) == ("completed", "guided", 2, 2)


async def test_the_second_sides_position_comes_in_the_last_relax_as_that_sides_animation(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    """The guided pace says the other side's position in the first side's last "Relax", so that
    message is the second side's animation: no message more, no tap more than with pictures off,
    where it stays text."""
    shown, shown_taps = await _walk(await _patient(bot, emulator, clock, repetitions=1), clock)
    plain, plain_taps = await _walk(
        await _patient(bot, emulator, clock, repetitions=1, pictures=False), clock
    )
    assert (len(shown), shown_taps) == (len(plain), plain_taps)
    assert not any(message.animation or message.photo for message in plain)
    one_sided = [entry for entry in ROUTINE if entry.per_side]
    switches = [
        next(
            index for index, message in enumerate(plain)
            if text("en", entry.side_key("left")) in message.text
        )
        for entry in one_sided
    ]
    intros = [index for index, message in enumerate(plain) if " of 6)" in message.text]
    pictured = [index for index, message in enumerate(shown) if message.animation]
    assert pictured == sorted(intros + switches) and len(pictured) == 6 + 4
    for index, entry in zip(switches, one_sided, strict=True):
        switch = shown[index]
        assert switch.animation == picture_file(f"{entry.key}.left.animation")
        assert switch.text.startswith(plain[index].text + "\n")
        assert switch.text.endswith(text("en", entry.picture_key("left")))
        assert switch.labels == plain[index].labels and IN_POSITION in switch.labels
    for pictured_message, alone in zip(shown, plain, strict=True):
        assert pictured_message.text.startswith(alone.text)


async def test_continue_after_a_restart_at_the_side_switch_shows_the_second_side_again(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    """Cut off at the switch to the left side, Continue shows that side's position by itself,
    still with its animation."""
    patient = await _patient(bot, emulator, clock, repetitions=1)
    await patient.send("/exercises")
    await patient.expect("The exercises")
    await patient.answer_to(await patient.tap(text("en", "routine.knee_to_chest.title")))
    await patient.next_message()  # the card
    await _tap(patient, clock, text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await _tap(patient, clock, "2")
    await patient.expect("Tap I'm in position")
    await _tap(patient, clock, IN_POSITION)
    left = text("en", "routine.knee_to_chest.side.left")
    switch = await patient.expect(left)
    assert switch.animation == picture_file("knee_to_chest.left.animation")
    await bot.restart()
    await patient.expect("We were interrupted")
    await patient.tap(CONTINUE)
    again = await patient.next_message()
    assert again.text.startswith(left) and IN_POSITION in again.labels
    assert again.animation == switch.animation
    assert again.text.endswith(text("en", "routine.knee_to_chest.picture.left"))


def _assert_rests_timed(emulator: Emulator, chat_id: int, seconds: float) -> None:
    """After a "Relax" the next repetition comes by itself, after the rest and not before."""
    sent = [
        request for request in emulator.requests
        if request.chat_id == chat_id and request.method.lower() == "sendmessage"
    ]
    resting = [
        (earlier, later) for earlier, later in zip(sent, sent[1:], strict=False)
        if RELAX in str(earlier.payload.get("text"))
        and "ss:pause" in str(earlier.payload.get("reply_markup"))  # a rest, not a tap awaited
    ]
    assert all("Rep " in str(later.payload.get("text")) for _, later in resting)
    gaps = [later.at - earlier.at for earlier, later in resting]
    assert len(gaps) == 8 and min(gaps) >= seconds


async def test_pause_mid_rest_stops_the_timer_and_continue_brings_the_next_rep(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await _to_first_rep(patient, clock)
    relax = await patient.next_message()
    assert relax.text.startswith(RELAX) and relax.labels == REPETITION_BUTTONS
    await patient.tap(PAUSE)
    await patient.expect("Paused")
    await patient.assert_silent(0.3)  # the rest's 50 ms are long over: nothing runs
    await patient.tap(CONTINUE)
    assert "Rep 2 of 2" in (await patient.next_message()).text
    assert (await patient.next_message()).text.startswith("😌 Relax.")


async def test_it_hurts_mid_repetition_stops_the_exercise_and_its_relax(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, hold_seconds=10)
    await _to_first_rep(patient, clock)
    await patient.tap(HURTS)
    await patient.expect("How bad is the pain")
    await patient.assert_silent(0.2)  # the hold's "Relax" never comes
    await patient.tap("3")
    await patient.expect("shoot down your leg")
    await patient.tap(_label("no"))
    await patient.expect("leave that one for today")
    await patient.tap(CONTINUE)
    assert "Hip abduction (2 of 6)" in (await patient.next_message()).text
    row = await _session(bot)
    assert row.skipped_exercises == ["hip_adduction"]


async def test_a_restart_mid_rest_times_the_rest_again_from_the_database(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, rest_seconds=30)
    await _to_first_rep(patient, clock)
    await patient.expect(RELAX)
    row = await _session(bot)
    assert row.awaiting == "resting" and row.hold_ends_at is not None
    await bot.restart()
    assert "Rep 2 of 2" in (await patient.next_message()).text
    assert (await patient.next_message()).text.startswith("😌 Relax.")


async def test_only_the_newest_message_acts(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    first_rep = await _to_first_rep(patient, clock)
    await patient.expect(RELAX)
    await patient.expect("Rep 2 of 2")
    await patient.tap_data(first_rep.button_data[STOP], message_id=first_rep.message_id)
    await patient.expect(RELAX)  # the session went on
    assert STALE in patient.callback_answers
    assert (await _session(bot)).status == "active"


async def test_my_pace_in_settings_brings_back_next_at_every_step(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await patient.send("/settings")
    menu = await patient.expect("Your settings")
    assert "Pace: Guided" in menu.text and "Rest: as long as the hold" in menu.text
    await patient.tap(text("en", "settings.button.rest"))
    await patient.expect("rest between two reps")
    await patient.tap("8 s")
    await patient.expect("Rest between reps: 8 s")
    await patient.tap(text("en", "settings.button.back"))
    await patient.expect("Rest: 8 s")
    await patient.tap(text("en", "settings.button.pace"))
    await patient.expect("you tap Next at every step")
    await patient.tap(text("en", "settings.pace.own"))
    await patient.expect("Pace: My pace")
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    await _tap(patient, clock, "2")
    intro = await patient.expect("Hip adduction (1 of 6)")
    assert NEXT in intro.labels
    await _tap(patient, clock, NEXT)
    assert "Step 1 of 3" in (await patient.next_message()).text
    assert (await _session(bot)).pace == "own"


@pytest.mark.slow
async def test_the_estimate_is_within_15_percent_of_a_walk_on_a_fast_clock(tmp_path: Path) -> None:
    # slower than TEST_HOLD_SCALE: the bot's own latency per message is stretched by the scale too
    scale, hold, repetitions = 0.04, 5, 2
    url = f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}"
    async with running_emulator(chat_rate=None) as emulator, guided_bot(emulator, url, scale):
        await seed_patients(url, [930_000_001], None, hold_seconds=hold, repetitions=repetitions)
        walk = await walk_session(emulator, emulator.patient(user_id=930_000_001), scale)
    estimate = estimated_seconds(ROUTINE_KEYS, hold, repetitions, pace=Pace.GUIDED)
    assert walk.announced_minutes == math.ceil(estimate / 60)
    assert abs(walk.seconds - estimate) <= 0.15 * estimate
    assert (walk.taps, walk.edits) == (17, 0)


async def test_exercise_mid_rest_asks_and_continue_brings_the_next_rep(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, rest_seconds=30)
    await _to_first_rep(patient, clock)
    await patient.expect(RELAX)
    await patient.send("/exercise")
    choice = await patient.expect("middle of a session (Hip adduction, rep 2)")
    await patient.assert_silent(0.4)  # the rest's timer stopped with the question
    await patient.tap(CONTINUE)
    assert "Rep 2 of 2" in (await patient.next_message()).text
    assert choice.labels == [CONTINUE, _label("start_over")]
