"""Sharing: a clinician or a carer follows a patient, with the consent of both.

A patient's invitation is a one-time code (only its hash is stored) that a follower opens with
`/start <code>` within INVITE_LIFETIME. Accepting it makes the link `accepted`; nothing is shared
until the patient confirms it too (`confirmed_at`). A follower is a user of their own kind (the
`followers` row), linked to a patient only by that record: every query of a follower's use case
goes through a link that names both of them and is confirmed and not revoked.

Everything the sharing sends goes through its outbox (`share_deliveries`), with the reminders'
rules (sibot/dispatcher.py): a row per (link, key) makes a second send impossible, a row is
claimed with a lease and committed, sent, and recorded at once; a failure is retried with the
reminders' backoff; a row too late for the grace expires. A recipient who blocked the bot (a 403)
is marked inactive, as a patient is by the reminders: every delivery to them is then recorded
failed, unsent, until they write to the bot again (`sibot.patients.meet`). `ShareOutbox.tick` runs
in the reminder dispatcher's job:

- the weekly summary, Monday 08:00 in the follower's zone (key "week:<that Monday>");
- an emergency red flag of a patient who allowed alerts, to the follower ("flag:<id>"), and then
  to the patient that it was sent ("told:<id>");
- the notices that make the consent: "accepted" (to the patient, who then confirms),
  "confirmed" and "revoked" (to the follower).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sibot import checkins, diary
from sibot.core import Core
from sibot.function import full_report_data
from sibot.dispatcher import LEASE, SendTry, retry_at, send_once
from sibot.models import Checkin, ExerciseSession, Follower, Patient, RedFlag, ShareDelivery, ShareLink
from sibot.patients import SHARE_CODE_PREFIX, set_active, set_awaiting
from sibot.ports import OutgoingMessage, Sender
from sibot.reminders import EXPIRED, FAILED, PENDING, SKIPPED
from sibot.report import FlagEvent, ReportData
from sibot.schedule import Occurrence, mask_to_weekdays, next_occurrence
from sibot.sessions import Status
from sibot.zones import is_valid_zone

log = logging.getLogger(__name__)

INVITE_LIFETIME = timedelta(days=7)
SUMMARY_TIME = time(8, 0)
SUMMARY_WEEKDAYS = frozenset({0})  # Monday
WEEK = timedelta(days=7)
# The typed answer a follower's zone picker waits for (patients.awaiting).
AWAITING_ZONE = "share_zone"
_CODE_BYTES = 32  # 43 characters of [A-Za-z0-9_-]: the code fits Telegram's 64 with its prefix
_ERROR_LENGTH = 200
# The error of a delivery not tried: its recipient had blocked the bot (a 403 before).
BLOCKED = "recipient blocked the bot"


class Role(StrEnum):
    CLINICIAN = "clinician"
    CARER = "carer"


class Problem(StrEnum):
    """Why an invitation code does nothing."""

    UNKNOWN = "unknown"  # forged, mistyped, or its patient deleted everything
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    OWN = "own"  # the patient opened their own link


class Notice(StrEnum):
    """The outbox's kinds of message, the first part of a delivery's key."""

    WEEK = "week"
    FLAG = "flag"
    TOLD = "told"
    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    REVOKED = "revoked"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def is_share_code(payload: str | None) -> bool:
    return payload is not None and payload.strip().startswith(SHARE_CODE_PREFIX)


# ---- values the glue renders ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    role: Role
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    """What an invitee sees before accepting: who invites them, as what."""

    patient_name: str
    role: Role
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    patient_name: str
    zone: str


@dataclass(frozen=True, slots=True)
class ZoneSet:
    zone: str
    next_summary_at: datetime | None  # the soonest of the follower's confirmed links


@dataclass(frozen=True, slots=True)
class Confirmed:
    follower_name: str
    alerts: bool


@dataclass(frozen=True, slots=True)
class FollowerLine:
    """One follower in the patient's /share."""

    link_id: int
    name: str
    role: Role
    since: datetime  # confirmed, or accepted when still waiting for the patient
    confirmed: bool
    alerts: bool


