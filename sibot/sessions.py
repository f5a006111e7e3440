"""The guided session: a state machine over the routine's steps, kept in `exercise_sessions`.

A session's state is `SessionState`, a frozen snapshot of its row. `advance` is pure: it takes a
state, a `Command` (what the patient tapped, or the hold timer) and the time, and returns the next
state and what to show, or None when the command does not fit the state. The repository functions
below load a row, run `advance`, record any pain score in the diary and write the row back in the
caller's transaction; the use cases at the end (`start`, `press`, ...) each own one transaction,
one step per transaction.

Where a session stands (`awaiting`):
- PAIN_BEFORE: the first question is on screen; `step_index` is 0.
- GENTLE: the pain before was too high for the routine: a gentler one or stopping for today is
  offered; `step_index` is 0.
- None: step `step_index` is on screen. A HOLD step with `hold_ends_at` set is being held (at
  the guided pace an unheld REP step is timed the same way).
- READY: a hold just ended and "Relax" is on screen; Next shows step `step_index`. At the guided
  pace that "Relax" (or, after unheld repetitions, a message of its own) also shows the other
  side's position (then Next starts its repetitions) or says the exercise is done (then Next
  shows the next exercise).
- READING (guided pace): a setup message starting at step `step_index` is on screen; the next
  one comes by itself at `hold_ends_at`.
- RESTING (guided pace): "Relax" is on screen; the repetition at `step_index` comes by itself at
  `hold_ends_at`.
- PAUSED: Continue shows step `step_index` (a hold that was running starts again).
- HURTS: "It hurts" questions are on screen; the exercise already stopped and `step_index` is the
  start of the next one.
- PAIN_AFTER: every step is behind; `step_index` is the number of steps.

At the guided pace one message may show several steps (`routine.guided_message_end`): the last
setup message waits for "I'm in position" (NEXT), which starts the repetitions; from there the
timer (`HOLD_DONE`, whatever it timed) moves the session on until a side or an exercise ends.
`hold_ends_at` is when the running timer ends, so a restart can time what is left of it.

Every change bumps `step_token`. Each button carries the token it was made with, and a command
with any other token is stale; the row is written with the old token in the UPDATE's WHERE, so a
double tap can never advance twice, whichever way two updates interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sibot import checkins
from sibot.checkins import CheckinSource, RedFlag, Urgency
from sibot.core import Core
from sibot.diary import (
    CheckinResult,
    RecentPain,
    advice,
    completed_dates,
    gentle_dose,
    recent_pain,
    record_checkin,
    switch_to_gentle,
)
from sibot.models import ExerciseSession, Patient
from sibot.patients import PatientView, load_patient
from sibot.routine import (
    ROUTINE_KEYS,
    Pace,
    Step,
    StepKind,
    build_steps,
    estimated_minutes,
    guided_message_end,
    is_repetition,
    reading_seconds,
    rep_seconds,
)

# A session nobody touched for this long is over.
ABANDON_AFTER = timedelta(hours=2)


class Status(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"
    ABANDONED = "abandoned"


class Awaiting(StrEnum):
    """What the session waits for; see the module docstring. None: the patient's Next."""

    PAIN_BEFORE = "pain_before"
    GENTLE = "gentle"
    READY = "ready"
    READING = "reading"
    RESTING = "resting"
    PAUSED = "paused"
    HURTS = "hurts"
    PAIN_AFTER = "pain_after"


class Source(StrEnum):
    """What started the session."""

    ONBOARDING = "onboarding"
    REMINDER = "reminder"
    COMMAND = "command"
    MENU = "menu"
    LIBRARY = "library"


class Action(StrEnum):
    """What can happen to a session; the values are short for callback data."""

    PAIN_BEFORE = "pb"
    NEXT = "next"
    HOLD_DONE = "held"  # the session's timer ran out, whatever it timed
    PAUSE = "pause"
    CONTINUE = "go"
    SKIP = "skip"
    STOP = "stop"
    HURTS = "hurts"
    HURTS_SCORE = "hs"
    HURTS_ANSWER = "hk"
    PAIN_AFTER = "pa"
    GENTLE = "gentle"  # switch to the gentler routine and start it


