"""The session state machine (pure) and its repository, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.render import render_pain_before, render_position, render_stopped, render_summary
from sibot import sessions
from sibot.checkins import RedFlagRule
from sibot.core import Core
from sibot.db import Database
from sibot.diary import switch_to_gentle
from sibot.models import Checkin, ExerciseSession
from sibot.patients import PatientView, load_patient
from sibot.routine import (
    MIN_HOLD_SECONDS,
    POSITION_SECONDS,
    QUESTION_SECONDS,
    ROUTINE_KEYS,
    Pace,
    StepKind,
    estimated_seconds,
)
from sibot.sessions import (
    ABANDON_AFTER,
    Action,
    Awaiting,
    Command,
    Outcome,
    SessionState,
    Show,
    Source,
    StaleStep,
    Status,
    act,
    active_session,
    advance,
    completed_on,
    current_streak,
    interrupt,
    interrupt_session,
    new_session,
    sessions_to_resume,
    start_session,
)
from tests.factories import onboarded_patient, patient_view
from tests.harness import ManualClock

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
PATIENT = 1001


def _patient(**changes: object) -> PatientView:
    defaults: dict[str, object] = {"id": PATIENT, "name": "Ana", "repetitions": 2, "pace": Pace.OWN}
    return patient_view(**(defaults | changes))


def _go(state: SessionState, action: Action, **values: object) -> SessionState:
    transition = advance(state, Command(action, **values), NOW)  # type: ignore[arg-type]
    assert transition is not None, f"{action} does not fit {state.awaiting} at {state.step_index}"
    return transition.state


def _onward(state: SessionState) -> Action:
    """What moves the session on: the timer's end while one runs, else Next."""
    return Action.HOLD_DONE if state.timed else Action.NEXT


def _past_pain_before(*keys: str) -> SessionState:
    """A session of these exercises (from the library), or of the routine, past its first question."""
    source = Source.LIBRARY if keys else Source.COMMAND
    return _go(new_session(_patient(), keys or ROUTINE_KEYS, source, NOW), Action.PAIN_BEFORE)


def _until(state: SessionState, done: Callable[[SessionState], bool]) -> SessionState:
    """Tap Next, letting each hold end, until `done`."""
    while not done(state):
        state = _go(state, _onward(state))
    return state


def _walk(state: SessionState) -> tuple[SessionState, list[StepKind]]:
    """Tap Next through every step, letting each hold end, until the last question."""
    seen = []
    while state.awaiting is not Awaiting.PAIN_AFTER:
        if state.awaiting is None:
            seen.append(state.steps[state.step_index].kind)
        state = _go(state, _onward(state))
    return state, seen


# --- the pure state machine ------------------------------------------------------------------


def test_a_whole_routine_goes_through_every_step_hold_and_side() -> None:
    state = new_session(_patient(), ROUTINE_KEYS, Source.COMMAND, NOW)
    state = _go(state, Action.PAIN_BEFORE, score=3)
    state, seen = _walk(state)
    assert seen == [step.kind for step in state.steps]
    assert state.step_index == len(state.steps)
    done = _go(state, Action.PAIN_AFTER, score=2)
    assert done.status is Status.COMPLETED
    assert done.done_exercises == ROUTINE_KEYS
    assert (done.pain_before, done.pain_after, done.ended_at) == (3, 2, NOW)


def test_a_hold_starts_a_timer_and_ends_in_relax_then_next_shows_the_next_rep() -> None:
    state = _until(_past_pain_before("hip_adduction"), lambda state: state.holding)
    assert state.hold_ends_at == NOW + timedelta(seconds=5)
    assert state.steps[state.step_index].rep == 1
    assert advance(state, Command(Action.NEXT), NOW) is None  # a hold ends by itself
    relaxing = advance(state, Command(Action.HOLD_DONE), NOW)
    assert relaxing is not None and relaxing.show is Show.RELAX
    upcoming = relaxing.state.next_step
    assert relaxing.state.shown_step.rep == 1 and upcoming is not None and upcoming.rep == 2
    assert advance(relaxing.state, Command(Action.HOLD_DONE), NOW) is None
    second = _go(relaxing.state, Action.NEXT)
    assert second.holding and second.steps[second.step_index].rep == 2


