"""The pain diary's use cases: record a check-in (and its red flags), read the diary back for the
chart, the report and the export, switch to a gentler routine, and erase a patient.

The functions that take a session never commit: the use cases at the end, which take the core,
own the transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot import checkins
from sibot.charts import WINDOW_DAYS
from sibot.checkins import CheckinSource, Location, Symptom, validate_pain
from sibot.core import Core
from sibot.db import Database
from sibot.inflammatory_check import CheckResult, finished_checks
from sibot.models import Checkin, ExerciseSession, Patient, RedFlag, Reminder, SafetyAnswer
from sibot.patients import PatientView
from sibot.report import FlagEvent, ReportData, RoutineSettings, SessionRecord
from sibot.routine import MIN_HOLD_SECONDS, build_steps
from sibot.safety import TRIAGE, Sign

# The rules look back at most this far: two weeks of usual pain before a run of three check-ins.
HISTORY_DAYS = 30
REPORT_DAYS = 30
# Rows a day more than the period are loaded; the report and the chart cut them at the
# patient's midnight.
SLACK_DAYS = 1
COMPLETED = "completed"
# Where and what else can be added to a check-in this long after it was made.
DETAILS_WINDOW = timedelta(hours=2)
# The same score again this soon, asked for by /pain or a reminder, is the same check-in sent
# twice: a patient whose answer was slow sends "/pain 4" again, or taps the score twice. (A
# session's check-ins are guarded by its step token instead.)
REPEAT_WINDOW = timedelta(minutes=1)
_REPEATABLE = frozenset({CheckinSource.DIARY, CheckinSource.REMINDER})
# A score given this recently (at the end of onboarding, by /pain, under a reminder) is a
# session's pain before: it is not asked again seconds later.
RECENT_PAIN = timedelta(minutes=30)
# What a patient taps "It hurts" for is one movement, not how they are before a session.
_NOT_PAIN_BEFORE = frozenset({CheckinSource.HURTS})
# A gentler routine: the shortest hold the routine allows and at most this many repetitions.
GENTLE_REPETITIONS = 3


@dataclass(frozen=True)
class CheckinResult:
    """The stored check-in, the red flags it set off (most urgent first), and whether the
    patient should be asked about new symptoms (`checkins.asks_symptoms`)."""

    checkin_id: int
    flags: tuple[checkins.RedFlag, ...]
    asks_symptoms: bool = False


@dataclass(frozen=True)
class DetailsResult:
    """The check-in's score, and the red flags its new details set off that were not there."""

    score: int | None
    flags: tuple[checkins.RedFlag, ...]


async def record_checkin(
    session: AsyncSession,
    patient_id: int,
    now: datetime,
    score: int | None,
    source: CheckinSource | str,
    *,
    session_id: int | None = None,
    locations: Iterable[Location | str] = (),
    symptoms: Iterable[Symptom | str] = (),
    sharp_or_shooting: bool = False,
) -> CheckinResult:
    """Store a check-in at `now`, evaluate the red-flag rules against the patient's recent
    history and store every flag that fires. ValueError for a score, source, location or symptom
    outside the scale or the enums."""
    new = checkins.Checkin(
        at=now,
        score=None if score is None else validate_pain(score),
        source=CheckinSource(source),
        locations=frozenset(Location(value) for value in locations),
        symptoms=frozenset(Symptom(value) for value in symptoms),
        sharp_or_shooting=sharp_or_shooting,
        session_id=session_id,
    )
    # One query serves the rules and the repeat check.
    history = await _history(session, patient_id, new, checkins.reads_history(new) or _repeatable(new))
    repeated = _repeated(new, history)
    if repeated is not None:
        # Its answer may never have reached the patient: they get it again, flags and all.
        del history[repeated]
        flags = tuple(checkins.evaluate(new, list(history.values())))
        return CheckinResult(repeated, flags, checkins.asks_symptoms(new, flags))
    flags = tuple(checkins.evaluate(new, list(history.values())))
    row = Checkin(
        patient_id=patient_id,
        at=new.at,
        score=new.score,
        source=new.source.value,
        session_id=session_id,
        locations=sorted(new.locations),
        symptoms=sorted(new.symptoms),
        sharp_or_shooting=sharp_or_shooting,
    )
    session.add(row)
    await session.flush()
    await _store_flags(session, row, flags, now)
    return CheckinResult(row.id, flags, checkins.asks_symptoms(new, flags))