@dataclass(frozen=True, slots=True)
class FollowedPatient:
    """One patient in a follower's /patients, with the latest figures."""

    link_id: int
    name: str
    role: Role
    since: datetime
    cohort: str | None
    last_score: int | None
    last_score_at: datetime | None
    sessions_7_days: int
    zone: str  # the follower's, for the dates shown


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    """The week Monday..Sunday (the patient's dates) before the follower's Monday, as /report
    counts it: sessions, weekly resting pain, red flags; and what the 7-day chart draws."""

    link_id: int
    patient_name: str
    patient_zone: str
    first: date
    last: date
    planned: int
    done: int
    pain: float | None
    pain_before: float | None
    flags: tuple[FlagEvent, ...]
    days: tuple[checkins.DayPain, ...]
    sessions_by_date: dict[date, int]
    streak: int


@dataclass(frozen=True, slots=True)
class FollowerReport:
    report: ReportData
    language: str


class ShareRenderer(Protocol):
    """The messages of the sharing outbox; the glue draws them (with their buttons)."""

    def weekly(self, language: str, summary: WeeklySummary) -> OutgoingMessage:
        """To the follower, Monday 08:00: the week, its chart and a report button."""
        ...

    def alert(
        self, language: str, link_id: int, patient_name: str, flag: FlagEvent, zone: str
    ) -> OutgoingMessage:
        """To the follower, at once: an emergency red flag (time in the follower's `zone`)."""
        ...

    def told(self, language: str, follower_name: str) -> OutgoingMessage:
        """To the patient: the follower was alerted."""
        ...

    def accepted(self, language: str, link_id: int, follower_name: str, role: Role) -> OutgoingMessage:
        """To the patient: the invitee accepted; start sharing?"""
        ...

    def confirmed(
        self, language: str, patient_name: str, first_summary_at: datetime | None, zone: str
    ) -> OutgoingMessage:
        """To the follower: the patient confirmed; when the first summary comes."""
        ...

    def revoked(self, language: str, patient_name: str) -> OutgoingMessage:
        """To the follower: the patient stopped sharing."""
        ...


# ---- the patient's side ---------------------------------------------------------------------


async def invite(core: Core, patient_id: int, role: Role) -> Invite:
    """A new one-time code for `role`; only its hash is stored."""
    now = core.clock.now()
    code = SHARE_CODE_PREFIX + secrets.token_urlsafe(_CODE_BYTES)
    async with core.db.transaction() as session:
        session.add(
            ShareLink(
                patient_id=patient_id, role=role.value, code_hash=_hash(code), created_at=now,
                expires_at=now + INVITE_LIFETIME,
            )
        )
    return Invite(code, role, now + INVITE_LIFETIME)


async def followers_of(core: Core, patient_id: int) -> list[FollowerLine]:
    """Who follows the patient or has accepted and waits for them, oldest first."""
    async with core.db.transaction() as session:
        rows = await session.execute(
            select(ShareLink, Patient.name)
            .join(Patient, Patient.id == ShareLink.follower_id)
            .where(
                ShareLink.patient_id == patient_id,
                ShareLink.accepted_at.is_not(None),
                ShareLink.revoked_at.is_(None),
            )
            .order_by(ShareLink.accepted_at)
        )
        return [
            FollowerLine(
                link.id, name or "", Role(link.role), link.confirmed_at or link.accepted_at,
                link.confirmed_at is not None, link.alerts,
            )
            for link, name in rows
        ]


