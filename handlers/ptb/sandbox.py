"""The sandbox: the bot and an emulator in this process, and a chat with it in the terminal.

`bot.py --sandbox` runs it. It takes the application builder as an argument, so the glue never
imports the composition root.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from handlers.ptb.context import AnyApplication
from handlers.ptb.lifecycle import polling
from sibot.settings import Settings
from sibot.startup import DatabaseLock

if TYPE_CHECKING:
    from sibot.emulator import Emulator

# The sandbox's bot talks only to its own emulator, which knows this token and no other.
SANDBOX_TOKEN = "1000000001:sandbox-token-of-the-local-emulator"


class BuildApplication(Protocol):
    """bot.py's `build_application`: the bot with every handler registered."""

    def __call__(self, settings: Settings, *, token: str | None = None) -> AnyApplication: ...


async def run_sandbox(settings: Settings, build_application: BuildApplication) -> int:
    """Chat with the bot in this terminal until /quit or Ctrl-D."""
    # Only the sandbox needs them: a production start does not pay for the imports.
    from sibot.emulator import Emulator
    from sibot.emulator.terminal import TerminalChat, stdin_lines, write_stdout

    folder = Path(tempfile.mkdtemp(prefix="sibot-sandbox-"))
    # Logs would break into the chat: they go to a file instead.
    with _logging_to(folder / "sibot.log"):
        emulator = Emulator(SANDBOX_TOKEN)
        await emulator.start()
        try:
            sandbox_settings = _sandbox_settings(settings, emulator, folder)
            application = build_application(sandbox_settings, token=SANDBOX_TOKEN)
            async with DatabaseLock(sandbox_settings.database_url), polling(application):
                write_stdout(
                    "sibot sandbox: chatting with the bot on a local Telegram emulator "
                    f"({sandbox_settings.database_kind} database).\n"
                    f"Files and logs go to {folder}\n"
                    "Type /start to begin. A number presses that button (a button labelled "
                    "with a number by that number); /location LAT LON shares a location; "
                    "/quit or Ctrl-D ends.\n"
                )
                patient = emulator.patient(first_name="Sam", language_code="en")
                chat = TerminalChat(
                    patient, folder / "files", read_line=stdin_lines(), write=write_stdout
                )
                await chat.run()
        finally:
            await emulator.stop()
    return 0


@contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """The log goes to `path` for the block, then back to where it went before."""
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    with path.open("a", encoding="utf-8") as stream:
        previous = handler.setStream(stream)
        try:
            yield
        finally:
            if previous is not None:
                handler.setStream(previous)


def _sandbox_settings(settings: Settings, emulator: Emulator, folder: Path) -> Settings:
    """Talk to the emulator; DATABASE_URL when given, else a new SQLite file. The rest, such as
    SIBOT_HOLD_TIME_SCALE for shorter holds, as configured."""
    database_url = (
        settings.database_url
        if "database_url" in settings.model_fields_set
        else f"sqlite+aiosqlite:///{folder / 'sibot.db'}"
    )
    return settings.model_copy(
        update={
            "database_url": database_url,
            "telegram_api_base_url": emulator.base_url,
            "webhook_url": None,
        }
    )