async def add_details(
    session: AsyncSession,
    patient_id: int,
    checkin_id: int,
    now: datetime,
    *,
    locations: Iterable[Location | str] | None = None,
    symptoms: Iterable[Symptom | str] | None = None,
) -> DetailsResult | None:
    """Set where it hurts and/or the new symptoms (None leaves them as they are) of a check-in
    made in the last two hours, and evaluate the rules again. The result holds only the flags
    not stored for it before, so a repeated tap warns once. None when the check-in is not the
    patient's or is too old."""
    row = await session.get(Checkin, checkin_id)
    if row is None or row.patient_id != patient_id or now - row.at > DETAILS_WINDOW:
        return None
    if locations is not None:
        row.locations = sorted(Location(value) for value in locations)
    if symptoms is not None:
        row.symptoms = sorted(Symptom(value) for value in symptoms)
        await _signs_checked(session, patient_id, now)
    changed = _as_checkin(row)
    history = await _history(session, patient_id, changed, checkins.reads_history(changed))
    history.pop(checkin_id, None)
    fired = checkins.evaluate(changed, list(history.values()))
    stored = set(
        await session.scalars(select(RedFlag.rule).where(RedFlag.checkin_id == checkin_id))
    )
    flags = tuple(flag for flag in fired if flag.rule.value not in stored)
    await _store_flags(session, row, flags, now)
    return DetailsResult(score=row.score, flags=flags)


@dataclass(frozen=True)
class RecentPain:
    """A score the patient gave in the last RECENT_PAIN, and the red flags it set off."""

    score: int
    at: datetime
    flags: tuple[checkins.RedFlag, ...]


async def recent_pain(session: AsyncSession, patient_id: int, now: datetime) -> RecentPain | None:
    """The newest scored check-in of the last RECENT_PAIN (not an "It hurts"), with its flags
    evaluated again as they were when it was made (the rules read only what came before it)."""
    rows = await _checkin_rows(session, patient_id, now - RECENT_PAIN)
    recent = [
        row for row in rows
        if row.score is not None and row.at <= now and CheckinSource(row.source) not in _NOT_PAIN_BEFORE
    ]
    if not recent:
        return None
    newest = _as_checkin(recent[-1])
    history = await _history(session, patient_id, newest, checkins.reads_history(newest))
    assert newest.score is not None
    return RecentPain(newest.score, newest.at, tuple(checkins.evaluate(newest, list(history.values()))))


async def _signs_checked(session: AsyncSession, patient_id: int, now: datetime) -> None:
    """The patient answered the question of new symptoms: the reminder's weekly one can wait."""
    patient = await session.get(Patient, patient_id)
    if patient is not None:
        patient.signs_checked_at = now


def _repeatable(new: checkins.Checkin) -> bool:
    return new.source in _REPEATABLE and not (new.locations or new.symptoms or new.sharp_or_shooting)


def _repeated(new: checkins.Checkin, history: dict[int, checkins.Checkin]) -> int | None:
    """The id of the stored check-in that `new` repeats, if any (see REPEAT_WINDOW)."""
    newest = next(reversed(history.items()), None)
    if not _repeatable(new) or newest is None:
        return None
    newest_id, checkin = newest
    if checkin.at <= new.at - REPEAT_WINDOW or (checkin.score, checkin.source) != (new.score, new.source):
        return None
    return newest_id


async def _history(
    session: AsyncSession, patient_id: int, new: checkins.Checkin, needed: bool
) -> dict[int, checkins.Checkin]:
    """The patient's check-ins of the HISTORY_DAYS before `new`, by id, oldest first; without a
    query when not `needed` (the rules give the same flags then with no history at all)."""
    if not needed:
        return {}
    rows = await _checkin_rows(session, patient_id, new.at - timedelta(days=HISTORY_DAYS))
    return {row.id: _as_checkin(row) for row in rows}


