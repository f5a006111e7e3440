"""Onboarding as a state machine stored on the patient row, so a restart carries on mid-way.

Steps, in order: the disclaimer, the safety screen (sibot.safety.SCREEN, one question at a time; a
worrying "yes" waits for the patient to confirm a clinician's clearance, and an emergency for
them to say, an hour later at the earliest, that a clinician examined them), the time zone (chosen, then confirmed by its
local time), the reminder time, the reminder days, and the baseline pain score, which finishes it.

Every use case takes the step the patient's button or text belongs to and does nothing (returns
None) when the patient has moved on since: an old button never changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.checkins import CheckinSource, RedFlag
from sibot.core import Core
from sibot.diary import advice, record_checkin
from sibot.models import Patient, SafetyAnswer
from sibot.patients import FIRST_STEP, PatientView, view_of
from sibot.reminders import ReminderView, configure_reminder, reminder_summary, upcoming_reminder
from sibot.safety import CATCH_UP, SCREEN, Question, Sign, Urgency, screen_urgency
from sibot.sessions import completed_on
from sibot.schedule import EVERY_DAY
from sibot.zones import is_valid_zone


class Step(StrEnum):
    """Where onboarding stands; the value is stored in `patients.onboarding_step`."""

    DISCLAIMER = FIRST_STEP
    SAFETY = "safety"
    CLEARANCE = "clearance"
    TIMEZONE = "timezone"
    ZONE_CONFIRM = "zone_confirm"
    REMINDER_TIME = "reminder_time"
    REMINDER_DAYS = "reminder_days"
    BASELINE = "baseline"


# The steps that wait for typed text (or a shared location) as well as buttons.
TYPED_STEPS = frozenset({Step.TIMEZONE, Step.REMINDER_TIME})


@dataclass(frozen=True, slots=True)
class Position:
    """The step; for the safety screen and clearance, the question it is about; for clearance,
    what the yes answers ask of the patient."""

    step: Step
    question: Question | None = None
    urgency: Urgency | None = None


async def position_of(session: AsyncSession, patient: PatientView) -> Position | None:
    """Where the patient's onboarding stands; None once it is finished."""
    if patient.onboarding_step is None:
        return None
    step, _, question = patient.onboarding_step.partition(":")
    if step == Step.CLEARANCE:
        yes = await _yes_answers(session, patient.id)
        return Position(Step.CLEARANCE, Question(question), screen_urgency(yes & set(SCREEN[Question(question)])))
    if step == Step.SAFETY:
        return Position(Step.SAFETY, _first_unanswered(await _answered(session, patient.id)))
    return Position(Step(step))


async def accept_disclaimer(session: AsyncSession, patient_id: int, now: datetime) -> PatientView | None:
    patient = await _at_step(session, patient_id, Step.DISCLAIMER)
    if patient is None:
        return None
    patient.consented_at = now
    patient.onboarding_step = Step.SAFETY
    return view_of(patient)


async def answer_question(
    session: AsyncSession, patient_id: int, question: Question, yes: frozenset[Sign], now: datetime
) -> PatientView | None:
    """Store the answer to one safety question (`yes`: the signs the patient said yes to, of the
    question's); a yes that asks for a doctor holds onboarding for clearance."""
    patient = await _at_step(session, patient_id, Step.SAFETY)
    if patient is None or not yes <= set(SCREEN[question]):
        return None
    answered = await _answered(session, patient_id)
    if _first_unanswered(answered) != question:
        return None
    await _store_answers(session, patient, question, yes, now)
    urgency = screen_urgency(yes)
    if urgency is not None:
        patient.onboarding_step = f"{Step.CLEARANCE}:{question}"
        if urgency is Urgency.EMERGENCY:
            patient.advised_at = now
    else:
        _after_safety_answer(patient, answered | set(SCREEN[question]))
    return view_of(patient)


async def confirm_clearance(
    session: AsyncSession, patient_id: int, question: Question, now: datetime
) -> PatientView | None:
    """The patient says a clinician has cleared them despite their yes to `question`. Not after
    an emergency: its way on is the question of whether a clinician examined them
    (`sibot.emergency`), so an old "cleared" button does nothing then."""
    patient = await _at_step(session, patient_id, f"{Step.CLEARANCE}:{question}")
    if patient is None or patient.advised_at is not None:
        return None
    await clear(session, patient, now)
    return view_of(patient)


async def clear(session: AsyncSession, patient: Patient, now: datetime) -> None:
    """A clinician has cleared the patient: onboarding goes on past its clearance step."""
    patient.cleared_at = now
    if (patient.onboarding_step or "").startswith(Step.CLEARANCE):
        _after_safety_answer(patient, await _answered(session, patient.id))


async def _store_answers(
    session: AsyncSession, patient: Patient, question: Question, yes: frozenset[Sign], now: datetime
) -> None:
    """A row per sign the question asks about; the pregnancy answer is the patient's caution."""
    for sign in SCREEN[question]:
        # a patient who answered a sign under an earlier screen answers it anew
        await session.merge(
            SafetyAnswer(patient_id=patient.id, question=sign.value, answer=sign in yes, answered_at=now)
        )
    await session.flush()
    if Sign.PREGNANCY in SCREEN[question]:
        patient.pregnant = Sign.PREGNANCY in yes


