"""Progression, offered and never imposed: once a week, one step up or back in the routine's dose.

The decision is `decide(history)`, a pure function of what the patient did and felt:

- A step up after a good week: at least 4 completed sessions in the last 7 days, no "It hurts",
  no red flag in those 7 days, and pain not rising. The ladder is 1 s more hold up to 10 s, then
  one more repetition up to 15. The pregnancy caution caps the hold at the starting 5 s (turning
  the caution off in /settings lifts the cap).
- A step back when pain rose or "It hurts" was pressed twice in the last 7 days: the last rung
  of the ladder down (a repetition above the starting 5 first, then a second of hold).
- Nothing within 7 days (local dates) of the last offer the patient answered: at most one change
  a week, and no nagging after a "Not now".

Nothing changes until the patient taps "Yes": `answer_offer` checks that the offer still stands
(the history may have moved since it was shown) and stores every answer with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.checkins import Checkin, CheckinSource, local_date, week_comparison
from sibot.core import Core
from sibot.diary import COMPLETED, checkins_since
from sibot.models import DoseChange, ExerciseSession, Patient, RedFlag
from sibot.report import StepRecord
from sibot.routine import DEFAULT_HOLD_SECONDS, DEFAULT_REPETITIONS, MAX_HOLD_SECONDS, MIN_HOLD_SECONDS

MAX_PROGRESSION_REPETITIONS = 15
SESSIONS_FOR_STEP_UP = 4
HURTS_FOR_STEP_BACK = 2
WEEK = timedelta(days=7)
# Mean resting pain this much above the week before counts as rising: half a point is noise.
PAIN_RISE = 1.0
# The comparison of the last two weeks needs two weeks of check-ins, and a little slack.
HISTORY = timedelta(days=15)


class Reason(StrEnum):
    """Why a step was offered; stored with the patient's answer."""

    GOOD_WEEK = "good_week"
    PAIN_ROSE = "pain_rose"
    HURTS_TWICE = "hurts_twice"


@dataclass(frozen=True, slots=True)
class Dose:
    hold_seconds: int
    repetitions: int


@dataclass(frozen=True, slots=True)
class History:
    """What the decision reads: instants are UTC, the zone gives the patient's dates."""

    now: datetime
    zone: ZoneInfo
    dose: Dose
    pregnant: bool
    sessions: tuple[datetime, ...] = ()  # when completed sessions ended
    hurts: tuple[datetime, ...] = ()  # "It hurts" taps
    red_flags: tuple[datetime, ...] = ()
    checkins: tuple[Checkin, ...] = ()
    answered: tuple[datetime, ...] = ()  # offers the patient accepted or declined


@dataclass(frozen=True, slots=True)
class Offer:
    reason: Reason
    current: Dose
    proposed: Dose

    @property
    def step_up(self) -> bool:
        return self.reason is Reason.GOOD_WEEK


def hold_ceiling(pregnant: bool) -> int:
    return DEFAULT_HOLD_SECONDS if pregnant else MAX_HOLD_SECONDS


def step_up(dose: Dose, pregnant: bool) -> Dose | None:
    """One rung up the ladder: a second of hold, then a repetition; None at the top."""
    if dose.hold_seconds < hold_ceiling(pregnant):
        return replace(dose, hold_seconds=dose.hold_seconds + 1)
    if dose.repetitions < MAX_PROGRESSION_REPETITIONS:
        return replace(dose, repetitions=dose.repetitions + 1)
    return None


def step_back(dose: Dose) -> Dose | None:
    """One rung down: repetitions above the starting number first, then hold; None at the
    bottom (the gentler routine is there for more)."""
    if dose.repetitions > DEFAULT_REPETITIONS:
        return replace(dose, repetitions=dose.repetitions - 1)
    if dose.hold_seconds > MIN_HOLD_SECONDS:
        return replace(dose, hold_seconds=dose.hold_seconds - 1)
    return None


def pain_rising(history: History) -> bool:
    """This week's mean resting pain at least PAIN_RISE above last week's."""
    weeks = week_comparison(history.checkins, history.zone, local_date(history.now, history.zone))
    return weeks is not None and weeks.current - weeks.previous >= PAIN_RISE