def is_emergency(flags: Sequence[checkins.RedFlag]) -> bool:
    return any(flag.urgency is checkins.Urgency.EMERGENCY for flag in flags)


async def _store_flags(
    session: AsyncSession, row: Checkin, flags: Sequence[checkins.RedFlag], now: datetime
) -> None:
    """Store the flags; an emergency holds the patient until they say a clinician examined them
    (sibot.emergency)."""
    if is_emergency(flags):
        patient = await session.get(Patient, row.patient_id)
        if patient is not None:
            patient.advised_at = now
    session.add_all(
        RedFlag(
            patient_id=row.patient_id,
            at=now,
            rule=flag.rule.value,
            urgency=flag.urgency.value,
            checkin_id=row.id,
        )
        for flag in flags
    )
    await session.flush()


async def erase_patient(db: Database, patient_id: int) -> list[int]:
    """/delete: every row about the patient, and the copies of them the database's files keep.
    Returns the ids of their exercise sessions, for the caller's "hold:<id>" timers."""
    async with db.transaction() as session:
        session_ids = await delete_patient(session, patient_id)
    await db.forget_deleted()
    return session_ids


async def delete_patient(session: AsyncSession, patient_id: int) -> list[int]:
    """Erase the patient and, by ON DELETE CASCADE, every row about them. Returns the ids of
    their exercise sessions, so the caller can cancel the "hold:<id>" timers."""
    session_ids = list(
        await session.scalars(
            select(ExerciseSession.id).where(ExerciseSession.patient_id == patient_id)
        )
    )
    await session.execute(delete(Patient).where(Patient.id == patient_id))
    # The ORM may still hold rows the database just removed; forget them.
    session.expunge_all()
    return session_ids


@dataclass(frozen=True)
class GentleRoutine:
    """The dose after switching to the gentler routine."""

    hold_seconds: int
    repetitions: int


def gentle_dose(repetitions: int) -> GentleRoutine:
    """The gentler routine's dose for a patient doing `repetitions` now."""
    return GentleRoutine(MIN_HOLD_SECONDS, min(repetitions, GENTLE_REPETITIONS))


async def switch_to_gentle(session: AsyncSession, patient_id: int) -> GentleRoutine | None:
    """Shorter holds and fewer repetitions from the next session on; None without a patient."""
    patient = await session.get(Patient, patient_id)
    if patient is None:
        return None
    dose = gentle_dose(patient.repetitions)
    patient.gentle = True
    patient.hold_seconds, patient.repetitions = dose.hold_seconds, dose.repetitions
    return dose


@dataclass(frozen=True)
class Progress:
    """What /progress draws and says, for the 30 days up to `today`."""

    today: date
    days: list[checkins.DayPain]
    sessions_by_date: dict[date, int]
    streak: int
    week: checkins.WeekComparison | None


async def progress(
    session: AsyncSession, patient_id: int, now: datetime, zone: ZoneInfo
) -> Progress:
    """The patient's daily pain, sessions, streak and week-on-week change."""
    today = checkins.local_date(now, zone)
    since = now - timedelta(days=WINDOW_DAYS + SLACK_DAYS)
    history = await checkins_since(session, patient_id, since)
    done = await completed_dates(session, patient_id, zone)
    return Progress(
        today=today,
        days=checkins.daily_pain(history, zone),
        sessions_by_date=dict(Counter(done)),
        streak=checkins.streak(done, today),
        week=checkins.week_comparison(history, zone, today),
    )


async def report_data(session: AsyncSession, patient_id: int, now: datetime) -> ReportData | None:
    """The doctor's report of the last 30 days; None when the patient does not exist."""
    row = await session.get(Patient, patient_id)
    if row is None:
        return None
    zone = ZoneInfo(row.timezone)
    end = checkins.local_date(now, zone)
    start = end - timedelta(days=REPORT_DAYS - 1)
    since = now - timedelta(days=REPORT_DAYS + SLACK_DAYS)
    flags = await session.scalars(
        select(RedFlag)
        .where(RedFlag.patient_id == row.id, RedFlag.at >= since)
        .order_by(RedFlag.at)
    )
    return ReportData(
        name=row.name or "",
        start=start,
        end=end,
        routine=await _routine_settings(session, row),
        checkins=tuple(await checkins_since(session, row.id, since)),
        session_dates=tuple(await completed_dates(session, row.id, zone)),
        red_flags=tuple(FlagEvent(flag.at, checkins.RedFlagRule(flag.rule)) for flag in flags),
        inflammatory_check=next(reversed(await finished_checks(session, row.id)), None),
        warning_signs=await _warning_signs(session, row.id),
    )


