"""What operators see and do: figures by cohort, and broadcasts to every active patient."""

from __future__ import annotations

import asyncio
import html
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.core import Core
from sibot.models import Broadcast, ExerciseSession, Patient, RedFlag, ReminderDelivery
from sibot.ports import OutgoingMessage, Priority, RecipientBlocked, Sender, SendError

log = logging.getLogger(__name__)

NO_COHORT = ""
BROADCAST_BATCH = 500
# Sends of a broadcast in flight at once. The rate limiter paces them at Telegram's limit, and at
# bulk priority a patient's own messages go first. One at a time, each waiting for its answer,
# a broadcast went at one round trip's pace: about a third of the limit against Telegram.
BROADCAST_IN_FLIGHT = 16


@dataclass(frozen=True, slots=True)
class CohortStats:
    """One row of /stats; `cohort` is "" for patients who came without a deep-link code."""

    cohort: str
    patients: int = 0
    active_7d: int = 0
    sessions_today: int = 0
    sessions_week: int = 0
    reminders_sent_today: int = 0
    reminders_failed_today: int = 0
    red_flags_week: int = 0


@dataclass(frozen=True, slots=True)
class BroadcastView:
    """A stored broadcast: its plain text as the operator typed it, and who would get it."""

    id: int
    text: str
    recipients: int


@dataclass(frozen=True, slots=True)
class BroadcastResult:
    sent: int
    failed: int


async def _grouped(
    session: AsyncSession, model: type, condition: ColumnElement[bool]
) -> dict[str, int]:
    query = (
        select(Patient.cohort, func.count())
        .select_from(model)
        .join(Patient, Patient.id == model.patient_id)  # type: ignore[attr-defined]
        .where(condition)
        .group_by(Patient.cohort)
    )
    return {cohort or NO_COHORT: count for cohort, count in (await session.execute(query)).all()}


async def _patients(
    session: AsyncSession, condition: ColumnElement[bool] | None = None
) -> dict[str, int]:
    query = select(Patient.cohort, func.count()).group_by(Patient.cohort)
    if condition is not None:
        query = query.where(condition)
    return {cohort or NO_COHORT: count for cohort, count in (await session.execute(query)).all()}


async def stats_by_cohort(core: Core) -> list[CohortStats]:
    """Figures per cohort (days are UTC days), largest cohort first; the total is the caller's sum."""
    now = core.clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = now - timedelta(days=7)
    completed = ExerciseSession.status == "completed"
    sent = ReminderDelivery.status == "sent"
    failed = ReminderDelivery.status == "failed"
    async with core.db.transaction() as session:
        columns = {
            "patients": await _patients(session),
            "active_7d": await _patients(session, Patient.last_seen_at >= week),
            "sessions_today": await _grouped(
                session, ExerciseSession, completed & (ExerciseSession.ended_at >= today)
            ),
            "sessions_week": await _grouped(
                session, ExerciseSession, completed & (ExerciseSession.ended_at >= week)
            ),
            "reminders_sent_today": await _grouped(
                session, ReminderDelivery, sent & (ReminderDelivery.sent_at >= today)
            ),
            "reminders_failed_today": await _grouped(
                session, ReminderDelivery, failed & (ReminderDelivery.updated_at >= today)
            ),
            "red_flags_week": await _grouped(session, RedFlag, RedFlag.at >= week),
        }
    cohorts = sorted(columns["patients"], key=lambda cohort: (-columns["patients"][cohort], cohort))
    return [
        CohortStats(cohort, **{name: values.get(cohort, 0) for name, values in columns.items()})
        for cohort in cohorts
    ]


def total(rows: Sequence[CohortStats]) -> CohortStats:
    fields = [name for name in CohortStats.__slots__ if name != "cohort"]
    return CohortStats("", **{name: sum(getattr(row, name) for row in rows) for name in fields})


def _reachable() -> ColumnElement[bool]:
    return Patient.active & Patient.onboarding_step.is_(None)


async def draft_broadcast(core: Core, admin_id: int, text: str) -> BroadcastView:
    """Store a broadcast to be confirmed; nothing is sent yet."""
    async with core.db.transaction() as session:
        broadcast = Broadcast(admin_id=admin_id, text=text, created_at=core.clock.now())
        session.add(broadcast)
        await session.flush()
        recipients = await _recipient_count(session)
    return BroadcastView(broadcast.id, text, recipients)


async def confirm_broadcast(core: Core, broadcast_id: int) -> BroadcastView | None:
    """Mark a draft confirmed, once; None when it does not exist or was confirmed before."""
    async with core.db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
        if broadcast is None or broadcast.confirmed_at is not None:
            return None
        broadcast.confirmed_at = core.clock.now()
        recipients = await _recipient_count(session)
    return BroadcastView(broadcast.id, broadcast.text, recipients)


async def _recipient_count(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Patient).where(_reachable())
    return await session.scalar(query) or 0


async def _recipient_batch(core: Core, after_id: int) -> list[int]:
    async with core.db.transaction() as session:
        query = (
            select(Patient.id)
            .where(_reachable(), Patient.id > after_id)
            .order_by(Patient.id)
            .limit(BROADCAST_BATCH)
        )
        return list((await session.scalars(query)).all())


async def _send_one(core: Core, sender: Sender, patient_id: int, message: OutgoingMessage) -> bool:
    """Whether the message reached the patient; one who blocked the bot is marked inactive."""
    try:
        await sender.send(patient_id, message, priority=Priority.BULK)
    except RecipientBlocked:
        await _mark_blocked(core, patient_id)
        return False
    except SendError:
        log.warning("broadcast message failed", extra={"user_id": patient_id})
        return False
    return True


async def _mark_blocked(core: Core, patient_id: int) -> None:
    async with core.db.transaction() as session:
        patient = await session.get(Patient, patient_id)
        if patient is not None:
            patient.active = False


async def send_broadcast(core: Core, sender: Sender, broadcast: BroadcastView) -> BroadcastResult:
    """Send a confirmed broadcast, as the plain text it is, at bulk priority; record the counts."""
    message = OutgoingMessage(html.escape(broadcast.text))
    delivered: Counter[bool] = Counter()
    in_flight = asyncio.Semaphore(BROADCAST_IN_FLIGHT)

    async def deliver(patient_id: int) -> None:
        async with in_flight:
            delivered[await _send_one(core, sender, patient_id, message)] += 1

    last_id = 0
    while batch := await _recipient_batch(core, last_id):
        async with asyncio.TaskGroup() as group:
            for patient_id in batch:
                group.create_task(deliver(patient_id))
        last_id = batch[-1]
    sent, failed = delivered[True], delivered[False]
    async with core.db.transaction() as session:
        row = await session.get(Broadcast, broadcast.id)
        if row is not None:
            row.sent, row.failed, row.finished_at = sent, failed, core.clock.now()
    return BroadcastResult(sent, failed)
