"""The weekly function score: the Patient-Specific Functional Scale.

The patient names up to three everyday activities their SI joint makes hard (one of the
suggestions, or typed in their own words) and scores each from 0 (unable) to 10 (as before the
problem): once when naming it, then once a week when the weekly check arrives with a reminder. A
change of 2 points or more is the scale's smallest change that matters to patients: a real
change. Replacing an activity retires it; its scores stay, as its history.

A typed activity is health data: it is stored (and exported, and erased by /delete) but never
logged.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.checkins import local_date, week_start
from sibot.core import Core
from sibot.models import (
    Checkin,
    ExerciseSession,
    FunctionActivity,
    FunctionScore,
    Patient,
    Reminder,
    ReminderDelivery,
)
from sibot.patients import set_awaiting
from sibot.diary import COMPLETED, Export, export_data, report_data
from sibot.progression import SESSIONS_FOR_STEP_UP, Offer, changes_of, offer_for
from sibot.report import ActivityRecord, ReportData

SUGGESTIONS = ("sitting_hour", "stairs", "turning_in_bed", "walking_30", "car", "one_leg_dress")
MAX_ACTIVITIES = 3
MAX_TYPED_LENGTH = 80
FUNCTION_SCALE = range(0, 11)
# Scores of one activity this close together are one round: a second tap corrects the first.
ROUND = timedelta(days=3)
WEEK = timedelta(days=7)
AWAITING_ACTIVITY = "function_activity"
# The weekly check's kind in the reminder outbox: once a week, with a reminder.
WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    suggestion: str | None  # a key of SUGGESTIONS, or None for a typed one
    typed: str | None


@dataclass(frozen=True, slots=True)
class ActivityHistory:
    """An activity and its scores, oldest first, as the report takes them."""

    activity: Activity
    record: ActivityRecord

    @property
    def scores(self) -> tuple[tuple[datetime, int], ...]:
        return self.record.scores

    @property
    def retired(self) -> bool:
        return self.record.retired

    @property
    def change(self) -> int | None:
        return self.record.change


@dataclass(frozen=True, slots=True)
class FunctionHistory:
    """Every activity the patient has scored (current ones first), and the average per week."""

    activities: tuple[ActivityHistory, ...]
    weekly_average: tuple[tuple[date, float], ...]  # Monday of the week, mean score

    @property
    def current(self) -> tuple[ActivityHistory, ...]:
        return tuple(history for history in self.activities if not history.retired)

    @property
    def average_change(self) -> float | None:
        if len(self.weekly_average) < 2:
            return None
        return self.weekly_average[-1][1] - self.weekly_average[0][1]


def weekly_average(
    activities: Iterable[ActivityHistory], zone: ZoneInfo
) -> tuple[tuple[date, float], ...]:
    """Per week, the mean of each activity's last score of that week."""
    weeks: dict[date, dict[int, int]] = {}
    for history in activities:
        for at, score in history.scores:
            weeks.setdefault(week_start(local_date(at, zone)), {})[history.activity.id] = score
    return tuple(
        (monday, statistics.fmean(scores.values())) for monday, scores in sorted(weeks.items())
    )


@dataclass(frozen=True, slots=True)
class Card:
    """The one message of a round of scores, edited as the patient taps: the activity asked
    now (None once all are scored), this round's scores, and after a weekly round the history
    and the step offered, if any."""

    activities: tuple[Activity, ...]
    scored: tuple[tuple[int, int], ...]  # (activity id, score) of this round
    asking: Activity | None
    weekly: bool
    history: FunctionHistory | None = None
    offer: Offer | None = None

    @property
    def worth_sending(self) -> bool:
        return self.asking is not None or self.offer is not None


@dataclass(frozen=True, slots=True)
class Picker:
    """The activities being tracked, and the suggestions still free to add."""

    activities: tuple[Activity, ...]
    suggestions: tuple[str, ...]

    @property
    def full(self) -> bool:
        return len(self.activities) >= MAX_ACTIVITIES


def _activity(row: FunctionActivity) -> Activity:
    return Activity(row.id, row.suggestion, row.typed)


async def _current(session: AsyncSession, patient_id: int) -> list[Activity]:
    rows = await session.scalars(
        select(FunctionActivity)
        .where(FunctionActivity.patient_id == patient_id, FunctionActivity.retired_at.is_(None))
        .order_by(FunctionActivity.id)
    )
    return [_activity(row) for row in rows]


def _picker(activities: Sequence[Activity]) -> Picker:
    taken = {activity.suggestion for activity in activities}
    return Picker(tuple(activities), tuple(key for key in SUGGESTIONS if key not in taken))