class Show(StrEnum):
    """What the patient should see after a change."""

    PAIN_BEFORE = "pain_before"
    STEP = "step"  # the step at step_index, with those a guided message folds in
    RELAX = "relax"  # a hold's end; at the guided pace with what comes after it
    PAUSED = "paused"
    CHOICE = "choice"  # /exercise during a session: continue or start over
    RESUME = "resume"  # the bot restarted: continue or stop
    HURTS_SCORE = "hurts_score"
    HURTS_KIND = "hurts_kind"
    HURTS_NOTED = "hurts_noted"
    SAFETY_STOP = "safety_stop"  # a pain answer raised a red flag that ends today's session
    GENTLE_OFFER = "gentle_offer"  # the pain before is too high: a gentler routine, or stop
    PAIN_AFTER = "pain_after"
    SUMMARY = "summary"
    STOPPED = "stopped"
    ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class Command:
    """One thing that happened: an action and, for pain answers, the score and its kind."""

    action: Action
    score: int | None = None
    sharp: bool = False


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session as the state machine sees it; a snapshot of its row."""

    id: int
    patient_id: int
    status: Status
    source: str
    exercise_keys: tuple[str, ...]
    pace: Pace
    hold_seconds: int
    repetitions: int
    rest_seconds: int | None  # between guided repetitions; None: as long as the hold
    step_index: int
    step_token: int
    awaiting: Awaiting | None
    hold_ends_at: datetime | None
    skipped: tuple[str, ...]
    pain_before: int | None
    pain_after: int | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None

    @property
    def steps(self) -> tuple[Step, ...]:
        return _steps(self.exercise_keys, self.hold_seconds, self.repetitions)

    @property
    def guided(self) -> bool:
        return self.pace is Pace.GUIDED

    @property
    def rest(self) -> int:
        return self.rest_seconds or self.hold_seconds

    @property
    def holding(self) -> bool:
        """Whether a repetition is being held (or, guided, an unheld one is being timed)."""
        return self.awaiting is None and self.hold_ends_at is not None

    @property
    def timed(self) -> bool:
        """Whether a timer runs: a hold, a guided rest, or a guided setup message being read."""
        return self.holding or (
            self.hold_ends_at is not None and self.awaiting in (Awaiting.READING, Awaiting.RESTING)
        )

    @property
    def timer_seconds(self) -> float:
        """How long the running timer was set for when the state was made."""
        if self.hold_ends_at is None:
            return 0.0
        return (self.hold_ends_at - self.updated_at).total_seconds()

    @property
    def on_a_step(self) -> bool:
        """Whether a step (or its "Relax") is on screen, rather than a question or "Paused"."""
        return self.awaiting in (None, Awaiting.READY, Awaiting.READING, Awaiting.RESTING)

    @property
    def after_a_rep(self) -> bool:
        """Whether a repetition's end ("Relax") is on screen and step_index is the step after."""
        return self.awaiting in (Awaiting.READY, Awaiting.RESTING)

    @property
    def shown_step(self) -> Step:
        """The step whose message (or whose "Relax") the patient has in front of them."""
        index = self.step_index - 1 if self.after_a_rep else self.step_index
        return self.steps[min(index, len(self.steps) - 1)]

    @property
    def shown_steps(self) -> tuple[Step, ...]:
        """The steps a STEP message shows: one, or at the guided pace those it folds together."""
        if not self.guided or is_repetition(self.steps[self.step_index]):
            return (self.steps[self.step_index],)
        return self.steps[self.step_index : guided_message_end(self.steps, self.step_index) + 1]

    @property
    def next_step(self) -> Step | None:
        """The step Next or Continue shows; None when only the last question is left."""
        return self.steps[self.step_index] if self.step_index < len(self.steps) else None

    @property
    def exercise_left(self) -> bool:
        """Whether some of the shown exercise is still to do, so skipping it means something."""
        upcoming = self.next_step
        if not self.after_a_rep:
            return True
        return upcoming is not None and upcoming.exercise == self.shown_step.exercise

    @property
    def done_exercises(self) -> tuple[str, ...]:
        """The exercises whose every step is behind the patient, in routine order."""
        if self.status is Status.COMPLETED:
            return tuple(key for key in self.exercise_keys if key not in self.skipped)
        last = {step.exercise: step.index for step in self.steps}
        # every step before step_index is behind: see the module docstring
        return tuple(
            key
            for key in self.exercise_keys
            if key not in self.skipped and last[key] < self.step_index
        )

    def untouched_at(self, now: datetime) -> bool:
        return self.status is Status.ACTIVE and now - self.updated_at >= ABANDON_AFTER