async def _warning_signs(session: AsyncSession, patient_id: int) -> tuple[Sign, ...]:
    """The warning signs the patient said yes to on the safety screen, in the table's order;
    pregnancy, which asks for no doctor, is the report's pregnancy line instead."""
    yes = set(
        await session.scalars(
            select(SafetyAnswer.question).where(
                SafetyAnswer.patient_id == patient_id, SafetyAnswer.answer.is_(True)
            )
        )
    )
    return tuple(sign for sign in Sign if sign.value in yes and TRIAGE[sign].urgency is not None)


@dataclass(frozen=True)
class Export:
    """Everything the CSV export holds."""

    checkins: list[checkins.Checkin]
    sessions: list[SessionRecord]
    inflammatory_checks: list[CheckResult]


async def export_data(session: AsyncSession, patient_id: int) -> Export:
    """All the patient's check-ins and exercise sessions, oldest first."""
    rows = await session.scalars(
        select(ExerciseSession)
        .where(ExerciseSession.patient_id == patient_id)
        .order_by(ExerciseSession.started_at)
    )
    return Export(
        checkins=await checkins_since(session, patient_id, None),
        sessions=[_session_record(row) for row in rows],
        inflammatory_checks=await finished_checks(session, patient_id),
    )


async def checkins_since(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> list[checkins.Checkin]:
    return [_as_checkin(row) for row in await _checkin_rows(session, patient_id, since)]


async def _checkin_rows(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> Sequence[Checkin]:
    """The patient's check-ins since `since` (all when None), oldest first."""
    query = (
        select(Checkin).where(Checkin.patient_id == patient_id).order_by(Checkin.at, Checkin.id)
    )
    if since is not None:
        query = query.where(Checkin.at >= since)
    return (await session.scalars(query)).all()


def _as_checkin(row: Checkin) -> checkins.Checkin:
    return checkins.Checkin(
        at=row.at,
        score=row.score,
        source=CheckinSource(row.source),
        locations=frozenset(Location(value) for value in row.locations),
        symptoms=frozenset(Symptom(value) for value in row.symptoms),
        sharp_or_shooting=row.sharp_or_shooting,
        session_id=row.session_id,
    )


async def completed_dates(session: AsyncSession, patient_id: int, zone: ZoneInfo) -> list[date]:
    """The local date of each completed session, one per session."""
    ended = await session.scalars(
        select(ExerciseSession.ended_at).where(
            ExerciseSession.patient_id == patient_id,
            ExerciseSession.status == COMPLETED,
            ExerciseSession.ended_at.is_not(None),
        )
    )
    return [checkins.local_date(at, zone) for at in ended if at is not None]


async def _routine_settings(session: AsyncSession, patient: Patient) -> RoutineSettings:
    reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == patient.id))
    if reminder is not None and not reminder.enabled:
        reminder = None
    return RoutineSettings(
        hold_seconds=patient.hold_seconds,
        repetitions=patient.repetitions,
        gentle=patient.gentle,
        reminder_time=None if reminder is None else reminder.local_time,
        reminder_weekdays=0 if reminder is None else reminder.weekdays,
        zone=patient.timezone,
        pregnancy_caution=patient.pregnant,
    )


def _session_record(row: ExerciseSession) -> SessionRecord:
    keys = list(row.exercise_keys)
    skipped = set(row.skipped_exercises) & set(keys)
    return SessionRecord(
        id=row.id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        pain_before=row.pain_before,
        pain_after=row.pain_after,
        exercises_done=len(_exercises_passed(row) - skipped),
        exercises_skipped=len(skipped),
    )


