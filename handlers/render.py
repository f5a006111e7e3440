"""The chat messages drawn from the core's values with the text catalog.

The core returns values (a session's state, a step, the red flags that fired, a week's averages);
every chat message made of them is rendered here, in one way, and the handlers send it. Only the
documents the bot sends (the chart, the PDF report, the CSV export) are drawn by the core itself
(README, "Development").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sibot.checkins import RedFlag, WeekComparison
from sibot.inflammatory_check import QUESTIONS, CheckResult, Question
from sibot.ports import Button
from sibot.routine import (
    ABOUT_TOPICS,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    Exercise,
    Side,
    Step,
    StepKind,
    estimated_minutes,
    exercise,
    prop_up_in_pregnancy,
    is_repetition,
)
from sibot.diary import RecentPain
from sibot.sessions import Awaiting, SessionState
from sibot.texts import format_decimal, format_time, plural, text

# --- the routine ----------------------------------------------------------------------------


def render_step(step: Step, language: str, *, pregnant: bool = False) -> str:
    """The message a patient reads for this step (Telegram HTML: <b> and <i> only); with the
    pregnancy caution on, an exercise on the back says how to lie at its start."""
    entry = exercise(step.exercise)
    match step.kind:
        case StepKind.INTRO:
            return render_exercise_intro(step, language, pregnant)
        case StepKind.INSTRUCTION:
            return text(
                language,
                "routine.instruction",
                number=entry.steps.index(step.text_key) + 1,
                count=len(entry.steps),
                text=text(language, step.text_key),
            )
        case StepKind.SIDE:
            return text(language, step.text_key)
        case StepKind.HOLD | StepKind.REP:
            seconds = step.hold_seconds
            duration = plural(language, "routine.seconds", seconds) if seconds else None
            return text(
                language,
                f"routine.rep.{step.side or 'both'}",
                rep=step.rep,
                reps=step.reps,
                text=_move(entry, language, duration),
            )


def render_relax(step: Step, language: str) -> str:
    """The message sent when a HOLD step's time is up."""
    relax_key = exercise(step.exercise).relax_key
    if step.kind is not StepKind.HOLD or relax_key is None:
        raise ValueError(f"step {step.index} is a {step.kind} step, not a hold")
    return text(language, "routine.relax", text=text(language, relax_key))


def render_exercise_card(exercise_key: str, language: str) -> str:
    """One exercise on one screen, for browsing the library outside a session."""
    entry = exercise(exercise_key)
    hold_range = text(language, "routine.hold_range", low=MIN_HOLD_SECONDS, high=MAX_HOLD_SECONDS)
    lines = [text(language, key) for key in entry.steps]
    lines.append(_move(entry, language, hold_range if entry.holds else None))
    if entry.relax_key:
        lines.append(text(language, "routine.relax", text=text(language, entry.relax_key)))
    steps = "\n".join(
        text(language, "routine.card.step", number=number, text=line)
        for number, line in enumerate(lines, start=1)
    )
    return text(
        language,
        "routine.card",
        title=text(language, entry.title_key),
        purpose=text(language, entry.purpose_key),
        needs=_needs(entry, language),
        steps=steps,
        repeat=text(
            language, "routine.card.repeat_sides" if entry.per_side else "routine.card.repeat"
        ),
    )


def render_about(topic: str, language: str) -> str:
    """One "about this condition" page; KeyError for an unknown topic."""
    if topic not in ABOUT_TOPICS:
        raise KeyError(topic)
    return text(
        language,
        "about.page",
        title=text(language, f"about.{topic}.title"),
        body=text(language, f"about.{topic}"),
    )


def render_check_question(question: Question, number: int, language: str) -> str:
    """One question of the inflammatory back pain check, under its heading."""
    return text(
        language,
        "ibp.question",
        number=number,
        total=len(QUESTIONS),
        question=text(language, f"ibp.question.{question.value}"),
    )


def render_check_result(result: CheckResult, language: str) -> str:
    """What the check's answers mean for the patient: what to tell the GP, if anything."""
    return text(language, f"ibp.result.{result.outcome.value}", count=result.count)


def render_picture_caption(
    body: str, exercise_key: str, language: str, side: Side | None = None
) -> str:
    """A message's text as the caption of the exercise's picture of this side (the first side's
    when None): the picture told in words, for screen readers."""
    description = text(language, exercise(exercise_key).picture_key(side))
    return f"{body}\n{text(language, 'routine.picture', description=description)}"


