"""What operators see and do: figures by cohort, and broadcasts to every active patient.

A broadcast is a small state machine, stored in its row (`BroadcastState`): a draft waits for its
operator's "Send it" for a day and then expires; sending goes on, across restarts and replicas,
until every recipient had their try (finished) or its operator cancels it. Only the operator who
wrote it moves it, and a cancelled, expired or finished broadcast never sends again.
"""

from __future__ import annotations

import asyncio
import html
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.core import Core
from sibot.models import Broadcast, ExerciseSession, Patient, RedFlag, ReminderDelivery, ShareLink
from sibot.ports import OutgoingMessage, Priority, RecipientBlocked, Sender, SendError

log = logging.getLogger(__name__)

NO_COHORT = ""
# Sends between two writes of a broadcast's progress: a crash sends at most these twice.
BROADCAST_CHUNK = 50
# How long a replica holds a broadcast it sends; every chunk renews the hold. When a replica dies,
# another one (or the restarted one) goes on once the hold has run out.
BROADCAST_HOLD = timedelta(minutes=2)
# Sends of a broadcast in flight at once. The rate limiter paces them at Telegram's limit, and at
# bulk priority a patient's own messages go first. One at a time, each waiting for its answer,
# a broadcast went at one round trip's pace, well below the limit (see benchmarks/README.md).
BROADCAST_IN_FLIGHT = 16
# The sending loop looks at the stored state before every this many sends: a cancel stops the
# broadcast within these and the sends in flight, at the cost of one primary-key read a look.
CANCEL_LOOK_EVERY = 10
# A draft left this long is not sent any more: its words (and its count) were meant for then.
DRAFT_LIFETIME = timedelta(days=1)


class BroadcastState(StrEnum):
    """Where a broadcast is. Its operator sends or cancels a draft, which expires when left for
    DRAFT_LIFETIME; sending ends finished, once every recipient had their try, or cancelled by
    its operator. The sending loop writes either end."""

    DRAFT = "draft"
    SENDING = "sending"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Refusal(StrEnum):
    """Why an operator's press did nothing: no such broadcast, someone else's, or its state."""

    UNKNOWN = "unknown"
    NOT_YOURS = "not_yours"
    SENDING = "sending"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


Move = Literal["send", "cancel"]
# The moves an operator can make; any other is refused.
_MOVES: dict[tuple[BroadcastState, Move], BroadcastState] = {
    (BroadcastState.DRAFT, "send"): BroadcastState.SENDING,
    (BroadcastState.DRAFT, "cancel"): BroadcastState.CANCELLED,
    (BroadcastState.SENDING, "cancel"): BroadcastState.CANCELLED,
}


def state_of(broadcast: Broadcast, now: datetime) -> BroadcastState:
    """Where the broadcast is now: a draft left for DRAFT_LIFETIME has expired."""
    state = BroadcastState(broadcast.status)
    if state is BroadcastState.DRAFT and now - broadcast.created_at >= DRAFT_LIFETIME:
        return BroadcastState.EXPIRED
    return state


def next_state(state: BroadcastState, move: Move) -> BroadcastState | None:
    """Where `move` takes a broadcast in `state`; None when it may not make it."""
    return _MOVES.get((state, move))


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
    followed: int = 0  # patients sharing with a clinician or carer (sibot/sharing.py)


