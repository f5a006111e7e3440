"""The Telegram glue. `register` adds every handler; the group numbers are commented.

PTB runs at most one handler per group for an update, in the order of the groups:
  -2  operator commands (admin): only for SIBOT_ADMIN_IDS; they stop the update.
  -1  the gatekeeper (gate): loads or creates the patient, holds back who has not onboarded.
   0  every feature's commands and buttons, then the fallbacks (commands), which must come last.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import admin
from handlers import diary


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler of the bot, in the order they must see an update."""
    admin.register(application)
    diary.register(application)  # group 0: /pain /progress /report /export /delete, pn: dl:


async def on_start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Work each feature does once the database is up: command menu, timers, the dispatcher."""