def test_every_change_bumps_the_token() -> None:
    state = new_session(_patient(), ROUTINE_KEYS, Source.COMMAND, NOW)
    tokens = [state.step_token]
    for action in (Action.PAIN_BEFORE, Action.NEXT, Action.PAUSE, Action.CONTINUE, Action.STOP):
        state = _go(state, action)
        tokens.append(state.step_token)
    assert tokens == sorted(set(tokens))


def test_pause_during_a_hold_cancels_it_and_continue_repeats_that_rep() -> None:
    state = _until(_past_pain_before("hip_adduction"), lambda state: state.holding)
    paused = _go(state, Action.PAUSE)
    assert paused.awaiting is Awaiting.PAUSED and paused.hold_ends_at is None
    assert advance(paused, Command(Action.NEXT), NOW) is None
    again = _go(paused, Action.CONTINUE)
    assert again.holding and again.step_index == state.step_index


def test_skip_moves_to_the_next_exercise_and_counts_it_skipped() -> None:
    state = _past_pain_before()
    state = _go(_go(state, Action.NEXT), Action.SKIP)
    assert state.skipped == ("hip_adduction",)
    assert state.steps[state.step_index].exercise == "hip_abduction"
    assert state.steps[state.step_index].kind is StepKind.INTRO


def test_after_the_last_rep_of_an_exercise_there_is_nothing_to_skip() -> None:
    state = _until(
        _past_pain_before("hip_adduction"),
        lambda state: state.awaiting is Awaiting.READY and state.next_step is None,
    )
    assert state.awaiting is Awaiting.READY and not state.exercise_left
    assert advance(state, Command(Action.SKIP), NOW) is None


def test_it_hurts_stops_the_exercise_and_then_continues_with_the_next() -> None:
    state = _past_pain_before()
    state = _go(_go(state, Action.NEXT), Action.HURTS)
    assert state.awaiting is Awaiting.HURTS and state.skipped == ("hip_adduction",)
    state = _go(_go(state, Action.HURTS_SCORE, score=4), Action.HURTS_ANSWER, score=4)
    assert state.awaiting is Awaiting.PAUSED
    assert render_position(state, "en") == "Hip abduction"
    state = _go(state, Action.CONTINUE)
    assert state.steps[state.step_index].exercise == "hip_abduction"


def test_interrupt_pauses_and_makes_every_old_button_stale() -> None:
    state = _until(
        _past_pain_before("hip_flexion"),
        lambda state: state.holding and state.steps[state.step_index].side == "left",
    )
    interrupted = interrupt(state, NOW, Show.RESUME)
    assert interrupted.show is Show.RESUME
    assert interrupted.state.awaiting is Awaiting.PAUSED and interrupted.state.hold_ends_at is None
    assert interrupted.state.step_token == state.step_token + 1
    assert render_position(interrupted.state, "en") == "Hip flexion, left side, rep 1"


def test_continue_asks_an_open_question_again() -> None:
    state = new_session(_patient(), ROUTINE_KEYS, Source.COMMAND, NOW)
    transition = advance(interrupt(state, NOW, Show.CHOICE).state, Command(Action.CONTINUE), NOW)
    assert transition is not None and transition.show is Show.PAIN_BEFORE
    assert render_position(state, "en") == "the start"


def test_nothing_moves_an_ended_session() -> None:
    stopped = _go(new_session(_patient(), ROUTINE_KEYS, Source.COMMAND, NOW), Action.STOP)
    assert stopped.status is Status.STOPPED
    assert all(advance(stopped, Command(action), NOW) is None for action in Action)


