"""The exercise routine as data, and the ordered steps of a session built from it.

The six exercises follow the source article's order. A session is a flat tuple of steps: an
exercise's intro, its setup instructions, then, side by side when it is done on each side, one
step per repetition. At the patient's own pace each step is a message; at the guided pace one
message may fold two steps together (`guided_message_end`). A held repetition is a HOLD step: the
session engine sends it, waits `hold_seconds`, sends the relax message and moves on. The step list
is the same at both paces, so a stored session's `step_index` means the same whichever it has.
This module only holds keys: the glue renders every word a patient reads from the catalog
(`sibot/texts/en/routine.py`, in `handlers/render.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal


ExerciseKind = Literal["strength", "stretch"]
Equipment = Literal["pillow", "pillows", "band"]
# How the patient lies: on the back matters in pregnancy (see `prop_up_in_pregnancy`).
Position = Literal["on_back", "on_side"]
Side = Literal["right", "left"]

SIDES: tuple[Side, ...] = ("right", "left")
MIN_HOLD_SECONDS = 5
MAX_HOLD_SECONDS = 10
MIN_REPETITIONS = 1
MAX_REPETITIONS = 20
# The article gives the hold (5-10 s) but no repetitions; five short holds is a gentle start.
DEFAULT_HOLD_SECONDS = 5
DEFAULT_REPETITIONS = 5

# The rest between two repetitions at the guided pace; None in the patient's row means as long as
# the hold.
MIN_REST_SECONDS = 3
MAX_REST_SECONDS = 30
# How long an unheld repetition (press, then ease off) takes.
UNTIMED_REP_SECONDS = 6
# How long a patient reads a step's message, by what the step holds: the guided pace sends the
# next setup message after the reading time of the one before (a message that folds two steps
# gets both), and the estimate counts it at either pace.
READING_SECONDS = {"intro": 8, "instruction": 6, "side": 4}
# For the estimate: getting into position after a tap (or tapping Next at my pace), answering a
# pain question, and the breather after a hold at my pace.
POSITION_SECONDS = 10
QUESTION_SECONDS = 5
OWN_PACE_REST_SECONDS = 5


class Pace(StrEnum):
    """How a session moves on: the bot times repetitions and rests, or every step waits for Next."""

    GUIDED = "guided"
    OWN = "own"


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise: what it needs and the text keys of its setup and of its repeated move."""

    key: str
    kind: ExerciseKind
    position: Position
    equipment: tuple[Equipment, ...]
    per_side: bool
    holds: bool
    steps: tuple[str, ...]  # the setup, one message each
    rep_step: str  # the move of every repetition; a template taking {duration} when it is held

    @property
    def title_key(self) -> str:
        return f"routine.{self.key}.title"

    @property
    def purpose_key(self) -> str:
        return f"routine.{self.key}.purpose"

    @property
    def hold_step(self) -> str | None:
        return self.rep_step if self.holds else None

    @property
    def relax_key(self) -> str | None:
        return f"routine.{self.key}.relax" if self.holds else None

    def picture_key(self, side: Side | None = None) -> str:
        """What its picture of this side shows, in words, for a caption a screen reader can read
        out. The left picture mirrors the right one, so its words swap right and left; the first
        side's (or the only) picture has the plain key."""
        plain = f"routine.{self.key}.picture"
        return f"{plain}.left" if side == "left" else plain

    def side_key(self, side: Side) -> str:
        return f"routine.{self.key}.side.{side}"

    @property
    def first_side_key(self) -> str | None:
        """Which side comes first, said in the intro before the setup."""
        return f"routine.{self.key}.first_side" if self.per_side else None

    @property
    def cue_key(self) -> str:
        """The move in a few words, for a guided repetition after the first."""
        return f"routine.{self.key}.cue"

    @property
    def text_keys(self) -> tuple[str, ...]:
        """Every catalog key this exercise is shown with."""
        sides = tuple(self.side_key(side) for side in SIDES) if self.per_side else ()
        relax = (self.relax_key,) if self.relax_key else ()
        first = (self.first_side_key,) if self.first_side_key else ()
        pictures = tuple(self.picture_key(side) for side in (SIDES if self.per_side else (None,)))
        return (
            self.title_key, self.purpose_key, *self.steps, self.rep_step, self.cue_key,
            *relax, *first, *sides, *pictures,
        )


