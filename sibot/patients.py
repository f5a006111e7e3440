"""Patients as the rest of the core sees them: a read-only view loaded once per update."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from sibot.models import Patient
from sibot.texts import DEFAULT_LANGUAGE, available_languages

# Where a new patient starts: the welcome and the disclaimer.
FIRST_STEP = "disclaimer"


@dataclass(frozen=True, slots=True)
class PatientView:
    """What handlers need to know about the patient behind an update."""

    id: int
    name: str | None
    language: str
    timezone: str
    cohort: str | None
    onboarding_step: str | None
    awaiting: str | None
    pregnant: bool
    hold_seconds: int
    repetitions: int
    gentle: bool
    followups_enabled: bool
    paused_until: datetime | None
    active: bool

    @property
    def onboarded(self) -> bool:
        return self.onboarding_step is None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def paused_at(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now


def view_of(patient: Patient) -> PatientView:
    return PatientView(
        id=patient.id,
        name=patient.name,
        language=patient.language,
        timezone=patient.timezone,
        cohort=patient.cohort,
        onboarding_step=patient.onboarding_step,
        awaiting=patient.awaiting,
        pregnant=patient.pregnant,
        hold_seconds=patient.hold_seconds,
        repetitions=patient.repetitions,
        gentle=patient.gentle,
        followups_enabled=patient.followups_enabled,
        paused_until=patient.paused_until,
        active=patient.active,
    )


async def load_patient(session: AsyncSession, patient_id: int) -> PatientView | None:
    patient = await session.get(Patient, patient_id)
    return None if patient is None else view_of(patient)


# A deep-link payload is user-controlled: only a short, plain code becomes a cohort.
_COHORT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# last_seen_at is for "who is still around", not an audit log: a write a minute is plenty and
# spares the database one write per button tap.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_NAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Contact:
    """Who an update comes from, as Telegram tells us; `start_payload` only for /start."""

    user_id: int
    first_name: str | None
    language_code: str | None
    is_start: bool = False
    start_payload: str | None = None


def cohort_from_payload(payload: str | None) -> str | None:
    """The cohort code of a `/start <code>` deep link, or None for a missing or odd payload."""
    if payload is None:
        return None
    payload = payload.strip()
    return payload if _COHORT_PATTERN.fullmatch(payload) else None


def language_for(language_code: str | None) -> str:
    """The catalog language closest to Telegram's code ("pt-br" -> "pt"), else the default."""
    if language_code:
        base = language_code.strip().casefold().replace("_", "-").partition("-")[0]
        if base in available_languages():
            return base
    return DEFAULT_LANGUAGE


async def meet(session: AsyncSession, contact: Contact, now: datetime, default_zone: str) -> PatientView:
    """The patient behind an update, created on first contact; /start makes them active again."""
    patient = await session.get(Patient, contact.user_id, with_for_update=True)
    if patient is None:
        patient = Patient(
            id=contact.user_id,
            name=(contact.first_name or None) and contact.first_name[:_NAME_LENGTH],
            language=language_for(contact.language_code),
            timezone=default_zone,
            cohort=cohort_from_payload(contact.start_payload),
            onboarding_step=FIRST_STEP,
            created_at=now,
            last_seen_at=now,
        )
        session.add(patient)
        await session.flush()
        return view_of(patient)
    if contact.is_start:
        patient.active = True
        patient.cohort = patient.cohort or cohort_from_payload(contact.start_payload)
    if now - patient.last_seen_at >= LAST_SEEN_RESOLUTION:
        patient.last_seen_at = now
    return view_of(patient)
