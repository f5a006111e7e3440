"""What every use case needs: the settings, the database, the clock, the heartbeat, and the
doorbell that has the outboxes send at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from sibot.db import Database
from sibot.health import Heartbeat
from sibot.ports import Clock, Doorbell
from sibot.settings import Settings


@dataclass(frozen=True, slots=True)
class Core:
    """Handed to the core's services; built once by bot.py, never global."""

    settings: Settings
    db: Database
    clock: Clock
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    doorbell: Doorbell = field(default_factory=Doorbell)