@cache
def _steps(exercise_keys: tuple[str, ...], hold_seconds: int, repetitions: int) -> tuple[Step, ...]:
    return build_steps(exercise_keys, hold_seconds=hold_seconds, repetitions=repetitions)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the new state, what to show, the red flags a pain answer raised,
    and the check-in whose new symptoms to ask about (a high or risen score), if any."""

    state: SessionState
    show: Show
    flags: tuple[RedFlag, ...] = ()
    known_pain: RecentPain | None = None  # a recent check-in taken as the pain before
    symptoms_of: int | None = None


def new_session(
    patient: PatientView, exercise_keys: Sequence[str], source: Source, now: datetime
) -> SessionState:
    """A session about to ask for the pain score before it; `id` is 0 until it is stored."""
    keys = tuple(exercise_keys)
    _steps(keys, patient.hold_seconds, patient.repetitions)  # an unknown key fails here, not later
    return SessionState(
        id=0,
        patient_id=patient.id,
        status=Status.ACTIVE,
        source=source.value,
        exercise_keys=keys,
        pace=patient.pace,
        hold_seconds=patient.hold_seconds,
        repetitions=patient.repetitions,
        rest_seconds=patient.rest_seconds,
        step_index=0,
        step_token=1,
        awaiting=Awaiting.PAIN_BEFORE,
        hold_ends_at=None,
        skipped=(),
        pain_before=None,
        pain_after=None,
        started_at=now,
        updated_at=now,
        ended_at=None,
    )


def advance(state: SessionState, command: Command, now: datetime) -> Outcome | None:
    """The next state after `command`, or None when the command does not fit this state."""
    if state.status is not Status.ACTIVE:
        return None
    awaiting, on_a_step = state.awaiting, state.on_a_step
    match command.action:
        case Action.PAIN_BEFORE if awaiting is Awaiting.PAIN_BEFORE:
            return _show_step(replace(state, pain_before=command.score), 0, now)
        case Action.GENTLE if awaiting is Awaiting.GENTLE:
            dose = gentle_dose(state.repetitions)
            gentler = replace(state, hold_seconds=dose.hold_seconds, repetitions=dose.repetitions)
            return _show_step(gentler, 0, now)
        case Action.NEXT if awaiting is Awaiting.READY:
            return _show_step(state, _after_ready(state), now)
        case Action.NEXT if awaiting is None and not state.holding:
            return _show_step(state, state.shown_steps[-1].index + 1, now)
        case Action.HOLD_DONE if state.timed:
            return _time_up(state, now)
        case Action.PAUSE if on_a_step:
            return _changed(state, now, Show.PAUSED, awaiting=Awaiting.PAUSED, hold_ends_at=None)
        case Action.CONTINUE:
            return _continue(state, now)
        case Action.SKIP if on_a_step and state.exercise_left:
            return _show_step(_leave_exercise(state), _next_exercise_index(state), now)
        case Action.STOP:
            return _end(state, now, Status.STOPPED, Show.STOPPED)
        case Action.HURTS if on_a_step:
            return _changed(
                _leave_exercise(state), now, Show.HURTS_SCORE,
                awaiting=Awaiting.HURTS,
                step_index=_next_exercise_index(state),
                hold_ends_at=None,
            )
        case Action.HURTS_SCORE if awaiting is Awaiting.HURTS:
            return _changed(state, now, Show.HURTS_KIND)
        case Action.HURTS_ANSWER if awaiting is Awaiting.HURTS:
            return _changed(state, now, Show.HURTS_NOTED, awaiting=Awaiting.PAUSED)
        case Action.PAIN_AFTER if awaiting is Awaiting.PAIN_AFTER:
            finished = replace(state, pain_after=command.score)
            return _end(finished, now, Status.COMPLETED, Show.SUMMARY)
    return None


def interrupt(state: SessionState, now: datetime, show: Show) -> Outcome:
    """Put a session on hold to ask the patient what next (`Show.CHOICE` or `Show.RESUME`):
    every button it showed goes stale, and a running hold starts again on Continue."""
    return _changed(
        state, now, show,
        awaiting=Awaiting.PAUSED if state.on_a_step else state.awaiting,
        hold_ends_at=None,
    )


def abandon(state: SessionState, now: datetime) -> SessionState:
    """The session, ended because nobody touched it for `ABANDON_AFTER`."""
    return _end(state, now, Status.ABANDONED, Show.ABANDONED).state


def session_minutes(patient: PatientView, *, gentle: bool = False) -> int:
    """How long the patient's next whole session takes: at their pace, rest and dose, or at the
    gentler dose a high baseline leads to."""
    dose = gentle_dose(patient.repetitions) if gentle else patient
    return estimated_minutes(
        ROUTINE_KEYS, dose.hold_seconds, dose.repetitions,
        pace=patient.pace, rest_seconds=patient.rest_seconds,
    )


def stops_today(flags: Sequence[RedFlag]) -> bool:
    """Whether a red flag asks for more than taking it easier: then today's session ends."""
    return any(flag.urgency is not Urgency.TAKE_IT_EASIER for flag in flags)