def test_texts_of_a_session() -> None:
    state = new_session(_patient(), ROUTINE_KEYS, Source.COMMAND, NOW)
    assert "midwife" in render_pain_before(state, True, "en")
    assert "midwife" not in render_pain_before(state, False, "en")
    assert "minutes" in render_pain_before(state, False, "en")
    done = _go(_walk(_go(state, Action.PAIN_BEFORE, score=5))[0], Action.PAIN_AFTER, score=3)
    summary = render_summary(done, 4, (), "en")
    assert "6 exercises done" in summary and "5 → 3" in summary and "4 days in a row" in summary
    assert "lower than when you started" in summary
    stopped = _go(_go(state, Action.PAIN_BEFORE), Action.STOP)
    assert "0 exercises" in render_stopped(stopped, "en")


# --- the repository ---------------------------------------------------------------------------


async def _started(
    database: Database, keys: tuple[str, ...] = ROUTINE_KEYS, **patient: object
) -> SessionState:
    patient.setdefault("pace", "own")
    await onboarded_patient(database, PATIENT, NOW, **patient)  # type: ignore[arg-type]
    async with database.transaction() as session:
        view = await load_patient(session, PATIENT)
        assert view is not None
        return await start_session(session, view, keys, Source.COMMAND, NOW)


async def _act(
    database: Database, state: SessionState, action: Action, at: datetime = NOW, **values: Any
) -> Outcome:
    command = Command(action, **values)
    async with database.transaction() as session:
        return await act(session, PATIENT, state.id, state.step_token, command, at)


async def _row(database: Database, session_id: int) -> ExerciseSession:
    async with database.transaction() as session:
        row = await session.get(ExerciseSession, session_id)
        assert row is not None
        return row


async def test_a_step_is_stored_and_the_pain_score_goes_to_the_diary(database: Database) -> None:
    state = await _started(database)
    outcome = await _act(database, state, Action.PAIN_BEFORE, score=4)
    assert outcome.show is Show.STEP
    row = await _row(database, state.id)
    assert (row.pain_before, row.step_index, row.awaiting) == (4, 0, None)
    assert row.step_token == state.step_token + 1
    async with database.transaction() as session:
        checkin = await session.scalar(select(Checkin))
    assert checkin is not None
    assert (checkin.score, checkin.source, checkin.session_id) == (4, "before_session", state.id)


async def test_a_stale_token_and_a_double_tap_change_nothing(database: Database) -> None:
    state = await _started(database)
    await _act(database, state, Action.PAIN_BEFORE, score=4)
    with pytest.raises(StaleStep):
        await _act(database, state, Action.PAIN_BEFORE, score=6)
    row = await _row(database, state.id)
    assert row.pain_before == 4
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 1


async def test_the_update_checks_the_token_even_when_read_before(database: Database) -> None:
    state = await _started(database)
    await _act(database, state, Action.STOP)
    async with database.transaction() as session:
        with pytest.raises(StaleStep):
            await interrupt_session(session, state, NOW, Show.CHOICE)


async def test_another_patients_session_is_stale(database: Database) -> None:
    state = await _started(database)
    async with database.transaction() as session:
        with pytest.raises(StaleStep):
            await act(session, PATIENT + 1, state.id, state.step_token, Command(Action.STOP), NOW)


async def test_a_command_that_does_not_fit_is_stale(database: Database) -> None:
    state = await _started(database)
    with pytest.raises(StaleStep):
        await _act(database, state, Action.NEXT)


async def test_a_session_untouched_for_two_hours_is_abandoned(database: Database) -> None:
    state = await _started(database)
    later = NOW + ABANDON_AFTER
    async with database.transaction() as session:
        assert await active_session(session, PATIENT, later - timedelta(seconds=1)) is not None
        assert await active_session(session, PATIENT, later) is None
    row = await _row(database, state.id)
    assert (row.status, row.ended_at) == ("abandoned", later)


async def test_a_tap_on_an_untouched_session_ends_it(database: Database) -> None:
    state = await _started(database)
    outcome = await _act(database, state, Action.PAIN_BEFORE, NOW + ABANDON_AFTER, score=2)
    assert outcome.show is Show.ABANDONED
    assert (await _row(database, state.id)).status == "abandoned"


