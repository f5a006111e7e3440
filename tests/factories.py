"""Rows for tests that need a patient who has already been through onboarding."""

from __future__ import annotations

from datetime import datetime, time

from sibot.db import Database
from sibot.models import Patient, SafetyAnswer
from sibot.patients import PatientView
from sibot.reminders import configure_reminder
from sibot.safety import Sign
from sibot.schedule import mask_to_weekdays


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
    pace: str = "guided",
    rest_seconds: int | None = None,
    pregnant: bool = False,
    reminder_at: time | None = None,
    weekdays: int = 0b1111111,
    pictures: bool = True,
) -> None:
    """Store a consented patient who finished onboarding (no to every warning sign), with an
    optional daily reminder."""
    async with db.transaction() as session:
        patient = Patient(
            id=patient_id, name=name, language=language, timezone=timezone,
            consented_at=now, cleared_at=now, signs_checked_at=now, pregnant=pregnant,
            hold_seconds=hold_seconds, repetitions=repetitions,
            pace=pace, rest_seconds=rest_seconds, pictures=pictures,
            created_at=now, last_seen_at=now,
        )
        session.add(patient)
        await session.flush()
        # None would be taken as "not given" on insert, and the column default would win.
        patient.onboarding_step = None
        await session.flush()
        session.add_all(
            SafetyAnswer(
                patient_id=patient_id, question=sign.value,
                answer=pregnant and sign is Sign.PREGNANCY, answered_at=now,
            )
            for sign in Sign
        )
        if reminder_at is not None:
            await configure_reminder(
                session, patient_id, reminder_at, mask_to_weekdays(weekdays), timezone, now
            )


def patient_view(**changes: object) -> PatientView:
    """A patient as the core hands them around, onboarded, with these fields changed."""
    values: dict[str, object] = {
        "id": 1, "name": None, "language": "en", "timezone": "UTC", "cohort": None,
        "onboarding_step": None, "awaiting": None, "pregnant": False, "hold_seconds": 5,
        "repetitions": 3, "pace": "guided", "rest_seconds": None, "gentle": False,
        "followups_enabled": True, "pictures": True, "paused_until": None, "active": True,
    }
    values.update(changes)
    return PatientView(**values)  # type: ignore[arg-type]
