"""The webhook's trust boundary, against the real `python bot.py` process: it always demands a
secret, refuses bad calls with 400 or 403 and never a traceback, drops updates whose private chat
is not their sender's, and a flood of bad calls writes a few log lines, not one a call."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot

from handlers.ptb.webhook import NotAnUpdate, Refusal, RefusedCalls, parse_update, webhook_secret
from sibot.db import Database
from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.world import unix_now
from sibot.models import Patient
from sibot.settings import load_settings
from tests.factories import onboarded_patient
from tests.harness import TOKEN
from tests.processes import BotProcess, free_port, webhook_process

SECRET = "webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN_ID = 777
DROPPED = "update dropped: its private chat is not its sender's"


async def _database_with(tmp_path: Path, *patients: TelegramUser) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}"
    database = Database(url)
    await database.upgrade()
    for patient in patients:
        await onboarded_patient(database, patient.user_id, datetime.now(UTC))
    await database.dispose()
    return url


async def _webhook_bot(url: str, emulator: Emulator, **environment: str) -> tuple[BotProcess, str]:
    port = free_port()
    process = webhook_process(emulator.base_url, url, port, SIBOT_ADMIN_IDS=str(ADMIN_ID), **environment)
    await process.start()
    await process.wait_for_log("webhook set")
    return process, f"http://127.0.0.1:{port}/telegram"


@pytest.fixture
async def webhook_bot(emulator: Emulator, tmp_path: Path) -> AsyncIterator[tuple[BotProcess, str]]:
    process, address = await _webhook_bot(
        await _database_with(tmp_path), emulator, WEBHOOK_SECRET_TOKEN=SECRET
    )
    yield process, address
    await process.terminate()


def _forged(sender: TelegramUser, chat: TelegramUser, text: str, update_id: int = 90001) -> str:
    """An update "from" `sender` in `chat`'s private chat, as only a forger would post it."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message = {"message_id": 1, "from": sender.user, "chat": chat.chat.info, "date": unix_now(),
               "text": text, "entities": entities}
    return json.dumps({"update_id": update_id, "message": message})


def _forged_press(sender: TelegramUser, data: str) -> str:
    """A press "from" `sender` on a button of the bot's in their own chat."""
    message = {"message_id": 1, "date": unix_now(), "chat": sender.chat.info, "text": "Sure?"}
    press = {"id": "1", "from": sender.user, "chat_instance": "1", "message": message, "data": data}
    return json.dumps({"update_id": 90002, "callback_query": press})


async def _post(address: str, body: str | bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(address, data=body, headers=headers) as answer:
        return answer.status


def test_the_secret_is_webhook_secret_token_or_else_derived_from_the_bot_token() -> None:
    configured = load_settings(require_token=False, WEBHOOK_SECRET_TOKEN=SECRET)
    unset = configured.model_copy(update={"webhook_secret_token": None})

    assert webhook_secret(configured, TOKEN) == SECRET
    derived = webhook_secret(unset, TOKEN)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", derived)
    assert webhook_secret(unset, TOKEN) == derived  # every replica of the bot posts the same
    assert webhook_secret(unset, TOKEN + "x") != derived
    assert TOKEN.split(":")[1][:8] not in derived


async def test_without_webhook_secret_token_forged_calls_are_still_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    ana, mallory = emulator.patient(first_name="Ana"), emulator.patient(first_name="Mallory")
    operator = emulator.patient(first_name="Olga", user_id=ADMIN_ID)
    url = await _database_with(tmp_path, ana, mallory)
    process, address = await _webhook_bot(url, emulator, SIBOT_LOG_LEVEL="DEBUG")
    try:
        secret = [r for r in emulator.requests if r.method == "setWebhook"][-1].payload["secret_token"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
        forgeries = [_forged(ana, mallory, "/export"), _forged(ana, mallory, "/report"),
                     _forged(operator, mallory, "/stats"), _forged(operator, mallory, "/broadcast Pills"),
                     _forged_press(operator, "ad:send:1"), _forged_press(ana, f"dl:yes:{unix_now()}")]
        for body in forgeries:
            for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET}):
                assert await _post(address, body, headers) == 403

        await mallory.send("/help")  # Telegram's own post carries the secret
        await mallory.expect("/exercise")
        assert len(mallory.messages) == 1
        await ana.assert_silent(0.2)
        await operator.assert_silent(0.1)
        assert ana.callback_answers == operator.callback_answers == []
        database = Database(url)
        async with database.transaction() as session:
            assert await session.get(Patient, ana.user_id) is not None
        await database.dispose()
    finally:
        assert await process.terminate() == 0
    assert secret not in "\n".join(process.raw_log)


def _nested_replies(depth: int) -> str:
    """A message replying to a message replying to ...: JSON can read it, PTB's parser cannot."""
    message = '{"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}'
    replies = (message + ', "reply_to_message": ') * depth
    return '{"update_id": 1, "message": ' + replies + message + "}" * (depth + 2)


def _dated(date: object) -> str:
    message = {"message_id": 1, "date": date, "chat": {"id": 1, "type": "private"}, "text": "hi"}
    return json.dumps({"update_id": 1, "message": message})


