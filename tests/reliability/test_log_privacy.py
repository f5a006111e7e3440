"""What the logs of a real bot process never hold, at DEBUG, in polling and in webhook mode.

A patient goes through onboarding (pregnant) while another, onboarded before, does a session,
/pain, free text and /report (side by side: Telegram's one message a second per chat makes each
walk take seconds); then the database refuses writes (a trigger stands for a full disk or a rule
of the operator's), so that a check-in and a new patient's row fail with their health data and
name as bound parameters; then the bot is started with a token Telegram refuses. Every line the
processes wrote, on stdout and on stderr, is searched for the token in all its spellings, the
patients' names and what they typed.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from sibot.db import Database
from sibot.emulator import Emulator, TelegramUser
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import TOKEN
from tests.processes import BotProcess, free_port

NAME, OTHER_NAME, NEWCOMER = "Zebediah", "Philomena", "Quintessa"
TYPED = ("Kathmandu", "7.45 pm", "my private words quokka")
# A token of the right shape that the emulator (and so "Telegram") does not know.
REFUSED_TOKEN = "987654321:AAF-refused-token-zyxwvutsrqponm"
REFUSE_WRITES = """
    CREATE TRIGGER refuse_checkins BEFORE INSERT ON checkins BEGIN SELECT RAISE(ABORT, 'disk full'); END;
    CREATE TRIGGER refuse_patients BEFORE INSERT ON patients BEGIN SELECT RAISE(ABORT, 'disk full'); END;
"""


def _spellings(token: str) -> list[str]:
    return [token, quote(token, safe=""), token.split(":", 1)[1]]


PRIVATE = [*_spellings(TOKEN), *_spellings(REFUSED_TOKEN), NAME, OTHER_NAME, NEWCOMER, *TYPED]
_TEXT_LINE = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): ")


def _level_and_logger(line: str) -> tuple[str, str] | None:
    """The level and logger of a log line in either format; None for a traceback's lines."""
    if line.startswith("{"):
        entry = json.loads(line)
        return entry["level"], entry["logger"]
    match = _TEXT_LINE.match(line)
    return (match["level"], match["logger"]) if match else None


def _bot(emulator: Emulator, database: Path, mode: str, fmt: str) -> BotProcess:
    environment = {"SIBOT_LOG_LEVEL": "DEBUG", "SIBOT_LOG_FORMAT": fmt}
    if mode == "webhook":
        # The token as the webhook path, as PTB's own webhook examples have it.
        port = free_port()
        environment |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/{TOKEN}",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
        }
    return BotProcess(emulator.base_url, f"sqlite+aiosqlite:///{database}", **environment)


async def _ready(process: BotProcess) -> None:
    """Until the bot logged that it is ready, in either format."""
    async with asyncio.timeout(20):
        while not any(" sibot: ready " in line or '"message": "ready"' in line for line in process.raw_log):
            assert process.process is not None and process.process.returncode is None, process.raw_log[-5:]
            await asyncio.sleep(0.05)


async def _onboard_pregnant(patient: TelegramUser) -> None:
    await patient.send("/start")
    await patient.expect("not a medical device")
    await patient.tap(text("en", "onboarding.accept"))
    for _ in range(5):
        question = await patient.expect("Question")
        none_apply = text("en", "onboarding.none_apply")
        await patient.tap(none_apply if none_apply in question.labels else text("en", "onboarding.no"))
    await patient.expect("Question 6 of 6")
    await patient.tap(text("en", "onboarding.yes"))  # pregnant
    await patient.expect("time zone")
    await patient.send(TYPED[0])
    await patient.expect("Asia/Kathmandu")
    await patient.tap(text("en", "onboarding.zone.right"))
    await patient.expect("remind you")
    await patient.send(TYPED[1])
    await patient.expect("19:45")
    await patient.tap(text("en", "settings.days.every_day"))
    await patient.expect("hurt right now")
    await patient.tap("6")
    await patient.expect("All set")


async def _onboarded_before(database: Path, patient: TelegramUser) -> None:
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        await db.upgrade()
        await onboarded_patient(
            db, patient.user_id, datetime.now(UTC), name=OTHER_NAME, pregnant=True, pace="own"
        )
    finally:
        await db.dispose()


async def _use_everything(patient: TelegramUser) -> None:
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    await patient.tap("3")
    await patient.expect("Hip adduction")
    await patient.tap(text("en", "session.button.next"))
    await patient.next_message()
    await patient.tap(text("en", "session.button.stop"))
    await patient.next_message()
    await patient.send("/pain 7")
    await patient.expect("Pain 7/10 saved")
    await patient.send(TYPED[2])
    await patient.next_message()
    await patient.send("/report")
    report = await patient.next_message(timeout=30)
    assert report.document is not None


async def _fail_two_writes(emulator: Emulator, patient: TelegramUser, database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.executescript(REFUSE_WRITES)
    await patient.send("/pain 9")
    await patient.expect(text("en", "common.error"))
    newcomer = emulator.patient(first_name=NEWCOMER)
    await newcomer.send("/start")
    await newcomer.expect(text("en", "common.error"))


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "fmt"), [("polling", "text"), ("webhook", "json")])
async def test_no_log_line_holds_the_token_a_name_or_what_a_patient_typed(
    emulator: Emulator, tmp_path: Path, mode: str, fmt: str
) -> None:
    database = tmp_path / "private.db"
    patient = emulator.patient(first_name=NAME, language_code="en")
    other = emulator.patient(first_name=OTHER_NAME, language_code="en")
    await _onboarded_before(database, other)
    bot = _bot(emulator, database, mode, fmt)
    await bot.start()
    await _ready(bot)
    await asyncio.gather(_onboard_pregnant(patient), _use_everything(other))
    await _fail_two_writes(emulator, patient, database)
    assert await bot.terminate() == 0

    refused = _bot(emulator, tmp_path / "refused.db", mode, fmt)
    refused.environment["TELEGRAM_BOT_TOKEN"] = REFUSED_TOKEN
    await refused.start()
    assert await refused.wait() == 2  # a cause only the operator can fix

    lines = [line for process in (bot, refused) for line in (*process.raw_log, *process.stdout)]
    written = "\n".join(lines)
    leaks = [(private, line[:300]) for line in lines for private in PRIVATE if private in line]
    assert leaks == []
    # What the test made happen is in the log, and only the parameters are hidden.
    assert written.count("update failed") == 2 and "disk full" in written
    assert "SQL parameters hidden" in written and "[parameters:" not in written
    assert "CRITICAL" in "\n".join(refused.raw_log)
    if mode == "webhook":
        assert "webhook set" in written
    # At DEBUG the bot's own lines come at every level, and the libraries' (fontTools writes the
    # glyphs of a report, PTB whole requests) only from WARNING up.
    levels = {_level_and_logger(line) for process in (bot, refused) for line in process.raw_log} - {None}
    assert ("INFO", "sibot.updates") in levels
    assert {(level, logger) for level, logger in levels if level in ("DEBUG", "INFO")
            and not logger.startswith(("sibot", "handlers"))} == set()