async def confirm(core: Core, patient_id: int, link_id: int, alerts: bool) -> Confirmed | None:
    """The patient's yes to a follower who accepted: sharing starts. None when the link is not
    the patient's, not accepted, already confirmed or revoked (an old or forged button)."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        link = await session.get(ShareLink, link_id, with_for_update=True)
        if (
            link is None or link.patient_id != patient_id or link.accepted_at is None
            or link.confirmed_at is not None or link.revoked_at is not None
            or link.follower_id is None
        ):
            return None
        follower = await session.get(Follower, link.follower_id)
        assert follower is not None  # the link goes with its follower
        link.confirmed_at, link.alerts = now, alerts
        _schedule_summary(link, follower.timezone, now)
        await _notify(session, link, Notice.CONFIRMED, link.follower_id, now)
        return Confirmed(await _name_of(session, link.follower_id), alerts)


async def revoke(core: Core, patient_id: int, link_id: int) -> str | None:
    """The patient stops sharing with a follower (or declines one who accepted): nothing more
    goes out, and the follower is told. The follower's name; None when there was nothing to
    stop."""
    async with core.db.transaction() as session:
        link = await _live_link(session, link_id, ShareLink.patient_id == patient_id)
        if link is None or link.follower_id is None:
            return None
        await _end(session, link, core.clock.now(), tell=link.follower_id)
        return await _name_of(session, link.follower_id)


# ---- the follower's side --------------------------------------------------------------------


async def open_invitation(core: Core, code: str, user_id: int) -> Invitation | Problem:
    """What a code invites its opener to, or why it does nothing."""
    async with core.db.transaction() as session:
        found = await _invitation(session, code, user_id, core.clock.now())
        if isinstance(found, Problem):
            return found
        link, name = found
        return Invitation(name, Role(link.role), link.expires_at)


async def accept(core: Core, code: str, user_id: int) -> Accepted | Problem:
    """The invitee's yes: they become a follower (in the server's zone until they choose
    theirs, which the bot now waits for), and the patient is asked to confirm."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        found = await _invitation(session, code, user_id, now)
        if isinstance(found, Problem):
            return found
        link, name = found
        follower = await session.get(Follower, user_id)
        if follower is None:
            follower = Follower(id=user_id, timezone=core.settings.default_timezone, created_at=now)
            session.add(follower)
            await session.flush()
        link.follower_id, link.accepted_at = user_id, now
        await _notify(session, link, Notice.ACCEPTED, link.patient_id, now)
        await set_awaiting(session, user_id, AWAITING_ZONE)
        return Accepted(name, follower.timezone)


async def choose_zone(core: Core, user_id: int, zone: str) -> ZoneSet | None:
    """The follower's zone for their weekly summaries; None for an unknown zone or a user who
    follows nobody."""
    if not is_valid_zone(zone):
        return None
    now = core.clock.now()
    async with core.db.transaction() as session:
        follower = await session.get(Follower, user_id)
        if follower is None:
            return None
        follower.timezone = zone
        await set_awaiting(session, user_id, None)
        links = await session.scalars(
            select(ShareLink).where(
                ShareLink.follower_id == user_id,
                ShareLink.confirmed_at.is_not(None),
                ShareLink.revoked_at.is_(None),
            )
        )
        for link in links:
            _schedule_summary(link, zone, now)
        upcoming = await session.scalar(
            select(func.min(ShareLink.next_summary_at)).where(ShareLink.follower_id == user_id)
        )
        return ZoneSet(zone, upcoming)


