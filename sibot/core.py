"""What every use case needs: the settings, the database, the clock and the heartbeat."""

from __future__ import annotations

from dataclasses import dataclass, field

from sibot.db import Database
from sibot.health import Heartbeat
from sibot.ports import Clock
from sibot.settings import Settings


@dataclass(frozen=True, slots=True)
class Core:
    """Handed to the core's services; built once by bot.py, never global."""

    settings: Settings
    db: Database
    clock: Clock
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
