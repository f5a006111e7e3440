"""The reminder dispatcher: claim due reminders, write the outbox, send, advance.

One `tick(now)` does everything that is due:

1. Claim due reminders in batches. In the claiming transaction each row gets its outbox row
   (`reminder_deliveries`, unique per reminder, local date and kind) written `pending`, and its
   `next_fire_at` moved to the next occurrence; on PostgreSQL the claim skips rows another
   dispatcher holds (FOR UPDATE SKIP LOCKED), so replicas never claim one occurrence twice.
   An occurrence missed by the grace or more (downtime) is skipped, and when several are due only
   the newest can go: never a burst of stale reminders.
   Once a week an occurrence also gets the weekly function check (kind `weekly`, see
   `sibot.function.weekly_due`), whether or not its reminder goes.
2. Claim due follow-ups the same way: one per day at most, only if the reminder was left alone.
3. Send every pending outbox row that is due: the ones just claimed, retries after a failure,
   and rows a crash left behind, side by side (the rate limiter paces them). A few rows at a
   time, as sends free up, are claimed with a lease and committed (`claimed_by`, `lease_until`),
   then sent, and each send is recorded in a short transaction of its own as soon as Telegram
   answers (with the answers that came in meanwhile). The lease is renewed while sends are out,
   so another dispatcher skips the rows; once it lapses (the bot died) they are due again. A
   crash can then double only a message Telegram took in the instant before it, not yet
   recorded. A bot that is stopping claims no further rows: what is left stays pending, for its
   next start.

Nothing is sent for a patient who is inactive (blocked the bot), paused, not onboarded, or who
already completed that day's session.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from sibot.core import Core
from sibot.db import Database
from sibot.function import WEEKLY, Card, weekly_cards, weekly_due
from sibot.health import Heartbeat
from sibot.models import ExerciseSession, Patient, Reminder, ReminderDelivery
from sibot.patients import signs_due, takes_reminders
from sibot.ports import Clock, OutgoingMessage, Priority, RecipientBlocked, ReminderRenderer, Sender, SendError
from sibot.reminders import (
    DAILY,
    EXPIRED,
    FAILED,
    FOLLOWUP,
    PENDING,
    SENT,
    SKIP,
    following_occurrence,
    scheduled,
)
from sibot.routine import ROUTINE_KEYS, Pace, estimated_minutes
from sibot.schedule import Occurrence
from sibot.sessions import Status
from sibot.settings import Settings

log = logging.getLogger(__name__)

# On SQLite a claim runs through without yielding: more rows keep hold timers waiting (see
# benchmarks/README.md).
CLAIM_BATCH = 50
# The dispatcher looks again at least this often, whatever is scheduled.
MAX_WAIT = timedelta(seconds=30)
MAX_ATTEMPTS = 5
FIRST_RETRY_DELAY = timedelta(seconds=30)  # doubled after every further failure
# Deliveries claimed per round; each round ends with a heartbeat. At most SENDS_IN_FLIGHT of a
# round are sent at once; the rate limiter paces the sends.
SEND_CHUNK = 100
# A fan-out with more in flight fills the event loop, and a patient's "Relax" waits behind it;
# 16 keeps most of the fan-out's speed (see benchmarks/README.md).
SENDS_IN_FLIGHT = 16
# Deliveries are claimed this many at a time, as sends free up, and at most CLAIMED_AT_MOST are
# claimed and not yet answered: all a crash can hold back until their lease lapses.
CLAIM_GROUP = SENDS_IN_FLIGHT
CLAIMED_AT_MOST = 3 * CLAIM_GROUP
# How long a claim on deliveries holds without renewal: rows a dead bot claimed wait this long.
# It is renewed every third of it while sends are out.
LEASE = timedelta(seconds=10)
_ERROR_LENGTH = 200

OutboxKey = tuple[int, date, str]


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A delivery to try now, with what recording its outcome needs."""

    delivery_id: int
    reminder_id: int
    chat_id: int
    attempts: int  # the tries before this one
    followup_day: date | None  # the day whose follow-up a successful send schedules
    message: OutgoingMessage


@dataclass(frozen=True, slots=True)
class SendTry:
    """One try of an outbox row's message: its message id once sent, or why it was not."""

    message_id: int | None = None
    blocked: bool = False
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.message_id is not None

    def status(self, attempts: int) -> str:
        """The row's status after this try, its `attempts`-th: sent, failed for good, or
        pending a retry."""
        if self.sent:
            return SENT
        if self.blocked or attempts >= MAX_ATTEMPTS:
            return FAILED
        return PENDING