async def followed_by(core: Core, follower_id: int) -> list[FollowedPatient]:
    """The patients who chose this follower, with their latest pain score and sessions of the
    last 7 days; nobody else."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        rows = (
            await session.execute(
                select(ShareLink, Patient, Follower.timezone)
                .join(Patient, Patient.id == ShareLink.patient_id)
                .join(Follower, Follower.id == ShareLink.follower_id)
                .where(*_following(follower_id))
                .order_by(ShareLink.confirmed_at)
            )
        ).all()
        followed = []
        for link, patient, zone in rows:
            last = (
                await session.execute(
                    select(Checkin.score, Checkin.at)
                    .where(Checkin.patient_id == patient.id, Checkin.score.is_not(None))
                    .order_by(Checkin.at.desc())
                    .limit(1)
                )
            ).first()
            sessions = await session.scalar(
                select(func.count()).where(
                    ExerciseSession.patient_id == patient.id,
                    ExerciseSession.status == Status.COMPLETED,
                    ExerciseSession.ended_at > now - WEEK,
                )
            )
            followed.append(
                FollowedPatient(
                    link.id, patient.name or "", Role(link.role), link.confirmed_at,
                    patient.cohort if link.role == Role.CLINICIAN else None,
                    last.score if last else None, last.at if last else None, sessions or 0, zone,
                )
            )
        return followed


async def report_for(core: Core, follower_id: int, link_id: int) -> FollowerReport | None:
    """The full report of a patient who chose this follower, in the follower's language; None
    for any other link (a forged or old button)."""
    async with core.db.transaction() as session:
        row = (
            await session.execute(
                select(ShareLink.patient_id, Patient.language)
                .join(Patient, Patient.id == ShareLink.follower_id)
                .where(ShareLink.id == link_id, *_following(follower_id))
            )
        ).first()
        if row is None:
            return None
        report = await full_report_data(session, row.patient_id, core.clock.now())
        return None if report is None else FollowerReport(report, row.language)


async def unfollow(core: Core, follower_id: int, link_id: int) -> str | None:
    """The follower stops following a patient; the patient's name, None when they did not."""
    async with core.db.transaction() as session:
        link = await _live_link(session, link_id, ShareLink.follower_id == follower_id)
        if link is None:
            return None
        await _end(session, link, core.clock.now(), tell=None)
        return await _name_of(session, link.patient_id)


# ---- helpers --------------------------------------------------------------------------------


def _following(follower_id: int) -> tuple[object, ...]:
    """The consent record a follower's every look goes through: theirs, confirmed, not revoked."""
    return (
        ShareLink.follower_id == follower_id,
        ShareLink.confirmed_at.is_not(None),
        ShareLink.revoked_at.is_(None),
    )


async def _invitation(
    session: AsyncSession, code: str, user_id: int, now: datetime
) -> tuple[ShareLink, str] | Problem:
    link = await session.scalar(
        select(ShareLink).where(ShareLink.code_hash == _hash(code.strip())).with_for_update()
    )
    if link is None:
        return Problem.UNKNOWN
    if link.revoked_at is not None:
        return Problem.REVOKED
    if link.accepted_at is not None:
        return Problem.USED
    if link.expires_at <= now:
        return Problem.EXPIRED
    if link.patient_id == user_id:
        return Problem.OWN
    return link, await _name_of(session, link.patient_id)


async def _name_of(session: AsyncSession, user_id: int) -> str:
    """A user's first name as Telegram gave it, "" when we have none."""
    return await session.scalar(select(Patient.name).where(Patient.id == user_id)) or ""


async def _live_link(session: AsyncSession, link_id: int, *owner: object) -> ShareLink | None:
    return await session.scalar(
        select(ShareLink)
        .where(ShareLink.id == link_id, ShareLink.revoked_at.is_(None), ShareLink.accepted_at.is_not(None), *owner)
        .with_for_update()
    )


async def _end(session: AsyncSession, link: ShareLink, now: datetime, tell: int | None) -> None:
    """Revoke the link: no summary is scheduled, nothing still pending goes out."""
    link.revoked_at, link.next_summary_at, link.summary_date = now, None, None
    await session.execute(
        update(ShareDelivery)
        .where(ShareDelivery.link_id == link.id, ShareDelivery.status == PENDING)
        .values(status=SKIPPED, updated_at=now)
    )
    if tell is not None:
        await _notify(session, link, Notice.REVOKED, tell, now)


