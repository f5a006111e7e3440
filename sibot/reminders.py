"""A patient's daily reminder: set it, move it to a new zone, snooze or skip one occurrence.

The reminder row always names its pending occurrence: `occurrence_date` (the patient's local date
it belongs to), `next_kind` and `next_fire_at` (UTC). The dispatcher (sibot/dispatcher.py) acts on
it when it is due and advances it; these services only ever move the pending occurrence, so a
change never sends anything by itself and never sends an occurrence twice (the outbox's unique key
sees to that, whatever the row says). The zone is always the patient's, read from `patients`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.core import Core
from sibot.models import Patient, Reminder, ReminderDelivery
from sibot.schedule import Occurrence, mask_to_weekdays, next_occurrence, weekdays_to_mask

DAILY = "daily"
FOLLOWUP = "followup"
SNOOZE = "snooze"  # the kinds of a snoozed re-send are "snooze1", "snooze2", ...
# "Skip today" is written to the outbox as a row of this kind, so nothing else goes out that day.
SKIP = "skip"
SNOOZE_MINUTES = (15, 60)

# Delivery statuses.
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"  # left pending by a crash for longer than the grace: too late to send
SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ReminderView:
    """A patient's reminder as settings show it; `next_fire_at` is None when it is off."""

    local_time: time
    weekdays: frozenset[int]
    next_fire_at: datetime | None


async def configure_reminder(
    session: AsyncSession,
    patient_id: int,
    local_time: time,
    weekdays: frozenset[int],
    zone: str,
    now: datetime,
) -> ReminderView:
    """Set the daily reminder (no weekdays turns it off) and schedule its next occurrence."""
    reminder = await _reminder_of(session, patient_id)
    if reminder is None:
        reminder = Reminder(patient_id=patient_id)
        session.add(reminder)
    reminder.local_time = local_time
    reminder.weekdays = weekdays_to_mask(weekdays)
    reminder.enabled = bool(weekdays)
    _schedule_from(reminder, ZoneInfo(zone), now)
    return _view(reminder)


async def reschedule_for_zone(
    session: AsyncSession, patient_id: int, zone: str, now: datetime
) -> None:
    """Keep the reminder's wall time in the patient's new zone."""
    reminder = await _reminder_of(session, patient_id)
    if reminder is not None:
        _schedule_from(reminder, ZoneInfo(zone), now)


async def reminder_summary(session: AsyncSession, patient_id: int) -> ReminderView | None:
    """The patient's reminder, or None when they never set one."""
    reminder = await _reminder_of(session, patient_id)
    return None if reminder is None else _view(reminder)


async def upcoming_reminder(
    session: AsyncSession, patient_id: int, zone: ZoneInfo, done: frozenset[date]
) -> ReminderView | None:
    """The patient's reminder with `next_fire_at` the next one that will really go out: the
    pending occurrence is passed over, as the dispatcher will pass it over, when its day is one of
    the `done` local dates (a session completed), was skipped, or had that send already."""
    reminder = await _reminder_of(session, patient_id)
    if reminder is None:
        return None
    view = _view(reminder)
    if view.next_fire_at is None or reminder.occurrence_date is None:
        return view
    taken = set(
        (
            await session.execute(
                select(ReminderDelivery.occurrence_date, ReminderDelivery.kind).where(
                    ReminderDelivery.reminder_id == reminder.id,
                    ReminderDelivery.occurrence_date >= reminder.occurrence_date,
                )
            )
        ).tuples()
    )
    occurrence: Occurrence | None = Occurrence(reminder.occurrence_date, view.next_fire_at)
    kind = reminder.next_kind
    while occurrence is not None and (
        occurrence.local_date in done or {(occurrence.local_date, kind), (occurrence.local_date, SKIP)} & taken
    ):
        occurrence = following_occurrence(reminder, zone, occurrence.fire_at, after_date=occurrence.local_date)
        kind = DAILY
    return replace(view, next_fire_at=None if occurrence is None else occurrence.fire_at)


def _view(reminder: Reminder) -> ReminderView:
    return ReminderView(
        local_time=reminder.local_time,
        weekdays=mask_to_weekdays(reminder.weekdays),
        next_fire_at=reminder.next_fire_at if reminder.enabled else None,
    )


async def snooze(
    session: AsyncSession, patient_id: int, message_id: int, minutes: int, now: datetime
) -> datetime | None:
    """Send the reminder in message `message_id` again in `minutes`; None for a stale button.

    Only that occurrence moves: after the snoozed re-send the dispatcher goes on with the next day.
    The follow-up waits for the re-send, which schedules its own.
    """
    if minutes not in SNOOZE_MINUTES:
        return None
    current = await _current_occurrence(session, patient_id, message_id)
    if current is None:
        return None
    reminder, occurrence_date = current
    earlier_snoozes = await session.scalar(
        select(func.count())
        .select_from(ReminderDelivery)
        .where(
            ReminderDelivery.reminder_id == reminder.id,
            ReminderDelivery.occurrence_date == occurrence_date,
            ReminderDelivery.kind.startswith(SNOOZE),
        )
    )
    fire_at = now + timedelta(minutes=minutes)
    reminder.next_fire_at = fire_at
    reminder.occurrence_date = occurrence_date
    reminder.next_kind = f"{SNOOZE}{(earlier_snoozes or 0) + 1}"
    _cancel_followup(reminder, occurrence_date)
    return fire_at


