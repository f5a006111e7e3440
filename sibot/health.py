"""What /healthz reports: can this process write to the database, and is the reminder
dispatcher getting through its ticks."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from sibot.db import UNREACHABLE, Database, trouble_of
from sibot.models import ReplicaHeartbeat

# The dispatcher ticks at least every 30 s; three missed ticks mean it is stuck.
DISPATCHER_MAX_SILENCE = timedelta(seconds=90)
DATABASE_OK = "ok"
# Whose row a health check writes; every restart is a new process, and old rows are dropped.
REPLICA = f"{socket.gethostname()}:{os.getpid()}"[-64:]
HEARTBEAT_KEPT = timedelta(days=1)


@dataclass
class Heartbeat:
    """When the dispatcher last got through a tick (or a chunk of a long one), in UTC; None until
    it has."""

    last_tick: datetime | None = None

    def beat(self, now: datetime) -> None:
        self.last_tick = now


@dataclass(frozen=True, slots=True)
class HealthReport:
    database: str  # "ok", or what keeps it from taking writes (sibot.db.trouble_of)
    dispatcher: bool
    last_tick: datetime | None

    @property
    def healthy(self) -> bool:
        return self.database == DATABASE_OK and self.dispatcher

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.healthy else "unavailable",
            "database": self.database,
            "dispatcher": "ok" if self.dispatcher else "stalled",
            "dispatcher_last_tick": self.last_tick.isoformat() if self.last_tick else None,
        }


async def check_health(db: Database, heartbeat: Heartbeat, now: datetime) -> HealthReport:
    last = heartbeat.last_tick
    ticking = last is not None and now - last <= DISPATCHER_MAX_SILENCE
    return HealthReport(database=await _database_state(db, now), dispatcher=ticking, last_tick=last)


async def _database_state(db: Database, now: datetime) -> str:
    """Write this process's heartbeat row: a database that answers reads may refuse every write
    (read-only, a standby, a lock held for long), and then patients only hear "try again"."""
    dialect = postgresql if db.kind == "postgresql" else sqlite
    row = {"replica": REPLICA, "written_at": now}
    try:
        async with db.transaction() as session:
            await session.execute(
                dialect.insert(ReplicaHeartbeat)
                .values(row)
                .on_conflict_do_update(index_elements=[ReplicaHeartbeat.replica], set_=row)
            )
            await session.execute(
                delete(ReplicaHeartbeat).where(ReplicaHeartbeat.written_at < now - HEARTBEAT_KEPT)
            )
    except Exception as error:  # noqa: BLE001 - any failure means "not usable" for a health check
        return trouble_of(error) or UNREACHABLE
    return DATABASE_OK