async def _round(
    session: AsyncSession, patient_id: int, now: datetime, weekly: bool
) -> Card:
    activities = await _current(session, patient_id)
    rows = await session.execute(
        select(FunctionScore.activity_id, FunctionScore.score)
        .where(FunctionScore.patient_id == patient_id, FunctionScore.at > now - ROUND)
        .order_by(FunctionScore.at, FunctionScore.id)
    )
    latest = {activity_id: score for activity_id, score in rows}
    scored = tuple((a.id, latest[a.id]) for a in activities if a.id in latest)
    asking = next((a for a in activities if a.id not in latest), None)
    return Card(tuple(activities), scored, asking, weekly)


async def _history(session: AsyncSession, patient_id: int, zone: ZoneInfo) -> FunctionHistory:
    activities = (
        await session.scalars(
            select(FunctionActivity)
            .where(FunctionActivity.patient_id == patient_id)
            .order_by(FunctionActivity.retired_at.is_not(None), FunctionActivity.id)
        )
    ).all()
    rows = await session.execute(
        select(FunctionScore.activity_id, FunctionScore.at, FunctionScore.score)
        .where(FunctionScore.patient_id == patient_id)
        .order_by(FunctionScore.at, FunctionScore.id)
    )
    scores: dict[int, list[tuple[datetime, int]]] = {}
    for activity_id, at, score in rows:
        scores.setdefault(activity_id, []).append((at, score))
    histories = tuple(
        ActivityHistory(
            _activity(row),
            ActivityRecord(
                row.suggestion, row.typed, tuple(scores[row.id]), row.retired_at is not None
            ),
        )
        for row in activities
        if row.id in scores
    )
    return FunctionHistory(histories, weekly_average(histories, zone))


async def _finished(
    session: AsyncSession, patient: Patient, card: Card, now: datetime
) -> Card:
    """A weekly round all scored: its history, and the step offered now, if any."""
    if card.asking is not None or not card.weekly:
        return card
    history = await _history(session, patient.id, ZoneInfo(patient.timezone))
    offer = await offer_for(session, patient.id, now)
    return Card(card.activities, card.scored, None, True, history, offer)


# --- what the weekly check sends ----------------------------------------------------------------


async def weekly_due(
    session: AsyncSession, claimed: Sequence[Row[Any]], days: dict[int, date], now: datetime
) -> set[int]:
    """Of the claimed reminders (whose occurrences fall on `days`, by reminder id), the ones
    whose patients get the weekly check with this occurrence: a week after they started, a week
    after the last one, and only with something to ask (activities) or to offer (a step).

    A fan-out claims thousands at once: one query per batch says who is waiting for the check,
    who tracks activities, and who a step could be offered to at all (4 sessions or more in the
    week, or a check-in in it: "It hurts", or pain that may have risen). Only those last are
    worth their whole history."""
    if not claimed:
        return set()
    week_ago = now - WEEK
    patient = Patient.id == Reminder.patient_id
    rows = await session.execute(
        select(
            Reminder.id,
            Patient.created_at,
            select(func.max(ReminderDelivery.occurrence_date))
            .where(ReminderDelivery.reminder_id == Reminder.id, ReminderDelivery.kind == WEEKLY)
            .scalar_subquery(),
            exists().where(
                FunctionActivity.patient_id == Reminder.patient_id,
                FunctionActivity.retired_at.is_(None),
            ),
            select(func.count())
            .where(
                ExerciseSession.patient_id == Reminder.patient_id,
                ExerciseSession.status == COMPLETED,
                ExerciseSession.ended_at > week_ago,
            )
            .scalar_subquery(),
            exists().where(Checkin.patient_id == Reminder.patient_id, Checkin.at > week_ago),
        )
        .join(Patient, patient)
        .where(Reminder.id.in_([row.id for row in claimed]))
    )
    patients = {row.id: row.patient_id for row in claimed}
    due = set()
    for reminder_id, created_at, last, tracking, sessions, checked_in in rows:
        if now - created_at < WEEK or (
            last is not None and (days[reminder_id] - last).days < WEEK.days
        ):
            continue
        might_step = sessions >= SESSIONS_FOR_STEP_UP or checked_in
        if tracking or (
            might_step and await offer_for(session, patients[reminder_id], now) is not None
        ):
            due.add(reminder_id)
    return due


async def weekly_cards(
    session: AsyncSession, patient_ids: Iterable[int], now: datetime
) -> dict[int, Card]:
    """The weekly check's first state for each patient: the first activity to score, or (for a
    patient who tracks none) the step offered."""
    cards = {}
    for patient_id in set(patient_ids):
        patient = await session.get(Patient, patient_id)
        if patient is not None:
            card = await _round(session, patient_id, now, weekly=True)
            cards[patient_id] = await _finished(session, patient, card, now)
    return cards


# --- the use cases -------------------------------------------------------------------------------


