"""The inflammatory back pain check's rules (NICE NG65), each alone, and its storage on both
databases: a check a tap at a time, the newest finished one counts, /delete takes them all."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sibot import diary, function, inflammatory_check
from sibot.core import Core
from sibot.inflammatory_check import (
    FEATURES,
    GATE,
    QUESTIONS,
    Outcome,
    Question,
    applies,
    counted,
    feature_count,
    next_question,
    outcome_of,
)
from sibot.models import InflammatoryCheck
from sibot.report import export_csv
from tests.factories import onboarded_patient
from tests.harness import ManualClock

ANA = 4242
BOTH_GATES = {question: True for question in GATE}


def _with(features: int) -> dict[Question, bool]:
    """Both gates yes, the first `features` of the eight yes and the rest no."""
    return {**BOTH_GATES, **{question: index < features for index, question in enumerate(FEATURES)}}


def test_nice_counts_eight_features_after_two_questions_of_whether_it_applies() -> None:
    assert GATE == (Question.BEGAN_BEFORE_45, Question.LASTED_3_MONTHS)
    assert len(FEATURES) == 8 and QUESTIONS == GATE + FEATURES


@pytest.mark.parametrize(
    ("count", "outcome"),
    [
        (None, Outcome.NOT_APPLICABLE),
        (0, Outcome.NOTHING),
        (2, Outcome.NOTHING),
        (3, Outcome.MENTION),
        (4, Outcome.ASK_REFERRAL),
        (8, Outcome.ASK_REFERRAL),
    ],
)
def test_four_or_more_ask_about_a_referral_three_mention_it_fewer_nothing(
    count: int | None, outcome: Outcome
) -> None:
    assert outcome_of(count) is outcome


def test_it_applies_only_to_pain_that_began_before_45_and_lasted_over_3_months() -> None:
    assert applies(BOTH_GATES)
    assert not applies({Question.BEGAN_BEFORE_45: False, Question.LASTED_3_MONTHS: True})
    assert not applies({Question.BEGAN_BEFORE_45: True, Question.LASTED_3_MONTHS: False})
    assert not applies({Question.BEGAN_BEFORE_45: True})
    assert counted({**_with(8), Question.LASTED_3_MONTHS: False}) is None


def test_only_the_features_answered_yes_count() -> None:
    assert feature_count(_with(5)) == 5
    assert feature_count({**BOTH_GATES}) == 0  # the gates are not features
    assert counted(_with(3)) == 3


def test_questions_come_in_order_and_a_no_at_the_gate_ends_the_check() -> None:
    assert next_question({}) is Question.BEGAN_BEFORE_45
    assert next_question({Question.BEGAN_BEFORE_45: True}) is Question.LASTED_3_MONTHS
    assert next_question(BOTH_GATES) is FEATURES[0]
    assert next_question({Question.BEGAN_BEFORE_45: False}) is None
    assert next_question({**BOTH_GATES, Question.LASTED_3_MONTHS: False}) is None
    assert next_question(_with(2)) is None


async def _onboarded(core: Core) -> None:
    await onboarded_patient(core.db, ANA, core.clock.now())


async def _take(core: Core, features: int) -> inflammatory_check.CheckView:
    view = await inflammatory_check.begin(core, ANA)
    answers = _with(features)
    while view.question is not None:
        answered = await inflammatory_check.answer(
            core, ANA, view.check_id, view.question, answers[view.question]
        )
        assert answered is not None
        view = answered
    return view


async def test_a_check_is_stored_with_its_date_count_and_outcome(
    core: Core, clock: ManualClock
) -> None:
    await _onboarded(core)
    view = await _take(core, 4)
    assert view.result == inflammatory_check.CheckResult(clock.now(), 4, Outcome.ASK_REFERRAL)
    assert view.number == len(QUESTIONS) + 1


async def test_only_the_question_waited_for_is_taken(core: Core) -> None:
    await _onboarded(core)
    view = await inflammatory_check.begin(core, ANA)
    ahead = await inflammatory_check.answer(core, ANA, view.check_id, Question.PSORIASIS, True)
    someone_else = await inflammatory_check.answer(
        core, ANA + 1, view.check_id, Question.BEGAN_BEFORE_45, True
    )
    assert ahead is None and someone_else is None
    first = await inflammatory_check.answer(core, ANA, view.check_id, Question.BEGAN_BEFORE_45, True)
    assert first is not None and (first.question, first.number) == (Question.LASTED_3_MONTHS, 2)
    again = await inflammatory_check.answer(core, ANA, view.check_id, Question.BEGAN_BEFORE_45, False)
    assert again is None


async def test_a_finished_check_takes_no_more_answers_and_cannot_be_stopped(core: Core) -> None:
    await _onboarded(core)
    view = await _take(core, 1)
    assert await inflammatory_check.answer(core, ANA, view.check_id, Question.PSORIASIS, True) is None
    assert not await inflammatory_check.stop(core, ANA, view.check_id)


async def test_a_new_check_drops_an_unfinished_one(core: Core) -> None:
    await _onboarded(core)
    first = await inflammatory_check.begin(core, ANA)
    second = await inflammatory_check.begin(core, ANA)
    assert second.check_id != first.check_id
    assert not await inflammatory_check.stop(core, ANA, first.check_id)
    assert await inflammatory_check.stop(core, ANA, second.check_id)


async def test_the_report_shows_the_newest_and_the_export_every_check(
    core: Core, clock: ManualClock
) -> None:
    await _onboarded(core)
    await _take(core, 5)
    clock.advance(timedelta(days=40))  # older than the report's 30 days: still the newest
    newest = await _take(core, 0)
    await inflammatory_check.begin(core, ANA)  # unfinished: not a result
    report = await function.report(core, ANA)
    assert report is not None and report.inflammatory_check == newest.result
    export, _ = await function.export(core, ANA)
    assert [(r.count, r.outcome) for r in export.inflammatory_checks] == [
        (5, Outcome.ASK_REFERRAL),
        (0, Outcome.NOTHING),
    ]


async def test_a_corrupt_row_counts_only_what_it_holds_well(core: Core) -> None:
    await _onboarded(core)
    view = await inflammatory_check.begin(core, ANA)
    async with core.db.transaction() as session:
        row = await session.get(InflammatoryCheck, view.check_id)
        assert row is not None
        row.answers = {"before45": True, "diet": True, "months3": "yes"}
    answered = await inflammatory_check.answer(core, ANA, view.check_id, Question.LASTED_3_MONTHS, True)
    assert answered is not None and answered.question is FEATURES[0]


async def test_delete_erases_every_check(core: Core) -> None:
    await _onboarded(core)
    await _take(core, 3)
    await inflammatory_check.begin(core, ANA)
    await diary.erase_patient(core.db, ANA)
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(InflammatoryCheck)) == 0


def test_the_export_lists_each_check_with_its_count_and_outcome() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    checks = [
        inflammatory_check.CheckResult(datetime(2026, 3, 2, 9, tzinfo=UTC), None, Outcome.NOT_APPLICABLE),
        inflammatory_check.CheckResult(datetime(2026, 3, 1, 9, tzinfo=UTC), 3, Outcome.MENTION),
    ]
    rows = list(csv.DictReader(io.StringIO(export_csv([], [], berlin, checks).decode("utf-8"))))
    assert [(r["record"], r["at"], r["check_count"], r["check_outcome"]) for r in rows] == [
        ("inflammatory_check", "2026-03-01T10:00:00+01:00", "3", "mention"),
        ("inflammatory_check", "2026-03-02T10:00:00+01:00", "", "not_applicable"),
    ]
    assert all(r["score"] == "" for r in rows)  # the count is not a pain score