BAD_BODIES: dict[str, str | bytes] = {
    "null": "null",
    "a list": "[]",
    "a string": '"x"',
    "a number": "5",
    "no update_id": "{}",
    "a text update_id": '{"update_id": "1"}',
    "a number for a message": '{"update_id": 1, "message": 5}',
    "deeply nested JSON": "[" * 100_000 + "]" * 100_000,
    "a deeply nested update": _nested_replies(600),
    "a date past year 9999": _dated(10**20),
    "a date that is not a number": _dated("soon"),
    "not JSON": "{not json",
    "not UTF-8": b"\xff\xfe\x00",
}


async def test_bad_calls_are_refused_without_a_traceback(
    emulator: Emulator, webhook_bot: tuple[BotProcess, str]
) -> None:
    process, address = webhook_bot
    right = {SECRET_HEADER: SECRET, "Content-Type": "application/json; charset=made-up"}
    for name, body in BAD_BODIES.items():
        assert await _post(address, body, right) == 400, name
    non_ascii = "sécret".encode().decode("latin-1")  # how a client puts UTF-8 in a header
    assert await _post(address, _dated(0), {SECRET_HEADER: non_ascii}) == 403
    assert await _post(address, b" " * 2**21, right) == 413  # aiohttp's 1 MiB limit

    operator = emulator.patient(user_id=ADMIN_ID)
    await operator.send("/stats")  # the bot goes on serving
    assert "sibot figures" in (await operator.next_message(timeout=10)).text
    assert await process.terminate() == 0
    assert not any("Traceback" in line for line in process.raw_log)
    assert not any(line.get("level") in ("ERROR", "CRITICAL") for line in process.log_lines)


async def test_an_update_whose_private_chat_is_not_the_senders_is_dropped(
    emulator: Emulator, webhook_bot: tuple[BotProcess, str]
) -> None:
    process, address = webhook_bot
    ana, mallory = emulator.patient(first_name="Ana"), emulator.patient(first_name="Mallory")
    # The secret leaked (a proxy's log, say): the update is taken, and then dropped.
    assert await _post(address, _forged(ana, mallory, "/export"), {SECRET_HEADER: SECRET}) == 200
    dropped = await process.wait_for_log(DROPPED)
    assert dropped["level"] == "WARNING"
    assert (dropped["user_id"], dropped["chat_id"]) == (ana.user_id, mallory.user_id)
    await mallory.assert_silent(0.3)


async def test_a_flood_of_bad_calls_writes_a_bounded_log(webhook_bot: tuple[BotProcess, str]) -> None:
    process, address = webhook_bot
    calls = 3000
    in_flight = asyncio.Semaphore(32)

    async def call(http: aiohttp.ClientSession, number: int) -> int:
        bad_secret, bad_body = ({SECRET_HEADER: "guess"}, "{}"), ({SECRET_HEADER: SECRET}, "null")
        headers, body = bad_secret if number % 2 else bad_body
        async with in_flight, http.post(address, data=body, headers=headers) as answer:
            return answer.status

    lines_before = len(process.log_lines)
    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(*(call(http, number) for number in range(calls)))
    assert await process.terminate() == 0  # a stop logs what the last minute counted

    written = process.log_lines[lines_before:]
    refusals = [line for line in written if "refused" in line.get("message", "")]
    print(f"{calls} bad webhook calls: {len(written)} log lines ({len(refusals)} about them)")
    assert sorted(statuses) == [400] * (calls // 2) + [403] * (calls // 2)
    first, summary = refusals
    assert first["message"].startswith("webhook call refused")
    assert summary["bad_secret"] + summary["bad_body"] == calls - 1
    assert summary["message"] == (
        f"{calls - 1} webhook calls refused in the last minute: "
        f"{summary['bad_secret']} bad secret, {summary['bad_body']} bad body"
    )
    assert len(written) - len(refusals) <= 5  # the stop's own few lines


async def test_refusals_are_logged_first_at_once_then_once_a_minute_until_a_quiet_one(
    production_log_lines: io.StringIO,
) -> None:
    refused = RefusedCalls()

    def lines() -> list[dict[str, Any]]:
        written = [json.loads(line) for line in production_log_lines.getvalue().splitlines()]
        return [line for line in written if line["logger"] == "handlers.ptb.webhook"]

    refused.refuse(Refusal.BAD_SECRET, "no header")
    for _ in range(4):
        refused.refuse(Refusal.BAD_BODY, "ValueError")
    refused.refuse(Refusal.BAD_SECRET, "no header")
    assert len(lines()) == 1
    refused.summarize()  # a minute on
    assert lines()[-1]["message"] == "5 webhook calls refused in the last minute: 1 bad secret, 4 bad body"
    refused.summarize()  # a quiet minute: no line, and the spell ends
    refused.refuse(Refusal.BAD_BODY, "ValueError")
    assert [line["message"].split(":")[0] for line in lines()] == [
        "webhook call refused", "5 webhook calls refused in the last minute", "webhook call refused"
    ]
    refused.close()
    assert len(lines()) == 3


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["update_id", "message", "date", "chat", "id", "type", "from", "text",
                         "callback_query", "data", "message_id", "reply_to_message"]),
        inner, max_size=4,
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_any_json_is_an_update_or_not_an_update(payload: object) -> None:
    body = json.dumps(payload).encode()
    try:
        assert parse_update(body, PARSING_BOT).update_id == payload["update_id"]  # type: ignore[index]
    except NotAnUpdate:
        pass


PARSING_BOT = Bot(TOKEN)
