"""The warning signs' table and the rules that read it: each rule on its own, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sibot import checkins
from sibot.checkins import Checkin, CheckinSource, RedFlagRule
from sibot.diary import advice
from sibot.emergency import WAIT, asks_if_examined
from sibot.patients import SIGNS_CHECK_EVERY, signs_due, takes_reminders
from sibot.safety import (
    SCREEN,
    TRIAGE,
    Question,
    Sign,
    Symptom,
    Urgency,
    is_checklist,
    screen_urgency,
    signs_of_mask,
    symptoms_at,
)
from tests.factories import patient_view

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _checkin(score: int | None = 4, *symptoms: Symptom, source: CheckinSource = CheckinSource.DIARY) -> Checkin:
    return Checkin(NOW, score, source, symptoms=frozenset(symptoms))


def test_every_sign_is_asked_once_and_has_one_urgency() -> None:
    asked = [sign for signs in SCREEN.values() for sign in signs]
    assert sorted(asked) == sorted(Sign) and len(asked) == len(set(asked))
    assert set(TRIAGE) == set(Sign)
    diary_symptoms = [row.symptom for row in TRIAGE.values() if row.symptom is not None]
    assert len(diary_symptoms) == len(set(diary_symptoms))


def test_leg_weakness_is_one_rule_everywhere() -> None:
    """Both legs, or worse fast: an emergency; new in one leg: a doctor today (NHS)."""
    assert TRIAGE[Sign.LEGS_WEAKER].urgency is Urgency.EMERGENCY
    assert TRIAGE[Sign.ONE_LEG_WEAK].urgency is Urgency.DOCTOR_TODAY
    assert TRIAGE[Sign.LEGS_WEAKER].symptom is Symptom.LEG_WEAKNESS_WORSE
    assert TRIAGE[Sign.ONE_LEG_WEAK].symptom is Symptom.ONE_LEG_WEAK


def test_the_red_flags_of_a_serious_cause_ask_for_a_doctor_before_starting() -> None:
    for sign in (Sign.CANCER, Sign.WEIGHT_LOSS, Sign.NIGHT_PAIN, Sign.OVER_50, Sign.IMMUNE, Sign.OSTEOPOROSIS):
        assert TRIAGE[sign].urgency is Urgency.BEFORE_STARTING
        assert sign in SCREEN[Question.HISTORY]


def test_the_symptom_buttons_keep_their_bits() -> None:
    """Old diary buttons carry a mask over this order: new symptoms go at the end."""
    assert list(Symptom)[:5] == [
        Symptom.NUMBNESS_TINGLING, Symptom.LEG_WEAKNESS_WORSE, Symptom.FEVER,
        Symptom.BLADDER_BOWEL, Symptom.SADDLE_NUMBNESS,
    ]


@pytest.mark.parametrize("symptom", sorted(symptoms_at(Urgency.EMERGENCY)))
def test_each_sign_of_nerve_pressure_is_an_emergency(symptom: Symptom) -> None:
    flag = checkins.cauda_equina(_checkin(4, symptom))
    assert flag is not None and flag.urgency is Urgency.EMERGENCY
    assert checkins.one_leg_weakness(_checkin(4, symptom)) is None


def test_new_weakness_in_one_leg_is_a_doctor_today() -> None:
    flag = checkins.one_leg_weakness(_checkin(None, Symptom.ONE_LEG_WEAK))
    assert flag is not None and (flag.rule, flag.urgency) == (RedFlagRule.ONE_LEG_WEAK, Urgency.DOCTOR_TODAY)
    assert checkins.cauda_equina(_checkin(None, Symptom.ONE_LEG_WEAK)) is None
    assert checkins.one_leg_weakness(_checkin(3, Symptom.NUMBNESS_TINGLING)) is None


def test_both_kinds_of_weakness_give_the_emergency_first() -> None:
    flags = checkins.evaluate(_checkin(4, Symptom.ONE_LEG_WEAK, Symptom.LEG_WEAKNESS_WORSE), [])
    assert [flag.rule for flag in flags] == [RedFlagRule.CAUDA_EQUINA, RedFlagRule.ONE_LEG_WEAK]


@pytest.mark.parametrize(
    ("yes", "urgency"),
    [
        (set(), None),
        ({Sign.PREGNANCY}, None),
        ({Sign.CANCER}, Urgency.BEFORE_STARTING),
        ({Sign.CANCER, Sign.FEVER}, Urgency.DOCTOR_TODAY),
        ({Sign.OVER_50, Sign.SADDLE}, Urgency.EMERGENCY),
    ],
)
def test_the_screen_asks_for_the_most_urgent_of_its_yes_answers(yes: set[Sign], urgency: Urgency | None) -> None:
    assert screen_urgency(frozenset(yes)) is urgency


def test_a_checklist_mask_names_its_signs_and_nothing_else() -> None:
    assert is_checklist(Question.HISTORY) and not is_checklist(Question.SADDLE_NUMBNESS)
    assert signs_of_mask(Question.HISTORY, 0) == frozenset()
    assert signs_of_mask(Question.HISTORY, 0b101) == {Sign.FEVER, Sign.CANCER}
    assert signs_of_mask(Question.HISTORY, 1 << len(SCREEN[Question.HISTORY])) is None
    assert signs_of_mask(Question.HISTORY, -1) is None


@pytest.mark.parametrize(
    ("score", "flags", "asks"),
    [
        (8, [], True),
        (10, [], True),
        (7, [], False),
        (None, [], False),
        (5, [checkins.RedFlag(RedFlagRule.RISING_PAIN, Urgency.PAUSE_AND_CONTACT, "")], True),
        (5, [checkins.RedFlag(RedFlagRule.SESSION_RISE, Urgency.TAKE_IT_EASIER, "")], False),
    ],
)
def test_a_high_or_risen_score_asks_for_new_symptoms(score: int | None, flags: list[checkins.RedFlag], asks: bool) -> None:
    for source in (CheckinSource.REMINDER, CheckinSource.BEFORE_SESSION, CheckinSource.HURTS):
        assert checkins.asks_symptoms(_checkin(score, source=source), flags) is asks


def test_an_emergency_is_all_the_advice_and_offers_no_way_on() -> None:
    flags = checkins.evaluate(_checkin(9, Symptom.SADDLE_NUMBNESS), [])
    assert {flag.rule for flag in flags} == {RedFlagRule.CAUDA_EQUINA, RedFlagRule.SEVERE_PAIN}
    told = advice(flags, gentle=False)
    assert [flag.rule for flag in told.flags] == [RedFlagRule.CAUDA_EQUINA]
    assert not told.pause and not told.offer_gentle
    severe = advice(checkins.evaluate(_checkin(9), []), gentle=False)
    assert severe.pause and severe.offer_gentle


def test_the_examined_question_waits_an_hour_after_the_emergency() -> None:
    assert asks_if_examined(patient_view(), NOW) is None
    held = patient_view(advised_at=NOW)
    assert asks_if_examined(held, NOW + WAIT - timedelta(seconds=1)) is False
    assert asks_if_examined(held, NOW + WAIT) is True
    assert WAIT == timedelta(hours=1)


def test_a_patient_sent_to_the_emergency_department_gets_no_reminders() -> None:
    assert takes_reminders(patient_view(), NOW)
    assert not takes_reminders(patient_view(advised_at=NOW - timedelta(days=3)), NOW)


def test_the_warning_signs_question_comes_weekly_until_answered() -> None:
    assert signs_due(None, NOW)
    assert not signs_due(NOW - SIGNS_CHECK_EVERY + timedelta(minutes=1), NOW)
    assert signs_due(NOW - SIGNS_CHECK_EVERY, NOW)
    assert SIGNS_CHECK_EVERY == timedelta(days=7)