def _newest_due(link: ShareLink, zone: ZoneInfo, not_before: datetime, now: datetime) -> tuple[datetime, date]:
    """The newest summary of the link due by `now`: after downtime only it may go, never a burst
    of old ones (the search starts at `not_before`: anything older is too late anyway)."""
    assert link.next_summary_at is not None and link.summary_date is not None
    current = Occurrence(link.summary_date, link.next_summary_at)
    following = next_occurrence(max(current.fire_at, not_before), SUMMARY_TIME, zone, SUMMARY_WEEKDAYS)
    while following.fire_at <= now:
        current = following
        following = next_occurrence(current.fire_at, SUMMARY_TIME, zone, SUMMARY_WEEKDAYS)
    return current.fire_at, current.local_date


def _schedule_summary(link: ShareLink, zone: str, now: datetime) -> None:
    following = next_occurrence(now, SUMMARY_TIME, ZoneInfo(zone), SUMMARY_WEEKDAYS)
    link.next_summary_at, link.summary_date = following.fire_at, following.local_date


async def _notify(session: AsyncSession, link: ShareLink, notice: Notice, chat_id: int, now: datetime) -> None:
    await session.flush()
    await _insert_once(session, link.id, chat_id, notice.value, now, now)


def _pending(link_id: int, chat_id: int, key: str, due_at: datetime, now: datetime) -> dict[str, object]:
    return {
        "link_id": link_id, "chat_id": chat_id, "key": key, "status": PENDING, "attempts": 0,
        "due_at": due_at, "created_at": now, "updated_at": now,
    }


async def weekly_summary(session: AsyncSession, link: ShareLink, monday: date, now: datetime) -> WeeklySummary | None:
    """The summary the follower gets on `monday`: the patient's week before it, with /report's
    own figures (sibot/diary.py's `report_data`, sibot/checkins.py's weekly sums)."""
    report = await diary.report_data(session, link.patient_id, now)
    if report is None:
        return None
    zone = ZoneInfo(report.routine.zone)
    first, last = monday - WEEK, monday - timedelta(days=1)
    done = dict(checkins.adherence(report.session_dates, first, last)).get(first, 0)
    pain = dict(checkins.weekly_pain(report.checkins, zone, first - WEEK, last))
    reminded = mask_to_weekdays(report.routine.reminder_weekdays) if report.routine.reminder_time else frozenset()
    return WeeklySummary(
        link_id=link.id,
        patient_name=report.name,
        patient_zone=report.routine.zone,
        first=first,
        last=last,
        planned=sum(1 for n in range(7) if (first + timedelta(days=n)).weekday() in reminded),
        done=done,
        pain=pain.get(first),
        pain_before=pain.get(first - WEEK),
        flags=tuple(f for f in report.red_flags if first <= checkins.local_date(f.at, zone) <= last),
        days=tuple(checkins.daily_pain(report.checkins, zone)),
        sessions_by_date=dict(Counter(report.session_dates)),
        streak=checkins.streak(report.session_dates, last),
    )


# ---- the outbox -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    delivery_id: int
    chat_id: int
    attempts: int
    message: OutgoingMessage | None  # None: nothing to send any more (the link ended)
    # The delivery a successful send queues: the patient told that their follower was alerted.
    then: tuple[int, int, str] | None = None


