"""Patients as the rest of the core sees them (a read-only view loaded once per update), first
contact, and the use cases of their settings."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.core import Core
from sibot.db import Database, trouble_of
from sibot.models import Follower, Patient
from sibot.reminders import ReminderView, configure_reminder, reminder_summary, reschedule_for_zone
from sibot.routine import (
    MAX_HOLD_SECONDS,
    MAX_REPETITIONS,
    MAX_REST_SECONDS,
    MIN_HOLD_SECONDS,
    MIN_REPETITIONS,
    MIN_REST_SECONDS,
    Pace,
)
from sibot.schedule import EVERY_DAY
from sibot.texts import DEFAULT_LANGUAGE, available_languages
from sibot.zones import is_valid_zone

log = logging.getLogger(__name__)

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
    pace: Pace
    rest_seconds: int | None  # None: as long as the hold
    gentle: bool
    followups_enabled: bool
    pictures: bool
    paused_until: datetime | None
    active: bool
    advised_at: datetime | None = None  # sent to an emergency department, not yet examined

    @property
    def onboarded(self) -> bool:
        return self.onboarding_step is None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def paused_at(self, now: datetime) -> bool:
        return is_paused(self, now)


class Reachability(Protocol):
    """What says whether a patient may get messages unasked: a view or a loaded row."""

    @property
    def active(self) -> bool: ...
    @property
    def onboarding_step(self) -> str | None: ...
    @property
    def paused_until(self) -> datetime | None: ...
    @property
    def advised_at(self) -> datetime | None: ...


def is_paused(patient: Reachability, now: datetime) -> bool:
    return patient.paused_until is not None and patient.paused_until > now


def takes_reminders(patient: Reachability, now: datetime) -> bool:
    """Whether a reminder may go to the patient now: they have not blocked the bot, finished
    onboarding, are not pausing, and have not been sent to an emergency department since they
    last said a clinician examined them."""
    return (
        patient.active
        and patient.onboarding_step is None
        and patient.advised_at is None
        and not is_paused(patient, now)
    )


# The reminder asks "Any new warning signs?" when the patient last answered it (or the symptom
# question of /pain, or the safety screen) this long ago.
SIGNS_CHECK_EVERY = timedelta(days=7)


def signs_due(checked_at: datetime | None, now: datetime) -> bool:
    """Whether the reminder should ask for new warning signs: a week after the last answer, and
    until the patient answers it (it costs no message: a line and two buttons in the reminder)."""
    return checked_at is None or now - checked_at >= SIGNS_CHECK_EVERY


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
        pace=Pace(patient.pace),
        rest_seconds=patient.rest_seconds,
        gentle=patient.gentle,
        followups_enabled=patient.followups_enabled,
        pictures=patient.pictures,
        paused_until=patient.paused_until,
        active=patient.active,
        advised_at=patient.advised_at,
    )


async def load_patient(session: AsyncSession, patient_id: int) -> PatientView | None:
    patient = await session.get(Patient, patient_id)
    return None if patient is None else view_of(patient)


# A deep-link payload is user-controlled: only a short, plain code becomes a cohort.
# Sharing's invitation codes (sibot/sharing.py) start with this and are never a cohort.
SHARE_CODE_PREFIX = "share_"
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
    if payload.startswith(SHARE_CODE_PREFIX):
        return None
    return payload if _COHORT_PATTERN.fullmatch(payload) else None


def language_for(language_code: str | None) -> str:
    """The language we speak closest to Telegram's code ("de-AT" -> "de"), else English."""
    if language_code:
        base = language_code.strip().casefold().replace("_", "-").partition("-")[0]
        if base in available_languages():
            return base
    return DEFAULT_LANGUAGE


async def meet(core: Core, contact: Contact) -> PatientView:
    """The patient behind an update, created on first contact; /start makes them active again
    (and so does anything a follower sends)."""
    try:
        return await _meet_once(core, contact)
    except IntegrityError:
        # Another replica created the same patient a moment ago; theirs stands.
        return await _meet_once(core, contact)


async def _meet_once(core: Core, contact: Contact) -> PatientView:
    """Noting that a patient was seen is the one write most updates would make, and it may be
    skipped: while another client holds SQLite's write lock, /help or a look at /progress is
    answered anyway."""
    db, now = core.db, core.clock.now()
    async with db.transaction() as session:
        view, last_seen_at = await _meet(session, contact, now, core.settings.default_timezone)
        seen_long_ago = now - last_seen_at >= LAST_SEEN_RESOLUTION
        # PostgreSQL locks tables and rows, not the whole database, and a transaction of its own
        # (four round trips and a commit) halved the pain taps a second in benchmarks/throughput.
        if seen_long_ago and db.kind != "sqlite":
            await _update(session, view.id, last_seen_at=now)
    if seen_long_ago and db.kind == "sqlite":
        await _note_seen(db, view.id, now)
    return view


