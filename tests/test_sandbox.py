"""The sandbox: the terminal chat on the emulator, and `python bot.py --sandbox` in a pseudo-terminal."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pexpect
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.formatting import parse_html
from sibot.emulator.terminal import TerminalChat
from sibot.texts import text
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02\x08\x02\x00\x00\x00"


class Screen:
    """What the terminal chat wrote, and a way to wait for something to show up on it."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self._changed = asyncio.Event()

    def write(self, text: str) -> None:
        self.written.append(text)
        self._changed.set()

    @property
    def text(self) -> str:
        return "".join(self.written)

    async def shows(self, fragment: str, timeout: float = 5) -> None:
        async with asyncio.timeout(timeout):
            while fragment not in self.text:
                self._changed.clear()
                await self._changed.wait()


class Chat:
    """A terminal chat running in the test's loop, typed into line by line."""

    def __init__(self, patient: TelegramUser, folder: Path) -> None:
        self.patient = patient
        self.screen = Screen()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.terminal = TerminalChat(
            patient, folder, read_line=self._lines.get, write=self.screen.write, width=60
        )
        self.task = asyncio.create_task(self.terminal.run())

    def type(self, line: str | None) -> None:
        self._lines.put_nowait(line)

    async def ended(self) -> None:
        await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def telegram_bot(emulator: Emulator) -> AsyncIterator[Bot]:
    """Plays the bot's side: PTB's Bot sending to the emulator."""
    emulator.limits.chat_rate = None
    bot = Bot(
        TOKEN,
        base_url=emulator.base_url,
        base_file_url=f"http://127.0.0.1:{emulator.port}/file/bot",
    )
    async with bot:
        yield bot


@pytest.fixture
async def chat(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Chat]:
    running = Chat(emulator.patient(first_name="Sam"), tmp_path / "files")
    yield running
    if not running.task.done():
        running.type("/quit")
        await running.ended()


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def _updates(bot: Bot, count: int) -> list[Update]:
    """The next `count` updates the bot receives, confirmed so later calls see only newer ones."""
    received: list[Update] = []
    offset: int | None = None
    async with asyncio.timeout(5):
        while len(received) < count:
            received += await bot.get_updates(offset=offset, timeout=1)
            offset = received[-1].update_id + 1 if received else None
    await bot.get_updates(offset=offset, timeout=0)
    return received


async def _pressed(bot: Bot, count: int = 1) -> list[tuple[str | None, int]]:
    """The button presses the bot received: callback data and the message they were on."""
    return [
        (u.callback_query.data, u.callback_query.message.message_id)  # type: ignore[union-attr]
        for u in await _updates(bot, count)
        if u.callback_query is not None
    ]


async def _typed(bot: Bot, count: int) -> list[str | None]:
    return [u.message.text for u in await _updates(bot, count) if u.message is not None]


# --- The terminal chat -----------------------------------------------------------------------


async def test_messages_are_printed_wrapped_with_numbered_buttons(
    telegram_bot: Bot, chat: Chat
) -> None:
    long_line = (
        "Lie on your back with your knees bent and your feet flat on the floor, hip width apart."
    )
    await telegram_bot.send_message(
        chat.patient.user_id,
        f"<b>Knee to chest</b>\n{long_line}",
        parse_mode="HTML",
        reply_markup=_keyboard([("Start", "ss:start"), ("Skip", "ss:skip")], [("Stop", "ss:stop")]),
    )

    await chat.screen.shows("[3] Stop")

    shown = chat.screen.text
    assert "sibot:\n       Knee to chest\n" in shown
    assert "<b>" not in shown
    assert all(len(line) <= 60 for line in shown.splitlines())
    assert re.search(r"Lie on your back.*\n\s+.*hip width apart\.", shown)
    assert "[1] Start   [2] Skip   [3] Stop" in shown


async def test_a_number_presses_that_button_on_the_newest_message_with_buttons(
    telegram_bot: Bot, chat: Chat
) -> None:
    user = chat.patient.user_id
    await telegram_bot.send_message(user, "Old", reply_markup=_keyboard([("A", "old:a")]))
    newest = await telegram_bot.send_message(
        user, "New", reply_markup=_keyboard([("B", "new:b"), ("C", "new:c")])
    )
    await telegram_bot.send_message(user, "No buttons here")
    await chat.screen.shows("No buttons here")

    chat.type("2")

    assert await _pressed(telegram_bot) == [("new:c", newest.message_id)]


async def test_a_number_without_such_a_button_is_sent_as_text(
    telegram_bot: Bot, chat: Chat
) -> None:
    await telegram_bot.send_message(
        chat.patient.user_id, "Pick", reply_markup=_keyboard([("Only", "x:1")])
    )
    await chat.screen.shows("[1] Only")

    chat.type("7")
    chat.type("hello there")

    assert await _typed(telegram_bot, 2) == ["7", "hello there"]


