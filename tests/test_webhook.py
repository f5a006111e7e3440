"""Webhook mode and /healthz with the real bot process; the second-poller stop in polling mode."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import build_application
from handlers.ptb.webhook import build_web_app
from sibot.emulator import Emulator
from sibot.settings import load_settings
from tests.harness import TOKEN
from tests.processes import BotProcess, free_port, webhook_process

SECRET = "webhook-secret_0123456789"
ADMIN_ID = 777


@pytest.fixture
async def webhook_bot(emulator: Emulator, tmp_path: Path) -> AsyncIterator[tuple[BotProcess, str]]:
    port = free_port()
    process = webhook_process(
        emulator.base_url,
        f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
        port,
        WEBHOOK_SECRET_TOKEN=SECRET,
        SIBOT_ADMIN_IDS=str(ADMIN_ID),
    )
    await process.start()
    await process.wait_for_log("webhook set")
    yield process, f"http://127.0.0.1:{port}"
    await process.terminate()


def _update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ana"}
    message = {
        "message_id": update_id, "date": 0, "chat": {"id": user_id, "type": "private"},
        "from": user, "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }
    return {"update_id": update_id, "message": message}


async def test_telegram_delivers_updates_to_the_webhook(
    emulator: Emulator, webhook_bot: tuple[BotProcess, str]
) -> None:
    info = [r for r in emulator.requests if r.method == "setWebhook"][-1].payload
    assert info["url"].endswith("/telegram") and info["secret_token"] == SECRET

    operator = emulator.patient(user_id=ADMIN_ID)
    await operator.send("/stats")
    assert "sibot figures" in (await operator.next_message(timeout=10)).text
    assert all(attempt.status == 200 for attempt in emulator.webhook.attempts)


async def test_posts_without_the_secret_header_are_refused(
    emulator: Emulator, webhook_bot: tuple[BotProcess, str]
) -> None:
    _, address = webhook_bot
    operator = emulator.patient(user_id=ADMIN_ID)
    forged = json.dumps(_update(9001, ADMIN_ID, "/stats"))
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            async with http.post(f"{address}/telegram", data=forged, headers=headers) as answer:
                assert answer.status == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        async with http.post(f"{address}/telegram", data="{not json", headers=right) as answer:
            assert answer.status == 400
        await operator.assert_silent(0.5)
        async with http.post(f"{address}/telegram", data=forged, headers=right) as answer:
            assert answer.status == 200
    assert "sibot figures" in (await operator.next_message(timeout=10)).text


async def test_healthz_reports_a_running_bot(webhook_bot: tuple[BotProcess, str]) -> None:
    _, address = webhook_bot
    async with aiohttp.ClientSession() as http:
        # 503 until the dispatcher's first tick has got through, a moment after the start
        for _ in range(100):
            async with http.get(f"{address}/healthz") as answer:
                report = await answer.json()
            if answer.status == 200 or report["dispatcher_last_tick"] is not None:
                break
            await asyncio.sleep(0.05)
    assert answer.status == 200, report
    assert report["database"] == "ok" and report["dispatcher"] == "ok"


async def test_a_webhook_port_in_use_stops_the_start_with_a_clear_message(
    emulator: Emulator, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        process = webhook_process(emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}", port)
        await process.start()
        assert await process.wait() == 1
    critical = [line for line in process.log_lines if line.get("level") == "CRITICAL"]
    assert len(critical) == 1 and f"127.0.0.1:{port}" in critical[0]["message"]
    assert "WEBHOOK_PORT" in critical[0]["message"]
    assert not any("Traceback" in line for line in process.raw_log)
    # Telegram was never told to post to a port the bot could not open.
    assert not [request for request in emulator.requests if request.method == "setWebhook"]


async def test_a_webhook_telegram_refuses_stops_the_start_with_a_clear_message(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults.add("5xx", method="setWebhook", status=400)
    process = webhook_process(emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}", free_port())
    await process.start()
    assert await process.wait() == 1
    critical = [line for line in process.log_lines if line.get("level") == "CRITICAL"]
    assert len(critical) == 1 and "WEBHOOK_URL" in critical[0]["message"]
    assert not any("Traceback" in line for line in process.raw_log)


async def test_healthz_is_503_when_the_database_is_unreachable(emulator: Emulator) -> None:
    settings = load_settings(
        require_token=False,
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/gone",
        TELEGRAM_API_BASE_URL=emulator.base_url,
    )
    application = build_application(settings, token=TOKEN)
    web_app = build_web_app(application, path="/telegram", secret=SECRET)
    async with TestClient(TestServer(web_app)) as client:
        answer = await client.get("/healthz")
        report = await answer.json()
    assert answer.status == 503
    assert report["database"] == "unreachable" and report["status"] == "unavailable"


async def test_a_second_poller_takes_over_and_the_first_stops_cleanly(emulator: Emulator, tmp_path: Path) -> None:
    first = BotProcess(emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    second = BotProcess(emulator.base_url, f"sqlite+aiosqlite:///{tmp_path / 'two.db'}")
    await first.start()
    await first.wait_for_log("ready")
    await second.start()
    stopped = await first.wait(timeout=30)
    assert stopped == 1
    assert any("another process is polling" in line.get("message", "") for line in first.log_lines)
    # The newer poller stays and serves: the one that stopped did not poll once more on its way
    # out, which would have cut off the newer one's poll as well.
    patient = emulator.patient()
    await patient.send("/start")
    assert "sacroiliac" in (await patient.next_message(timeout=15)).text
    assert not any(line.get("level") == "CRITICAL" for line in second.log_lines)
    assert await second.terminate() == 0