async def open_picker(core: Core, patient_id: int) -> Picker:
    """The activities being tracked and what can be added (onboarding's end, /progress)."""
    async with core.db.transaction() as session:
        await set_awaiting(session, patient_id, None)
        return _picker(await _current(session, patient_id))


async def expect_typed(core: Core, patient_id: int) -> Picker:
    """The patient will type an activity of their own: the next text is it."""
    async with core.db.transaction() as session:
        picker = _picker(await _current(session, patient_id))
        if not picker.full:
            await set_awaiting(session, patient_id, AWAITING_ACTIVITY)
        return picker


@dataclass(frozen=True, slots=True)
class Added:
    """An activity added, and the card that asks its first score; None when it could not be
    (three already, an old button, or typed text too long or empty: `too_long` says which)."""

    card: Card | None
    too_long: bool = False


def clean_typed(typed: str) -> str:
    return " ".join(typed.split())


async def add_activity(
    core: Core, patient_id: int, *, suggestion: str | None = None, typed: str | None = None
) -> Added:
    """Track one more activity: a suggestion by key, or the patient's own words."""
    words = None if typed is None else clean_typed(typed)
    if words is not None and len(words) > MAX_TYPED_LENGTH:
        return Added(None, too_long=True)
    if (suggestion not in SUGGESTIONS and not words) or (suggestion and words):
        return Added(None)
    now = core.clock.now()
    async with core.db.transaction() as session:
        await set_awaiting(session, patient_id, None)
        picker = _picker(await _current(session, patient_id))
        if picker.full or (suggestion is not None and suggestion not in picker.suggestions):
            return Added(None)
        row = FunctionActivity(
            patient_id=patient_id, suggestion=suggestion, typed=words, added_at=now
        )
        session.add(row)
        await session.flush()
        activities = (*picker.activities, _activity(row))
        return Added(Card(activities, (), _activity(row), weekly=False))


async def retire_activity(core: Core, patient_id: int, activity_id: int) -> Picker:
    """Stop tracking an activity (to name another); its scores stay."""
    async with core.db.transaction() as session:
        row = await session.get(FunctionActivity, activity_id)
        if row is not None and row.patient_id == patient_id and row.retired_at is None:
            row.retired_at = core.clock.now()
        return _picker(await _current(session, patient_id))


async def record_score(
    core: Core, patient_id: int, activity_id: int, score: int, weekly: bool
) -> Card | Picker | None:
    """A score for a current activity; the card with the next one to score (or, a weekly round
    done, the history and any step offered), or after a first score the picker again. None for
    an activity that is not the patient's current one, or a score off the scale."""
    if score not in FUNCTION_SCALE:
        return None
    now = core.clock.now()
    async with core.db.transaction() as session:
        patient = await session.get(Patient, patient_id)
        activity = await session.get(FunctionActivity, activity_id)
        if patient is None or activity is None or activity.patient_id != patient_id:
            return None
        if activity.retired_at is not None:
            return None
        earlier = await session.scalar(
            select(FunctionScore).where(
                FunctionScore.activity_id == activity_id, FunctionScore.at > now - ROUND
            ).order_by(FunctionScore.at.desc()).limit(1)
        )
        if earlier is not None:
            earlier.score, earlier.at = score, now
        else:
            session.add(FunctionScore(activity_id=activity_id, patient_id=patient_id, at=now, score=score))
        await session.flush()
        if not weekly:
            return _picker(await _current(session, patient_id))
        return await _finished(session, patient, await _round(session, patient_id, now, True), now)


async def function_of(core: Core, patient_id: int, zone: ZoneInfo) -> FunctionHistory:
    """What /progress shows of the activities."""
    async with core.db.transaction() as session:
        return await _history(session, patient_id, zone)


async def report(core: Core, patient_id: int) -> ReportData | None:
    """The doctor's report of the patient's /report."""
    async with core.db.transaction() as session:
        return await full_report_data(session, patient_id, core.clock.now())


async def full_report_data(session: AsyncSession, patient_id: int, now: datetime) -> ReportData | None:
    """The doctor's report (see `sibot.diary.report_data`) with the everyday activities and
    every step offered; None when the patient does not exist."""
    data = await report_data(session, patient_id, now)
    if data is None:
        return None
    history = await _history(session, patient_id, ZoneInfo(data.routine.zone))
    steps = await changes_of(session, patient_id)
    return replace(
        data,
        activities=tuple(entry.record for entry in history.activities),
        function_average=history.weekly_average,
        steps=tuple(steps),
    )


async def export(core: Core, patient_id: int) -> tuple[Export, tuple[ActivityRecord, ...]]:
    """The CSV export's data (see `sibot.diary.export_data`) and every activity's scores."""
    async with core.db.transaction() as session:
        data = await export_data(session, patient_id)
        history = await _history(session, patient_id, ZoneInfo("UTC"))
        return data, tuple(entry.record for entry in history.activities)
