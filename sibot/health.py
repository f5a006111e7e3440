"""What /healthz reports: is the database reachable, and is the reminder dispatcher ticking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sibot.db import Database

# The dispatcher ticks at least every 30 s; three missed ticks mean it is stuck.
DISPATCHER_MAX_SILENCE = timedelta(seconds=90)


@dataclass
class Heartbeat:
    """The dispatcher's last tick, in UTC; None until its first one."""

    last_tick: datetime | None = None

    def beat(self, now: datetime) -> None:
        self.last_tick = now


@dataclass(frozen=True, slots=True)
class HealthReport:
    database: bool
    dispatcher: bool
    last_tick: datetime | None

    @property
    def healthy(self) -> bool:
        return self.database and self.dispatcher

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.healthy else "unavailable",
            "database": "ok" if self.database else "unreachable",
            "dispatcher": "ok" if self.dispatcher else "stalled",
            "dispatcher_last_tick": self.last_tick.isoformat() if self.last_tick else None,
        }


async def check_health(db: Database, heartbeat: Heartbeat, now: datetime) -> HealthReport:
    last = heartbeat.last_tick
    ticking = last is not None and now - last <= DISPATCHER_MAX_SILENCE
    return HealthReport(database=await db.ping(), dispatcher=ticking, last_tick=last)