ROUTINE: tuple[Exercise, ...] = (
    Exercise(
        key="hip_adduction",
        kind="strength",
        position="on_back",
        equipment=("pillow",),
        per_side=False,
        holds=True,
        steps=(
            "routine.hip_adduction.step.lie",
            "routine.hip_adduction.step.knees",
            "routine.hip_adduction.step.pillow",
        ),
        rep_step="routine.hip_adduction.rep",
    ),
    Exercise(
        key="hip_abduction",
        kind="strength",
        position="on_back",
        equipment=("band",),
        per_side=False,
        holds=True,
        steps=("routine.hip_abduction.step.band", "routine.hip_abduction.step.lie"),
        rep_step="routine.hip_abduction.rep",
    ),
    Exercise(
        key="hip_flexion",
        kind="strength",
        position="on_back",
        equipment=("pillows",),
        per_side=True,
        holds=True,
        steps=("routine.hip_flexion.step.head", "routine.hip_flexion.step.legs"),
        rep_step="routine.hip_flexion.rep",
    ),
    # The article gives this stretch no hold: each press is a repetition the patient paces.
    Exercise(
        key="hip_abductor_stretch",
        kind="stretch",
        position="on_side",
        equipment=(),
        per_side=True,
        holds=False,
        steps=(
            "routine.hip_abductor_stretch.step.side",
            "routine.hip_abductor_stretch.step.leg",
            "routine.hip_abductor_stretch.step.turn",
        ),
        rep_step="routine.hip_abductor_stretch.rep",
    ),
    Exercise(
        key="knee_to_chest",
        kind="stretch",
        position="on_back",
        equipment=(),
        per_side=True,
        holds=True,
        steps=("routine.knee_to_chest.step.lie", "routine.knee_to_chest.step.hands"),
        rep_step="routine.knee_to_chest.rep",
    ),
    Exercise(
        key="piriformis_stretch",
        kind="stretch",
        position="on_back",
        equipment=(),
        per_side=True,
        holds=True,
        steps=(
            "routine.piriformis_stretch.step.lie",
            "routine.piriformis_stretch.step.cross",
            "routine.piriformis_stretch.step.hold",
        ),
        rep_step="routine.piriformis_stretch.rep",
    ),
)

_BY_KEY = {entry.key: entry for entry in ROUTINE}
ROUTINE_KEYS: tuple[str, ...] = tuple(_BY_KEY)


def exercise(key: str) -> Exercise:
    """The exercise with this key; KeyError for an unknown one."""
    return _BY_KEY[key]


def prop_up_in_pregnancy(entry: Exercise, pregnant: bool) -> bool:
    """Whether the exercise starts by telling a pregnant patient to prop her upper body up on
    pillows and to stop if dizzy or short of breath: lying flat on the back, the womb can press
    on the large vein that brings blood back to the heart."""
    return pregnant and entry.position == "on_back"


class StepKind(StrEnum):
    INTRO = "intro"  # what the exercise is for and what it needs; advanced by Next
    INSTRUCTION = "instruction"  # one setup step; advanced by Next
    SIDE = "side"  # which side comes now and how to get there; advanced by Next
    HOLD = "hold"  # one repetition held for hold_seconds; the engine relaxes and moves on
    REP = "rep"  # one repetition without a timed hold; advanced by Next (by itself when guided)


@dataclass(frozen=True, slots=True)
class Step:
    """One message of a session. `exercise_number` counts from 1 among `exercise_count`."""

    index: int
    exercise: str
    kind: StepKind
    side: Side | None
    rep: int | None
    reps: int | None
    hold_seconds: int | None
    text_key: str
    exercise_number: int
    exercise_count: int


def build_steps(
    exercise_keys: Sequence[str], *, hold_seconds: int, repetitions: int
) -> tuple[Step, ...]:
    """The ordered steps of a session of these exercises (a gentle one is just smaller numbers)."""
    if not MIN_HOLD_SECONDS <= hold_seconds <= MAX_HOLD_SECONDS:
        raise ValueError(
            f"hold_seconds must be {MIN_HOLD_SECONDS}..{MAX_HOLD_SECONDS}, not {hold_seconds}"
        )
    if not MIN_REPETITIONS <= repetitions <= MAX_REPETITIONS:
        raise ValueError(
            f"repetitions must be {MIN_REPETITIONS}..{MAX_REPETITIONS}, not {repetitions}"
        )
    if not exercise_keys:
        raise ValueError("a session needs at least one exercise")
    exercises = [exercise(key) for key in exercise_keys]
    moves = (
        (number, entry, move)
        for number, entry in enumerate(exercises, start=1)
        for move in _moves(entry, repetitions)
    )
    return tuple(
        Step(
            index=index,
            exercise=entry.key,
            kind=kind,
            side=side,
            rep=rep,
            reps=repetitions if rep is not None else None,
            hold_seconds=hold_seconds if kind is StepKind.HOLD else None,
            text_key=key,
            exercise_number=number,
            exercise_count=len(exercises),
        )
        for index, (number, entry, (kind, side, rep, key)) in enumerate(moves)
    )


