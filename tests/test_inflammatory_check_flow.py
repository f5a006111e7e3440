"""The inflammatory back pain check end to end: from /learn, one message edited from question to
question and to its result; stored, retaken, stopped; in the report and the export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from sibot import diary
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.inflammatory_check import FEATURES, QUESTIONS, Question
from sibot.models import InflammatoryCheck
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)

CHECK = text("en", "ibp.menu_button")
YES, NO, STOP = text("en", "onboarding.yes"), text("en", "onboarding.no"), text("en", "ibp.stop")
STALE = text("en", "common.stale_button")


async def _patient(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now())
    return patient


async def _start_check(patient: TelegramUser) -> Message:
    """/learn, then the check's button: the menu turns into the first question."""
    await patient.send("/learn")
    menu = await patient.expect("What would you like to read?")
    assert await patient.answer_to(await patient.tap(CHECK)) == ""
    return patient.current(menu.message_id)


async def _answer(patient: TelegramUser, clock: ManualClock, message_id: int, label: str) -> Message:
    """Tap an answer, a second after the last one, as someone reading the question does (the
    flood limit would hold back a dozen taps at once)."""
    clock.advance(timedelta(seconds=1))
    assert await patient.answer_to(await patient.tap(label)) == ""
    return patient.current(message_id)


async def _take_check(patient: TelegramUser, clock: ManualClock, features: int) -> Message:
    """The whole check: the pain began before 45 and lasted 3 months, and the first `features`
    of the eight are a yes; returns the result."""
    message = await _start_check(patient)
    answers = [YES, YES, *([YES] * features), *([NO] * (len(FEATURES) - features))]
    for answer in answers:
        message = await _answer(patient, clock, message.message_id, answer)
    return message


async def _rows(bot: BotHarness) -> list[InflammatoryCheck]:
    async with bot.core.db.transaction() as session:
        return list(await session.scalars(select(InflammatoryCheck).order_by(InflammatoryCheck.id)))


async def test_each_question_is_one_tap_on_one_edited_message(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    message = await _start_check(patient)
    for number, question in enumerate(QUESTIONS, start=1):
        assert message.edited and f"{number} of {len(QUESTIONS)}" in message.text
        assert text("en", f"ibp.question.{question.value}") in message.text
        assert "Not a diagnosis" in message.text
        assert message.buttons == [[YES, NO], [STOP]]
        message = await _answer(patient, clock, message.message_id, YES if number <= 6 else NO)
    assert "4 of the 8" in message.text and "rheumatologist" in message.text
    assert "not a diagnosis" in message.text and message.buttons == []
    assert len(patient.messages) == 1
    [row] = await _rows(bot)
    assert (row.count, row.outcome, row.completed_at) == (4, "referral", clock.now())
    assert row.answers == {
        question.value: index < 6 for index, question in enumerate(QUESTIONS)
    }


@pytest.mark.slow
async def test_three_signs_mention_it_and_fewer_need_nothing(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    three = await _take_check(patient, clock, 3)
    assert "3 of the 8" in three.text and "mention" in three.text
    assert "rheumatologist" not in three.text
    two = await _take_check(patient, clock, 2)
    assert "2 of the 8" in two.text and "Nothing extra to do" in two.text
    assert [(row.count, row.outcome) for row in await _rows(bot)] == [
        (3, "mention"),
        (2, "nothing"),
    ]


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"before45": False}, id="began at 45 or later"),
        pytest.param({"before45": True, "months3": False}, id="under 3 months"),
    ],
)
async def test_pain_the_check_is_not_for_ends_it_at_once(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, answers: dict[str, bool]
) -> None:
    patient = await _patient(bot, emulator, clock)
    message = await _start_check(patient)
    for yes in answers.values():
        message = await _answer(patient, clock, message.message_id, YES if yes else NO)
    assert message.text == text("en", "ibp.result.not_applicable") and message.buttons == []
    [row] = await _rows(bot)
    assert (row.count, row.outcome, row.answers) == (None, "not_applicable", answers)


