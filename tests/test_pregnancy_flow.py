"""Pregnancy end to end: an exercise done lying on the back starts, for a patient with the
pregnancy caution on, with how to prop herself up; she is told once to ask first."""

from __future__ import annotations

import pytest

from sibot.emulator import Emulator, Message, TelegramUser
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)

ON_BACK = text("en", "routine.pregnancy.on_back")
ASK_FIRST = text("en", "settings.set.pregnancy_ask")


async def _patient(bot: BotHarness, emulator: Emulator, clock: ManualClock, **kw: object) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), **kw)  # type: ignore[arg-type]
    return patient


async def _intro_from_the_library(patient: TelegramUser, key: str) -> Message:
    """A session of one exercise from /exercises, its pain question skipped: its intro."""
    await patient.send("/exercises")
    await patient.expect("The exercises")
    title = text("en", f"routine.{key}.title")
    await patient.answer_to(await patient.tap(title))
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap(text("en", "session.button.skip_question"))
    return await patient.expect(f"{title} (1 of 1)")


async def test_a_pregnant_patient_is_told_to_prop_up_on_the_back_not_on_the_side(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock, pregnant=True)
    on_back = await _intro_from_the_library(patient, "knee_to_chest")
    assert on_back.text.split("\n")[1] == ON_BACK  # right under the title: the first thing read
    await patient.tap(text("en", "session.button.stop"))
    on_side = await _intro_from_the_library(patient, "hip_abductor_stretch")
    assert ON_BACK not in on_side.text


async def test_a_patient_who_is_not_pregnant_reads_the_usual_intro(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    intro = await _intro_from_the_library(patient, "hip_adduction")
    assert ON_BACK not in intro.text and "🤰" not in intro.text


async def test_turning_the_caution_on_in_settings_says_to_ask_first_once(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    for choice, told in (("Turn on", True), ("Turn on", False), ("Turn off", False)):
        await patient.send("/settings")
        await patient.expect("Your settings")
        await patient.tap(text("en", "settings.button.pregnancy"))
        await patient.next_message()
        await patient.tap(choice)
        confirmation = await patient.next_message()
        assert (ASK_FIRST in confirmation.text) is told, choice