def _continue(state: SessionState, now: datetime) -> Outcome:
    match state.awaiting:
        case Awaiting.PAIN_BEFORE:
            return _changed(state, now, Show.PAIN_BEFORE)
        case Awaiting.GENTLE:
            return _changed(state, now, Show.GENTLE_OFFER)
        case Awaiting.HURTS:
            return _changed(state, now, Show.HURTS_SCORE)
        case Awaiting.PAIN_AFTER:
            return _changed(state, now, Show.PAIN_AFTER)
        case _:
            return _show_step(state, state.step_index, now)


def _show_step(state: SessionState, index: int, now: datetime) -> Outcome:
    if index >= len(state.steps):
        return _changed(
            state, now, Show.PAIN_AFTER,
            awaiting=Awaiting.PAIN_AFTER, step_index=len(state.steps), hold_ends_at=None,
        )
    step = state.steps[index]
    if not state.guided:
        hold_ends_at = _after(now, state.hold_seconds) if step.kind is StepKind.HOLD else None
        return _changed(
            state, now, Show.STEP, awaiting=None, step_index=index, hold_ends_at=hold_ends_at
        )
    if is_repetition(step):
        return _changed(
            state, now, Show.STEP,
            awaiting=None, step_index=index, hold_ends_at=_after(now, rep_seconds(step)),
        )
    end = guided_message_end(state.steps, index)
    if end + 1 < len(state.steps) and is_repetition(state.steps[end + 1]):
        # the last setup message: the patient taps when in position
        return _changed(state, now, Show.STEP, awaiting=None, step_index=index, hold_ends_at=None)
    reading = reading_seconds(state.steps[index : end + 1])
    return _changed(
        state, now, Show.STEP,
        awaiting=Awaiting.READING, step_index=index, hold_ends_at=_after(now, reading),
    )