class ShareOutbox:
    """Writes the sharing's due deliveries and sends them, one claim (with a lease) at a time;
    run by the reminder dispatcher's job, beside `Dispatcher.tick`."""

    def __init__(self, core: Core, sender: Sender, messages: ShareRenderer, lease: timedelta = LEASE) -> None:
        self._core = core
        self._sender = sender
        self._messages = messages
        self._grace = core.settings.reminder_grace
        self._claimer = uuid.uuid4().hex
        self._lease = lease

    async def tick(self, now: datetime) -> datetime | None:
        """Queue and send what is due at `now`; when something is due next, if known."""
        await self._queue_summaries(now)
        await self._queue_alerts(now)
        while (claimed := await self._claim(now)) is not None:
            await self._record(claimed, await self._send(claimed), now)
        return await self._next_due(now)

    async def _queue_summaries(self, now: datetime) -> None:
        """Every link whose summary is due gets its outbox row, and moves on a week (in the
        follower's zone: 08:00 stays 08:00 across daylight-saving changes)."""
        async with self._core.db.transaction() as session:
            rows = (
                await session.execute(
                    select(ShareLink, Follower.timezone)
                    .join(Follower, Follower.id == ShareLink.follower_id)
                    .where(ShareLink.next_summary_at <= now, ShareLink.revoked_at.is_(None))
                    .with_for_update(skip_locked=True, of=ShareLink)
                )
            ).all()
            for link, zone in rows:
                due_at, monday = _newest_due(link, ZoneInfo(zone), now - self._grace - timedelta(days=1), now)
                _schedule_summary(link, zone, max(now, due_at))
                if now - due_at < self._grace:
                    key = f"{Notice.WEEK}:{monday}"
                    await _insert_once(session, link.id, link.follower_id, key, due_at, now)

    async def _queue_alerts(self, now: datetime) -> None:
        """An emergency red flag of the grace's time goes to each follower the patient allowed
        alerts, once."""
        async with self._core.db.transaction() as session:
            rows = (
                await session.execute(
                    select(ShareLink.id, ShareLink.follower_id, RedFlag.id, RedFlag.at)
                    .join(RedFlag, RedFlag.patient_id == ShareLink.patient_id)
                    .where(
                        RedFlag.urgency == checkins.Urgency.EMERGENCY,
                        RedFlag.at > now - self._grace,
                        RedFlag.at >= ShareLink.confirmed_at,
                        ShareLink.alerts,
                        ShareLink.revoked_at.is_(None),
                    )
                )
            ).all()
            for link_id, follower_id, flag_id, at in rows:
                await _insert_once(session, link_id, follower_id, f"{Notice.FLAG}:{flag_id}", at, now)

    async def _claim(self, now: datetime) -> _Claimed | None:
        """The oldest pending delivery that is due and free, leased to this outbox and
        committed, with its message; None when there is none."""
        async with self._core.db.transaction() as session:
            candidates = (
                await session.execute(
                    select(ShareDelivery)
                    .where(
                        ShareDelivery.status == PENDING,
                        or_(
                            ShareDelivery.lease_until.is_(None),
                            ShareDelivery.lease_until <= now,
                            ShareDelivery.claimed_by == self._claimer,
                        ),
                    )
                    .order_by(ShareDelivery.id)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
            for row in candidates:
                if retry_at(row.attempts, row.updated_at) > now:
                    continue
                if now - row.due_at >= self._grace:
                    row.status, row.updated_at = EXPIRED, now
                    continue
                if not await _reachable(session, row.chat_id):
                    row.status, row.updated_at, row.error = FAILED, now, BLOCKED
                    continue
                row.claimed_by, row.lease_until = self._claimer, now + self._lease
                message, then = await self._message_for(session, row, now)
                return _Claimed(row.id, row.chat_id, row.attempts, message, then)
        return None

    async def _message_for(
        self, session: AsyncSession, row: ShareDelivery, now: datetime
    ) -> tuple[OutgoingMessage | None, tuple[int, int, str] | None]:
        """The delivery's message (None when the link no longer allows it), and what its
        sending queues."""
        link = await session.get(ShareLink, row.link_id)
        if link is None or link.follower_id is None:
            return None, None
        notice, _, ref = row.key.partition(":")
        language = await session.scalar(select(Patient.language).where(Patient.id == row.chat_id)) or "en"
        patient_name = await _name_of(session, link.patient_id)
        follower_name = await _name_of(session, link.follower_id)
        live = link.confirmed_at is not None and link.revoked_at is None
        match Notice(notice):
            case Notice.WEEK if live:
                summary = await weekly_summary(session, link, date.fromisoformat(ref), now)
                return (None if summary is None else self._messages.weekly(language, summary)), None
            case Notice.FLAG if live:
                flag = await session.get(RedFlag, int(ref))
                zone = await session.scalar(select(Follower.timezone).where(Follower.id == link.follower_id))
                if flag is None or zone is None:
                    return None, None
                event = FlagEvent(flag.at, checkins.RedFlagRule(flag.rule))
                told = (link.id, link.patient_id, f"{Notice.TOLD}:{ref}")
                return self._messages.alert(language, link.id, patient_name, event, zone), told
            case Notice.TOLD if live:
                return self._messages.told(language, follower_name), None
            case Notice.ACCEPTED if link.revoked_at is None and link.confirmed_at is None:
                return self._messages.accepted(language, link.id, follower_name, Role(link.role)), None
            case Notice.CONFIRMED if live:
                zone = await session.scalar(select(Follower.timezone).where(Follower.id == link.follower_id))
                return self._messages.confirmed(language, patient_name, link.next_summary_at, zone or "UTC"), None
            case Notice.REVOKED:
                return self._messages.revoked(language, patient_name), None
        return None, None

    async def _send(self, claimed: _Claimed) -> SendTry | None:
        """One try of the claimed row's message; None when there is nothing to send any more."""
        if claimed.message is None:
            return None
        return await send_once(self._sender, claimed.chat_id, claimed.message, claimed.delivery_id)

    async def _record(self, claimed: _Claimed, tried: SendTry | None, now: datetime) -> None:
        attempts = claimed.attempts + 1
        status = SKIPPED if tried is None else tried.status(attempts)
        sent, error = (tried.sent, tried.error) if tried is not None else (False, None)
        async with self._core.db.transaction() as session:
            if tried is not None and tried.blocked:
                chat_id = claimed.chat_id
                log.info("recipient blocked the bot; sharing to them stops", extra={"user_id": chat_id})
                await set_active(session, chat_id, False)
            await session.execute(
                update(ShareDelivery)
                .where(ShareDelivery.id == claimed.delivery_id, ShareDelivery.claimed_by == self._claimer)
                .values(
                    status=status, attempts=attempts, updated_at=now, sent_at=now if sent else None,
                    error=error[:_ERROR_LENGTH] if error else None, claimed_by=None, lease_until=None,
                )
            )
            if sent and claimed.then is not None:
                await _insert_once(session, *claimed.then, now, now)

    async def _next_due(self, now: datetime) -> datetime | None:
        async with self._core.db.transaction() as session:
            summary = await session.scalar(
                select(func.min(ShareLink.next_summary_at)).where(ShareLink.revoked_at.is_(None))
            )
            pending = (
                await session.execute(
                    select(ShareDelivery.attempts, ShareDelivery.updated_at, ShareDelivery.lease_until)
                    .where(ShareDelivery.status == PENDING)
                )
            ).all()
        times = [t for t in [summary] if t is not None]
        times += [max(retry_at(a, u), lease or u) for a, u, lease in pending]
        return min(times, default=None)


async def _reachable(session: AsyncSession, chat_id: int) -> bool:
    """Whether the recipient has not blocked the bot (a patient or a follower: everyone has a
    `patients` row); see `sibot.patients.meet` for how they come back."""
    return bool(await session.scalar(select(Patient.active).where(Patient.id == chat_id)))


async def _insert_once(
    session: AsyncSession, link_id: int, chat_id: int, key: str, due_at: datetime, now: datetime
) -> None:
    """The outbox row of (link, key), unless there is one: the unique key makes sure of it even
    when another replica writes the same row this instant (its savepoint gives way)."""
    taken = await session.scalar(
        select(exists().where(ShareDelivery.link_id == link_id, ShareDelivery.key == key))
    )
    if taken:
        return
    try:
        async with session.begin_nested():
            await session.execute(insert(ShareDelivery).values(**_pending(link_id, chat_id, key, due_at, now)))
    except IntegrityError:
        log.info("outbox row written by another replica", extra={"link_id": link_id})

