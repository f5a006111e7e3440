"""Typed text nobody asked for, end to end: a score is saved with one tap, pain or worry gets /pain
and when to get help, a greeting a greeting, thanks a warm word, anything else the main actions. The text never reaches the logs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sibot.emulator import Emulator, TelegramUser
from sibot.models import Checkin
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.test_i18n import said

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)


async def _patient(bot: BotHarness, emulator: Emulator, language: str) -> TelegramUser:
    patient = emulator.patient(language_code=language)
    await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now(), language=language)
    return patient


async def _checkins(bot: BotHarness) -> list[tuple[int | None, str]]:
    async with bot.core.db.transaction() as session:
        return [(row.score, row.source) for row in await session.scalars(select(Checkin))]


@pytest.mark.parametrize(("language", "typed"), [("en", "8"), ("de", "8/10"), ("es", "8 de 10"), ("ru", "8 из 10")])
async def test_a_typed_score_is_saved_with_one_tap(
    bot: BotHarness, emulator: Emulator, language: str, typed: str
) -> None:
    patient = await _patient(bot, emulator, language)
    await patient.send(typed)
    offer = await patient.expect(said(language, "settings.typed.score", score=8))
    save = said(language, "settings.typed.save_score", score=8)
    assert offer.labels == [save]
    assert await _checkins(bot) == []  # nothing saved before the tap
    await patient.tap(save)
    await patient.chat.changes.wait_until(
        lambda: said(language, "diary.pain.where", score=8) in patient.current(offer.message_id).text or None, 5
    )
    assert await _checkins(bot) == [(8, "diary")]


WORRIES = [
    ("en", "my back hurts a lot today, what should I do?"),
    ("de", "Ich habe starke Schmerzen"),
    ("es", "me duele mucho"),
    ("ru", "очень болит спина"),
]


@pytest.mark.parametrize(("language", "typed"), WORRIES)
async def test_pain_or_worry_gets_pain_and_when_to_get_help(
    bot: BotHarness, emulator: Emulator, language: str, typed: str, caplog: pytest.LogCaptureFixture
) -> None:
    patient = await _patient(bot, emulator, language)
    await patient.send(typed)
    worry = await patient.expect(said(language, "settings.typed.worry").split("\n")[0])
    assert said(language, "settings.typed.worry").split("\n")[-1] in worry.text  # the red flags
    await patient.tap(said(language, "settings.action.pain"))
    question = await patient.expect(said(language, "diary.pain.ask").split("\n")[0])
    assert question.labels[:11] == [str(n) for n in range(11)]
    assert typed not in caplog.text


async def test_anything_else_gets_the_main_actions(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _patient(bot, emulator, "en")
    for typed in ("what time is it", "11"):
        await patient.send(typed)
        menu = await patient.expect(text("en", "settings.typed.menu").split(";")[0])
        assert menu.labels == ["▶️ Start a session", "📝 Note my pain", "Learn about SI joint pain", "⚙️ Settings"]
    await patient.tap("📝 Note my pain")
    await patient.expect("0 = no pain, 10 = worst pain imaginable")


@pytest.mark.parametrize(("language", "hello", "thanks"), [("en", "Hi!", "thanks a lot"), ("de", "Hallo", "danke"),
                                                           ("es", "hola", "gracias"), ("ru", "привет", "спасибо")])
async def test_a_greeting_is_greeted_and_thanks_get_a_warm_word(
    bot: BotHarness, emulator: Emulator, language: str, hello: str, thanks: str
) -> None:
    patient = await _patient(bot, emulator, language)
    await patient.send(hello)
    greeting = await patient.expect(said(language, "settings.typed.greeting"))
    assert said(language, "settings.action.pain") in greeting.labels
    await patient.send(thanks)
    welcome = await patient.expect(said(language, "settings.typed.thanks"))
    assert welcome.labels == []