async def test_buttons_labelled_with_numbers_are_pressed_by_their_number(
    telegram_bot: Bot, chat: Chat
) -> None:
    """The pain scale: typing 4 records 4, and the other buttons take the numbers left over."""
    scale = [[(str(n), f"pn:score:{n}") for n in range(row, min(row + 6, 11))] for row in (0, 6)]
    sent = await telegram_bot.send_message(
        chat.patient.user_id,
        "How much does it hurt?",
        reply_markup=_keyboard([("Start now", "ss:start"), ("Skip today", "rm:skip")], *scale),
    )
    await chat.screen.shows("[10]")

    assert "[11] Start now   [12] Skip today   [0]   [1]   [2]" in " ".join(chat.screen.text.split("\n"))
    for typed in ("4", "0", "10", "12"):
        chat.type(typed)
    assert await _pressed(telegram_bot, 4) == [
        ("pn:score:4", sent.message_id), ("pn:score:0", sent.message_id),
        ("pn:score:10", sent.message_id), ("rm:skip", sent.message_id),
    ]


async def test_a_pointer_to_the_attachment_menu_gets_what_works_here(
    telegram_bot: Bot, chat: Chat
) -> None:
    await telegram_bot.send_message(chat.patient.user_id, "Share your location (📎 → Location).")
    await chat.screen.shows("/location LATITUDE LONGITUDE")
    assert "the sandbox has no 📎 menu" in chat.screen.text


async def test_edits_and_deletions_are_shown_as_such(telegram_bot: Bot, chat: Chat) -> None:
    user = chat.patient.user_id
    sent = await telegram_bot.send_message(
        user, "Hold for 5 seconds", reply_markup=_keyboard([("Pause", "ss:pause")])
    )
    await telegram_bot.edit_message_text("Relax", chat_id=user, message_id=sent.message_id)
    await telegram_bot.delete_message(user, sent.message_id)

    await chat.screen.shows("deleted")

    assert "sibot (edited):\n       Relax\n" in chat.screen.text
    assert "(sibot deleted the message 'Relax')" in chat.screen.text


async def test_a_pressed_buttons_answer_is_shown(telegram_bot: Bot, chat: Chat) -> None:
    await telegram_bot.send_message(
        chat.patient.user_id, "Pain?", reply_markup=_keyboard([("3", "pn:3")])
    )
    await chat.screen.shows("[3]")
    chat.type("3")
    [update] = await _updates(telegram_bot, 1)
    assert update.callback_query is not None

    await update.callback_query.answer("Saved")

    await chat.screen.shows("(sibot: Saved)")


async def test_photos_animations_and_documents_are_saved_and_their_path_printed(
    telegram_bot: Bot, chat: Chat, tmp_path: Path
) -> None:
    user = chat.patient.user_id
    gif = b"GIF89a" + bytes(20)
    await telegram_bot.send_photo(user, PNG, caption="Your week")
    await telegram_bot.send_animation(user, gif, caption="Hip adduction", filename="move.gif")
    await telegram_bot.send_document(user, b"date,score\n", filename="diary.csv")

    await chat.screen.shows("diary.csv]")

    paths = re.findall(r"\[file saved: (.+)\]", chat.screen.text)
    assert [Path(p).read_bytes() for p in paths] == [PNG, gif, b"date,score\n"]
    assert all(Path(p).parent == tmp_path / "files" for p in paths)
    assert "Your week" in chat.screen.text


async def test_reply_keyboard_buttons_send_their_text_until_removed(
    telegram_bot: Bot, chat: Chat
) -> None:
    user = chat.patient.user_id
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share my location", request_location=True), "Type a city"]]
    )
    await telegram_bot.send_message(user, "Where are you?", reply_markup=keyboard)
    await chat.screen.shows("[2] Type a city")

    chat.type("2")
    chat.type("1")
    await chat.screen.shows("/location LATITUDE LONGITUDE")
    chat.type("/location 52.52 13.40")
    updates = await _updates(telegram_bot, 2)
    await telegram_bot.send_message(user, "Thanks", reply_markup=ReplyKeyboardRemove())
    await chat.screen.shows("Thanks")
    chat.type("1")

    assert [u.message.text for u in updates if u.message and u.message.text] == ["Type a city"]
    locations = [u.message.location for u in updates if u.message and u.message.location]
    assert [(loc.latitude, loc.longitude) for loc in locations] == [(52.52, 13.40)]
    assert await _typed(telegram_bot, 1) == ["1"]