async def _meet(
    session: AsyncSession, contact: Contact, now: datetime, default_zone: str
) -> tuple[PatientView, datetime]:
    patient = await session.get(Patient, contact.user_id)
    if patient is None:
        patient = Patient(
            id=contact.user_id,
            name=contact.first_name[:_NAME_LENGTH] if contact.first_name else None,
            language=language_for(contact.language_code),
            timezone=default_zone,
            cohort=cohort_from_payload(contact.start_payload),
            onboarding_step=FIRST_STEP,
            created_at=now,
            last_seen_at=now,
        )
        session.add(patient)
        await session.flush()
    elif contact.is_start:
        patient.active = True
        patient.cohort = patient.cohort or cohort_from_payload(contact.start_payload)
        patient.last_seen_at = now  # written anyway
    elif not patient.active and await session.get(Follower, patient.id) is not None:
        # A follower who blocked the bot comes back with whatever they send: sharing resumes.
        # (Read only for someone inactive: no cost to the updates of everyone else.)
        patient.active = True
        patient.last_seen_at = now  # written anyway
    return view_of(patient), patient.last_seen_at


async def note_blocked(core: Core, user_id: int, blocked: bool) -> None:
    """Telegram's word that a user blocked the bot, or unblocked it: while blocked, nothing is
    sent to them, without waiting for a send to meet a 403. Someone never met stays unknown."""
    async with core.db.transaction() as session:
        await set_active(session, user_id, not blocked)


async def _note_seen(db: Database, patient_id: int, now: datetime) -> None:
    try:
        async with db.transaction(wait_for_locks=False) as session:
            await _update(session, patient_id, last_seen_at=now)
    except DBAPIError as error:
        if trouble_of(error) is None:
            raise
        log.info("last seen not noted", extra={"database": trouble_of(error)})


# "Until I resume" is stored as a pause that ends so far ahead it never does.
INDEFINITELY = datetime(9999, 1, 1, tzinfo=UTC)
PAUSE_DAYS = (1, 3, 7)


async def set_awaiting(session: AsyncSession, patient_id: int, awaiting: str | None) -> None:
    """Note which typed answer the bot waits for next (None: none)."""
    await _update(session, patient_id, awaiting=awaiting)


async def set_timezone(session: AsyncSession, patient_id: int, zone: str, now: datetime) -> bool:
    """Move the patient, and their reminder's wall time, to `zone`; False for an unknown zone."""
    if not is_valid_zone(zone):
        return False
    await _update(session, patient_id, timezone=zone, awaiting=None)
    await reschedule_for_zone(session, patient_id, zone, now)
    return True


async def set_hold_seconds(session: AsyncSession, patient_id: int, seconds: int) -> bool:
    if not MIN_HOLD_SECONDS <= seconds <= MAX_HOLD_SECONDS:
        return False
    await _update(session, patient_id, hold_seconds=seconds)
    return True


async def set_repetitions(session: AsyncSession, patient_id: int, repetitions: int) -> bool:
    if not MIN_REPETITIONS <= repetitions <= MAX_REPETITIONS:
        return False
    await _update(session, patient_id, repetitions=repetitions)
    return True


async def set_pace(session: AsyncSession, patient_id: int, pace: str) -> bool:
    if pace not in {value.value for value in Pace}:
        return False
    await _update(session, patient_id, pace=pace)
    return True


async def set_rest_seconds(session: AsyncSession, patient_id: int, seconds: int | None) -> bool:
    """The rest between guided repetitions; None: as long as the hold."""
    if seconds is not None and not MIN_REST_SECONDS <= seconds <= MAX_REST_SECONDS:
        return False
    await _update(session, patient_id, rest_seconds=seconds)
    return True


async def set_active(session: AsyncSession, patient_id: int, active: bool) -> None:
    """Whether anything may be sent to them: False once they blocked the bot."""
    await _update(session, patient_id, active=active)


async def set_pregnant(session: AsyncSession, patient_id: int, pregnant: bool) -> None:
    await _update(session, patient_id, pregnant=pregnant)


async def set_followups(session: AsyncSession, patient_id: int, enabled: bool) -> None:
    await _update(session, patient_id, followups_enabled=enabled)


async def set_pictures(session: AsyncSession, patient_id: int, shown: bool) -> None:
    await _update(session, patient_id, pictures=shown)