async def choose_zone(session: AsyncSession, patient_id: int, zone: str) -> PatientView | None:
    """Take `zone` as the patient's, to be confirmed by the local time it gives."""
    if not is_valid_zone(zone):
        return None
    patient = await _at_step(session, patient_id, Step.TIMEZONE, Step.ZONE_CONFIRM)
    if patient is None:
        return None
    patient.timezone = zone
    _go_to(patient, Step.ZONE_CONFIRM)
    return view_of(patient)


async def confirm_zone(session: AsyncSession, patient_id: int, right: bool) -> PatientView | None:
    """The local time shown was right (on to the reminder) or not (choose the zone again).

    "Not right" also stands for "none of these" among close matches, still at the zone step."""
    steps = (Step.ZONE_CONFIRM,) if right else (Step.ZONE_CONFIRM, Step.TIMEZONE)
    patient = await _at_step(session, patient_id, *steps)
    if patient is None:
        return None
    _go_to(patient, Step.REMINDER_TIME if right else Step.TIMEZONE)
    return view_of(patient)


async def choose_reminder_time(
    session: AsyncSession, patient_id: int, local_time: time, now: datetime
) -> PatientView | None:
    """Store the reminder's wall time (every day until the days are chosen next)."""
    patient = await _at_step(session, patient_id, Step.REMINDER_TIME, Step.REMINDER_DAYS)
    if patient is None:
        return None
    await configure_reminder(session, patient_id, local_time, EVERY_DAY, patient.timezone, now)
    _go_to(patient, Step.REMINDER_DAYS)
    return view_of(patient)


async def choose_reminder_days(
    session: AsyncSession, patient_id: int, weekdays: frozenset[int], now: datetime
) -> PatientView | None:
    if not weekdays:
        return None
    patient = await _at_step(session, patient_id, Step.REMINDER_DAYS)
    reminder = await reminder_summary(session, patient_id)
    if patient is None or reminder is None:
        return None
    await configure_reminder(session, patient_id, reminder.local_time, weekdays, patient.timezone, now)
    _go_to(patient, Step.BASELINE)
    return view_of(patient)


@dataclass(frozen=True, slots=True)
class Finished:
    """Onboarding is over: the patient, their baseline score, the red flags it set off and
    whether the first session is offered as a gentler one (diary's rule)."""

    patient: PatientView
    score: int
    flags: tuple[RedFlag, ...]
    offer_gentle: bool


async def record_baseline(session: AsyncSession, patient_id: int, score: int, now: datetime) -> Finished | None:
    """Store the first pain score and finish onboarding."""
    patient = await _at_step(session, patient_id, Step.BASELINE)
    if patient is None:
        return None
    result = await record_checkin(session, patient_id, now, score, CheckinSource.BASELINE)
    _go_to(patient, None)
    patient.signs_checked_at = now  # the safety screen just asked: the reminder's can wait a week
    offer_gentle = advice(result.flags, patient.gentle).offer_gentle
    return Finished(view_of(patient), score, result.flags, offer_gentle)


async def _at_step(session: AsyncSession, patient_id: int, *steps: str) -> Patient | None:
    """The patient row, locked, if onboarding stands at one of `steps`; None for a stale action."""
    patient = await session.get(Patient, patient_id, with_for_update=True)
    if patient is None or patient.onboarding_step not in steps:
        return None
    return patient


def _go_to(patient: Patient, step: Step | None) -> None:
    patient.onboarding_step = None if step is None else step.value
    patient.awaiting = step.value if step in TYPED_STEPS else None


def _after_safety_answer(patient: Patient, answered: frozenset[str]) -> None:
    """On to the next safety question, or to the time zone once every one is answered."""
    if _first_unanswered(answered) is None:
        _go_to(patient, Step.TIMEZONE)
    else:
        patient.onboarding_step = Step.SAFETY


async def _answered(session: AsyncSession, patient_id: int) -> frozenset[str]:
    """The warning signs the patient has answered (and those of questions no longer asked)."""
    query = select(SafetyAnswer.question).where(SafetyAnswer.patient_id == patient_id)
    return frozenset(await session.scalars(query))


async def _yes_answers(session: AsyncSession, patient_id: int) -> frozenset[Sign]:
    """The warning signs the patient said yes to."""
    query = select(SafetyAnswer.question).where(
        SafetyAnswer.patient_id == patient_id, SafetyAnswer.answer.is_(True)
    )
    return frozenset(Sign(value) for value in await session.scalars(query) if value in set(Sign))


def _first_unanswered(answered: frozenset[str]) -> Question | None:
    """The first question with a sign the patient has not answered yet."""
    return next((question for question in SCREEN if _unanswered(question, answered)), None)


def _unanswered(question: Question, answered: frozenset[str]) -> bool:
    return not {sign.value for sign in SCREEN[question]} <= answered


# --- the use cases: each takes the core and owns its transaction ------------------------------


