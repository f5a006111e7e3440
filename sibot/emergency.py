"""After an emergency answer: the patient was sent to an emergency department straight away.

That answer carries no way on. Whatever the patient sends next gets the advice again, until an
hour has passed; then the bot asks whether a clinician has examined them since. Yes: they carry
on where they were (onboarding goes past its clearance step). No: the advice again, and the hour
starts anew. The onboarding safety screen and the diary's triage both start the hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sibot.core import Core
from sibot.models import Patient
from sibot.onboarding import clear
from sibot.patients import PatientView, view_of

# Nobody is examined in an emergency department within minutes: asking sooner invites a tap.
WAIT = timedelta(hours=1)


def asks_if_examined(patient: PatientView, now: datetime) -> bool | None:
    """None when the patient is not on hold; else whether the hour is over, so that the question
    "Has a clinician examined you since?" comes rather than the advice."""
    if patient.advised_at is None:
        return None
    return now - patient.advised_at >= WAIT


@dataclass(frozen=True, slots=True)
class Examined:
    """The patient's answer was taken: their view after it."""

    patient: PatientView
    examined: bool


async def answer_examined(core: Core, patient_id: int, examined: bool) -> Examined | None:
    """Yes ends the hold; no gives the advice again and waits another hour. None when the
    patient is not on hold, or the hour is not over (an old or forged button)."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        patient = await session.get(Patient, patient_id, with_for_update=True)
        if patient is None or not asks_if_examined(view_of(patient), now):
            return None
        patient.advised_at = None if examined else now
        if examined:
            await clear(session, patient, now)
        return Examined(view_of(patient), examined)