def _within_week(instants: tuple[datetime, ...], now: datetime) -> list[datetime]:
    return [at for at in instants if now - WEEK < at <= now]


def answered_this_week(history: History) -> bool:
    """An offer answered fewer than 7 of the patient's days ago."""
    today = local_date(history.now, history.zone)
    return any(
        (today - local_date(at, history.zone)).days < WEEK.days
        for at in history.answered
        if at <= history.now
    )


def decide(history: History) -> Offer | None:
    """The one step to offer now, if any (see the module docstring)."""
    if answered_this_week(history):
        return None
    hurts = len(_within_week(history.hurts, history.now))
    rising = pain_rising(history)
    if rising or hurts >= HURTS_FOR_STEP_BACK:
        lower = step_back(history.dose)
        reason = Reason.PAIN_ROSE if rising else Reason.HURTS_TWICE
        return None if lower is None else Offer(reason, history.dose, lower)
    good_week = (
        len(_within_week(history.sessions, history.now)) >= SESSIONS_FOR_STEP_UP
        and hurts == 0
        and not _within_week(history.red_flags, history.now)
    )
    higher = step_up(history.dose, history.pregnant) if good_week else None
    return None if higher is None else Offer(Reason.GOOD_WEEK, history.dose, higher)


# --- storage -----------------------------------------------------------------------------------


async def load_history(session: AsyncSession, patient: Patient, now: datetime) -> History:
    since = now - HISTORY
    ended = await session.scalars(
        select(ExerciseSession.ended_at).where(
            ExerciseSession.patient_id == patient.id,
            ExerciseSession.status == COMPLETED,
            ExerciseSession.ended_at >= since,
        )
    )
    flags = await session.scalars(
        select(RedFlag.at).where(RedFlag.patient_id == patient.id, RedFlag.at >= since)
    )
    answered = await session.scalars(
        select(DoseChange.at).where(DoseChange.patient_id == patient.id, DoseChange.at >= since)
    )
    recent = await checkins_since(session, patient.id, since)
    return History(
        now=now,
        zone=ZoneInfo(patient.timezone),
        dose=Dose(patient.hold_seconds, patient.repetitions),
        pregnant=patient.pregnant,
        sessions=tuple(at for at in ended if at is not None),
        hurts=tuple(c.at for c in recent if c.source is CheckinSource.HURTS),
        red_flags=tuple(flags),
        checkins=tuple(recent),
        answered=tuple(answered),
    )


async def offer_for(session: AsyncSession, patient_id: int, now: datetime) -> Offer | None:
    patient = await session.get(Patient, patient_id)
    return None if patient is None else decide(await load_history(session, patient, now))


async def changes_of(session: AsyncSession, patient_id: int) -> list[StepRecord]:
    """Every answered offer, oldest first, as the report shows them."""
    rows = await session.scalars(
        select(DoseChange).where(DoseChange.patient_id == patient_id).order_by(DoseChange.at)
    )
    return [
        StepRecord(
            row.at, row.reason, row.accepted, row.hold_from, row.hold_to,
            row.repetitions_from, row.repetitions_to,
        )
        for row in rows
        if row.reason in set(Reason)
    ]


# --- the use case --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """The offer the patient answered, and whether the dose changed; offer None when it no
    longer stood (an old button, or the week moved on)."""

    offer: Offer | None
    accepted: bool


async def answer_offer(core: Core, patient_id: int, proposed: Dose, accept: bool) -> Answered:
    """The patient's tap on an offer of `proposed`: store the answer, and change the dose only
    on a "Yes" to the offer that still stands."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        patient = await session.get(Patient, patient_id)
        offer = None if patient is None else decide(await load_history(session, patient, now))
        if patient is None or offer is None or offer.proposed != proposed:
            return Answered(None, accept)
        session.add(
            DoseChange(
                patient_id=patient_id, at=now, reason=offer.reason.value, accepted=accept,
                hold_from=offer.current.hold_seconds, hold_to=offer.proposed.hold_seconds,
                repetitions_from=offer.current.repetitions,
                repetitions_to=offer.proposed.repetitions,
            )
        )
        if accept:
            patient.hold_seconds = proposed.hold_seconds
            patient.repetitions = proposed.repetitions
        return Answered(offer, accept)
