"""Security: forged buttons act only on their sender, operator commands only for operators, and
the bot token never reaches a log line."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select
from telegram.error import InvalidToken, NetworkError

from handlers.reminders import wake_dispatcher
from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.world import unix_now
from sibot.logs import log_handler
from sibot.models import Broadcast
from sibot.texts import text
from tests.conftest import TOKEN_SECRET
from tests.factories import onboarded_patient
from tests.harness import ADMIN_ID, TOKEN, BotHarness, ManualClock
from tests.reliability.helpers import bot_message_with_button, press, rows_of

STALE = text("en", "common.stale_button")
NEXT = text("en", "session.button.next")


async def _ana_with_a_bit_of_everything(bot: BotHarness, emulator: Emulator, clock: ManualClock) -> TelegramUser:
    """A patient with a reminder, a check-in and a session at its first step."""
    ana = emulator.patient(first_name="Ana")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), reminder_at=time(9, 0), pace="own")
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await wake_dispatcher(bot.application)  # type: ignore[arg-type]
    await ana.expect("Time for your SI joint routine")
    await ana.send("/pain 5")
    await ana.expect("Pain 5/10 saved")
    await ana.send("/exercise")
    first = await ana.expect("Pain before: 5/10")  # the check-in of a moment ago
    assert "Hip adduction" in first.text
    return ana


async def test_another_patients_buttons_change_nothing_of_theirs(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    ana = await _ana_with_a_bit_of_everything(bot, emulator, clock)
    bob = emulator.patient(first_name="Bob")
    await onboarded_patient(bot.core.db, bob.user_id, clock.now())
    anas_rows = await rows_of(bot.core.db, [ana.user_id])
    # Every button of hers that names her rows (toggles and the library only redraw a keyboard).
    anas_buttons = sorted(
        data
        for data in {data for message in ana.messages for data in message.button_data.values()}
        if data.startswith(("ss:", "pn:where:", "rm:")) and not data.startswith("ss:start:")
    )
    assert [data.split(":")[0] for data in anas_buttons].count("rm") == 3
    assert any(data.startswith("ss:next:") for data in anas_buttons)
    assert any(data.startswith("pn:where:") for data in anas_buttons)

    for data in anas_buttons:
        clock.advance(timedelta(seconds=1))  # a press a second: faster is a flood, held back
        answer = await bob.answer_to(press(emulator, bob, data, bot_message_with_button(bob, data)))
        assert answer in (STALE, text("en", "reminders.stale")), data

    assert await rows_of(bot.core.db, [ana.user_id]) == anas_rows
    await ana.assert_silent(0.2)
    await ana.tap(NEXT)  # her own buttons still act: nobody moved her session on
    await ana.expect("Step 1 of")



async def test_operator_commands_and_buttons_refuse_everyone_else(
    admin_bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    operator = emulator.patient(first_name="Olga", user_id=ADMIN_ID)
    mallory = emulator.patient(first_name="Mallory")
    await onboarded_patient(admin_bot.core.db, mallory.user_id, clock.now())
    await operator.send("/broadcast Rest today")
    preview = await operator.expect("This goes to")
    send_data = preview.button_data[text("en", "admin.broadcast_send")]

    for command in ("/stats", "/broadcast Buy my pills", "/stats@sibot_bot"):
        await mallory.send(command)
        assert (await mallory.next_message()).text == text("en", "common.unknown_command")
    answer = await mallory.answer_to(press(emulator, mallory, send_data, bot_message_with_button(mallory, send_data)))
    assert answer == text("en", "settings.unknown_button")
    group = {"id": -4242, "type": "group", "title": "Clinic staff"}
    emulator.feed_update({"message": {"message_id": 1, "from": operator.user, "chat": group,
                                      "date": unix_now(), "text": "/stats"}})
    pointer = await emulator.world.chat_for(group).changes.wait_until(
        lambda: next((m for m in emulator.sent_messages(-4242)), None), 5
    )
    assert pointer.body["text"] == text("en", "onboarding.private_only")

    async with admin_bot.core.db.transaction() as session:
        [draft] = await session.scalars(select(Broadcast))
    assert draft.confirmed_at is None and draft.sent == 0
    assert not any("pills" in message.text or "Rest today" in message.text for message in mallory.messages)


def _forged_message(emulator: Emulator, sender: TelegramUser, chat: TelegramUser, text_: str) -> None:
    """A message "from" `sender` in `chat`'s private chat, as only a forger could send it."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text_.split()[0])}]
    emulator.feed_update({"message": {"message_id": chat.chat.next_message_id(), "from": sender.user,
                                      "chat": chat.chat.info, "date": unix_now(), "text": text_,
                                      "entities": entities}})


