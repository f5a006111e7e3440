"""Emulator fault storms during sessions and diary use: 5xx, timeouts, dropped connections, 429s.

Patients behave as people do: when no answer comes, or the bot says something went wrong, they
tap the newest button again (or send the command again). The properties: every patient gets
through every step of their session, and every check-in is stored exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from handlers.ptb.transport import NETWORK_RETRY_DELAYS
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import Checkin
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.reliability import counters

PATIENTS = 5
NEXT = text("en", "session.button.next")
CONTINUE = text("en", "session.button.continue")
TROUBLE = (text("en", "common.error"), text("en", "common.db_unavailable"))
SUMMARY = "Session done"
# Seconds a patient waits for an answer before trying again: longer than the bot's own tries of
# a send that met a 5xx or a network fault, with a second to spare for a busy machine. A patient
# who tapped "Do this one" again while its answer was merely late got "You're in the middle of a
# session", which retires the late question's buttons, and tapped those in vain.
PATIENCE = sum(NETWORK_RETRY_DELAYS) + 1.0
ATTEMPTS = 4


def storm(emulator: Emulator, kind: str) -> None:
    """One kind of trouble on every message-sending call, for the whole test."""
    for method in ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"):
        match kind:
            case "5xx":
                emulator.faults.add("5xx", method=method, count=None, probability=0.15, status=502)
            case "timeout":
                emulator.faults.add("timeout", method=method, count=None, probability=0.1, delay=0.3)
            case "drop":
                emulator.faults.add("drop", method=method, count=None, probability=0.1, takes_effect=True)
            case "429":
                emulator.faults.add("429", method=method, count=None, probability=0.2, retry_after=1)


async def answer_after(patient: TelegramUser) -> Message | None:
    """The next message after doing something, or None when the bot stays silent or apologises."""
    try:
        message = await patient.next_message(timeout=PATIENCE)
    except AssertionError:
        return None
    return None if message.text in TROUBLE else message


async def with_retries(patient: TelegramUser, do: Callable[[], Awaitable[object]], expect: str) -> Message:
    """Do something until a message containing `expect` comes, as a patient would retry."""
    for _ in range(ATTEMPTS):
        await do()
        while (message := await answer_after(patient)) is not None:
            if expect in message.text:
                return message
    raise AssertionError(f"never got {expect!r}")


async def a_session(patient: TelegramUser) -> list[str]:
    """One exercise from the library to its summary; the first lines of the steps seen."""
    library = await with_retries(patient, lambda: patient.send("/exercises"), "The exercises")
    # "Do this one" on the card of Hip flexion, which is the library message edited
    do = lambda: patient.tap_data("lib:do:2", library.message_id)  # noqa: E731
    await with_retries(patient, do, "how much does it hurt")
    message = await with_retries(patient, lambda: patient.tap("3"), "Hip flexion (1 of 1)")
    seen = [message.text.split("\n")[0]]
    while SUMMARY not in message.text:
        label = next((l for l in (NEXT, CONTINUE, "2") if l in message.labels), None)
        if label is None:  # a hold: "Relax" comes by itself
            message = await patient.expect("Relax", timeout=PATIENCE * ATTEMPTS)
            seen.append(message.text.split("\n")[0])
            continue
        previous = message
        message = await next_step(patient, previous, label)
        seen.append(message.text.split("\n")[0])
    return seen


async def next_step(patient: TelegramUser, current: Message, label: str) -> Message:
    for _ in range(ATTEMPTS):
        await patient.tap_data(current.button_data[label], current.message_id)
        message = await answer_after(patient)
        if message is not None:
            return message
    raise AssertionError(f"no step came after {current.text[:60]!r}")


def _without_repeats(seen: list[str]) -> list[str]:
    return [line for i, line in enumerate(seen) if i == 0 or line != seen[i - 1]]


async def a_checkin(patient: TelegramUser, score: int) -> None:
    await with_retries(patient, lambda: patient.send(f"/pain {score}"), f"Pain {score}/10 saved")


# Telegram's limit in a chat, for the emulator and the bot, at ten times the pace: a session's
# dozen messages came a second apart, and most of a storm's time was spent waiting for them.
@pytest.mark.chat_rate(10)
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["5xx", "timeout", "drop", "429"])
async def test_a_fault_storm_loses_no_step_and_no_checkin(bot: BotHarness, emulator: Emulator, kind: str) -> None:
    patients = [emulator.patient() for _ in range(PATIENTS)]
    for patient in patients:
        await onboarded_patient(
            bot.core.db, patient.user_id, bot.clock.now(), repetitions=1, pace="own"
        )
    calm = await a_session(patients[0])  # the steps as they come without a storm
    storm(emulator, kind)
    try:
        # one thing at a time per chat, as a patient reads one answer before the next tap
        results = await asyncio.gather(*(a_session(p) for p in patients[1:]))
        await asyncio.gather(*(a_checkin(p, 4) for p in patients))
    finally:
        counters.faults(emulator.faults.injected)
    async with bot.core.db.transaction() as session:
        stored = Counter((await session.scalars(select(Checkin.patient_id).where(Checkin.source == "diary"))).all())
    # A send whose answer was lost is sent again: a step may show twice, but none may be missing.
    lost_steps = sum(1 for seen in results if _without_repeats(seen) != calm)
    wrong_checkins = sum(1 for p in patients if stored[p.user_id] != 1)
    assert counters.losses(lost_steps + wrong_checkins) == 0, (stored, results)