async def set_language(session: AsyncSession, patient_id: int, language: str) -> bool:
    if language not in available_languages():
        return False
    await _update(session, patient_id, language=language)
    return True


async def pause(session: AsyncSession, patient_id: int, days: int | None, now: datetime) -> datetime:
    """Keep reminders quiet for `days` days, or until resumed (None); returns when it ends."""
    until = INDEFINITELY if days is None else now + timedelta(days=days)
    await _update(session, patient_id, paused_until=until)
    return until


async def resume(session: AsyncSession, patient_id: int, zone: str, now: datetime) -> bool:
    """End a pause; the reminder goes on from its next occurrence, never with a backlog.

    False when there was no pause to end."""
    patient = await session.get(Patient, patient_id, with_for_update=True)
    if patient is None or patient.paused_until is None or patient.paused_until <= now:
        return False
    patient.paused_until = None
    await reschedule_for_zone(session, patient_id, zone, now)
    return True


def is_indefinite(paused_until: datetime) -> bool:
    return paused_until >= INDEFINITELY


async def _update(session: AsyncSession, patient_id: int, **values: object) -> None:
    await session.execute(update(Patient).where(Patient.id == patient_id).values(**values))


# --- the settings' use cases: each takes the core and owns its transaction ------------------------


async def open_settings(
    core: Core, patient_id: int, awaiting: str | None = None
) -> ReminderView | None:
    """Settings are on screen, waiting for the typed answer `awaiting` (None: none); the
    reminder they show, or None when the patient never set one."""
    async with core.db.transaction() as session:
        await set_awaiting(session, patient_id, awaiting)
        return await reminder_summary(session, patient_id)


async def change_zone(core: Core, patient_id: int, zone: str) -> bool:
    """See `set_timezone`."""
    async with core.db.transaction() as session:
        return await set_timezone(session, patient_id, zone, core.clock.now())


async def change_reminder(
    core: Core, patient: PatientView, local_time: time | None, weekdays: frozenset[int] | None
) -> ReminderView | None:
    """Change the reminder's time or its days, keeping the other as it was (days, when there
    were none, become every day); None when no time is given and none was ever set."""
    async with core.db.transaction() as session:
        current = await reminder_summary(session, patient.id)
        new_time = local_time or (current.local_time if current else None)
        if new_time is None:
            return None
        new_days = weekdays or (current.weekdays if current and current.weekdays else EVERY_DAY)
        reminder = await configure_reminder(
            session, patient.id, new_time, new_days, patient.timezone, core.clock.now()
        )
        await set_awaiting(session, patient.id, None)
        return reminder


async def change_hold_seconds(core: Core, patient_id: int, seconds: int) -> bool:
    async with core.db.transaction() as session:
        return await set_hold_seconds(session, patient_id, seconds)


async def change_repetitions(core: Core, patient_id: int, repetitions: int) -> bool:
    async with core.db.transaction() as session:
        return await set_repetitions(session, patient_id, repetitions)


async def change_pace(core: Core, patient_id: int, pace: str) -> bool:
    async with core.db.transaction() as session:
        return await set_pace(session, patient_id, pace)


async def change_rest_seconds(core: Core, patient_id: int, seconds: int | None) -> bool:
    async with core.db.transaction() as session:
        return await set_rest_seconds(session, patient_id, seconds)


async def change_language(core: Core, patient_id: int, language: str) -> bool:
    async with core.db.transaction() as session:
        return await set_language(session, patient_id, language)


async def change_pregnant(core: Core, patient_id: int, pregnant: bool) -> None:
    async with core.db.transaction() as session:
        await set_pregnant(session, patient_id, pregnant)


async def change_followups(core: Core, patient_id: int, enabled: bool) -> None:
    async with core.db.transaction() as session:
        await set_followups(session, patient_id, enabled)


async def change_pictures(core: Core, patient_id: int, shown: bool) -> None:
    async with core.db.transaction() as session:
        await set_pictures(session, patient_id, shown)


async def pause_reminders(core: Core, patient_id: int, days: int | None) -> datetime:
    """See `pause`."""
    async with core.db.transaction() as session:
        return await pause(session, patient_id, days, core.clock.now())


@dataclass(frozen=True, slots=True)
class Resumed:
    """Whether there was a pause to end, and the reminder that goes on."""

    resumed: bool
    reminder: ReminderView | None


async def resume_reminders(core: Core, patient: PatientView) -> Resumed:
    """See `resume`."""
    async with core.db.transaction() as session:
        resumed = await resume(session, patient.id, patient.timezone, core.clock.now())
        return Resumed(resumed, await reminder_summary(session, patient.id))