def render_exercise_intro(step: Step, language: str, pregnant: bool = False) -> str:
    """An exercise's opening: what it is for, what it needs, and which side comes first; with the
    pregnancy caution on, how to lie for an exercise on the back. The one place it is drawn, at
    either pace, and the caption of the exercise's picture when pictures are on."""
    entry = exercise(step.exercise)
    title = text(
        language,
        "routine.intro",
        title=text(language, entry.title_key),
        number=step.exercise_number,
        count=step.exercise_count,
    )
    caution = (
        [text(language, "routine.pregnancy.on_back")] if prop_up_in_pregnancy(entry, pregnant) else []
    )
    lines = [title, *caution, text(language, entry.purpose_key), _needs(entry, language)]
    if entry.first_side_key is not None:
        lines.append(text(language, entry.first_side_key))
    return "\n".join(lines)


def _needs(entry: Exercise, language: str) -> str:
    if not entry.equipment:
        return text(language, "routine.needs.nothing")
    items = ", ".join(text(language, f"routine.equipment.{item}") for item in entry.equipment)
    return text(language, "routine.needs", items=items)


def _move(entry: Exercise, language: str, duration: str | None) -> str:
    if duration is None:
        return text(language, entry.rep_step)
    return text(language, entry.rep_step, duration=duration)


# --- the guided pace: one message per repetition, "Relax" by itself, instructions said once ---


def render_guided_steps(state: SessionState, language: str, *, pregnant: bool = False) -> str:
    """A guided STEP message: a repetition, or setup steps folded into one message (the last
    setup message asks for a tap)."""
    steps = state.shown_steps
    first = steps[0]
    if is_repetition(first):
        return _render_guided_rep(first, language)
    body = "\n\n".join(render_step(step, language, pregnant=pregnant) for step in steps)
    following = state.steps[steps[-1].index + 1] if steps[-1].index + 1 < len(state.steps) else None
    if following is not None and is_repetition(following) and first.kind is not StepKind.SIDE:
        body = f"{body}\n\n{text(language, 'session.guided.tap_when_in_position')}"
    return body


def _render_guided_rep(step: Step, language: str) -> str:
    """The first repetition of an exercise says the whole move, once; the others a short cue."""
    if _first_of_exercise(step):
        tip = "session.hold_tip" if step.kind is StepKind.HOLD else "session.guided.by_itself"
        return f"{render_step(step, language)}\n{text(language, tip)}"
    entry = exercise(step.exercise)
    cue = text(language, entry.cue_key, seconds=step.hold_seconds or 0)
    return text(
        language, f"routine.guided.rep.{step.side or 'both'}", rep=step.rep, reps=step.reps, cue=cue
    )


def render_guided_relax(state: SessionState, language: str) -> str:
    """The end of a guided repetition: "Relax" (the full words the first time), then what comes
    next when it waits for the patient: the other side's position, the next exercise, or the last
    question."""
    step = state.shown_step
    relax = []
    if step.kind is StepKind.HOLD:
        first = _first_of_exercise(step)
        short = text(language, "session.guided.relax")
        relax.append(render_relax(step, language) if first else short)
        if first and state.awaiting is Awaiting.RESTING:
            relax.append(text(language, "session.guided.by_itself"))
    coming = state.next_step
    after = ""
    if state.awaiting is Awaiting.PAIN_AFTER:
        after = text(language, "session.pain_after")
    elif state.awaiting is Awaiting.READY and coming is not None:
        after = _render_what_comes(step, coming, language)
    return "\n\n".join(part for part in ("\n".join(relax), after) if part)


def _render_what_comes(done: Step, coming: Step, language: str) -> str:
    if coming.kind is StepKind.SIDE:
        return render_step(coming, language)
    return text(
        language,
        "session.guided.exercise_done",
        exercise=text(language, exercise(done.exercise).title_key),
        next=text(language, exercise(coming.exercise).title_key),
    )


def _first_of_exercise(step: Step) -> bool:
    return step.rep == 1 and step.side in (None, "right")


# --- the session ----------------------------------------------------------------------------


def render_pain_before(state: SessionState, pregnant: bool, language: str) -> str:
    """The first message of a session: the pregnancy caution if it applies, and the question."""
    question = text(language, "session.pain_before", minutes=_session_minutes(state, language))
    return _with_caution(question, pregnant, language)


