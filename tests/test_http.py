"""sibot's aiohttp transport keeps PTB's contract: answers, files, and PTB's errors for faults."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from telegram.error import BadRequest, NetworkError, TimedOut

from handlers.ptb.http import AiohttpRequest
from sibot.emulator import Emulator
from tests.harness import TOKEN


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, request=AiohttpRequest(read_timeout=0.5)) as client:
        yield client


async def test_a_message_and_a_file_arrive_as_sent(client: Bot, emulator: Emulator) -> None:
    patient = emulator.patient()
    await client.send_message(patient.user_id, "Hello <b>there</b> · ✅", parse_mode="HTML")
    await client.send_document(patient.user_id, b"%PDF-1.4 bytes", filename="report.pdf", caption="Your report")
    text, document = await patient.next_message(), await patient.next_message()
    assert text.text == "Hello there · ✅"
    assert (document.document, document.filename, document.text) == (b"%PDF-1.4 bytes", "report.pdf", "Your report")


async def test_buttons_and_entities_arrive_as_sent(client: Bot, emulator: Emulator) -> None:
    # Plain calls go as one JSON body, with the keyboard and the entities as nested objects.
    patient = emulator.patient()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Start ▶", callback_data="s:start")]])
    bold = MessageEntity(MessageEntity.BOLD, offset=0, length=5)
    sent = await client.send_message(patient.user_id, "Hello there", reply_markup=keyboard, entities=[bold])
    message = await patient.next_message()
    assert (message.text, message.button_data) == ("Hello there", {"Start ▶": "s:start"})
    assert sent.entities == (bold,) and sent.reply_markup == keyboard


async def test_telegram_refusals_come_back_as_ptb_errors(client: Bot, emulator: Emulator) -> None:
    with pytest.raises(BadRequest):
        await client.send_message(emulator.patient().user_id, "")


async def test_a_late_answer_is_timed_out(client: Bot, emulator: Emulator) -> None:
    emulator.faults.add("timeout", method="getMe", delay=2.0)
    with pytest.raises(TimedOut):
        await client.get_me()


async def test_a_dropped_connection_is_a_network_error(client: Bot, emulator: Emulator) -> None:
    emulator.faults.add("drop", method="getMe")
    with pytest.raises(NetworkError, match="aiohttp"):
        await client.get_me()
    assert (await client.get_me()).is_bot  # the next call goes through on a new connection


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/getMe", "POST")