def _moves(
    entry: Exercise, repetitions: int
) -> Iterator[tuple[StepKind, Side | None, int | None, str]]:
    yield StepKind.INTRO, None, None, entry.title_key
    for key in entry.steps:
        yield StepKind.INSTRUCTION, None, None, key
    rep_kind = StepKind.HOLD if entry.holds else StepKind.REP
    sides: tuple[Side | None, ...] = SIDES if entry.per_side else (None,)
    for side in sides:
        if side is not None:
            yield StepKind.SIDE, side, None, entry.side_key(side)
        for rep in range(1, repetitions + 1):
            yield rep_kind, side, rep, entry.rep_step


def is_repetition(step: Step) -> bool:
    return step.kind in (StepKind.HOLD, StepKind.REP)


def guided_message_end(steps: Sequence[Step], index: int) -> int:
    """The last step a guided setup message starting at `index` shows: an intro carries the first
    setup step with it, and the last setup step carries the first side's position."""
    end = index
    following = steps[end + 1] if end + 1 < len(steps) else None
    if steps[end].kind is StepKind.INTRO and following and following.kind is StepKind.INSTRUCTION:
        end += 1
        following = steps[end + 1] if end + 1 < len(steps) else None
    if steps[end].kind is StepKind.INSTRUCTION and following and following.kind is StepKind.SIDE:
        end += 1
    return end


def reading_seconds(steps: Sequence[Step]) -> int:
    """How long the patient reads a message that shows these steps."""
    return sum(READING_SECONDS.get(step.kind.value, 0) for step in steps)


def rep_seconds(step: Step) -> int:
    """How long one repetition lasts: its hold, or an unheld press."""
    return step.hold_seconds or UNTIMED_REP_SECONDS


def estimated_minutes(
    exercise_keys: Sequence[str],
    hold_seconds: int,
    repetitions: int,
    *,
    pace: Pace = Pace.GUIDED,
    rest_seconds: int | None = None,
) -> int:
    """How long a session takes, rounded up to whole minutes, for "about N minutes"."""
    seconds = estimated_seconds(
        exercise_keys, hold_seconds, repetitions, pace=pace, rest_seconds=rest_seconds
    )
    return math.ceil(seconds / 60)


def estimated_seconds(
    exercise_keys: Sequence[str],
    hold_seconds: int,
    repetitions: int,
    *,
    pace: Pace = Pace.GUIDED,
    rest_seconds: int | None = None,
) -> int:
    """How long a session takes: the guided pace's timers and the patient's taps, or at their own
    pace every step read and tapped on."""
    rest = rest_seconds or hold_seconds
    return _estimated_seconds(tuple(exercise_keys), hold_seconds, repetitions, pace, rest)


# Every reminder says it: building the step list for each one showed in a fan-out's profile
# (see benchmarks/README.md).
@lru_cache(maxsize=256)
def _estimated_seconds(
    exercise_keys: tuple[str, ...], hold_seconds: int, repetitions: int, pace: Pace, rest: int
) -> int:
    steps = build_steps(exercise_keys, hold_seconds=hold_seconds, repetitions=repetitions)
    seconds = _guided_seconds(steps, rest) if pace is Pace.GUIDED else _own_pace_seconds(steps)
    return seconds + 2 * QUESTION_SECONDS


def _guided_seconds(steps: Sequence[Step], rest: int) -> int:
    """The guided pace's timers, and a tap after each setup, side and exercise to get in place."""
    seconds, index = 0, 0
    while index < len(steps):
        step = steps[index]
        if is_repetition(step):
            seconds += rep_seconds(step)
            following = steps[index + 1] if index + 1 < len(steps) else None
            if step.kind is StepKind.HOLD and following is not None and is_repetition(following):
                seconds += rest
            elif following is not None and not is_repetition(following):
                seconds += POSITION_SECONDS  # the next side or exercise waits for a tap
            index += 1
            continue
        end = guided_message_end(steps, index)
        if step.kind is StepKind.SIDE and index > 0 and is_repetition(steps[index - 1]):
            end = index  # the other side's position came with the last "Relax", and its tap
        elif end + 1 < len(steps) and is_repetition(steps[end + 1]):
            seconds += POSITION_SECONDS  # the last setup message waits for "I'm in position"
        else:
            seconds += reading_seconds(steps[index : end + 1])
        index = end + 1
    return seconds


def _own_pace_seconds(steps: Sequence[Step]) -> int:
    """Every step read and tapped on; a hold and the breather after it."""
    return sum(
        rep_seconds(step) + OWN_PACE_REST_SECONDS if step.kind is StepKind.HOLD
        else rep_seconds(step) if step.kind is StepKind.REP
        else reading_seconds((step,)) + QUESTION_SECONDS
        for step in steps
    )


ABOUT_TOPICS: tuple[str, ...] = ("symptoms", "causes", "treatments", "pregnancy")


def about_topics() -> tuple[str, ...]:
    """The topics of "about this condition", in the order to offer them."""
    return ABOUT_TOPICS