@dataclass(frozen=True, slots=True)
class AcceptDisclaimer:
    """The patient read the disclaimer and accepted it."""


@dataclass(frozen=True, slots=True)
class AnswerQuestion:
    """A yes/no question answered, or a checklist confirmed: `yes` holds the signs ticked."""

    question: Question
    yes: frozenset[Sign]


@dataclass(frozen=True, slots=True)
class ConfirmClearance:
    question: Question


@dataclass(frozen=True, slots=True)
class ChooseZone:
    zone: str


@dataclass(frozen=True, slots=True)
class ConfirmZone:
    right: bool


@dataclass(frozen=True, slots=True)
class ChooseReminderTime:
    local_time: time


@dataclass(frozen=True, slots=True)
class ChooseReminderDays:
    weekdays: frozenset[int]


@dataclass(frozen=True, slots=True)
class RecordBaseline:
    score: int


# What the patient did at a step: each stands for the step function of the same name.
Reply = (
    AcceptDisclaimer | AnswerQuestion | ConfirmClearance | ChooseZone | ConfirmZone
    | ChooseReminderTime | ChooseReminderDays | RecordBaseline
)


@dataclass(frozen=True, slots=True)
class Screen:
    """What a patient in onboarding sees: where they stand (None once finished, with
    `finished` saying how), and the reminder the days question and the summary name."""

    patient: PatientView
    position: Position | None
    reminder: ReminderView | None = None
    finished: Finished | None = None


async def current_screen(core: Core, patient: PatientView) -> Screen | None:
    """The screen of the step the patient stands at; None once onboarding is over."""
    async with core.db.transaction() as session:
        position = await position_of(session, patient)
        if position is None:
            return None
        return await _screen(session, patient, position)


async def reply(core: Core, patient_id: int, reply: Reply) -> Screen | None:
    """Take one step and say what comes next (the summary after the last); None when the
    reply is not for the step the patient stands at."""
    async with core.db.transaction() as session:
        result = await _take(session, patient_id, reply, core.clock.now())
        if result is None:
            return None
        if isinstance(result, Finished):
            return Screen(result.patient, None, await reminder_summary(session, patient_id), result)
        position = await position_of(session, result)
        assert position is not None  # only the baseline finishes onboarding
        return await _screen(session, result, position)


async def _screen(session: AsyncSession, patient: PatientView, position: Position) -> Screen:
    if position.step is not Step.REMINDER_DAYS:
        return Screen(patient, position)
    return Screen(patient, position, await reminder_summary(session, patient.id))


async def _take(
    session: AsyncSession, patient_id: int, reply: Reply, now: datetime
) -> PatientView | Finished | None:
    match reply:
        case AcceptDisclaimer():
            return await accept_disclaimer(session, patient_id, now)
        case AnswerQuestion(question, yes):
            return await answer_question(session, patient_id, question, yes, now)
        case ConfirmClearance(question):
            return await confirm_clearance(session, patient_id, question, now)
        case ChooseZone(zone):
            return await choose_zone(session, patient_id, zone)
        case ConfirmZone(right):
            return await confirm_zone(session, patient_id, right)
        case ChooseReminderTime(local_time):
            return await choose_reminder_time(session, patient_id, local_time, now)
        case ChooseReminderDays(weekdays):
            return await choose_reminder_days(session, patient_id, weekdays, now)
        case RecordBaseline(score):
            return await record_baseline(session, patient_id, score, now)


async def catch_up_question(core: Core, patient: PatientView) -> Question | None:
    """The question added to the screen after the patient finished onboarding, asked at their
    next /start or /exercise until they answer it; None when there is nothing to catch up on."""
    if not patient.onboarded:
        return None
    async with core.db.transaction() as session:
        answered = await _answered(session, patient.id)
    return CATCH_UP if _unanswered(CATCH_UP, answered) else None


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """The catch-up question is answered: what the yes answers ask of the patient."""

    urgency: Urgency | None


async def answer_catch_up(core: Core, patient_id: int, yes: frozenset[Sign]) -> CaughtUp | None:
    """Store the answer to the catch-up question; None when it is not open (any more)."""
    async with core.db.transaction() as session:
        patient = await session.get(Patient, patient_id, with_for_update=True)
        if patient is None or patient.onboarding_step is not None or not yes <= set(SCREEN[CATCH_UP]):
            return None
        if not _unanswered(CATCH_UP, await _answered(session, patient_id)):
            return None
        await _store_answers(session, patient, CATCH_UP, yes, core.clock.now())
        return CaughtUp(screen_urgency(yes))


@dataclass(frozen=True, slots=True)
class Today:
    """What /start tells a patient who finished onboarding: whether today's session is done,
    and their reminder, whose `next_fire_at` is the next one that will really be sent."""

    done: bool
    reminder: ReminderView | None


async def today(core: Core, patient: PatientView) -> Today:
    now = core.clock.now()
    async with core.db.transaction() as session:
        local_today = now.astimezone(patient.zone).date()
        done = await completed_on(session, patient.id, local_today, patient.zone)
        done_days = frozenset({local_today} if done else ())
        return Today(done, await upcoming_reminder(session, patient.id, patient.zone, done_days))
