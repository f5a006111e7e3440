"""A chat with the bot in a terminal: the sandbox's screen and keyboard.

The bot's messages are printed as plain text with their buttons numbered; typing a number presses
that button on the newest message that has buttons, anything else is sent as the patient's text.
A button whose label is a number keeps it (the pain scale's "4" is pressed by typing 4); the
others take the numbers no label uses. A message that points to Telegram's 📎 menu, which a
terminal lacks, gets a note on what works here instead. Photos, animations and documents are saved to a
folder and their path printed. /quit or end of input stops.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sibot.emulator.client import Message, TelegramUser
from sibot.emulator.world import ChatEvent, StoredMessage

PROMPT = "you> "
QUIT = "/quit"
LOCATION = "/location"
LOCATION_HINT = f"{LOCATION} LATITUDE LONGITUDE, e.g. {LOCATION} 52.52 13.40"
SPEAKER = "sibot"
ATTACHMENT_MENU = "📎"
_INDENT = " " * (len(SPEAKER) + 2)
# Rubs out an idle prompt so the bot's words start at the left edge.
_CLEAR_PROMPT = "\r" + " " * len(PROMPT) + "\r"
_LOCATION_ARGS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)\s*$")

ReadLine = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Choice:
    """One numbered button: an inline button (its callback data) or a reply keyboard button."""

    label: str
    data: str | None = None  # callback data of an inline button
    url: str | None = None  # an inline button that opens a link
    reply: dict[str, Any] | None = None  # a reply keyboard button


class TerminalChat:
    """Shows one patient's chat as it happens and sends what the person at the keyboard types."""

    def __init__(
        self,
        patient: TelegramUser,
        folder: Path,
        *,
        read_line: ReadLine,
        write: Write,
        width: int | None = None,
    ) -> None:
        self.patient = patient
        self.folder = folder
        self._read_line = read_line
        self._write = write
        self._width = width or min(shutil.get_terminal_size().columns, 100)
        self._shown = 0  # index into the chat's events of the next one to show

    async def run(self) -> None:
        """Until /quit or end of input."""
        printer = asyncio.create_task(self._show_forever(), name="terminal-printer")
        try:
            self._write(PROMPT)
            while (line := await self._read_line()) is not None:
                if line.strip() == QUIT:
                    break
                await self._act(line.strip())
                self._write(PROMPT)
        finally:
            printer.cancel()
            await asyncio.gather(printer, return_exceptions=True)
        self._write("\n")

    # --- Typing -------------------------------------------------------------------------------

    async def _act(self, line: str) -> None:
        if not line:
            return
        if line.isdigit() and await self._press(int(line)):
            return
        if line.split()[0] == LOCATION:
            await self._share_location(line.removeprefix(LOCATION))
            return
        await self.patient.send(line)

    async def _press(self, number: int) -> bool:
        """Presses button `number` of the newest message with buttons; False when there is none."""
        newest = self._newest_with_choices()
        if newest is None:
            return False
        message, choices = newest
        numbered = dict(zip(_numbers(choices), choices, strict=True))
        choice = numbered.get(number)
        if choice is None:
            return False
        if choice.data is not None:
            await self.patient.tap_data(choice.data, message_id=message.message_id)
        elif choice.reply is not None and choice.reply.get("request_location"):
            self._say(f"(to share a location, type {LOCATION_HINT})")
        elif choice.reply is not None:
            await self.patient.send(choice.label)
        else:
            self._say(f"(that button opens {choice.url}; the sandbox does not follow links)")
        return True

    async def _share_location(self, arguments: str) -> None:
        match = _LOCATION_ARGS.match(arguments)
        if match is None:
            self._say(f"(type {LOCATION_HINT})")
            return
        await self.patient.share_location(float(match.group(1)), float(match.group(2)))

    def _newest_with_choices(self) -> tuple[StoredMessage, list[Choice]] | None:
        for message in self.patient.shown_bot_messages():
            choices = self._choices(message)
            if choices:
                return message, choices
        return None

    def _choices(self, message: StoredMessage) -> list[Choice]:
        """The message's buttons in reading order; a reply keyboard only while it is still shown."""
        buttons = message.inline_buttons
        if buttons:
            return [Choice(b["text"], data=b.get("callback_data"), url=b.get("url")) for b in buttons]
        markup = message.markup
        if (
            markup is not None
            and "keyboard" in markup
            and markup == self.patient.chat.reply_keyboard
        ):
            return [Choice(b["text"], reply=b) for row in markup["keyboard"] for b in row]
        return []

    # --- Showing ------------------------------------------------------------------------------

    async def _show_forever(self) -> None:
        events = self.patient.chat.events
        while True:
            await self.patient.chat.changes.wait_until(
                lambda: len(events) > self._shown or None, None
            )
            self._write(_CLEAR_PROMPT)
            while self._shown < len(events):
                self._show(events[self._shown])
                self._shown += 1
            self._write(PROMPT)

    def _show(self, event: ChatEvent) -> None:
        if event.answer is not None:
            if event.answer.text:
                self._say(f"({SPEAKER}: {event.answer.text})")
            return
        stored = event.message
        if stored is None or not stored.from_bot:
            return
        message = self.patient.view(stored)
        if event.kind == "deleted":
            self._say(f"({SPEAKER} deleted the message {_excerpt(message.text)!r})")
            return
        heading = f"{SPEAKER} (edited):" if event.kind == "edited" else f"{SPEAKER}:"
        self._say(heading)
        self._say(self._wrapped(message.text))
        for path in self._saved_files(message):
            self._say(f"{_INDENT}[file saved: {path}]")
        if ATTACHMENT_MENU in message.text:
            self._say(f"{_INDENT}(the sandbox has no {ATTACHMENT_MENU} menu: type {LOCATION_HINT})")
        self._say(self._numbered(self._choices(stored)))

    def _wrapped(self, text: str) -> str:
        width = max(self._width - len(_INDENT), 20)
        lines = [
            textwrap.fill(line, width, initial_indent=_INDENT, subsequent_indent=_INDENT)
            for line in text.splitlines()
        ]
        return "\n".join(lines)

    def _numbered(self, choices: list[Choice]) -> str:
        if not choices:
            return ""
        entries = [
            f"[{choice.label}]" if str(number) == choice.label else f"[{number}] {choice.label}"
            for number, choice in zip(_numbers(choices), choices, strict=True)
        ]
        return textwrap.fill(
            "   ".join(entries), self._width, initial_indent=_INDENT, subsequent_indent=_INDENT
        )

    def _saved_files(self, message: Message) -> list[Path]:
        saved: list[Path] = []
        if message.photo is not None:
            suffix = ".png" if message.photo.startswith(b"\x89PNG") else ".jpg"
            saved.append(self._save(f"photo-{message.message_id}{suffix}", message.photo))
        if message.animation is not None:
            saved.append(self._save(f"animation-{message.message_id}.gif", message.animation))
        if message.document is not None:
            name = Path(message.filename or "document").name
            saved.append(self._save(f"{message.message_id}-{name}", message.document))
        return saved

    def _save(self, name: str, data: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_bytes(data)
        return path

    def _say(self, text: str) -> None:
        if text:
            self._write(text + "\n")


def _numbers(choices: list[Choice]) -> list[int]:
    """What to type for each choice: its label when that is a number, else, in order, the
    numbers from 1 up that no label takes."""
    labelled = {int(choice.label) for choice in choices if _is_number(choice.label)}
    free = (number for number in itertools.count(1) if number not in labelled)
    return [int(choice.label) if _is_number(choice.label) else next(free) for choice in choices]


def _is_number(label: str) -> bool:
    return label.isascii() and label.isdigit()


def _excerpt(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def stdin_lines() -> ReadLine:
    """Lines typed on stdin, read by a daemon thread so the event loop never blocks on them.

    A daemon thread (rather than asyncio.to_thread) lets the process exit while it still waits.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        try:
            while line := sys.stdin.readline():
                loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(lines.put_nowait, None)
        except RuntimeError:
            return  # the loop closed while a line was being typed: nobody is listening any more

    threading.Thread(target=read, name="sandbox-stdin", daemon=True).start()

    async def read_line() -> str | None:
        return await lines.get()

    return read_line


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