def _time_up(state: SessionState, now: datetime) -> Outcome:
    """The session's timer ran out: what it timed is over."""
    match state.awaiting:
        case Awaiting.RESTING:
            return _show_step(state, state.step_index, now)
        case Awaiting.READING:
            return _show_step(state, state.shown_steps[-1].index + 1, now)
    following = state.step_index + 1
    if not state.guided:
        return _changed(
            state, now, Show.RELAX, awaiting=Awaiting.READY, step_index=following, hold_ends_at=None
        )
    step, steps = state.steps[state.step_index], state.steps
    if following < len(steps) and is_repetition(steps[following]):
        if step.kind is StepKind.REP:
            return _show_step(state, following, now)
        return _changed(
            state, now, Show.RELAX,
            awaiting=Awaiting.RESTING, step_index=following, hold_ends_at=_after(now, state.rest),
        )
    # a side or the exercise is over: wait for a tap, or ask the last question
    awaiting = Awaiting.READY if following < len(steps) else Awaiting.PAIN_AFTER
    return _changed(
        state, now, Show.RELAX, awaiting=awaiting, step_index=following, hold_ends_at=None
    )


def _after_ready(state: SessionState) -> int:
    """The step Next shows after "Relax": at the guided pace, the other side's position was in
    that "Relax", so its repetitions start."""
    step = state.next_step
    guided_side = state.guided and step is not None and step.kind is StepKind.SIDE
    return state.step_index + 1 if guided_side else state.step_index


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def _leave_exercise(state: SessionState) -> SessionState:
    """The state with the shown exercise counted as skipped, if any of it was still to do."""
    key = state.shown_step.exercise
    if not state.exercise_left or key in state.skipped:
        return state
    return replace(state, skipped=(*state.skipped, key))


def _next_exercise_index(state: SessionState) -> int:
    number = state.shown_step.exercise_number
    return next(
        (step.index for step in state.steps if step.exercise_number > number), len(state.steps)
    )


def _changed(state: SessionState, now: datetime, show: Show, **changes: object) -> Outcome:
    changed = replace(
        state, step_token=state.step_token + 1, updated_at=now, **changes  # type: ignore[arg-type]
    )
    return Outcome(changed, show)


def _end(state: SessionState, now: datetime, status: Status, show: Show) -> Outcome:
    return _changed(state, now, show, status=status, ended_at=now, hold_ends_at=None)


# --- the repository: rows in, rows out, inside the caller's transaction ---------------------


class StaleStep(Exception):
    """The button belongs to a step that is over, or to a session that is not the patient's."""


async def active_session(
    session: AsyncSession, patient_id: int, now: datetime
) -> SessionState | None:
    """The patient's session in progress. One untouched for two hours is ended as abandoned
    first, and so is any older active one (there should never be two)."""
    live = await _live_sessions(session, now, ExerciseSession.patient_id == patient_id)
    for older in live[:-1]:
        await _save(session, older, abandon(older, now))
    return live[-1] if live else None


async def start_session(
    session: AsyncSession,
    patient: PatientView,
    exercise_keys: Sequence[str],
    source: Source,
    now: datetime,
) -> SessionState:
    """Store a new session; the caller has made sure no other one is active."""
    state = new_session(patient, exercise_keys, source, now)
    row = ExerciseSession(
        patient_id=state.patient_id, source=state.source, exercise_keys=list(state.exercise_keys),
        started_at=now, **_columns(state),
    )
    session.add(row)
    await session.flush()
    return replace(state, id=row.id)


async def act(
    session: AsyncSession,
    patient_id: int,
    session_id: int,
    token: int,
    command: Command,
    now: datetime,
) -> Outcome:
    """Apply a command carried by a button (or the hold timer) made at `token`.

    Raises StaleStep when the button is old, the session is not the patient's or has ended, or the
    command does not fit where the session stands; nothing changes then. A session untouched for
    two hours is ended as abandoned and the outcome shows that.
    """
    state = await _load(session, patient_id, session_id)
    if state is None or state.status is not Status.ACTIVE or state.step_token != token:
        raise StaleStep
    if state.untouched_at(now):
        ended = abandon(state, now)
        await _save(session, state, ended)
        return Outcome(ended, Show.ABANDONED)
    outcome = advance(state, command, now)
    if outcome is None:
        raise StaleStep
    recorded = await _record_pain(session, state, command, now)
    flags = () if recorded is None else recorded.flags
    if stops_today(flags) and command.action in (Action.PAIN_BEFORE, Action.HURTS_ANSWER):
        outcome = await _stop_or_offer_gentle(session, outcome.state, command, flags, now)
    if command.action is Action.GENTLE:
        await switch_to_gentle(session, patient_id)
    await _save(session, state, outcome.state)
    symptoms_of = recorded.checkin_id if recorded is not None and recorded.asks_symptoms else None
    return replace(outcome, flags=flags, symptoms_of=symptoms_of)


