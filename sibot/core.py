"""What every use case needs: the settings, the database and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from sibot.db import Database
from sibot.ports import Clock
from sibot.settings import Settings


@dataclass(frozen=True, slots=True)
class Core:
    """Handed to the core's services; built once by bot.py, never global."""

    settings: Settings
    db: Database
    clock: Clock