async def test_severe_pain_before_offers_the_gentler_routine_not_the_usual_one(
    database: Database,
) -> None:
    state = await _started(database, hold_seconds=10, repetitions=5)
    offer = await _act(database, state, Action.PAIN_BEFORE, score=9)
    assert offer.show is Show.GENTLE_OFFER
    assert [flag.rule for flag in offer.flags] == [RedFlagRule.SEVERE_PAIN]
    row = await _row(database, state.id)
    assert (row.status, row.awaiting, row.pain_before) == ("active", "gentle", 9)
    with pytest.raises(StaleStep):  # the usual routine's Next is not on offer
        await _act(database, offer.state, Action.NEXT)

    gentle = await _act(database, offer.state, Action.GENTLE)
    assert gentle.show is Show.STEP and gentle.state.step_index == 0
    assert (gentle.state.hold_seconds, gentle.state.repetitions) == (MIN_HOLD_SECONDS, 3)
    row = await _row(database, state.id)
    assert (row.status, row.hold_seconds, row.repetitions) == ("active", MIN_HOLD_SECONDS, 3)
    async with database.transaction() as session:
        patient = await load_patient(session, PATIENT)
    assert patient is not None and patient.gentle
    assert (patient.hold_seconds, patient.repetitions) == (MIN_HOLD_SECONDS, 3)
    with pytest.raises(StaleStep):  # a second tap of the offer is over
        await _act(database, offer.state, Action.GENTLE)


async def test_continue_after_an_interruption_brings_the_offer_back(database: Database) -> None:
    state = await _started(database)
    offer = await _act(database, state, Action.PAIN_BEFORE, score=9)
    choice = interrupt(offer.state, NOW, Show.CHOICE)
    again = advance(choice.state, Command(Action.CONTINUE), NOW)
    assert again is not None and again.show is Show.GENTLE_OFFER
    assert again.state.awaiting is Awaiting.GENTLE


async def test_stop_for_today_instead_of_the_gentler_routine(database: Database) -> None:
    state = await _started(database)
    offer = await _act(database, state, Action.PAIN_BEFORE, score=9)
    stopped = await _act(database, offer.state, Action.STOP)
    assert stopped.show is Show.STOPPED
    async with database.transaction() as session:
        patient = await load_patient(session, PATIENT)
    assert patient is not None and not patient.gentle
    assert (await _row(database, state.id)).status == "stopped"


async def test_severe_pain_before_on_the_gentler_routine_ends_the_session(
    database: Database,
) -> None:
    state = await _started(database)
    async with database.transaction() as session:
        await switch_to_gentle(session, PATIENT)
    outcome = await _act(database, state, Action.PAIN_BEFORE, score=9)
    assert outcome.show is Show.SAFETY_STOP
    assert [flag.rule for flag in outcome.flags] == [RedFlagRule.SEVERE_PAIN]
    assert (await _row(database, state.id)).status == "stopped"


async def test_a_gentle_start_switches_the_routine_first(core: Core) -> None:
    await onboarded_patient(core.db, PATIENT, NOW, hold_seconds=10, repetitions=5)
    async with core.db.transaction() as session:
        view = await load_patient(session, PATIENT)
    assert view is not None
    outcome = await sessions.start(core, view, ROUTINE_KEYS, Source.ONBOARDING, gentle=True)
    assert outcome.show is Show.PAIN_BEFORE
    assert (outcome.state.hold_seconds, outcome.state.repetitions) == (MIN_HOLD_SECONDS, 3)
    async with core.db.transaction() as session:
        patient = await load_patient(session, PATIENT)
    assert patient is not None and patient.gentle


async def test_it_hurts_badly_stops_for_today(database: Database) -> None:
    state = await _started(database)
    state = (await _act(database, state, Action.PAIN_BEFORE, score=3)).state
    state = (await _act(database, state, Action.HURTS)).state
    state = (await _act(database, state, Action.HURTS_SCORE, score=5)).state
    outcome = await _act(database, state, Action.HURTS_ANSWER, score=5, sharp=True)
    assert outcome.show is Show.SAFETY_STOP
    assert [flag.rule for flag in outcome.flags] == [RedFlagRule.HURTS_SEVERE]
    row = await _row(database, state.id)
    assert (row.status, row.skipped_exercises) == ("stopped", ["hip_adduction"])
    async with database.transaction() as session:
        hurts = await session.scalar(select(Checkin).where(Checkin.source == "hurts"))
    assert hurts is not None and (hurts.score, hurts.sharp_or_shooting) == (5, True)


