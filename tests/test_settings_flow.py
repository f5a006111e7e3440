"""/settings, /pause, /resume, /start for a known patient, /help and the fallbacks, end to end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from sibot.emulator import Emulator, TelegramUser
from sibot.models import Patient, Reminder
from sibot.patients import INDEFINITELY
from sibot.schedule import mask_to_weekdays
from sibot.texts import available_languages, text
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.test_onboarding_flow import shows

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)


async def _onboarded(bot: BotHarness, emulator: Emulator, **values: object) -> TelegramUser:
    patient = emulator.patient()
    values = {"timezone": "Europe/Berlin", "reminder_at": time(8), **values}
    await onboarded_patient(bot.core.db, patient.user_id, bot.clock.now(), **values)  # type: ignore[arg-type]
    return patient


async def _row(bot: BotHarness, patient: TelegramUser) -> Patient:
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
    assert row is not None
    return row


async def _reminder(bot: BotHarness, patient: TelegramUser) -> Reminder:
    async with bot.core.db.transaction() as session:
        reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == patient.user_id))
    assert reminder is not None
    return reminder


async def _open(patient: TelegramUser, button: str) -> None:
    await patient.send("/settings")
    await patient.expect("Your settings")
    await patient.tap(button)


async def test_settings_show_every_value(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator, pregnant=True, weekdays=0b0011111)
    await patient.send("/settings")
    menu = await patient.next_message()
    for value in ("Berlin, Germany (Europe/Berlin)", "08:00 on weekdays", "Hold: 5 s", "Repetitions: 2",
                  "Pace: Guided", "Rest: as long as the hold",
                  "Pregnancy caution: on", "Follow-up reminder: on", "Exercise pictures: on",
                  "Language: English"):
        assert value in menu.text
    assert len(menu.labels) == 11


async def test_time_zone_typed_moves_the_reminder(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, "🕒 Time zone")
    await patient.expect("Type your city")
    await patient.send("Tokyo")
    done = await patient.next_message()
    assert "Tokyo, Japan (Asia/Tokyo)" in done.text and "16:00, Monday" in done.text
    assert (await _row(bot, patient)).timezone == "Asia/Tokyo"
    # 08:00 in Tokyo has passed (it is 16:00 there): the next one is Tuesday 08:00 JST
    assert (await _reminder(bot, patient)).next_fire_at == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    await patient.send("Berlin")
    assert "not sure what you mean" in (await patient.next_message()).text


async def test_time_zone_bad_answers_then_a_location(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, "🕒 Time zone")
    await patient.expect("Type your city")
    await patient.send("Qwertzuiop")
    assert "couldn't find" in (await patient.next_message()).text
    await patient.share_location(-40.0, -120.0)
    assert "open sea" in (await patient.next_message()).text
    await patient.share_location(-33.87, 151.21)
    assert "Australia/Sydney" in (await patient.next_message()).text
    assert (await _row(bot, patient)).timezone == "Australia/Sydney"


async def test_cancel_leaves_everything_as_it_was(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, "🕒 Time zone")
    await patient.expect("Type your city")
    await patient.tap("Cancel")
    assert "nothing changed" in (await patient.next_message()).text
    row = await _row(bot, patient)
    assert (row.timezone, row.awaiting) == ("Europe/Berlin", None)


async def test_reminder_time_typed_and_tapped(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, "⏰ Reminder time")
    await patient.expect("type one")
    await patient.send("25:61")
    assert "can't read “25:61”" in (await patient.next_message()).text
    assert (await _reminder(bot, patient)).local_time == time(8)
    await patient.send("7pm")
    done = await patient.next_message()
    assert "19:00 every day" in done.text and "Mon 19:00" in done.text
    await _open(patient, "⏰ Reminder time")
    await patient.tap("07:00")
    assert "07:00 every day" in (await patient.expect("Reminder:")).text
    assert (await _reminder(bot, patient)).local_time == time(7)


async def test_reminder_days(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, "📅 Reminder days")
    await patient.expect("which days")
    await patient.tap("Weekdays (Mon–Fri)")
    assert "08:00 on weekdays" in (await patient.expect("Reminder:")).text
    await _open(patient, "📅 Reminder days")
    days = await patient.expect("which days")
    await patient.tap("Choose days")
    await shows(patient, days.message_id, "Sat")
    query = await patient.tap("Done")
    assert "at least one day" in await patient.answer_to(query)
    await patient.tap("Sat")
    await shows(patient, days.message_id, "✅ Sat")
    await patient.tap("Done")
    assert "08:00 on Sat" in (await patient.expect("Reminder:")).text
    assert mask_to_weekdays((await _reminder(bot, patient)).weekdays) == {5}


@pytest.mark.parametrize(
    ("button", "choice", "confirmation", "column", "value"),
    [
        ("⏱ Hold length", "7 s", "7 seconds", "hold_seconds", 7),
        ("🔁 Repetitions", "8", "8 repetitions", "repetitions", 8),
        ("🤰 Pregnancy caution", "Turn on", "Pregnancy caution is on", "pregnant", True),
        ("🔔 Follow-up", "Turn off", "Follow-up reminder is off", "followups_enabled", False),
        ("🖼 Exercise pictures", "Turn off", "Exercise pictures are off", "pictures", False),
        ("🌐 Language", "English", "Language: English", "language", "en"),
    ],
)
async def test_each_choice_is_stored_and_confirmed(
    bot: BotHarness, emulator: Emulator, button: str, choice: str, confirmation: str, column: str, value: object
) -> None:
    patient = await _onboarded(bot, emulator)
    await _open(patient, button)
    await patient.next_message()
    await patient.tap(choice)
    assert confirmation in (await patient.next_message()).text
    assert getattr(await _row(bot, patient), column) == value


async def test_forged_settings_buttons_change_nothing(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await patient.send("/settings")
    menu = await patient.next_message()
    for data in ("st:hold:11", "st:reps:0", "st:zone:Mars/Base", "st:lang:xx", "st:preg:2", "st:pause:5", "st:nope", "st:time:2561"):
        query = await patient.tap_data(data, message_id=menu.message_id)
        assert "isn't available" in await patient.answer_to(query), data
    query = await patient.tap_data("zz:what", message_id=menu.message_id)
    assert "doesn't work any more" in await patient.answer_to(query)
    await patient.assert_silent()
    row = await _row(bot, patient)
    assert (row.hold_seconds, row.repetitions, row.timezone, row.pregnant, row.paused_until) == (5, 2, "Europe/Berlin", False, None)


@pytest.mark.parametrize(("label", "days"), [("1 day", 1), ("3 days", 3), ("1 week", 7)])
async def test_pause_for_a_while_and_resume(bot: BotHarness, emulator: Emulator, label: str, days: int) -> None:
    patient = await _onboarded(bot, emulator)
    await patient.send("/pause")
    await patient.expect("how long")
    await patient.tap(label)
    until = bot.clock.now() + timedelta(days=days)
    paused = await patient.next_message()
    assert "paused until" in paused.text and "08:00" in paused.text  # 07:00 UTC is 08:00 in Berlin
    assert (await _row(bot, patient)).paused_until == until

    bot.clock.advance(timedelta(hours=12))
    await patient.send("/resume")
    resumed = await patient.next_message()
    assert "Welcome back" in resumed.text and "Tue 08:00" in resumed.text
    assert (await _row(bot, patient)).paused_until is None
    await patient.send("/resume")
    assert "aren't paused" in (await patient.next_message()).text


async def test_pause_until_resumed(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await patient.send("/pause")
    await patient.expect("how long")
    await patient.tap("Until I resume")
    assert "until you send /resume" in (await patient.next_message()).text
    assert (await _row(bot, patient)).paused_until == INDEFINITELY
    await patient.send("/start")
    assert "until you send /resume" in (await patient.next_message()).text


async def test_start_for_a_known_patient(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    async with bot.core.db.transaction() as session:
        (await session.get(Patient, patient.user_id)).active = False  # type: ignore[union-attr]
    await patient.send("/start")
    hello = await patient.next_message()
    assert "Welcome back, Ana" in hello.text and "still to do" in hello.text and "Tue 08:00" in hello.text
    assert hello.button_data == {
        "▶️ Start a session": "ss:start:menu", "📝 Note my pain": "pn:ask", "Learn about SI joint pain": "lr:open",
        "⚙️ Settings": "st:menu",
    }
    assert (await _row(bot, patient)).active


async def test_a_new_user_reads_what_the_bot_does_before_start_in_their_language(
    bot: BotHarness, emulator: Emulator
) -> None:
    for code, language in (("", "en"), *((language, language) for language in available_languages())):
        assert emulator.api.descriptions[code] == text(language, "settings.bot.description")
        assert emulator.api.short_descriptions[code] == text(language, "settings.bot.short_description")
    before = len(emulator.requests)
    await bot.restart()
    methods = {request.method.lower() for request in emulator.requests[before:]}
    assert "getmydescription" in methods
    assert not methods & {"setmydescription", "setmyshortdescription"}  # nothing changed


async def test_a_description_telegram_refuses_does_not_keep_the_bot_from_starting(
    bot: BotHarness, emulator: Emulator
) -> None:
    emulator.api.descriptions.clear()
    emulator.faults.add("400", method="setMyDescription", description="Bad Request: DESCRIPTION_INVALID", count=None)
    await bot.restart()
    patient = await _onboarded(bot, emulator)
    await patient.send("/help")
    assert "What I can do" in (await patient.next_message()).text


async def test_help_the_menu_and_the_fallbacks(bot: BotHarness, emulator: Emulator) -> None:
    patient = await _onboarded(bot, emulator)
    await patient.send("/help")
    listed = (await patient.next_message()).text
    commands = ["start", "exercise", "exercises", "learn", "pain", "progress", "report", "export", "share",
                "patients", "settings", "pause", "resume", "delete", "help"]
    assert [line.split(" ")[0] for line in listed.splitlines() if line.startswith("/")] == [f"/{c}" for c in commands]
    assert [entry["command"] for entry in emulator.commands()] == commands

    await patient.send("/dance")
    assert "/help" in (await patient.next_message()).text
    await patient.send("what time is it")
    assert "not sure what you mean" in (await patient.next_message()).text
    await patient.send_content({"sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                                            "width": 1, "height": 1, "is_animated": False, "is_video": False}})
    assert "not voice messages, photos, files or stickers" in (await patient.next_message()).text


async def test_one_patient_never_touches_another(bot: BotHarness, emulator: Emulator) -> None:
    ana = await _onboarded(bot, emulator)
    ben = emulator.patient(first_name="Ben")
    await onboarded_patient(bot.core.db, ben.user_id, bot.clock.now(), name="Ben", timezone="Asia/Tokyo")

    await _open(ana, "⏱ Hold length")
    await ana.next_message()
    await ana.tap("9 s")
    await ana.expect("9 seconds")
    await ben.send("/settings")
    ben_menu = await ben.next_message()
    assert "Hold: 5 s" in ben_menu.text and "Asia/Tokyo" in ben_menu.text and "Reminder: off" in ben_menu.text
    # Ben forges Ana's button: it acts on Ben, whoever's message it names
    await ben.tap_data("st:hold:6", message_id=ben_menu.message_id)
    await ben.expect("6 seconds")
    assert (await _row(bot, ana)).hold_seconds == 9
    assert (await _row(bot, ben)).hold_seconds == 6