async def skip_today(
    session: AsyncSession, patient_id: int, message_id: int, now: datetime
) -> bool:
    """No more reminders for the day of message `message_id`; False for a stale button."""
    current = await _current_occurrence(session, patient_id, message_id)
    if current is None:
        return False
    reminder, occurrence_date = current
    _cancel_followup(reminder, occurrence_date)
    session.add(
        ReminderDelivery(
            reminder_id=reminder.id, patient_id=patient_id, occurrence_date=occurrence_date,
            kind=SKIP, status=SKIPPED, due_at=now, created_at=now, updated_at=now,
        )
    )
    if reminder.occurrence_date == occurrence_date:  # a snooze of that day is still to come
        zone = await session.scalar(select(Patient.timezone).where(Patient.id == patient_id))
        _schedule_from(reminder, ZoneInfo(zone or "UTC"), now, after_date=occurrence_date)
    return True


class ReminderRule(Protocol):
    """What a reminder's occurrences follow: a loaded row or the columns the dispatcher claimed."""

    @property
    def enabled(self) -> bool: ...
    @property
    def weekdays(self) -> int: ...
    @property
    def local_time(self) -> time: ...


def following_occurrence(
    reminder: ReminderRule, zone: ZoneInfo, after: datetime, *, after_date: date | None = None
) -> Occurrence | None:
    """The next regular occurrence after `after`, on a local date after `after_date` if given."""
    if not reminder.enabled or not reminder.weekdays:
        return None
    weekdays = mask_to_weekdays(reminder.weekdays)
    occurrence = next_occurrence(after, reminder.local_time, zone, weekdays)
    while after_date is not None and occurrence.local_date <= after_date:
        occurrence = next_occurrence(occurrence.fire_at, reminder.local_time, zone, weekdays)
    return occurrence


def schedule(reminder: Reminder, occurrence: Occurrence | None, kind: str = DAILY) -> None:
    """Make `occurrence` the reminder's pending one; None leaves nothing pending."""
    for column, value in scheduled(occurrence, kind).items():
        setattr(reminder, column, value)


def scheduled(occurrence: Occurrence | None, kind: str = DAILY) -> dict[str, Any]:
    """The reminder's columns that make `occurrence` its pending one."""
    if occurrence is None:
        return {"occurrence_date": None, "next_fire_at": None, "next_kind": kind}
    return {
        "occurrence_date": occurrence.local_date, "next_fire_at": occurrence.fire_at,
        "next_kind": kind,
    }


def _schedule_from(
    reminder: Reminder, zone: ZoneInfo, now: datetime, *, after_date: date | None = None
) -> None:
    schedule(reminder, following_occurrence(reminder, zone, now, after_date=after_date))


def _cancel_followup(reminder: Reminder, occurrence_date: date) -> None:
    if reminder.followup_date == occurrence_date:
        reminder.followup_at = None
        reminder.followup_date = None


async def _reminder_of(session: AsyncSession, patient_id: int) -> Reminder | None:
    return await session.scalar(select(Reminder).where(Reminder.patient_id == patient_id))


async def _current_occurrence(
    session: AsyncSession, patient_id: int, message_id: int
) -> tuple[Reminder, date] | None:
    """The reminder and the day of message `message_id`, if that day is still open.

    A button is stale when its message was not a reminder we sent, when a newer day's reminder
    has reached the patient since (acting on it could move a later occurrence), or when the day
    was skipped already.
    """
    delivery = await session.scalar(
        select(ReminderDelivery).where(
            ReminderDelivery.patient_id == patient_id,
            ReminderDelivery.message_id == message_id,
            ReminderDelivery.status == SENT,
        )
    )
    if delivery is None:
        return None
    reminder = await session.scalar(
        select(Reminder).where(Reminder.id == delivery.reminder_id).with_for_update()
    )
    if reminder is None:
        return None
    newest = await session.scalar(
        select(func.max(ReminderDelivery.occurrence_date)).where(
            ReminderDelivery.reminder_id == reminder.id, ReminderDelivery.status == SENT
        )
    )
    skipped = await session.scalar(
        select(ReminderDelivery.id).where(
            ReminderDelivery.reminder_id == reminder.id,
            ReminderDelivery.occurrence_date == delivery.occurrence_date,
            ReminderDelivery.kind == SKIP,
        )
    )
    if newest != delivery.occurrence_date or skipped is not None:
        return None
    return reminder, delivery.occurrence_date


# --- the use cases of the reminder's buttons: each takes the core and owns its transaction -------


async def snooze_reminder(
    core: Core, patient_id: int, message_id: int, minutes: int
) -> datetime | None:
    """See `snooze`."""
    async with core.db.transaction() as session:
        return await snooze(session, patient_id, message_id, minutes, core.clock.now())


async def skip_reminder_today(core: Core, patient_id: int, message_id: int) -> bool:
    """See `skip_today`."""
    async with core.db.transaction() as session:
        return await skip_today(session, patient_id, message_id, core.clock.now())