@dataclass(frozen=True, slots=True)
class BroadcastView:
    """A stored broadcast: its plain text as the operator typed it, and who would get it (or,
    once it is under way, who is still to get it). `hold` names this replica's hold on it."""

    id: int
    admin_id: int
    text: str
    recipients: int
    hold: str | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A cancel that took. A broadcast a replica is sending stops at that replica's next look,
    which reports what went out (`stopping`); otherwise the counts here are final."""

    stopping: bool
    sent: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class BroadcastEnd:
    """How a broadcast ended: finished, or cancelled part-way; with what went out by then."""

    id: int
    admin_id: int
    state: BroadcastState
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    """How far a broadcast got: every recipient up to patient id `sent_through` had their try."""

    sent: int = 0
    failed: int = 0
    sent_through: int = 0


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
            "followed": await _patients(session, _followed()),
        }
    cohorts = sorted(columns["patients"], key=lambda cohort: (-columns["patients"][cohort], cohort))
    return [
        CohortStats(cohort, **{name: values.get(cohort, 0) for name, values in columns.items()})
        for cohort in cohorts
    ]


def total(rows: Sequence[CohortStats]) -> CohortStats:
    fields = [name for name in CohortStats.__slots__ if name != "cohort"]
    return CohortStats("", **{name: sum(getattr(row, name) for row in rows) for name in fields})


def _followed() -> ColumnElement[bool]:
    """The patient shares with someone: a link both sides confirmed and nobody revoked."""
    return exists().where(
        ShareLink.patient_id == Patient.id,
        ShareLink.confirmed_at.is_not(None),
        ShareLink.revoked_at.is_(None),
    )


def _reachable() -> ColumnElement[bool]:
    return Patient.active & Patient.onboarding_step.is_(None)


async def draft_broadcast(core: Core, admin_id: int, text: str) -> BroadcastView:
    """Store a broadcast to be confirmed; nothing is sent yet."""
    async with core.db.transaction() as session:
        broadcast = Broadcast(admin_id=admin_id, text=text, created_at=core.clock.now())
        session.add(broadcast)
        await session.flush()
        recipients = await _recipient_count(session)
    return BroadcastView(broadcast.id, admin_id, text, recipients)


async def confirm_broadcast(core: Core, broadcast_id: int, admin_id: int) -> BroadcastView | Refusal:
    """The operator's "Send it": the draft becomes sending, held by the caller, who sends it; or
    why it may not (someone else's, already sent or sending, cancelled, expired)."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        moved = await _move(session, broadcast_id, admin_id, "send", now)
        if isinstance(moved, Refusal):
            return moved
        broadcast, _ = moved
        broadcast.confirmed_at = now
        return await _take(session, broadcast, now)


async def cancel_broadcast(core: Core, broadcast_id: int, admin_id: int) -> Cancellation | Refusal:
    """The operator's "Cancel", of a draft or of a broadcast going out; or why it may not."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        moved = await _move(session, broadcast_id, admin_id, "cancel", now)
        if isinstance(moved, Refusal):
            return moved
        broadcast, was = moved
        if was is BroadcastState.SENDING and _held(broadcast, now):
            return Cancellation(stopping=True)
        _end_row(broadcast, now)
        return Cancellation(stopping=False, sent=broadcast.sent, failed=broadcast.failed)


async def _move(
    session: AsyncSession, broadcast_id: int, admin_id: int, move: Move, now: datetime
) -> tuple[Broadcast, BroadcastState] | Refusal:
    """Lock the broadcast and make the operator's move: the row and the state it was in, or why
    not. An expiry found on the way is stored."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        return Refusal.UNKNOWN
    if broadcast.admin_id != admin_id:
        return Refusal.NOT_YOURS
    state = state_of(broadcast, now)
    broadcast.status = state
    moved = next_state(state, move)
    if moved is None:
        return Refusal(state.value)
    broadcast.status = moved
    return broadcast, state


def _held(broadcast: Broadcast, now: datetime) -> bool:
    """Whether a live replica sends it: one that stopped let go, a dead one's hold ran out."""
    return broadcast.held_by is not None and broadcast.held_until is not None and broadcast.held_until > now


def _end_row(broadcast: Broadcast, now: datetime) -> None:
    broadcast.finished_at, broadcast.held_by, broadcast.held_until = now, None, None


async def resume_broadcasts(core: Core) -> list[BroadcastView]:
    """Take over the broadcasts going out that nobody is sending: the bot stopped while it sent
    them, or the replica that did died and its hold ran out. The caller sends each."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        orphans = await session.scalars(_unheld(BroadcastState.SENDING, now))
        return [await _take(session, broadcast, now) for broadcast in orphans.all()]


async def end_cancelled_broadcasts(core: Core) -> list[BroadcastEnd]:
    """End the broadcasts cancelled while going out whose sender will not: it stopped or died
    before its next look. The caller tells each operator what went out."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        orphans = (await session.scalars(_unheld(BroadcastState.CANCELLED, now))).all()
        for broadcast in orphans:
            _end_row(broadcast, now)
        return [_end_of(broadcast) for broadcast in orphans]


def _unheld(state: BroadcastState, now: datetime) -> Select[tuple[Broadcast]]:
    return (
        select(Broadcast)
        .where(
            Broadcast.status == state,
            Broadcast.finished_at.is_(None),
            or_(Broadcast.held_until.is_(None), Broadcast.held_until <= now),
        )
        .order_by(Broadcast.id)
        .with_for_update(skip_locked=True)
    )


def _end_of(broadcast: Broadcast) -> BroadcastEnd:
    state = BroadcastState(broadcast.status)
    return BroadcastEnd(broadcast.id, broadcast.admin_id, state, broadcast.sent, broadcast.failed)


async def _take(session: AsyncSession, broadcast: Broadcast, now: datetime) -> BroadcastView:
    broadcast.held_by, broadcast.held_until = uuid.uuid4().hex, now + BROADCAST_HOLD
    recipients = await _recipient_count(session, after=broadcast.sent_through)
    return BroadcastView(
        broadcast.id, broadcast.admin_id, broadcast.text, recipients, broadcast.held_by
    )


async def _recipient_count(session: AsyncSession, after: int = 0) -> int:
    query = select(func.count()).select_from(Patient).where(_reachable(), Patient.id > after)
    return await session.scalar(query) or 0


async def _recipient_batch(core: Core, after_id: int) -> list[int]:
    async with core.db.transaction() as session:
        query = (
            select(Patient.id)
            .where(_reachable(), Patient.id > after_id)
            .order_by(Patient.id)
            .limit(BROADCAST_CHUNK)
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


async def send_broadcast(
    core: Core, sender: Sender, broadcast: BroadcastView, keep_going: Callable[[], bool]
) -> BroadcastEnd | None:
    """Send a broadcast the caller holds, from where it got to, as the plain text it is, at bulk
    priority; how it ended: every recipient had their try, or its operator cancelled it.

    The progress is stored after every chunk, which renews the hold, and the stored state is
    looked at every CANCEL_LOOK_EVERY sends. None when it stops early: `keep_going` said so (the
    bot is stopping: the hold is let go, and the next start goes on at once), or the hold was lost
    (it ran out, and another replica took the broadcast over).
    """
    message = OutgoingMessage(html.escape(broadcast.text))
    progress = await _progress(core, broadcast)
    while progress is not None:
        if not keep_going():
            await _store(core, broadcast, progress, held_until=None)
            return None
        batch = await _recipient_batch(core, progress.sent_through)
        if not batch:
            # Finished, even when a cancel came after the last send: everyone had their try.
            return await _end(core, broadcast, progress, BroadcastState.FINISHED)
        delivered, cancelled = await _send_chunk(core, sender, broadcast.id, batch, message)
        # A cancelled chunk skipped some of its recipients; nobody sends to them any more.
        progress = BroadcastProgress(
            progress.sent + delivered[True], progress.failed + delivered[False], batch[-1]
        )
        if cancelled:
            return await _end(core, broadcast, progress, BroadcastState.CANCELLED)
        renewed = core.clock.now() + BROADCAST_HOLD
        if not await _store(core, broadcast, progress, held_until=renewed):
            progress = None
    log.warning("broadcast stopped: no longer held here", extra={"broadcast_id": broadcast.id})
    return None


async def _send_chunk(
    core: Core, sender: Sender, broadcast_id: int, patient_ids: list[int], message: OutgoingMessage
) -> tuple[Counter[bool], bool]:
    """Send to a chunk of patients, side by side: the count of each outcome, and whether the
    broadcast was found cancelled. Each run of CANCEL_LOOK_EVERY sends waits for one look at the
    stored state, taken as the first of them starts; a cancel skips every send after it."""
    delivered: Counter[bool] = Counter()
    in_flight = asyncio.Semaphore(BROADCAST_IN_FLIGHT)
    looks: dict[int, asyncio.Task[bool]] = {}

    async def deliver(index: int, patient_id: int) -> None:
        async with in_flight:
            run = index // CANCEL_LOOK_EVERY
            if run not in looks:
                looks[run] = asyncio.create_task(_cancelled(core, broadcast_id))
            if not await looks[run]:
                delivered[await _send_one(core, sender, patient_id, message)] += 1

    async with asyncio.TaskGroup() as group:
        for index, patient_id in enumerate(patient_ids):
            group.create_task(deliver(index, patient_id))
    return delivered, any(look.result() for look in looks.values())


async def _cancelled(core: Core, broadcast_id: int) -> bool:
    async with core.db.transaction() as session:
        status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    return status == BroadcastState.CANCELLED


async def _end(
    core: Core, broadcast: BroadcastView, progress: BroadcastProgress, state: BroadcastState
) -> BroadcastEnd | None:
    """Store how the broadcast ended, if the caller still holds it; None when it does not."""
    async with core.db.transaction() as session:
        row = await session.get(Broadcast, broadcast.id, with_for_update=True)
        if row is None or row.held_by != broadcast.hold:
            return None
        row.status = state
        row.sent, row.failed, row.sent_through = progress.sent, progress.failed, progress.sent_through
        _end_row(row, core.clock.now())
        return _end_of(row)


async def _progress(core: Core, broadcast: BroadcastView) -> BroadcastProgress | None:
    """How far the broadcast got; None unless the caller holds it."""
    async with core.db.transaction() as session:
        row = await session.get(Broadcast, broadcast.id)
    if row is None or row.held_by is None or row.held_by != broadcast.hold:
        return None
    return BroadcastProgress(row.sent, row.failed, row.sent_through)


async def _store(
    core: Core, broadcast: BroadcastView, progress: BroadcastProgress, *, held_until: datetime | None
) -> bool:
    """Write the progress if the caller still holds the broadcast; whether it did. Without
    `held_until` the hold ends, and the broadcast is left for the next start."""
    values = {
        "sent": progress.sent, "failed": progress.failed, "sent_through": progress.sent_through,
        "held_until": held_until,
    }
    if held_until is None:
        values["held_by"] = None
    async with core.db.transaction() as session:
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id, Broadcast.held_by == broadcast.hold)
            .values(**values)
        )
    return bool(result.rowcount)