async def test_mild_hurt_goes_on_with_the_next_exercise(database: Database) -> None:
    state = await _started(database)
    state = (await _act(database, state, Action.PAIN_BEFORE)).state
    state = (await _act(database, state, Action.HURTS)).state
    state = (await _act(database, state, Action.HURTS_SCORE, score=3)).state
    outcome = await _act(database, state, Action.HURTS_ANSWER, score=3, sharp=False)
    assert (outcome.show, outcome.flags) == (Show.HURTS_NOTED, ())
    assert (await _row(database, state.id)).awaiting == "paused"


async def test_completing_counts_for_the_day_in_the_patients_zone(database: Database) -> None:
    zone = ZoneInfo("America/Los_Angeles")  # 07:00 UTC on 2 March is 23:00 on 1 March there
    state = await _started(database, ("hip_adduction",), timezone="America/Los_Angeles")
    state = (await _act(database, state, Action.PAIN_BEFORE, score=2)).state
    while state.awaiting is not Awaiting.PAIN_AFTER:
        state = (await _act(database, state, _onward(state))).state
    outcome = await _act(database, state, Action.PAIN_AFTER, score=5)
    assert outcome.show is Show.SUMMARY and outcome.state.status is Status.COMPLETED
    assert [flag.rule for flag in outcome.flags] == [RedFlagRule.SESSION_RISE]
    async with database.transaction() as session:
        assert await completed_on(session, PATIENT, date(2026, 3, 1), zone)
        assert not await completed_on(session, PATIENT, date(2026, 3, 2), zone)
        assert await completed_on(session, PATIENT, date(2026, 3, 2), ZoneInfo("UTC"))
        assert await current_streak(session, PATIENT, NOW, zone) == 1


async def test_a_stopped_session_does_not_count_for_the_day(database: Database) -> None:
    state = await _started(database)
    await _act(database, state, Action.STOP)
    async with database.transaction() as session:
        assert not await completed_on(session, PATIENT, date(2026, 3, 2), ZoneInfo("UTC"))
        assert await current_streak(session, PATIENT, NOW, ZoneInfo("UTC")) == 0


async def test_at_start_old_sessions_are_abandoned_and_the_rest_resumed(database: Database) -> None:
    old = await _started(database)
    await onboarded_patient(database, PATIENT + 1, NOW)
    async with database.transaction() as session:
        view = await load_patient(session, PATIENT + 1)
        assert view is not None
        later = NOW + timedelta(hours=1, minutes=30)
        recent = await start_session(session, view, ROUTINE_KEYS, Source.REMINDER, later)
    async with database.transaction() as session:
        resumable = await sessions_to_resume(session, NOW + ABANDON_AFTER)
    assert [state.id for state in resumable] == [recent.id]
    assert (await _row(database, old.id)).status == "abandoned"


# --- the use cases ----------------------------------------------------------------------------


async def _view(core: Core, patient_id: int = PATIENT) -> PatientView:
    await onboarded_patient(core.db, patient_id, NOW, pace="own")
    async with core.db.transaction() as session:
        view = await load_patient(session, patient_id)
    assert view is not None
    return view


async def test_starting_again_asks_and_only_the_newest_start_over_acts(core: Core) -> None:
    ana = await _view(core)
    first = (await sessions.start(core, ana, ROUTINE_KEYS, Source.REMINDER)).state
    choice = await sessions.start(core, ana, ROUTINE_KEYS, Source.COMMAND)
    assert (choice.show, choice.state.id) == (Show.CHOICE, first.id)
    for session_id, token in ((first.id, first.step_token), (first.id + 1, choice.state.step_token)):
        with pytest.raises(StaleStep):
            await sessions.start_over(core, ana, session_id, token, ROUTINE_KEYS)
    fresh = await sessions.start_over(core, ana, first.id, choice.state.step_token, ROUTINE_KEYS)
    assert (fresh.show, fresh.state.source) == (Show.PAIN_BEFORE, Source.COMMAND)
    assert (await _row(core.db, first.id)).status == "stopped"
    with pytest.raises(StaleStep):  # that choice is over: the session it was about has ended
        await sessions.start_over(core, ana, first.id, choice.state.step_token, ROUTINE_KEYS)