async def test_quit_and_end_of_input_end_the_chat(emulator: Emulator, tmp_path: Path) -> None:
    by_command = Chat(emulator.patient(), tmp_path)
    by_end_of_input = Chat(emulator.patient(), tmp_path)

    by_command.type("/quit")
    by_end_of_input.type(None)

    await by_command.ended()
    await by_end_of_input.ended()
    assert not emulator.updates.pending  # nothing was sent to the bot


# --- python bot.py --sandbox -----------------------------------------------------------------


def _loose(plain: str) -> str:
    """A pattern for text as the terminal wraps it: any run of spaces may become a line break."""
    return r"\s+".join(re.escape(word) for word in plain.split())


def _last_line(html: str) -> str:
    return [line for line in parse_html(html).text.splitlines() if line.strip()][-1]


def _sandbox(tmp_path: Path, **variables: str) -> tuple[pexpect.spawn, io.StringIO]:
    """`python bot.py --sandbox` in a pseudo-terminal, with these environment `variables`, and
    everything it prints."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}",
        "PYTHONUNBUFFERED": "1",
        **variables,
    }
    environment.pop("TELEGRAM_BOT_TOKEN", None)
    child = pexpect.spawn(
        sys.executable,
        [str(ROOT / "bot.py"), "--sandbox"],
        cwd=str(tmp_path),
        env=environment,
        encoding="utf-8",
        timeout=10,
        dimensions=(40, 100),
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    child.expect("Files and logs go to (\\S+)")
    return child, transcript


def test_sandbox_chat_in_a_terminal(tmp_path: Path) -> None:
    child, transcript = _sandbox(tmp_path)
    folder = Path(child.match.group(1))
    child.expect("you> ")

    child.sendline("/start")
    child.expect(_loose(_last_line(text("en", "onboarding.welcome", name=""))))
    child.expect(re.escape(f"[1] {text('en', 'onboarding.accept')}"))
    child.sendline("1")
    child.expect(_loose(text("en", "onboarding.safety.intro")))
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    with closing(sqlite3.connect(tmp_path / "sandbox.db")) as database:
        assert database.execute("SELECT count(*) FROM patients").fetchone() == (1,)
    assert " INFO sibot: ready" in (folder / "sibot.log").read_text()
    assert " INFO " not in transcript.getvalue()


def test_sandbox_ends_on_ctrl_d(tmp_path: Path) -> None:
    child, _ = _sandbox(tmp_path)
    child.expect("you> ")

    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0


@pytest.mark.slow
def test_sandbox_onboarding_types_what_it_means_and_holds_at_the_configured_scale(tmp_path: Path) -> None:
    """The zone question says what works in a terminal, typing 4 on the pain scale records 4, and
    a 5 s hold at SIBOT_HOLD_TIME_SCALE=0.1 relaxes after half a second."""
    child, _ = _sandbox(tmp_path, SIBOT_HOLD_TIME_SCALE="0.1")
    child.expect("you> ")
    child.sendline("/start")
    child.expect(re.escape(f"[1] {text('en', 'onboarding.accept')}"))
    child.sendline("1")
    nothing = "|".join(re.escape(text("en", key)) for key in ("onboarding.no", "onboarding.none_apply"))
    for number in range(1, 7):
        child.expect(re.escape(f"Question {number} of 6"))
        child.expect(rf"\[(\d+)\] ({nothing})")  # No, or the checklist's "None of these"
        child.sendline(child.match.group(1))
    child.expect("the sandbox has no 📎 menu: type /location")
    child.sendline("/location 52.52 13.40")
    child.expect("Europe/Berlin")
    child.expect(re.escape(f"[1] {text('en', 'onboarding.zone.right')}"))
    child.sendline("1")
    child.expect(_loose(parse_html(text("en", "onboarding.time.ask")).text.split("\n")[0]))
    child.sendline("7:30")
    child.expect(r"\[(\d+)\] " + re.escape(text("en", "settings.days.every_day")))
    child.sendline(child.match.group(1))
    child.expect(re.escape("[10]"))
    child.sendline("4")
    child.expect(_loose("Pain now: 4/10") + "|" + re.escape("4/10"))
    child.expect(re.escape(f"[1] {text('en', 'onboarding.start_first')}"))
    child.sendline("1")
    child.expect(_loose("Pain before: 4/10"))
    # the guided pace: the setup comes by itself, then one tap starts the repetitions
    child.expect(r"\[(\d+)\] " + re.escape(text("en", "session.button.in_position")))
    child.sendline(child.match.group(1))
    child.expect(_loose("Squeeze the pillow"))
    child.expect(_loose(text("en", "routine.hip_adduction.relax")), timeout=2.5)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    with closing(sqlite3.connect(tmp_path / "sandbox.db")) as database:
        assert database.execute("SELECT score, source FROM checkins").fetchall() == [(4, "baseline")]
