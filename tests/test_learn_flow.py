"""/learn end to end: the pages about SI joint pain, one message edited from page to page, and the
button under the summary of a patient's first completed session."""

from __future__ import annotations

from sibot.emulator import Emulator, Message, TelegramUser
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

TOPICS = ("symptoms", "causes", "treatments", "pregnancy")
TITLES = {topic: text("en", f"about.{topic}.title") for topic in TOPICS}
BACK, OPEN = text("en", "about.back"), text("en", "about.open")
CHECK = text("en", "ibp.menu_button")
MENU_BUTTONS = [*([TITLES[topic]] for topic in TOPICS), [CHECK]]
MENU = "What would you like to read?"
STALE = text("en", "common.stale_button")


async def _patient(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> TelegramUser:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), repetitions=1)
    return patient


async def _menu(patient: TelegramUser) -> Message:
    await patient.send("/learn")
    return await patient.expect(MENU)


async def _skip_through_one_exercise(patient: TelegramUser) -> Message:
    """A session of the library's first exercise, every question and the exercise skipped;
    returns its summary."""
    await patient.send("/exercises")
    await patient.expect("The exercises")
    await patient.answer_to(await patient.tap(text("en", "routine.hip_adduction.title")))
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap(text("en", "session.button.skip_question"))
    await patient.expect("(1 of 1)")
    await patient.tap(text("en", "session.button.skip"))
    await patient.expect("How much does it hurt now")
    await patient.tap(text("en", "session.button.skip_question"))
    return await patient.expect("Session done")


async def test_learn_shows_a_button_per_page_and_the_check(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    menu = await _menu(await _patient(bot, emulator, clock))
    assert menu.buttons == MENU_BUTTONS


async def test_each_page_edits_the_menu_and_offers_the_others_and_the_way_back(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    menu = await _menu(patient)
    for topic in TOPICS:
        assert await patient.answer_to(await patient.tap(TITLES[topic])) == ""
        page = patient.current(menu.message_id)
        assert page.edited and page.text.startswith(TITLES[topic])
        assert text("en", f"about.{topic}").split("\n")[0] in page.text
        others = [[TITLES[other]] for other in TOPICS if other != topic]
        assert page.buttons == [*others, [BACK]]
    await patient.answer_to(await patient.tap(BACK))
    assert MENU in patient.current(menu.message_id).text
    assert len(patient.messages) == 1  # one message, edited all along


async def test_a_forged_or_stale_page_button_gets_the_short_answer(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    menu = await _menu(patient)
    forged = ("lr:page:diet", "lr:page", "lr:page:", "lr:page:symptoms:1", "lr:menu:1", "lr:nope")
    for data in forged:
        assert await patient.answer_to(await patient.tap_data(data, menu.message_id)) == STALE, data
    assert patient.current(menu.message_id) == menu
    await patient.assert_silent()


async def test_a_double_tap_edits_once_and_answers_both(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    menu = await _menu(patient)
    data = menu.button_data[TITLES["causes"]]
    taps = [await patient.tap_data(data, menu.message_id) for _ in range(2)]
    assert [await patient.answer_to(tap) for tap in taps] == ["", ""]
    assert patient.current(menu.message_id).text.startswith(TITLES["causes"])


async def test_the_first_session_offers_learn_and_the_next_one_does_not(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = await _patient(bot, emulator, clock)
    first = await _skip_through_one_exercise(patient)
    assert first.labels == [OPEN]
    await patient.tap(OPEN)
    menu = await patient.expect(MENU)
    assert menu.buttons == MENU_BUTTONS
    assert patient.current(first.message_id).text == first.text  # the summary stays
    second = await _skip_through_one_exercise(patient)
    assert second.labels == []


async def test_the_pages_come_in_the_patients_language(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), language="ru")
    await patient.send("/learn")
    menu = await patient.expect(text("ru", "about.menu").split("\n")[-1])
    await patient.answer_to(await patient.tap(text("ru", "about.pregnancy.title")))
    page = patient.current(menu.message_id)
    assert page.text.startswith(text("ru", "about.pregnancy.title"))
    assert text("ru", "about.back") in page.labels