async def test_starting_one_exercise_over_counts_as_the_librarys(core: Core) -> None:
    ana = await _view(core)
    await sessions.start(core, ana, ROUTINE_KEYS, Source.COMMAND)
    choice = (await sessions.start(core, ana, ("hip_adduction",), Source.LIBRARY)).state
    fresh = await sessions.start_over(core, ana, choice.id, choice.step_token, ("hip_adduction",))
    assert (fresh.state.source, fresh.state.exercise_keys) == (Source.LIBRARY, ("hip_adduction",))


async def _press_until(
    core: Core, patient: PatientView, done: Callable[[SessionState], bool]
) -> SessionState:
    """Start the routine, skip the first question, and tap on until `done`."""
    state = (await sessions.start(core, patient, ROUTINE_KEYS, Source.COMMAND)).state
    command = Command(Action.PAIN_BEFORE)
    while not done(state):
        state = (await sessions.press(core, patient, state.id, state.step_token, command)).outcome.state
        command = Command(_onward(state))
    return state


async def test_a_restart_runs_holds_on_asks_about_steps_and_leaves_questions(
    core: Core, clock: ManualClock
) -> None:
    holding = await _press_until(core, await _view(core, PATIENT), lambda state: state.holding)
    on_a_step = await _press_until(core, await _view(core, PATIENT + 1), lambda state: state.on_a_step)
    bea = await _view(core, PATIENT + 2)
    asking = (await sessions.start(core, bea, ROUTINE_KEYS, Source.COMMAND)).state
    clock.advance(timedelta(seconds=2))
    resumption = await sessions.resume_after_restart(core)
    assert holding.hold_ends_at is not None
    left = (holding.hold_ends_at - clock.now()).total_seconds()
    assert [(hold.state.id, hold.seconds_left) for hold in resumption.holds] == [(holding.id, left)]
    assert [(shown.patient.id, shown.outcome.show) for shown in resumption.prompts] == [
        (PATIENT + 1, Show.RESUME)
    ]
    assert (await _row(core.db, on_a_step.id)).step_token == on_a_step.step_token + 1
    assert (await _row(core.db, asking.id)).step_token == asking.step_token
    clock.advance(timedelta(minutes=1))
    assert (await sessions.resume_after_restart(core)).holds[0].seconds_left == 0.0


async def test_the_hold_timer_relaxes_only_the_hold_it_was_armed_for(core: Core) -> None:
    ana = await _view(core)
    holding = await _press_until(core, ana, lambda state: state.holding)
    shown = await sessions.end_hold(core, PATIENT, holding.id, holding.step_token)
    assert (shown.patient.id, shown.outcome.show) == (PATIENT, Show.RELAX)
    with pytest.raises(StaleStep):
        await sessions.end_hold(core, PATIENT, holding.id, holding.step_token)


async def test_a_completed_session_shows_the_streak(core: Core) -> None:
    ana = await _view(core)
    state = await _press_until(core, ana, lambda state: state.awaiting is Awaiting.PAIN_AFTER)
    pressed = await sessions.press(core, ana, state.id, state.step_token, Command(Action.PAIN_AFTER, 2))
    assert (pressed.outcome.show, pressed.streak) == (Show.SUMMARY, 1)


async def test_only_the_first_completed_session_is_marked_first(core: Core, clock: ManualClock) -> None:
    ana = await _view(core)
    firsts = []
    for _ in range(2):
        clock.advance(timedelta(days=1))  # the pain after is no longer the next one's pain before
        state = await _press_until(core, ana, lambda state: state.awaiting is Awaiting.PAIN_AFTER)
        command = Command(Action.PAIN_AFTER, 2)
        pressed = await sessions.press(core, ana, state.id, state.step_token, command)
        firsts.append((pressed.outcome.show, pressed.first))
    assert firsts == [(Show.SUMMARY, True), (Show.SUMMARY, False)]