async def _stop_or_offer_gentle(
    session: AsyncSession,
    state: SessionState,
    command: Command,
    flags: Sequence[RedFlag],
    now: datetime,
) -> Outcome:
    """Too much pain: before the session, the gentler routine or stopping when diary's rule
    offers it; otherwise (or after "It hurts") the session ends today. `state` is the one the
    answer led to."""
    if command.action is Action.PAIN_BEFORE:
        gentle = await session.scalar(select(Patient.gentle).where(Patient.id == state.patient_id))
        if advice(flags, bool(gentle)).offer_gentle:
            return _changed(
                state, now, Show.GENTLE_OFFER, awaiting=Awaiting.GENTLE, hold_ends_at=None
            )
    return _end(state, now, Status.STOPPED, Show.SAFETY_STOP)


async def interrupt_session(
    session: AsyncSession, state: SessionState, now: datetime, show: Show
) -> SessionState:
    """Store `interrupt(state)`; StaleStep when the row moved on meanwhile."""
    interrupted = interrupt(state, now, show).state
    await _save(session, state, interrupted)
    return interrupted


async def stop_session(session: AsyncSession, state: SessionState, now: datetime) -> SessionState:
    """End the session as stopped (for "start over"); StaleStep when the row moved on meanwhile."""
    stopped = _end(state, now, Status.STOPPED, Show.STOPPED).state
    await _save(session, state, stopped)
    return stopped


async def sessions_to_resume(session: AsyncSession, now: datetime) -> list[SessionState]:
    """At start: every active session, after ending those untouched for two hours."""
    return await _live_sessions(session, now)


async def completed_on(
    session: AsyncSession, patient_id: int, local_date: date, zone: ZoneInfo
) -> bool:
    """Whether the patient completed a session that ended on this date in their zone."""
    start = datetime.combine(local_date, time(0), zone)
    end = datetime.combine(local_date + timedelta(days=1), time(0), zone)
    return await _completed_any(
        session, patient_id, ExerciseSession.ended_at >= start, ExerciseSession.ended_at < end
    )


async def current_streak(
    session: AsyncSession, patient_id: int, now: datetime, zone: ZoneInfo
) -> int:
    """Days in a row, up to today, with a completed session."""
    dates = await completed_dates(session, patient_id, zone)
    return checkins.streak(dates, checkins.local_date(now, zone))


async def completed_before(session: AsyncSession, patient_id: int, session_id: int) -> bool:
    """Whether the patient completed a session other than `session_id`."""
    return await _completed_any(session, patient_id, ExerciseSession.id != session_id)


async def _completed_any(
    session: AsyncSession, patient_id: int, *conditions: ColumnElement[bool]
) -> bool:
    """Whether the patient completed a session that meets `conditions`."""
    completed = exists().where(
        ExerciseSession.patient_id == patient_id, ExerciseSession.status == Status.COMPLETED, *conditions
    )
    return bool(await session.scalar(select(completed)))


async def _live_sessions(
    session: AsyncSession, now: datetime, *where: ColumnElement[bool]
) -> list[SessionState]:
    """The active sessions (matching `where`), oldest first and locked, after ending as abandoned
    those untouched for two hours."""
    rows = await session.scalars(
        select(ExerciseSession)
        .where(ExerciseSession.status == Status.ACTIVE, *where)
        .order_by(ExerciseSession.id)
        .with_for_update()
    )
    live = []
    for state in [_state_of(row) for row in rows]:
        if state.untouched_at(now):
            await _save(session, state, abandon(state, now))
        else:
            live.append(state)
    return live


async def _load(session: AsyncSession, patient_id: int, session_id: int) -> SessionState | None:
    row = await session.scalar(
        select(ExerciseSession)
        .where(ExerciseSession.id == session_id, ExerciseSession.patient_id == patient_id)
        .with_for_update()
    )
    return None if row is None else _state_of(row)


