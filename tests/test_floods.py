"""The flood limit: the bucket alone on a clock the test moves, then floods end to end."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.floods import BURST, HEAVY_COST, NOTICE_INTERVAL, FloodLimit, cost_of
from sibot.emulator import Emulator, TelegramUser
from sibot.texts import language_name, text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

NOTICE = text("en", "common.flood_notice")
TOAST = text("en", "common.flood_toast")
UNKNOWN_BUTTON = text("en", "settings.unknown_button")
HELP_TITLE = "What I can do"
NO_REPORT_YET = text("en", "diary.report.empty")
# Button data no feature takes: answered by a toast alone, so a test can press it fast and often.
NOBODYS_BUTTON = "zz:nothing"


def _drain(limit: FloodLimit, user_id: int = 1) -> None:
    for _ in range(BURST):
        assert limit.admit(user_id, 1)


# --- the bucket --------------------------------------------------------------------------------


def test_a_burst_goes_and_the_rest_is_held_back(clock: ManualClock) -> None:
    limit = FloodLimit(clock)
    _drain(limit)
    assert not limit.admit(1, 1)
    assert limit.admit(2, 1), "another user has a bucket of their own"


def test_the_bucket_fills_again_at_one_a_second(clock: ManualClock) -> None:
    limit = FloodLimit(clock)
    _drain(limit)
    clock.advance(timedelta(seconds=2))
    assert [limit.admit(1, 1) for _ in range(3)] == [True, True, False]


def test_a_chart_or_a_pdf_costs_more(clock: ManualClock) -> None:
    limit = FloodLimit(clock)
    heavies = BURST // HEAVY_COST
    assert [limit.admit(1, HEAVY_COST) for _ in range(heavies + 1)] == [True] * heavies + [False]
    assert [limit.admit(1, 1) for _ in range(BURST % HEAVY_COST + 1)] == [True] * (BURST % HEAVY_COST) + [False]


def test_one_notice_a_window(clock: ManualClock) -> None:
    limit = FloodLimit(clock)
    _drain(limit)
    assert not limit.admit(1, 1)
    assert [limit.notice_due(1) for _ in range(3)] == [True, False, False]
    clock.advance(timedelta(seconds=NOTICE_INTERVAL))
    _drain(limit)
    assert not limit.admit(1, 1)
    assert limit.notice_due(1)


def _log_records(lines: io.StringIO, message: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    return [record for record in records if record["message"].startswith(message)]


def test_dropped_updates_are_logged_as_a_count_per_window(
    clock: ManualClock, production_log_lines: io.StringIO
) -> None:
    limit = FloodLimit(clock)
    _drain(limit)
    for _ in range(25):
        assert not limit.admit(1, 1)
    clock.advance(timedelta(seconds=NOTICE_INTERVAL))
    limit.admit(2, 1)  # the first user, settled by now, is forgotten: their count is logged
    _drain(limit, 3)
    assert not limit.admit(3, 1)
    limit.close()
    counts = _log_records(production_log_lines, "flood limit: updates dropped")
    assert [(r["user_id"], r["dropped"]) for r in counts] == [(1, 25), (3, 1)]
    assert len(_log_records(production_log_lines, "flood limit: holding back")) == 2


def _update(text_or_data: str, *, button: bool = False) -> Update:
    user = User(5, "Pat", is_bot=False)
    message = Message(1, datetime.now(UTC), Chat(5, Chat.PRIVATE), from_user=user, text=text_or_data)
    if button:
        return Update(1, callback_query=CallbackQuery("q", user, "5", message=message, data=text_or_data))
    return Update(1, message=message)


def test_what_an_update_costs() -> None:
    assert [cost_of(_update(said)) for said in ("/report", "/Progress@sibot_bot", "/export now")] == [HEAVY_COST] * 3
    assert [cost_of(_update(said)) for said in ("/help", "/pain 4", "report", "hello")] == [1] * 4
    assert cost_of(_update("/report", button=True)) == 1


# --- end to end --------------------------------------------------------------------------------


async def _onboarded(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, pace: str = "guided"
) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), pace=pace)
    return patient


async def _messages(patient: TelegramUser) -> list[str]:
    """What the bot sends the patient until it falls silent, shortened to what tells them apart."""
    said = []
    while True:
        try:
            message = await patient.next_message(timeout=1.5)
        except AssertionError:
            return said
        said.append(HELP_TITLE if message.text.startswith(HELP_TITLE) else message.text)


async def test_a_flood_from_one_chat_does_not_hold_up_another_patient(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    flooder, other = await _onboarded(bot, emulator, clock), await _onboarded(bot, emulator, clock)
    for _ in range(4):
        await flooder.send("/report")  # three fit in the bucket, with one token left
    for _ in range(30):
        await flooder.send("/help")  # one more fits
    await other.send("/pain")

    await other.expect("How much does it hurt")
    assert len(flooder.messages) < 5, "the flooder's answers were still on their way"
    assert sorted(await _messages(flooder)) == sorted([NO_REPORT_YET] * 3 + [NOTICE, HELP_TITLE])


async def test_held_back_presses_get_a_toast_and_messages_one_notice_a_window(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, production_log_lines: io.StringIO
) -> None:
    patient = await _onboarded(bot, emulator, clock)
    await patient.send("/pain")
    question = await patient.expect("How much does it hurt")
    for window in range(2):
        presses = [await patient.tap_data(NOBODYS_BUTTON, question.message_id) for _ in range(BURST + 5)]
        answers = [await patient.answer_to(press) for press in presses]
        # /pain took a token in the first window; a slow machine may refill one as the test runs
        went_on = answers.index(TOAST)
        assert BURST - 1 + window <= went_on <= BURST + window, answers
        assert answers == [UNKNOWN_BUTTON] * went_on + [TOAST] * (len(presses) - went_on)
        for _ in range(20):
            await patient.send("/help")
        said = await _messages(patient)
        assert said.count(NOTICE) == 1 and set(said) <= {NOTICE, HELP_TITLE}, said
        clock.advance(timedelta(seconds=NOTICE_INTERVAL))  # a new window, and a full bucket
    await bot.stop()
    counts = _log_records(production_log_lines, "flood limit: updates dropped")
    assert [r["user_id"] for r in counts] == [patient.user_id] * 2
    handled = [
        r for r in _log_records(production_log_lines, "update")
        if r["message"] == "update" and r["user_id"] == patient.user_id
    ]
    # every update the patient sent: one log line each if handled, else in a count
    assert len(handled) + sum(r["dropped"] for r in counts) == 1 + 2 * (BURST + 5) + 2 * 20


@pytest.mark.slow
async def test_an_ordinary_session_with_double_taps_is_never_held_back(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _onboarded(bot, emulator, clock, pace="own")  # Next at every step
    await patient.send("/exercises")
    await patient.expect("The exercises")
    await patient.answer_to(await patient.tap("Hip flexion"))
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap("3")
    message = await patient.expect("Hip flexion (1 of 1)")
    next_label = text("en", "session.button.next")
    steps = 0
    while "How much does it hurt now" not in message.text:
        if "tell you when to relax" in message.text:
            await patient.next_message()  # "Relax" comes by itself
        first = await patient.tap(next_label)
        if steps % 3 == 0:  # now and then a double tap
            await patient.tap_data(message.button_data[next_label], message_id=message.message_id)
        await patient.answer_to(first)
        message = await patient.next_message()
        steps += 1
    await patient.tap("2")
    await patient.expect("Session done")
    assert TOAST not in patient.callback_answers
    assert all(NOTICE not in m.text for m in patient.messages)


async def test_notices_speak_the_language_chosen_in_settings_not_the_apps(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = emulator.patient(language_code="en")
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), language="ru")
    await patient.send("/settings")  # stored before this bot started: the gatekeeper notes it
    menu = await patient.next_message()
    assert text("ru", "settings.button.language") in menu.labels
    for _ in range(BURST):
        await patient.send("/help")
    assert text("ru", "common.flood_notice") in await _messages(patient)

    clock.advance(timedelta(seconds=NOTICE_INTERVAL))  # a new window, and a full bucket
    await patient.tap(text("ru", "settings.button.language"))
    assert language_name("es") in (await patient.next_message()).labels
    await patient.tap(language_name("es"))  # changed now: the notices follow at once
    await patient.expect("Español")
    presses = [await patient.tap_data(NOBODYS_BUTTON, menu.message_id) for _ in range(BURST)]
    answers = [await patient.answer_to(press) for press in presses]
    assert text("es", "common.flood_toast") in answers and TOAST not in answers
    for _ in range(5):
        await patient.send("/help")
    said = await _messages(patient)
    assert text("es", "common.flood_notice") in said and NOTICE not in said