@dataclass(frozen=True, slots=True)
class _Outcome:
    outgoing: _Outgoing
    tried: SendTry


async def send_once(sender: Sender, chat_id: int, message: OutgoingMessage, delivery_id: int) -> SendTry:
    """Send an outbox row's message once, at the reminders' priority; never raises."""
    try:
        message_id = await sender.send(chat_id, message, priority=Priority.REMINDER)
    except RecipientBlocked as exc:
        return SendTry(blocked=True, error=str(exc))
    except SendError as exc:
        return SendTry(error=str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - a fault of ours must not undo its batch mates
        log.exception("outbox send failed unexpectedly", extra={"delivery_id": delivery_id})
        return SendTry(error=f"{type(exc).__name__}: {exc}")
    return SendTry(message_id=message_id)


def retry_at(attempts: int, last_attempt: datetime) -> datetime:
    """When a pending delivery may be tried (again): at once the first time, then with backoff."""
    if attempts == 0:
        return last_attempt
    return last_attempt + FIRST_RETRY_DELAY * 2 ** (attempts - 1)


class Dispatcher:
    """Sends due reminders through a `Sender`; one instance per process, one tick at a time."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        heartbeat: Heartbeat,
        sender: Sender,
        clock: Clock,
        messages: ReminderRenderer,
        keep_going: Callable[[], bool] = lambda: True,
        lease: timedelta = LEASE,
    ) -> None:
        self._db = db
        # A stop waits for the tick: at 30 msg/s a fan-out of thousands would hold it for minutes.
        self._keep_going = keep_going
        self._clock = clock
        self._grace = settings.reminder_grace
        self._followup_delay = settings.followup_delay
        self._heartbeat = heartbeat
        self._sender = sender
        self._messages = messages
        # Names this dispatcher's leases. One tick at a time: at the start of one, no row it
        # claimed is still out.
        self._claimer = uuid.uuid4().hex
        self._lease = lease  # tests shorten it to see it renewed

    @classmethod
    def for_core(
        cls, core: Core, sender: Sender, messages: ReminderRenderer, keep_going: Callable[[], bool]
    ) -> Dispatcher:
        return cls(core.db, core.settings, core.heartbeat, sender, core.clock, messages, keep_going)

    async def tick(self, now: datetime) -> datetime:
        """Claim and send everything due at `now`; return when the next tick should be."""
        while await self._claim_due(now) == CLAIM_BATCH:
            await _let_others_run()
        while await self._claim_followups(now) == CLAIM_BATCH:
            await _let_others_run()
        next_retry = await self._send_pending(now)
        next_tick = await self._next_tick(now, next_retry)
        # Alive is a tick that got through: one that fails at every start is stalled.
        self._heartbeat.beat(self._clock.now())
        return next_tick

    # -- claiming ---------------------------------------------------------------------------

    async def _claim_due(self, now: datetime) -> int:
        async with self._db.transaction() as session:
            rows = await _claim(
                session, Reminder.next_fire_at, Reminder.enabled, Reminder.next_fire_at <= now
            )
            if not rows:
                return 0
            due = [(row, *self._advance(row, now)) for row in rows]
            done = await self._completed_days(session, rows, now)
            taken = await _outbox_keys(
                session, [(row.id, occurrence.local_date) for row, occurrence, _, _ in due]
            )
            connection = await session.connection()
            await connection.execute(
                update(Reminder).where(Reminder.id == bindparam("reminder")),
                [{"reminder": row.id, **scheduled(following)} for row, _, _, following in due],
            )
            pending = []
            for row, occurrence, kind, _ in due:
                if (
                    now - occurrence.fire_at < self._grace
                    and takes_reminders(row, now)
                    and occurrence.local_date not in done[row.patient_id]
                    and _open(taken, row.id, occurrence.local_date, kind)
                ):
                    pending.append(_pending(row, occurrence, kind, now))
            await _add_pending(connection, pending + await self._weekly(session, due, taken, now))
            return len(rows)

    async def _weekly(
        self, session: AsyncSession, due: list[tuple[Row[Any], Occurrence, str, Any]],
        taken: set[OutboxKey], now: datetime,
    ) -> list[dict[str, Any]]:
        """The weekly function check that comes with some of these occurrences (see
        `sibot.function.weekly_due`), whether or not the reminder itself goes."""
        sendable = [
            (row, occurrence) for row, occurrence, _, _ in due
            if now - occurrence.fire_at < self._grace and takes_reminders(row, now)
            and (row.id, occurrence.local_date, WEEKLY) not in taken
        ]
        days = {row.id: occurrence.local_date for row, occurrence in sendable}
        weekly = await weekly_due(session, [row for row, _ in sendable], days, now)
        return [
            _pending(row, occurrence, WEEKLY, now) for row, occurrence in sendable if row.id in weekly
        ]

    def _advance(
        self, reminder: Row[Any], now: datetime
    ) -> tuple[Occurrence, str, Occurrence | None]:
        """The newest due occurrence of a claimed `reminder`, its kind, and the occurrence the
        reminder moves on to.

        After a long downtime the search starts a day before the grace: anything older could
        never be sent anyway.
        """
        zone = ZoneInfo(reminder.timezone)
        local_date = reminder.occurrence_date or reminder.next_fire_at.astimezone(zone).date()
        current, kind = Occurrence(local_date, reminder.next_fire_at), reminder.next_kind
        after = max(current.fire_at, now - self._grace - timedelta(days=1))
        following = following_occurrence(reminder, zone, after, after_date=current.local_date)
        while following is not None and following.fire_at <= now:
            current, kind = following, DAILY
            following = following_occurrence(
                reminder, zone, following.fire_at, after_date=following.local_date
            )
        return current, kind, following

    async def _claim_followups(self, now: datetime) -> int:
        async with self._db.transaction() as session:
            rows = await _claim(session, Reminder.followup_at, Reminder.followup_at <= now)
            if not rows:
                return 0
            done = await self._completed_days(session, rows, now)
            started = await self._session_starts(session, rows, now)
            taken = await _outbox_keys(session, [(row.id, row.followup_date) for row in rows])
            connection = await session.connection()
            await connection.execute(
                update(Reminder)
                .where(Reminder.id.in_([row.id for row in rows]))
                .values(followup_at=None, followup_date=None)
            )
            pending = []
            for row in rows:
                followup = Occurrence(row.followup_date, row.followup_at)
                reminded_at = followup.fire_at - self._followup_delay
                if (
                    now - followup.fire_at < self._grace
                    and row.enabled
                    and takes_reminders(row, now)
                    and row.followups_enabled
                    and followup.local_date not in done[row.patient_id]
                    and not any(start >= reminded_at for start in started[row.patient_id])
                    and _open(taken, row.id, followup.local_date, FOLLOWUP)
                ):
                    pending.append(_pending(row, followup, FOLLOWUP, now))
            await _add_pending(connection, pending)
            return len(rows)

    async def _completed_days(
        self, session: AsyncSession, claimed: Sequence[Row[Any]], now: datetime
    ) -> defaultdict[int, set[date]]:
        """Per patient of the claimed reminders, the local dates of recent completed sessions."""
        zones = {row.patient_id: ZoneInfo(row.timezone) for row in claimed}
        rows = await session.execute(
            select(ExerciseSession.patient_id, ExerciseSession.ended_at).where(
                ExerciseSession.patient_id.in_(zones),
                ExerciseSession.status == Status.COMPLETED,
                ExerciseSession.ended_at >= now - self._grace - timedelta(days=2),
            )
        )
        days: defaultdict[int, set[date]] = defaultdict(set)
        for patient_id, ended_at in rows:
            days[patient_id].add(ended_at.astimezone(zones[patient_id]).date())
        return days

    async def _session_starts(
        self, session: AsyncSession, claimed: Sequence[Row[Any]], now: datetime
    ) -> defaultdict[int, list[datetime]]:
        """Per patient of the claimed reminders, when their sessions of the last day or so
        started."""
        rows = await session.execute(
            select(ExerciseSession.patient_id, ExerciseSession.started_at).where(
                ExerciseSession.patient_id.in_([row.patient_id for row in claimed]),
                ExerciseSession.started_at >= now - self._followup_delay - self._grace,
            )
        )
        starts: defaultdict[int, list[datetime]] = defaultdict(list)
        for patient_id, started_at in rows:
            starts[patient_id].append(started_at)
        return starts

    # -- sending ----------------------------------------------------------------------------

    async def _send_pending(self, now: datetime) -> datetime | None:
        """Send every pending delivery that is due; return the earliest retry still to come
        (or lease to lapse)."""
        async with self._db.transaction() as session:
            pending = (
                await session.execute(
                    select(
                        ReminderDelivery.id, ReminderDelivery.attempts, ReminderDelivery.updated_at,
                        ReminderDelivery.claimed_by, ReminderDelivery.lease_until,
                    )
                    .where(ReminderDelivery.status == PENDING)
                    .order_by(ReminderDelivery.id)
                )
            ).all()
        due: list[int] = []
        later: list[datetime] = []
        for row in pending:
            at = retry_at(row.attempts, row.updated_at)
            if row.lease_until is not None and row.claimed_by != self._claimer:
                at = max(at, row.lease_until)
            if at <= now:
                due.append(row.id)
            else:
                later.append(at)
        for chunk in _split(due, SEND_CHUNK):
            if not self._keep_going():
                break
            await self._deliver(chunk, now)
            # a fan-out paced by Telegram's limits takes minutes: still alive, says /healthz
            self._heartbeat.beat(self._clock.now())
        return min(later, default=None)

    async def _deliver(self, delivery_ids: list[int], now: datetime) -> None:
        """Send a chunk of deliveries side by side, a group claimed at a time as sends free up;
        record each as soon as Telegram answers, and renew the lease on the rest while they
        are out.

        One connection (SQLite): the outcomes that come in while a commit runs share the next.
        """
        answered: asyncio.Queue[_Outcome | None] = asyncio.Queue()  # None: all claimed
        in_flight = asyncio.Semaphore(SENDS_IN_FLIGHT)
        room = asyncio.Event()  # for another group among the claimed and unanswered
        claimed = unanswered = 0

        async def attempt(item: _Outgoing) -> None:
            nonlocal unanswered
            async with in_flight:
                outcome = await self._attempt(item)
            unanswered -= 1
            if unanswered <= CLAIMED_AT_MOST - CLAIM_GROUP:
                room.set()
            answered.put_nowait(outcome)

        async def claim_as_sends_free_up(group: asyncio.TaskGroup) -> None:
            nonlocal claimed, unanswered
            for ids in _split(delivery_ids, CLAIM_GROUP):
                while unanswered > CLAIMED_AT_MOST - CLAIM_GROUP:
                    room.clear()
                    await room.wait()
                if not self._keep_going():
                    break
                outgoing = await self._claim_sends(ids, now)
                claimed += len(outgoing)
                unanswered += len(outgoing)
                for item in outgoing:
                    group.create_task(attempt(item))
            answered.put_nowait(None)

        sent = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(claim_as_sends_free_up(group))
            group.create_task(self._renew_leases(until=sent))
            all_claimed, recorded = False, 0
            while not all_claimed or recorded < claimed:
                batch = [await answered.get()]
                while not answered.empty():
                    batch.append(answered.get_nowait())
                outcomes = [outcome for outcome in batch if outcome is not None]
                all_claimed = all_claimed or len(outcomes) < len(batch)
                if outcomes:
                    async with self._db.transaction() as session:
                        await self._record(session, outcomes, now)
                    recorded += len(outcomes)
            sent.set()

    async def _claim_sends(self, delivery_ids: list[int], now: datetime) -> list[_Outgoing]:
        """Claim the deliveries still pending, due and free, and commit; their messages.

        A row is free unless another dispatcher's lease on it holds. On PostgreSQL the claim
        skips rows another dispatcher is claiming this instant. Too late ones expire.
        """
        at = self._clock.now()
        async with self._db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        ReminderDelivery.id, ReminderDelivery.reminder_id,
                        ReminderDelivery.patient_id, ReminderDelivery.occurrence_date,
                        ReminderDelivery.kind, ReminderDelivery.attempts,
                        ReminderDelivery.updated_at, ReminderDelivery.due_at,
                        Patient.language, Patient.hold_seconds, Patient.repetitions,
                        Patient.pace, Patient.rest_seconds,
                        Patient.followups_enabled, Patient.signs_checked_at,
                    )
                    .join(Patient, Patient.id == ReminderDelivery.patient_id)
                    .where(
                        ReminderDelivery.id.in_(delivery_ids),
                        ReminderDelivery.status == PENDING,
                        or_(
                            ReminderDelivery.lease_until.is_(None),
                            ReminderDelivery.lease_until <= at,
                            ReminderDelivery.claimed_by == self._claimer,
                        ),
                    )
                    .with_for_update(skip_locked=True, of=ReminderDelivery)
                )
            ).all()
            cards = await weekly_cards(
                session, [row.patient_id for row in rows if row.kind == WEEKLY], now
            )
            outgoing, expired = [], []
            for row in rows:
                if retry_at(row.attempts, row.updated_at) > now:
                    continue  # another dispatcher tried it meanwhile
                nothing_to_ask = row.kind == WEEKLY and not (
                    row.patient_id in cards and cards[row.patient_id].worth_sending
                )
                if now - row.due_at >= self._grace or nothing_to_ask:
                    expired.append(row.id)
                    continue
                follows_up = row.kind not in (FOLLOWUP, WEEKLY) and row.followups_enabled
                outgoing.append(
                    _Outgoing(
                        row.id, row.reminder_id, row.patient_id, row.attempts,
                        row.occurrence_date if follows_up else None,
                        self._message_for(row, cards.get(row.patient_id), now),
                    )
                )
            if expired:
                await session.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.id.in_(expired))
                    .values(status=EXPIRED, updated_at=now, claimed_by=None, lease_until=None)
                )
            if outgoing:
                await session.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.id.in_([item.delivery_id for item in outgoing]))
                    .values(claimed_by=self._claimer, lease_until=at + self._lease)
                )
        return outgoing

    def _message_for(self, row: Row[Any], card: Card | None, now: datetime) -> OutgoingMessage:
        """The message of a delivery row, which carries its kind and its patient's settings
        (and for the weekly check, the patient's card)."""
        if row.kind == WEEKLY and card is not None:
            return self._messages.weekly(row.language, card)
        if row.kind == FOLLOWUP:
            return self._messages.followup(row.language)
        minutes = estimated_minutes(
            ROUTINE_KEYS, row.hold_seconds, row.repetitions,
            pace=Pace(row.pace), rest_seconds=row.rest_seconds,
        )
        return self._messages.reminder(row.language, minutes, signs_due(row.signs_checked_at, now))

    async def _renew_leases(self, until: asyncio.Event) -> None:
        """Every third of a lease until `until` is set, hold this dispatcher's claimed rows (the
        ones still out) for another lease."""
        while True:
            try:
                await asyncio.wait_for(until.wait(), self._lease.total_seconds() / 3)
            except TimeoutError:
                async with self._db.transaction() as session:
                    await session.execute(
                        update(ReminderDelivery)
                        .where(
                            ReminderDelivery.claimed_by == self._claimer,
                            ReminderDelivery.status == PENDING,
                        )
                        .values(lease_until=self._clock.now() + self._lease)
                    )
            else:
                return

    async def _attempt(self, outgoing: _Outgoing) -> _Outcome:
        tried = await send_once(self._sender, outgoing.chat_id, outgoing.message, outgoing.delivery_id)
        return _Outcome(outgoing, tried)

    async def _record(
        self, session: AsyncSession, outcomes: Sequence[_Outcome], now: datetime
    ) -> None:
        """Write the outcomes: each delivery's status and tries (and the end of its claim), the
        follow-ups the sent ones schedule, the patients who blocked the bot; one statement each,
        whatever the count.

        A row deleted while its message was out (the patient deleted their data) is left alone,
        and so is one another dispatcher claimed since this one's lease lapsed.
        """
        changes, followups, blocked = [], [], set()
        for outcome in outcomes:
            outgoing, change = outcome.outgoing, _delivery_change(outcome, now)
            changes.append(change)
            if change["status"] == SENT:
                if outgoing.followup_day is not None:
                    at = now + self._followup_delay
                    followups.append(_followup(outgoing.reminder_id, at, outgoing.followup_day))
            elif outcome.tried.blocked:
                log.info("patient blocked the bot; reminders stop", extra={"user_id": outgoing.chat_id})
                followups.append(_followup(outgoing.reminder_id, None, None))
                blocked.add(outgoing.chat_id)
            else:
                log.warning(
                    "reminder not sent",
                    extra={
                        "delivery_id": outgoing.delivery_id, "attempts": change["attempts"],
                        "gave_up": change["status"] == FAILED,
                    },
                )
        # Several parameter sets: executemany, not the ORM's bulk update by primary key.
        connection = await session.connection()
        if changes:
            by_id = ReminderDelivery.id == bindparam("delivery_id")
            ours = ReminderDelivery.claimed_by == self._claimer
            await connection.execute(update(ReminderDelivery).where(by_id, ours), changes)
        if followups:
            by_id = Reminder.id == bindparam("reminder")
            await connection.execute(update(Reminder).where(by_id), followups)
        if blocked:
            await connection.execute(update(Patient).where(Patient.id.in_(blocked)).values(active=False))

    async def _next_tick(self, now: datetime, next_retry: datetime | None) -> datetime:
        async with self._db.transaction() as session:
            next_fire = await session.scalar(
                select(func.min(Reminder.next_fire_at)).where(Reminder.enabled)
            )
            next_followup = await session.scalar(select(func.min(Reminder.followup_at)))
        candidates = [t for t in (next_fire, next_followup, next_retry) if t is not None]
        return min([now + MAX_WAIT, *(max(t, now) for t in candidates)])


def _split(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def _let_others_run() -> None:
    # On SQLite a claim runs through without yielding (sibot/db.py): between two batches, the
    # patients' updates and hold timers that came due meanwhile go first.
    await asyncio.sleep(0)


def _followup(reminder_id: int, at: datetime | None, day: date | None) -> dict[str, Any]:
    return {"reminder": reminder_id, "followup_at": at, "followup_date": day}


def _delivery_change(outcome: _Outcome, now: datetime) -> dict[str, Any]:
    """The delivery's row after this attempt: sent, failed for good, or pending a retry."""
    attempts, tried = outcome.outgoing.attempts + 1, outcome.tried
    return {
        "delivery_id": outcome.outgoing.delivery_id, "status": tried.status(attempts),
        "attempts": attempts, "updated_at": now, "sent_at": now if tried.sent else None,
        "message_id": tried.message_id, "error": tried.error[:_ERROR_LENGTH] if tried.error else None,
        "claimed_by": None, "lease_until": None,
    }


def _pending(
    reminder: Row[Any], occurrence: Occurrence, kind: str, now: datetime
) -> dict[str, Any]:
    """The outbox row of a claimed reminder's occurrence, to send at once."""
    return {
        "reminder_id": reminder.id, "patient_id": reminder.patient_id,
        "occurrence_date": occurrence.local_date, "kind": kind, "status": PENDING, "attempts": 0,
        "due_at": occurrence.fire_at, "created_at": now, "updated_at": now,
    }


async def _add_pending(connection: AsyncConnection, deliveries: list[dict[str, Any]]) -> None:
    if deliveries:
        await connection.execute(insert(ReminderDelivery), deliveries)


def _open(taken: set[OutboxKey], reminder_id: int, day: date, kind: str) -> bool:
    """Whether the outbox holds neither a row of `kind` for that day nor a skip of the day."""
    return (reminder_id, day, kind) not in taken and (reminder_id, day, SKIP) not in taken


# What a claim needs of a reminder and its patient, read as plain columns: with ORM objects,
# the flushes took much of a claim's time (see benchmarks/README.md).
_CLAIMED = (
    Reminder.id, Reminder.patient_id, Reminder.local_time, Reminder.weekdays, Reminder.enabled,
    Reminder.next_fire_at, Reminder.occurrence_date, Reminder.next_kind, Reminder.followup_at,
    Reminder.followup_date, Patient.timezone, Patient.active, Patient.onboarding_step,
    Patient.paused_until, Patient.followups_enabled, Patient.advised_at,
)


async def _claim(
    session: AsyncSession,
    order: InstrumentedAttribute[datetime | None],
    *where: ColumnElement[bool] | InstrumentedAttribute[bool],
) -> Sequence[Row[Any]]:
    """Up to CLAIM_BATCH reminders matching `where`, oldest `order` first, with their patients'
    settings, locked; rows another dispatcher holds are skipped."""
    return (
        await session.execute(
            select(*_CLAIMED)
            .join(Patient, Patient.id == Reminder.patient_id)
            .where(*where)
            .order_by(order)
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True, of=Reminder)
        )
    ).all()


async def _outbox_keys(
    session: AsyncSession, occurrences: Iterable[tuple[int, date | None]]
) -> set[OutboxKey]:
    """The outbox rows, as (reminder, date, kind), of these (reminder, date) occurrences."""
    pairs = {(reminder_id, day) for reminder_id, day in occurrences if day is not None}
    if not pairs:
        return set()
    rows = await session.execute(
        select(
            ReminderDelivery.reminder_id, ReminderDelivery.occurrence_date, ReminderDelivery.kind
        ).where(
            ReminderDelivery.reminder_id.in_({reminder_id for reminder_id, _ in pairs}),
            ReminderDelivery.occurrence_date >= min(day for _, day in pairs),
        )
    )
    return {(reminder_id, day, kind) for reminder_id, day, kind in rows if (reminder_id, day) in pairs}