def _exercises_passed(row: ExerciseSession) -> set[str]:
    """The exercises whose every step lies behind the session's current step."""
    keys = list(row.exercise_keys)
    if row.status == COMPLETED:
        return set(keys)
    try:
        steps = build_steps(keys, hold_seconds=row.hold_seconds, repetitions=row.repetitions)
    except (KeyError, ValueError):
        # An exercise retired from the routine since: the export still lists the session.
        return set()
    last_step = {step.exercise: step.index for step in steps}
    return {key for key, index in last_step.items() if index < row.step_index}


# --- the use cases: each takes the core and owns its transaction ------------------------------


# Red flags of these urgencies ask the patient to pause, and offer the gentler routine.
PAUSING = frozenset({checkins.Urgency.PAUSE_AND_CONTACT})
# A /delete confirmation older than this is refused: erasing needs a fresh yes.
DELETE_CONFIRM_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Advice:
    """What red flags mean for the patient: each one's advice, most urgent first; whether they
    ask for a pause, and whether the gentler routine is offered (not to one who has it)."""

    flags: tuple[checkins.RedFlag, ...]
    pause: bool
    offer_gentle: bool


def advice(flags: Sequence[checkins.RedFlag], gentle: bool) -> Advice:
    """The one rule of when the gentler routine is offered: /pain, a session's pain-before
    question and onboarding's baseline all ask it. An emergency is all the patient is told: its
    answer offers no way on (no pause, no gentler routine)."""
    emergency = tuple(flag for flag in flags if flag.urgency is checkins.Urgency.EMERGENCY)
    if emergency:
        return Advice(emergency, pause=False, offer_gentle=False)
    pause = any(flag.urgency in PAUSING for flag in flags)
    return Advice(tuple(flags), pause, pause and not gentle)


async def record(
    core: Core, patient_id: int, score: int, source: CheckinSource | str
) -> CheckinResult:
    """A pain score from /pain or a reminder: see `record_checkin`."""
    async with core.db.transaction() as session:
        return await record_checkin(session, patient_id, core.clock.now(), score, source)


async def detail(
    core: Core,
    patient_id: int,
    checkin_id: int,
    locations: Iterable[Location | str],
    symptoms: Iterable[Symptom | str] | None,
) -> DetailsResult | None:
    """Where it hurts, and the new symptoms once asked (None before): see `add_details`. An
    emergency among them rings the doorbell once stored: followers the patient allowed alerts
    get it at once (sibot.sharing), not at the dispatcher's next tick."""
    async with core.db.transaction() as session:
        result = await add_details(
            session, patient_id, checkin_id, core.clock.now(), locations=locations, symptoms=symptoms
        )
    if result is not None and is_emergency(result.flags):
        core.doorbell.ring()
    return result


@dataclass(frozen=True)
class SignsAnswer:
    """The answer to the reminder's "Any new warning signs?": with a yes, the check-in (without
    a score) whose symptoms the patient picks next."""

    checkin_id: int | None


async def answer_signs_question(core: Core, patient_id: int, new_signs: bool) -> SignsAnswer:
    """No: nothing to report, asked again in a week. Yes: a check-in for the symptom list."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        if not new_signs:
            await _signs_checked(session, patient_id, now)
            return SignsAnswer(None)
        result = await record_checkin(session, patient_id, now, None, CheckinSource.REMINDER)
        return SignsAnswer(result.checkin_id)


async def go_gentle(core: Core, patient_id: int) -> GentleRoutine | None:
    async with core.db.transaction() as session:
        return await switch_to_gentle(session, patient_id)


async def progress_of(core: Core, patient: PatientView) -> Progress:
    async with core.db.transaction() as session:
        return await progress(session, patient.id, core.clock.now(), patient.zone)


@dataclass(frozen=True)
class Erased:
    """The patient is gone; their sessions' ids name the hold timers to cancel."""

    session_ids: tuple[int, ...]


async def erase(core: Core, patient_id: int, asked_at: float) -> Erased | None:
    """/delete, confirmed: erase everything, unless the question (asked at `asked_at`, in Unix
    seconds) is further than DELETE_CONFIRM_WINDOW from now; then None, and nothing changes."""
    if abs(core.clock.now().timestamp() - asked_at) > DELETE_CONFIRM_WINDOW.total_seconds():
        return None
    return Erased(tuple(await erase_patient(core.db, patient_id)))
