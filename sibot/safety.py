"""The warning signs: one table (`TRIAGE`) that the safety screen (`SCREEN`, read off it), the
diary's symptom question, the sessions and the doctor's report all read.

Each sign has one urgency everywhere (NHS guidance on back pain): a sign of a squeezed nerve root
bundle (cauda equina) sends the patient to an emergency department straight away, new weakness in
one leg or a fever to a doctor today, and the red flags of a serious cause (cancer, infection,
fracture) to their doctor before they start. The safety screen asks each sign once at onboarding;
the signs a patient can notice from one day to the next are also diary symptoms.

Everything here is pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Urgency(StrEnum):
    """What the patient should do, most urgent first; stored in `red_flags.urgency`."""

    EMERGENCY = "emergency"
    DOCTOR_TODAY = "doctor_today"
    BEFORE_STARTING = "before_starting"
    PAUSE_AND_CONTACT = "pause_and_contact"
    TAKE_IT_EASIER = "take_it_easier"


class Symptom(StrEnum):
    """The diary's symptom buttons. Their order is the bit order of the buttons' masks: a new
    symptom goes at the end, so that old buttons keep their meaning."""

    NUMBNESS_TINGLING = "numbness_tingling"  # in a leg: worth noting, not a warning sign
    LEG_WEAKNESS_WORSE = "leg_weakness_worse"  # both legs weak, or weakness getting worse fast
    FEVER = "fever"
    BLADDER_BOWEL = "bladder_bowel"  # bladder, bowel or sex
    SADDLE_NUMBNESS = "saddle_numbness"  # between the legs, genitals, back passage, buttocks
    ONE_LEG_WEAK = "one_leg_weak"


class Sign(StrEnum):
    """A warning sign the safety screen asks about; the value is stored in
    `safety_answers.question` and names its texts (`safety.sign.<value>`)."""

    SADDLE = "saddle"
    BLADDER = "bladder"
    LEGS_WEAKER = "legs_weaker"
    ONE_LEG_WEAK = "one_leg_weak"
    FEVER = "fever"
    INJURY = "injury"
    CANCER = "cancer"
    WEIGHT_LOSS = "weight_loss"
    NIGHT_PAIN = "night_pain"
    OVER_50 = "over_50"
    IMMUNE = "immune"
    OSTEOPOROSIS = "osteoporosis"
    PREGNANCY = "pregnancy"


class Question(StrEnum):
    """The safety screen's questions, asked in this order; the value travels in buttons
    (`ob:answer:<question>:<0|1>`) and in the clearance step (`clearance:<question>`)."""

    SADDLE_NUMBNESS = "saddle"
    BLADDER_BOWEL = "bladder"
    LEGS_WEAKER = "legs"
    ONE_LEG_WEAK = "leg"
    HISTORY = "history"  # a checklist: tap all that apply
    PREGNANCY = "pregnancy"


@dataclass(frozen=True, slots=True)
class WarningSign:
    """One row of the triage table: the safety screen's question that asks it, what a yes means
    (None: go on, with care), and the diary symptom that reports it later (None: asked once, at
    onboarding)."""

    sign: Sign
    question: Question
    urgency: Urgency | None
    symptom: Symptom | None = None


# The one table. Its order is the screen's: a question's signs in the order of its rows (a
# checklist's bits in its buttons' masks: add a new sign after the question's last one).
TRIAGE = {
    row.sign: row
    for row in (
        WarningSign(Sign.SADDLE, Question.SADDLE_NUMBNESS, Urgency.EMERGENCY, Symptom.SADDLE_NUMBNESS),
        WarningSign(Sign.BLADDER, Question.BLADDER_BOWEL, Urgency.EMERGENCY, Symptom.BLADDER_BOWEL),
        WarningSign(Sign.LEGS_WEAKER, Question.LEGS_WEAKER, Urgency.EMERGENCY, Symptom.LEG_WEAKNESS_WORSE),
        WarningSign(Sign.ONE_LEG_WEAK, Question.ONE_LEG_WEAK, Urgency.DOCTOR_TODAY, Symptom.ONE_LEG_WEAK),
        WarningSign(Sign.FEVER, Question.HISTORY, Urgency.DOCTOR_TODAY, Symptom.FEVER),
        WarningSign(Sign.INJURY, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.CANCER, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.WEIGHT_LOSS, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.NIGHT_PAIN, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.OVER_50, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.IMMUNE, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.OSTEOPOROSIS, Question.HISTORY, Urgency.BEFORE_STARTING),
        WarningSign(Sign.PREGNANCY, Question.PREGNANCY, None),
    )
}


# The safety screen, read off the table: what each question asks. One sign makes a yes/no
# question, several a checklist.
SCREEN: dict[Question, tuple[Sign, ...]] = {
    question: tuple(row.sign for row in TRIAGE.values() if row.question is question)
    for question in Question
}


def is_checklist(question: Question) -> bool:
    return len(SCREEN[question]) > 1


def signs_of_mask(question: Question, mask: int) -> frozenset[Sign] | None:
    """The signs a checklist's bit mask ticks; None for bits the checklist does not have."""
    signs = SCREEN[question]
    if not 0 <= mask < 1 << len(signs):
        return None
    return frozenset(sign for bit, sign in enumerate(signs) if mask >> bit & 1)


def screen_urgency(yes: frozenset[Sign]) -> Urgency | None:
    """What the safety screen's yes answers ask of the patient: the most urgent of them; None
    when none asks for anything."""
    urgencies = [TRIAGE[sign].urgency for sign in yes]
    found = [urgency for urgency in urgencies if urgency is not None]
    return min(found, key=list(Urgency).index) if found else None


def symptoms_at(urgency: Urgency) -> frozenset[Symptom]:
    """The diary symptoms of that urgency."""
    return frozenset(
        row.symptom for row in TRIAGE.values() if row.urgency is urgency and row.symptom is not None
    )


# Signs asked once after onboarding was finished, for patients who onboarded before they were
# part of the screen (see `sibot.onboarding.catch_up_question`).
CATCH_UP = Question.HISTORY