async def test_updates_whose_private_chat_is_not_the_senders_are_dropped(
    admin_bot: BotHarness, emulator: Emulator, clock: ManualClock, production_log_lines: io.StringIO
) -> None:
    ana = await _ana_with_a_bit_of_everything(admin_bot, emulator, clock)
    operator = emulator.patient(first_name="Olga", user_id=ADMIN_ID)
    mallory = emulator.patient(first_name="Mallory")
    await onboarded_patient(admin_bot.core.db, mallory.user_id, clock.now())
    await operator.send("/broadcast Rest today")
    send_data = (await operator.expect("This goes to")).button_data[text("en", "admin.broadcast_send")]
    await ana.send("/delete")
    erase_data = (await ana.expect("erases everything")).button_data[text("en", "diary.delete.yes")]
    anas_rows = await rows_of(admin_bot.core.db, [ana.user_id])

    _forged_message(emulator, mallory, ana, "/export")  # Mallory's data into Ana's chat
    for command in ("/export", "/report", "/progress"):
        _forged_message(emulator, ana, mallory, command)
    for command in ("/stats", "/broadcast Buy my pills"):
        _forged_message(emulator, operator, mallory, command)
    press(emulator, ana, erase_data, bot_message_with_button(mallory, erase_data))
    press(emulator, operator, send_data, bot_message_with_button(mallory, send_data))
    await mallory.send("/help")  # handled after every forged update of her chat
    await mallory.expect("/exercise")

    # Only the two buttons the forger "pressed" and the answer to her own /help.
    assert [m.text for m in mallory.messages][:2] == ["An older message"] * 2
    assert len(mallory.messages) == 3 and mallory.callback_answers == []
    await ana.assert_silent(0.2)
    assert await rows_of(admin_bot.core.db, [ana.user_id]) == anas_rows
    async with admin_bot.core.db.transaction() as session:
        [draft] = await session.scalars(select(Broadcast))
    assert draft.confirmed_at is None and draft.sent == 0
    dropped = [line for line in production_log_lines.getvalue().splitlines() if "update dropped" in line]
    assert len(dropped) == 8
    assert all("WARNING" in line and str(mallory.user_id) in line for line in dropped)
    assert not any(name in line for line in dropped for name in ("Ana", "Mallory", "/export"))


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_telegram_error_quoting_the_request_url_is_redacted(fmt: str) -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    lines = io.StringIO()
    log = logging.getLogger("sibot.test.redaction")
    handler = log_handler(lines, fmt, [TOKEN])
    log.addHandler(handler)
    try:
        log.warning("request to %s failed", url)
        log.info("HTTP Request: GET %s", f"http://127.0.0.1/file/bot{quote(TOKEN, safe='')}/photos/chart.png")
        try:
            try:
                raise NetworkError(f"aiohttp.ClientConnectorError: could not reach {url}")
            except NetworkError as cause:
                raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.") from cause
        except InvalidToken:
            log.exception("update failed")
    finally:
        log.removeHandler(handler)
    written = lines.getvalue()
    assert TOKEN_SECRET not in written
    assert written.count("[redacted]") == 4
    assert "update failed" in written and "ClientConnectorError" in written
