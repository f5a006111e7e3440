"""The Telegram glue. `register` adds every handler; the group numbers are commented."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler of the bot, in the order they must see an update."""


async def on_start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Work each feature does once the database is up: command menu, timers, the dispatcher."""