async def test_stop_keeps_nothing_and_its_old_buttons_are_over(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    question = await _start_check(patient)
    question = await _answer(patient, clock, question.message_id, YES)
    yes = question.button_data[YES]
    stopped = await _answer(patient, clock, question.message_id, STOP)
    assert stopped.text == text("en", "ibp.stopped") and stopped.buttons == []
    assert await _rows(bot) == []
    assert await patient.answer_to(await patient.tap_data(yes, question.message_id)) == STALE
    assert patient.current(question.message_id) == stopped


async def test_a_double_tap_answers_once(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    question = await _start_check(patient)
    data = question.button_data[YES]
    taps = [await patient.tap_data(data, question.message_id) for _ in range(2)]
    assert sorted([await patient.answer_to(tap) for tap in taps]) == ["", STALE]
    [row] = await _rows(bot)
    assert row.answers == {Question.BEGAN_BEFORE_45.value: True}
    assert "2 of 10" in patient.current(question.message_id).text


async def test_forged_check_buttons_get_the_short_answer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    question = await _start_check(patient)
    check_id = (await _rows(bot))[0].id
    forged = (
        f"lr:ans:{check_id}:night:1",  # not the question the check waits for
        f"lr:ans:{check_id}:before45:2",
        f"lr:ans:{check_id}:diet:1",
        f"lr:ans:{check_id + 1}:before45:1",  # no such check
        "lr:ans:x:before45:1",
        f"lr:ans:{check_id}:before45",
        "lr:stop",
        "lr:stop:99999999999",
        f"lr:stop:{check_id}:1",
        "lr:check:1",
        "lr:later:1",
    )
    for data in forged:
        clock.advance(timedelta(seconds=1))
        query = await patient.tap_data(data, question.message_id)
        assert await patient.answer_to(query) == STALE, data
    assert patient.current(question.message_id) == question
    [row] = await _rows(bot)
    assert row.answers == {}


async def test_another_patients_check_is_not_theirs_to_answer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    ana = await _patient(bot, emulator, clock)
    await _start_check(ana)
    check_id = (await _rows(bot))[0].id
    ben = await _patient(bot, emulator, clock)
    await ben.send("/learn")
    menu = await ben.expect("What would you like to read?")
    query = await ben.tap_data(f"lr:ans:{check_id}:before45:1", menu.message_id)
    assert await ben.answer_to(query) == STALE
    assert (await _rows(bot))[0].answers == {}


@pytest.mark.slow
async def test_the_newest_check_is_in_the_report_and_every_one_in_the_export(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    await diary.record(bot.core, patient.user_id, 3, "diary")
    await _take_check(patient, clock, 5)
    clock.advance(timedelta(days=1))
    await _take_check(patient, clock, 3)
    await patient.send("/report")
    report = await patient.next_message(timeout=15)
    assert report.document is not None
    content = PdfReader(io.BytesIO(report.document)).pages[0].extract_text()
    assert "Inflammatory back pain (NICE NG65)" in content
    assert "3 of 8 features. Advised to mention it to the GP." in content
    assert "5 of 8" not in content
    await patient.send("/export")
    export = await patient.next_message(timeout=15)
    assert export.document is not None
    rows = list(csv.DictReader(io.StringIO(export.document.decode("utf-8"))))
    checks = [row for row in rows if row["record"] == "inflammatory_check"]
    assert [(row["check_count"], row["check_outcome"]) for row in checks] == [
        ("5", "referral"),
        ("3", "mention"),
    ]


async def test_the_check_speaks_the_patients_language(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), language="es")
    await patient.send("/learn")
    await patient.next_message()
    await patient.answer_to(await patient.tap(text("es", "ibp.menu_button")))
    [question] = patient.messages
    assert text("es", "ibp.question.before45") in question.text and "1 de 10" in question.text
    assert question.buttons == [[text("es", "onboarding.yes"), "No"], [text("es", "ibp.stop")]]
    result = await _answer(patient, clock, question.message_id, "No")
    assert result.text == text("es", "ibp.result.not_applicable")