# --- the guided pace --------------------------------------------------------------------------


def _guided(repetitions: int = 5, **changes: object) -> SessionState:
    patient = _patient(pace=Pace.GUIDED, repetitions=repetitions, **changes)
    return _go(new_session(patient, ROUTINE_KEYS, Source.COMMAND, NOW), Action.PAIN_BEFORE)


def _guided_walk(state: SessionState) -> tuple[SessionState, int, float]:
    """Let every timer run out and tap whatever waits for a tap, up to the last question;
    returns that state, the taps, and the seconds the timers ran plus a position's per tap."""
    taps, seconds = 0, 0.0
    while state.awaiting is not Awaiting.PAIN_AFTER:
        if state.timed:
            seconds += state.timer_seconds
            state = _go(state, Action.HOLD_DONE)
        else:
            taps, seconds = taps + 1, seconds + POSITION_SECONDS
            state = _go(state, Action.NEXT)
    return state, taps, seconds


def test_a_guided_session_times_everything_but_a_tap_per_setup_side_and_exercise() -> None:
    state = _guided()
    assert (state.awaiting, state.step_index) == (Awaiting.READING, 0)  # the intro, being read
    end, taps, _ = _guided_walk(state)
    # I'm in position x6, the other side x4, the next exercise x5
    assert taps == 15
    assert end.step_index == len(end.steps) and end.status is Status.ACTIVE


def test_the_estimate_is_what_a_guided_session_times_and_waits_for() -> None:
    for hold, repetitions, rest in ((5, 5, None), (10, 3, 20), (MIN_HOLD_SECONDS, 1, 3)):
        state = _go(
            new_session(
                _patient(pace=Pace.GUIDED, hold_seconds=hold, repetitions=repetitions, rest_seconds=rest),
                ROUTINE_KEYS, Source.COMMAND, NOW,
            ),
            Action.PAIN_BEFORE,
        )
        _, _, seconds = _guided_walk(state)
        estimate = estimated_seconds(
            ROUTINE_KEYS, hold, repetitions, pace=Pace.GUIDED, rest_seconds=rest
        )
        assert estimate == seconds + 2 * QUESTION_SECONDS


def test_a_guided_hold_ends_in_a_timed_rest_then_the_next_rep_comes_by_itself() -> None:
    state = _guided(rest_seconds=12)
    state = _until(state, lambda s: s.holding and s.steps[s.step_index].kind is StepKind.HOLD)
    hold = state.steps[state.step_index]
    assert state.timer_seconds == 5
    resting = _go(state, Action.HOLD_DONE)
    assert (resting.awaiting, resting.timer_seconds) == (Awaiting.RESTING, 12)
    assert resting.shown_step == hold
    paused = _go(resting, Action.PAUSE)
    assert (paused.awaiting, paused.hold_ends_at) == (Awaiting.PAUSED, None)
    going = _go(paused, Action.CONTINUE)
    assert going.holding and going.steps[going.step_index].rep == 2


def test_the_other_side_waits_for_a_tap_and_starts_its_reps() -> None:
    state = _guided(repetitions=1)
    state = _until(state, lambda s: s.awaiting is Awaiting.READY)
    assert state.steps[state.step_index].kind is StepKind.INTRO  # hip adduction done
    state = _until(
        _go(state, Action.NEXT),
        lambda s: s.awaiting is Awaiting.READY and s.steps[s.step_index].kind is StepKind.SIDE,
    )
    left = _go(state, Action.NEXT)
    step = left.steps[left.step_index]
    assert (step.side, step.rep, left.holding) == ("left", 1, True)


def test_it_hurts_mid_repetition_stops_the_exercise_and_its_timer() -> None:
    state = _until(_guided(), lambda s: s.holding)
    hurt = _go(state, Action.HURTS)
    assert (hurt.awaiting, hurt.hold_ends_at, hurt.skipped) == (Awaiting.HURTS, None, ("hip_adduction",))
    assert advance(hurt, Command(Action.HOLD_DONE), NOW) is None