async def _record_pain(
    session: AsyncSession, state: SessionState, command: Command, now: datetime
) -> CheckinResult | None:
    sources = {
        Action.PAIN_BEFORE: CheckinSource.BEFORE_SESSION,
        Action.PAIN_AFTER: CheckinSource.AFTER_SESSION,
        Action.HURTS_ANSWER: CheckinSource.HURTS,
    }
    source = sources.get(command.action)
    if source is None or command.score is None:
        return None
    return await record_checkin(
        session, state.patient_id, now, command.score, source,
        session_id=state.id, sharp_or_shooting=command.sharp,
    )


async def _save(session: AsyncSession, old: SessionState, new: SessionState) -> None:
    """Write `new` over the row, but only if it still holds `old`'s token."""
    result = await session.execute(
        update(ExerciseSession)
        .where(ExerciseSession.id == old.id, ExerciseSession.step_token == old.step_token)
        .values(**_columns(new))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleStep


def _columns(state: SessionState) -> dict[str, object]:
    """The columns a step changes."""
    return {
        "status": state.status.value,
        "pace": state.pace.value,
        "hold_seconds": state.hold_seconds,
        "repetitions": state.repetitions,
        "rest_seconds": state.rest_seconds,
        "step_index": state.step_index,
        "step_token": state.step_token,
        "awaiting": None if state.awaiting is None else state.awaiting.value,
        "hold_ends_at": state.hold_ends_at,
        "skipped_exercises": list(state.skipped),
        "pain_before": state.pain_before,
        "pain_after": state.pain_after,
        "updated_at": state.updated_at,
        "ended_at": state.ended_at,
    }


def _state_of(row: ExerciseSession) -> SessionState:
    return SessionState(
        id=row.id,
        patient_id=row.patient_id,
        status=Status(row.status),
        source=row.source,
        exercise_keys=tuple(row.exercise_keys),
        pace=Pace(row.pace),
        hold_seconds=row.hold_seconds,
        repetitions=row.repetitions,
        rest_seconds=row.rest_seconds,
        step_index=row.step_index,
        step_token=row.step_token,
        awaiting=None if row.awaiting is None else Awaiting(row.awaiting),
        hold_ends_at=row.hold_ends_at,
        skipped=tuple(row.skipped_exercises),
        pain_before=row.pain_before,
        pain_after=row.pain_after,
        started_at=row.started_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
    )


# --- the use cases: each takes the core and owns its transaction ------------------------------


@dataclass(frozen=True, slots=True)
class Pressed:
    """What a button did, the days in a row a summary shows, and whether that summary ends the
    patient's first completed session."""

    outcome: Outcome
    streak: int = 0
    first: bool = False


@dataclass(frozen=True, slots=True)
class Shown:
    """An outcome for a patient the caller had not loaded (a timer's, a restart's)."""

    patient: PatientView
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class RunningHold:
    """A timer (a hold, a guided rest or reading pause) a restart cut off, and what was left of
    it (nothing, when it ended meanwhile)."""

    state: SessionState
    seconds_left: float


@dataclass(frozen=True, slots=True)
class Resumption:
    """What a restart found: patients to ask how to go on, and holds whose "Relax" is still due."""

    prompts: tuple[Shown, ...]
    holds: tuple[RunningHold, ...]


async def start(
    core: Core,
    patient: PatientView,
    exercise_keys: Sequence[str],
    source: Source,
    *,
    gentle: bool = False,
) -> Outcome:
    """Start a session; when one is going on, interrupt it instead and ask (Show.CHOICE) whether
    to go on with it or start over. `gentle` switches the patient to the gentler routine first
    (onboarding's offer after a high baseline)."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        if gentle:
            dose = await switch_to_gentle(session, patient.id)
            if dose is not None:
                patient = replace(
                    patient, gentle=True, hold_seconds=dose.hold_seconds, repetitions=dose.repetitions
                )
        active = await active_session(session, patient.id, now)
        if active is None:
            state = await start_session(session, patient, exercise_keys, source, now)
            known = await recent_pain(session, patient.id, now)
            if known is None:
                return Outcome(state, Show.PAIN_BEFORE)
            return await _answer_pain_before(session, state, known, now, flags_answered=gentle)
        return Outcome(await interrupt_session(session, active, now, Show.CHOICE), Show.CHOICE)


async def _answer_pain_before(
    session: AsyncSession,
    state: SessionState,
    known: RecentPain,
    now: datetime,
    *,
    flags_answered: bool,
) -> Outcome:
    """A new session whose pain before is a recent check-in: answered as a tap would, red flags
    and all, without a second check-in of the same score. `flags_answered`: the patient chose
    this (gentler) session in answer to those flags already."""
    command = Command(Action.PAIN_BEFORE, known.score)
    outcome = advance(state, command, now)
    assert outcome is not None, "a new session waits for its pain before"
    if stops_today(known.flags) and not flags_answered:
        outcome = await _stop_or_offer_gentle(session, outcome.state, command, known.flags, now)
    await _save(session, state, outcome.state)
    return replace(outcome, flags=known.flags, known_pain=known)


async def start_over(
    core: Core, patient: PatientView, session_id: int, token: int, exercise_keys: Sequence[str]
) -> Outcome:
    """Stop the session in progress and start `exercise_keys` afresh. StaleStep unless the
    session in progress is `session_id` at `token`: only the newest "Start over" acts."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        old = await active_session(session, patient.id, now)
        if old is None or (old.id, old.step_token) != (session_id, token):
            raise StaleStep
        await stop_session(session, old, now)
        source = _source_of_restart(exercise_keys)
        state = await start_session(session, patient, exercise_keys, source, now)
    return Outcome(state, Show.PAIN_BEFORE)


def _source_of_restart(exercise_keys: Sequence[str]) -> Source:
    """A fresh start of the whole routine counts as the command's; of one exercise, the library's."""
    return Source.COMMAND if tuple(exercise_keys) == ROUTINE_KEYS else Source.LIBRARY


async def press(
    core: Core, patient: PatientView, session_id: int, token: int, command: Command
) -> Pressed:
    """A button of step `token`: see `act`, which raises StaleStep for one that is over."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        outcome = await act(session, patient.id, session_id, token, command, now)
        if outcome.show is not Show.SUMMARY:
            return Pressed(outcome)
        streak = await current_streak(session, patient.id, now, patient.zone)
        first = not await completed_before(session, patient.id, outcome.state.id)
        return Pressed(outcome, streak, first)


async def end_hold(core: Core, patient_id: int, session_id: int, token: int) -> Shown:
    """The session's timer ran out (a hold, a guided rest or reading pause). StaleStep when the
    patient paused, stopped or moved on meanwhile, or is gone."""
    async with core.db.transaction() as session:
        patient = await load_patient(session, patient_id)
        if patient is None:
            raise StaleStep
        command = Command(Action.HOLD_DONE)
        outcome = await act(session, patient_id, session_id, token, command, core.clock.now())
    return Shown(patient, outcome)


async def resume_after_restart(core: Core) -> Resumption:
    """Pick up the sessions a restart cut off. A timer (a hold, a rest, a reading pause) runs on;
    a step (or its "Relax") on screen is interrupted, and its patient asked how to go on; an open
    question's buttons still work, so it is left as it is."""
    now = core.clock.now()
    prompts = []
    async with core.db.transaction() as session:
        states = await sessions_to_resume(session, now)
        for state in states:
            if state.timed or not state.on_a_step:
                continue
            resumed = await interrupt_session(session, state, now, Show.RESUME)
            patient = await load_patient(session, state.patient_id)
            if patient is not None:
                prompts.append(Shown(patient, Outcome(resumed, Show.RESUME)))
    holds = tuple(
        RunningHold(state, max(0.0, (state.hold_ends_at - now).total_seconds()))
        for state in states
        if state.timed and state.hold_ends_at is not None
    )
    return Resumption(tuple(prompts), holds)
