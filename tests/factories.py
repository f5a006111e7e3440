"""Rows for tests that need a patient who has already been through onboarding."""

from __future__ import annotations

from datetime import datetime, time

from sibot.db import Database
from sibot.models import Patient, Reminder


async def onboarded_patient(
    db: Database,
    patient_id: int,
    now: datetime,
    *,
    timezone: str = "UTC",
    language: str = "en",
    name: str | None = "Ana",
    hold_seconds: int = 5,
    repetitions: int = 2,
    pregnant: bool = False,
    reminder_at: time | None = None,
    weekdays: int = 0b1111111,
) -> None:
    """Store a consented patient who finished onboarding, with an optional daily reminder."""
    async with db.transaction() as session:
        session.add(
            Patient(
                id=patient_id, name=name, language=language, timezone=timezone,
                onboarding_step=None, consented_at=now, pregnant=pregnant,
                hold_seconds=hold_seconds, repetitions=repetitions,
                created_at=now, last_seen_at=now,
            )
        )
        if reminder_at is not None:
            await session.flush()
            session.add(Reminder(patient_id=patient_id, local_time=reminder_at, weekdays=weekdays))