def render_known_pain(
    state: SessionState, known: RecentPain, pregnant: bool, now: datetime, language: str
) -> str:
    """The first lines of a session that took a recent check-in as its pain before, in its
    place: which score it used, from when."""
    minutes = int((now - known.at).total_seconds() // 60)
    ago = (
        text(language, "session.known_pain.now")
        if minutes < 1
        else plural(language, "session.known_pain.ago", minutes)
    )
    lines = text(
        language,
        "session.known_pain",
        minutes=_session_minutes(state, language),
        score=known.score,
        ago=ago,
    )
    return _with_caution(lines, pregnant, language)


def _session_minutes(state: SessionState, language: str) -> str:
    minutes = estimated_minutes(
        state.exercise_keys, state.hold_seconds, state.repetitions,
        pace=state.pace, rest_seconds=state.rest_seconds,
    )
    return plural(language, "session.minutes", minutes)


def _with_caution(body: str, pregnant: bool, language: str) -> str:
    return f"{text(language, 'session.pregnancy')}\n\n{body}" if pregnant else body


def render_position(state: SessionState, language: str) -> str:
    """Where Continue picks up: "Hip flexion, left side, rep 2"."""
    step = state.next_step
    if state.awaiting is Awaiting.PAIN_BEFORE:
        return text(language, "session.at.start")
    if step is None:
        return text(language, "session.at.end")
    title = text(language, exercise(step.exercise).title_key)
    if step.rep is None:
        return text(language, "session.at.exercise", exercise=title)
    if step.side is None:
        return text(language, "session.at.rep", exercise=title, rep=step.rep)
    side = text(language, f"session.side.{step.side}")
    return text(language, "session.at.side_rep", exercise=title, side=side, rep=step.rep)


def render_summary(
    state: SessionState, streak: int, flags: Sequence[RedFlag], language: str
) -> str:
    """The end of a completed session: time, exercises, pain, streak, advice, encouragement."""
    lines = [
        text(language, "session.summary.title"),
        text(language, "session.summary.time", duration=_duration(state, language)),
        plural(language, "session.summary.done", len(state.done_exercises)),
    ]
    if state.skipped:
        lines.append(plural(language, "session.summary.skipped", len(state.skipped)))
    if state.pain_before is not None or state.pain_after is not None:
        lines.append(
            text(
                language, "session.summary.pain",
                before=_score(state.pain_before, language),
                after=_score(state.pain_after, language),
            )
        )
    if streak:
        lines.append(plural(language, "session.summary.streak", streak))
    better = (
        state.pain_before is not None
        and state.pain_after is not None
        and state.pain_after < state.pain_before
    )
    encouragement = text(language, "session.encourage.better" if better else "session.encourage")
    return "\n\n".join(["\n".join(lines), *render_advice(flags, language), encouragement])


def render_stopped(state: SessionState, language: str) -> str:
    done = plural(language, "session.stopped.done", len(state.done_exercises))
    return text(language, "session.stopped", done=done)


def _duration(state: SessionState, language: str) -> str:
    ended = state.ended_at or state.updated_at
    minutes = round((ended - state.started_at).total_seconds() / 60)
    if minutes < 1:
        return text(language, "session.summary.under_a_minute")
    return plural(language, "session.summary.minutes", minutes)


def _score(score: int | None, language: str) -> str:
    return text(language, "session.summary.no_score") if score is None else str(score)


# --- red flags ------------------------------------------------------------------------------


def render_advice(flags: Sequence[RedFlag], language: str) -> list[str]:
    """The red flags' advice, one paragraph each, in the order the core gave them (most urgent
    first): the session's summary and safety stop, the diary and onboarding all say it so."""
    return [text(language, flag.text_key) for flag in flags]


def gentle_button(data: str, language: str) -> Button:
    """ "Switch to a gentler routine", wherever the core offers it (/pain, a session's pain
    before); `data` is what it does there."""
    return Button(text(language, "diary.gentle.button"), data)


# --- the diary and the patient's zone -------------------------------------------------------


def render_week_comparison(comparison: WeekComparison, language: str) -> str:
    """ "Your average pain fell from 5.1 to 3.8", judged on the rounded figures shown."""
    previous, current = round(comparison.previous, 1), round(comparison.current, 1)
    if current < previous:
        key = "diary.week.fell"
    elif current > previous:
        key = "diary.week.rose"
    else:
        key = "diary.week.same"
    return text(
        language,
        key,
        previous=format_decimal(language, previous),
        current=format_decimal(language, current),
    )


def local_now_label(zone: str, now_utc: datetime, language: str = "en") -> str:
    """The wall clock in `zone` at `now_utc`, for the patient to check: "14:05, Wednesday"."""
    if now_utc.tzinfo is None:
        raise ValueError("`now_utc` must be timezone-aware")
    local = now_utc.astimezone(ZoneInfo(zone))
    return text(
        language,
        "zones.local_now",
        time=format_time(language, local.time()),
        weekday=text(language, f"zones.weekday.{local.weekday()}"),
    )
