"""The inflammatory back pain check (NICE NG65): whether to ask a GP about axial spondyloarthritis.

Axial spondyloarthritis is one cause of SI joint pain that exercises alone do not treat. NICE
counts eight features, for back pain that began before 45 and has lasted more than 3 months:
four or more are worth asking the GP about a rheumatology referral, three worth mentioning. The
check is never a diagnosis: it only tells the patient what to bring up with their GP.

The rules are the pure functions first; the use cases at the end take the core and own their
transaction. A check is one row, answered a question at a time; the newest finished one counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot.core import Core
from sibot.models import InflammatoryCheck


class Question(StrEnum):
    # whether the check applies
    BEGAN_BEFORE_45 = "before45"
    LASTED_3_MONTHS = "months3"
    # the features NICE counts
    WAKES_AT_NIGHT = "night"  # waking in the second half of the night because of the pain
    BUTTOCK_PAIN = "buttock"
    BETTER_MOVING = "moving"  # better with movement, not with rest
    BETTER_WITH_NSAIDS = "nsaids"  # better within 48 hours of anti-inflammatories
    FAMILY = "family"  # a parent, child or sibling with spondyloarthritis
    ARTHRITIS = "arthritis"
    ENTHESITIS = "enthesitis"  # pain where tendons attach, such as the heel
    PSORIASIS = "psoriasis"


GATE: tuple[Question, ...] = (Question.BEGAN_BEFORE_45, Question.LASTED_3_MONTHS)
FEATURES: tuple[Question, ...] = tuple(question for question in Question if question not in GATE)
QUESTIONS: tuple[Question, ...] = tuple(Question)
REFERRAL_COUNT = 4
MENTION_COUNT = 3


class Outcome(StrEnum):
    ASK_REFERRAL = "referral"  # ask the GP about a referral to a rheumatologist
    MENTION = "mention"  # mention it to the GP
    NOTHING = "nothing"  # too few features: nothing to do
    NOT_APPLICABLE = "not_applicable"  # began at 45 or later, or has lasted under 3 months


def applies(answers: Mapping[Question, bool]) -> bool:
    """NG65 counts the features only for pain that began before 45 and has lasted over 3 months."""
    return all(answers.get(question) is True for question in GATE)


def feature_count(answers: Mapping[Question, bool]) -> int:
    """How many of the eight features the patient said yes to."""
    return sum(1 for question in FEATURES if answers.get(question) is True)


def outcome_of(count: int | None) -> Outcome:
    """What a count means; None stands for a check that does not apply."""
    if count is None:
        return Outcome.NOT_APPLICABLE
    if count >= REFERRAL_COUNT:
        return Outcome.ASK_REFERRAL
    if count >= MENTION_COUNT:
        return Outcome.MENTION
    return Outcome.NOTHING


def next_question(answers: Mapping[Question, bool]) -> Question | None:
    """The question to ask next; None once the check is over (a "no" at the gate ends it)."""
    if any(answers.get(question) is False for question in GATE):
        return None
    return next((question for question in QUESTIONS if question not in answers), None)


def counted(answers: Mapping[Question, bool]) -> int | None:
    """The count a finished check stores: None when it does not apply."""
    return feature_count(answers) if applies(answers) else None


# --- what the use cases return ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A finished check: when, how many features, and what to do."""

    at: datetime
    count: int | None
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CheckView:
    """A check in progress (`question` is the next one, numbered from 1) or finished (`result`)."""

    check_id: int
    question: Question | None
    number: int
    result: CheckResult | None


_QUESTION_VALUES = frozenset(question.value for question in Question)
_OUTCOME_VALUES = frozenset(outcome.value for outcome in Outcome)


def _answers(row: InflammatoryCheck) -> dict[Question, bool]:
    """The stored answers, leaving out any that a corrupt or older row holds wrongly."""
    stored = row.answers if isinstance(row.answers, dict) else {}
    return {
        Question(key): value
        for key, value in stored.items()
        if key in _QUESTION_VALUES and isinstance(value, bool)
    }


def _view(row: InflammatoryCheck) -> CheckView:
    answers = _answers(row)
    question = next_question(answers)
    return CheckView(row.id, question, len(answers) + 1, _result(row))


def _result(row: InflammatoryCheck) -> CheckResult | None:
    if row.completed_at is None or row.outcome not in _OUTCOME_VALUES:
        return None
    return CheckResult(row.completed_at, row.count, Outcome(row.outcome))


async def _open_check(
    session: AsyncSession, patient_id: int, check_id: int
) -> InflammatoryCheck | None:
    # locked: two replicas taking the same tap at once must not both find the question open
    row = await session.get(InflammatoryCheck, check_id, with_for_update=True)
    if row is None or row.patient_id != patient_id or row.completed_at is not None:
        return None
    return row


async def finished_checks(session: AsyncSession, patient_id: int) -> list[CheckResult]:
    """Every finished check of the patient, oldest first (the export; the report takes the last)."""
    rows = await session.scalars(
        select(InflammatoryCheck)
        .where(InflammatoryCheck.patient_id == patient_id, InflammatoryCheck.completed_at.is_not(None))
        .order_by(InflammatoryCheck.completed_at, InflammatoryCheck.id)
    )
    return [result for row in rows if (result := _result(row)) is not None]


# --- the use cases ----------------------------------------------------------------------------


async def begin(core: Core, patient_id: int) -> CheckView:
    """A new check at its first question; an unfinished earlier one is dropped."""
    async with core.db.transaction() as session:
        await _drop_unfinished(session, patient_id)
        row = InflammatoryCheck(patient_id=patient_id, started_at=core.clock.now(), answers={})
        session.add(row)
        await session.flush()
        return _view(row)


async def answer(
    core: Core, patient_id: int, check_id: int, question: Question, yes: bool
) -> CheckView | None:
    """Take one answer; the last one stores the count and the outcome. None when the check is
    not the patient's open one or `question` is not the one it waits for (an old or double tap)."""
    async with core.db.transaction() as session:
        row = await _open_check(session, patient_id, check_id)
        if row is None:
            return None
        answers = _answers(row)
        if next_question(answers) is not question:
            return None
        answers[question] = yes
        row.answers = {key.value: value for key, value in answers.items()}
        if next_question(answers) is None:
            row.completed_at = core.clock.now()
            row.count = counted(answers)
            row.outcome = outcome_of(row.count).value
        return _view(row)


async def stop(core: Core, patient_id: int, check_id: int) -> bool:
    """Drop an unfinished check (its answers go with it); False when there is none to stop."""
    async with core.db.transaction() as session:
        row = await _open_check(session, patient_id, check_id)
        if row is None:
            return False
        await session.delete(row)
        return True


async def _drop_unfinished(session: AsyncSession, patient_id: int) -> None:
    await session.execute(
        delete(InflammatoryCheck).where(
            InflammatoryCheck.patient_id == patient_id, InflammatoryCheck.completed_at.is_(None)
        )
    )
