"""The pain diary's pure logic: the scale, each red-flag rule alone, streaks, summaries, the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handlers.render import render_week_comparison
from sibot.checkins import (
    Checkin,
    CheckinSource,
    DayPain,
    Location,
    RedFlagRule,
    Symptom,
    Urgency,
    WeekComparison,
    adherence,
    cauda_equina,
    daily_pain,
    evaluate,
    fever,
    hurts_severe,
    local_date,
    reads_history,
    rising_pain,
    session_change,
    severe_pain,
    streak,
    validate_pain,
    week_comparison,
    weekly_pain,
)
from sibot.report import CSV_COLUMNS, SessionRecord, export_csv
from sibot.texts import text

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 1, 8, tzinfo=UTC)
DIARY = CheckinSource.DIARY


def checkin(
    score: int | None,
    source: CheckinSource = DIARY,
    *,
    days: float = 0,
    **fields: object,
) -> Checkin:
    """A check-in `days` after 1 March 2026, 08:00 UTC."""
    return Checkin(at=START + timedelta(days=days), score=score, source=source, **fields)


def usual_pain(*scores: int) -> list[Checkin]:
    """Daily diary scores from day 0 on: the history a baseline is made of."""
    return [checkin(score, days=day) for day, score in enumerate(scores)]


@pytest.mark.parametrize("score", [0, 5, 10])
def test_validate_pain_takes_the_scale(score: int) -> None:
    assert validate_pain(score) == score


@pytest.mark.parametrize("score", [-1, 11, True, 5.0, "5", None])
def test_validate_pain_refuses_anything_else(score: object) -> None:
    with pytest.raises(ValueError):
        validate_pain(score)


def test_a_checkin_needs_aware_utc_time_and_a_valid_score() -> None:
    with pytest.raises(ValueError):
        Checkin(at=datetime(2026, 3, 1, 8), score=3, source=DIARY)
    with pytest.raises(ValueError):
        Checkin(at=datetime(2026, 3, 1, 8, tzinfo=BERLIN), score=3, source=DIARY)
    with pytest.raises(ValueError):
        checkin(11)


def test_enum_values_are_short_enough_for_callback_data() -> None:
    for enum in (Location, Symptom, CheckinSource, RedFlagRule, Urgency):
        assert all(len(member.value.encode()) <= 20 for member in enum)


@pytest.mark.parametrize(
    "sign", [Symptom.SADDLE_NUMBNESS, Symptom.BLADDER_BOWEL, Symptom.LEG_WEAKNESS_WORSE]
)
def test_any_cauda_equina_sign_is_an_emergency(sign: Symptom) -> None:
    flag = cauda_equina(checkin(2, symptoms=frozenset({sign})))
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.CAUDA_EQUINA, Urgency.EMERGENCY)


def test_tingling_alone_is_not_a_cauda_equina_sign() -> None:
    assert cauda_equina(checkin(6, symptoms=frozenset({Symptom.NUMBNESS_TINGLING}))) is None
    assert cauda_equina(checkin(6)) is None


@pytest.mark.parametrize("score", [3, None])
def test_fever_with_back_pain_means_a_doctor_today(score: int | None) -> None:
    flag = fever(checkin(score, symptoms=frozenset({Symptom.FEVER})))
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.FEVER, Urgency.DOCTOR_TODAY)


def test_fever_without_back_pain_or_no_fever_is_not_flagged() -> None:
    assert fever(checkin(0, symptoms=frozenset({Symptom.FEVER}))) is None
    assert fever(checkin(6)) is None


def test_severe_pain_starts_at_eight() -> None:
    flag = severe_pain(checkin(8, CheckinSource.AFTER_SESSION))
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.SEVERE_PAIN, Urgency.PAUSE_AND_CONTACT)
    assert severe_pain(checkin(7)) is None
    assert severe_pain(checkin(None)) is None


@pytest.mark.parametrize(("score", "sharp"), [(7, False), (10, False), (2, True), (None, True)])
def test_a_strong_or_sharp_hurt_stops_today(score: int | None, sharp: bool) -> None:
    flag = hurts_severe(checkin(score, CheckinSource.HURTS, sharp_or_shooting=sharp))
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.HURTS_SEVERE, Urgency.PAUSE_AND_CONTACT)


def test_a_mild_hurt_or_a_sharp_diary_entry_does_not_stop_today() -> None:
    assert hurts_severe(checkin(6, CheckinSource.HURTS)) is None
    assert hurts_severe(checkin(7, DIARY, sharp_or_shooting=True)) is None


def test_session_change_of_two_points_asks_to_take_it_easier() -> None:
    flag = session_change(3, 5)
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.SESSION_RISE, Urgency.TAKE_IT_EASIER)
    assert session_change(3, 4) is None
    assert session_change(5, 2) is None
    assert session_change(None, 7) is None
    assert session_change(3, None) is None


def test_rising_pain_held_over_three_checkins_pauses() -> None:
    history = usual_pain(3, 3, 4, 3, 3) + [checkin(5, days=5), checkin(6, days=6)]
    flag = rising_pain(checkin(5, days=7), history)
    assert flag is not None
    assert (flag.rule, flag.urgency) == (RedFlagRule.RISING_PAIN, Urgency.PAUSE_AND_CONTACT)


def test_rising_pain_needs_all_three_raised() -> None:
    history = usual_pain(3, 3, 4, 3, 3) + [checkin(4, days=5), checkin(6, days=6)]
    assert rising_pain(checkin(6, days=7), history) is None


def test_rising_pain_needs_the_rise_held_for_a_day() -> None:
    history = usual_pain(3, 3, 3, 3) + [checkin(6, days=4), checkin(6, days=4.3)]
    assert rising_pain(checkin(6, days=4.6), history) is None
    assert rising_pain(checkin(6, days=5), history) is not None


def test_rising_pain_needs_a_usual_level_from_the_last_two_weeks() -> None:
    too_few = usual_pain(3, 3) + [checkin(6, days=2), checkin(6, days=3)]
    assert rising_pain(checkin(6, days=4), too_few) is None
    too_old = usual_pain(3, 3, 3, 3) + [checkin(6, days=20), checkin(6, days=21)]
    assert rising_pain(checkin(6, days=22), too_old) is None


def test_rising_pain_takes_the_median_so_one_bad_day_does_not_hide_a_rise() -> None:
    history = usual_pain(3, 3, 9, 3) + [checkin(5, days=4), checkin(5, days=5)]
    assert rising_pain(checkin(5, days=6), history) is not None


def test_rising_pain_counts_only_resting_checkins() -> None:
    after_sessions = [checkin(9, CheckinSource.AFTER_SESSION, days=d + 0.1) for d in range(7)]
    history = usual_pain(3, 3, 3, 3, 3) + after_sessions + [checkin(5, days=5), checkin(5, days=6)]
    assert rising_pain(checkin(5, days=7), history) is not None
    assert rising_pain(checkin(9, CheckinSource.AFTER_SESSION, days=7), history) is None
    hurts = [checkin(9, CheckinSource.HURTS, days=5.5), checkin(9, CheckinSource.HURTS, days=6.5)]
    assert rising_pain(checkin(5, days=7), usual_pain(3, 3, 3, 3, 3) + hurts) is None


def test_evaluate_orders_the_most_urgent_first() -> None:
    new = checkin(9, symptoms=frozenset({Symptom.FEVER, Symptom.SADDLE_NUMBNESS}), days=7)
    history = usual_pain(3, 3, 3, 3, 3) + [checkin(6, days=5), checkin(7, days=6)]
    rules = [flag.rule for flag in evaluate(new, history)]
    assert rules == [
        RedFlagRule.CAUDA_EQUINA,
        RedFlagRule.FEVER,
        RedFlagRule.SEVERE_PAIN,
        RedFlagRule.RISING_PAIN,
    ]


def test_evaluate_finds_the_session_rise_from_the_same_session() -> None:
    before = checkin(3, CheckinSource.BEFORE_SESSION, session_id=7)
    after = checkin(6, CheckinSource.AFTER_SESSION, days=0.02, session_id=7)
    assert [flag.rule for flag in evaluate(after, [before])] == [RedFlagRule.SESSION_RISE]
    other_session = checkin(6, CheckinSource.AFTER_SESSION, days=0.02, session_id=8)
    assert evaluate(other_session, [before]) == []


def test_evaluate_gives_one_stop_for_a_severe_hurt() -> None:
    new = checkin(9, CheckinSource.HURTS, sharp_or_shooting=True)
    assert [flag.rule for flag in evaluate(new, [])] == [RedFlagRule.HURTS_SEVERE]


def test_evaluate_ignores_history_after_the_new_checkin_and_the_checkin_itself() -> None:
    new = checkin(5, days=2)
    later = [checkin(3, days=d) for d in range(3, 8)] + [checkin(6, days=2.5)]
    assert evaluate(new, [*later, new]) == []
    assert evaluate(checkin(2), []) == []


# Any check-in of the month: every source, score and symptom, in a few sessions, so that a
# history can hold the resting scores and the before-session ones the history rules look for.
checkins = st.builds(
    checkin,
    score=st.none() | st.integers(0, 10),
    source=st.sampled_from(CheckinSource),
    days=st.floats(0, 30),
    symptoms=st.frozensets(st.sampled_from(Symptom)),
    sharp_or_shooting=st.booleans(),
    session_id=st.none() | st.integers(1, 3),
)


def provoking(new: Checkin) -> list[Checkin]:
    """A history that sets off every rule reading history, were `new` one it looks at: a week of
    no pain, a painless start of `new`'s session, then two days of the worst."""

    def earlier(score: int, days: float, source: CheckinSource = DIARY) -> Checkin:
        return Checkin(new.at - timedelta(days=days), score, source, session_id=new.session_id)

    usual = [earlier(0, days) for days in range(3, 10)]
    return [*usual, earlier(0, 2.5, CheckinSource.BEFORE_SESSION), earlier(10, 2), earlier(10, 1)]


@settings(max_examples=300, deadline=None)
@given(new=checkins, others=st.lists(checkins, max_size=10))
def test_a_checkin_that_reads_no_history_gets_the_same_flags_without_it(
    new: Checkin, others: list[Checkin]
) -> None:
    # The diary loads no history for such a check-in: a rule that reads it would go unseen.
    assume(not reads_history(new))
    assert evaluate(new, [*provoking(new), *others]) == evaluate(new, [])


def test_the_provoking_history_sets_off_both_history_rules() -> None:
    resting = checkin(5, days=20)
    after = checkin(5, CheckinSource.AFTER_SESSION, days=20, session_id=1)
    assert RedFlagRule.RISING_PAIN in [flag.rule for flag in evaluate(resting, provoking(resting))]
    assert RedFlagRule.SESSION_RISE in [flag.rule for flag in evaluate(after, provoking(after))]


def test_every_flag_points_to_a_clinician() -> None:
    for rule in RedFlagRule:
        message = text("en", f"diary.flag.{rule.value}")
        assert any(word in message for word in ("clinician", "doctor", "emergency"))


def test_streak_counts_back_from_today() -> None:
    today = date(2026, 3, 10)
    days = [today, today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=4)]
    assert streak(days, today) == 3


def test_streak_keeps_going_while_today_is_not_done_yet() -> None:
    today = date(2026, 3, 10)
    assert streak([date(2026, 3, 9), date(2026, 3, 8), date(2026, 3, 8)], today) == 2


def test_streak_breaks_after_a_missed_day() -> None:
    today = date(2026, 3, 10)
    assert streak([date(2026, 3, 8), date(2026, 3, 7)], today) == 0
    assert streak([], today) == 0


def test_streak_follows_the_patients_midnight() -> None:
    sessions = [datetime(2026, 3, 9, 22, 30, tzinfo=UTC), datetime(2026, 3, 10, 23, 30, tzinfo=UTC)]
    now = datetime(2026, 3, 11, 0, 40, tzinfo=UTC)
    # In Berlin (UTC+1) these are 23:30 on the 9th and 00:30 on the 11th: the 10th is missing.
    berlin = [local_date(at, BERLIN) for at in sessions]
    assert streak(berlin, local_date(now, BERLIN)) == 1
    utc = [local_date(at, ZoneInfo("UTC")) for at in sessions]
    assert streak(utc, local_date(now, ZoneInfo("UTC"))) == 2


def test_daily_pain_splits_the_series_by_local_day() -> None:
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Berlin
    checkins = [
        checkin(4, CheckinSource.BEFORE_SESSION),
        checkin(6, CheckinSource.BEFORE_SESSION, days=0.1),
        checkin(3, CheckinSource.AFTER_SESSION, days=0.2),
        checkin(9, CheckinSource.HURTS, days=0.15),
        checkin(None, DIARY, days=0.3),
        Checkin(at=late, score=2, source=CheckinSource.REMINDER),
    ]
    assert daily_pain(checkins, BERLIN) == [
        DayPain(date(2026, 3, 1), before=5.0, after=3.0),
        DayPain(date(2026, 3, 2), standalone=2.0),
    ]


def weeks_of_pain(previous: list[int], current: list[int]) -> list[Checkin]:
    """Diary scores in the week before the last (16-22 March) and the last week (23-29 March)."""
    return [checkin(s, days=15 + i) for i, s in enumerate(previous)] + [
        checkin(s, days=22 + i) for i, s in enumerate(current)
    ]


TODAY = date(2026, 3, 29)


def test_week_comparison_says_pain_fell() -> None:
    comparison = week_comparison(weeks_of_pain([5, 5, 6], [4, 4, 3]), BERLIN, TODAY)
    assert comparison is not None
    assert render_week_comparison(comparison, "en") == "Your average pain fell from 5.3 to 3.7."


def test_week_comparison_says_pain_rose() -> None:
    comparison = week_comparison(weeks_of_pain([2], [3, 4]), BERLIN, TODAY)
    assert comparison is not None
    assert render_week_comparison(comparison, "en") == "Your average pain rose from 2.0 to 3.5."


def test_week_comparison_says_pain_stayed_when_the_rounded_figures_match() -> None:
    assert render_week_comparison(WeekComparison(5.04, 4.96), "en") == (
        "Your average pain stayed at 5.0."
    )


def test_week_comparison_needs_both_weeks() -> None:
    assert week_comparison(weeks_of_pain([], [4]), BERLIN, TODAY) is None
    not_resting = [checkin(8, CheckinSource.HURTS, days=23), checkin(7, days=16)]
    assert week_comparison(not_resting, BERLIN, TODAY) is None


def test_week_comparison_splits_the_weeks_at_local_midnight() -> None:
    # 22 March 23:30 UTC is already 23 March in Berlin: it belongs to the last week.
    edge = Checkin(at=datetime(2026, 3, 22, 23, 30, tzinfo=UTC), score=2, source=DIARY)
    comparison = week_comparison([edge, checkin(6, days=20)], BERLIN, TODAY)
    assert comparison == WeekComparison(previous=6.0, current=2.0)


def test_adherence_counts_sessions_per_monday_week() -> None:
    sessions = [
        date(2026, 3, 1),  # before the start
        date(2026, 3, 3),
        date(2026, 3, 3),
        date(2026, 3, 8),  # a Sunday: still the week of 2 March
        date(2026, 3, 10),
        date(2026, 3, 20),  # after the end
    ]
    assert adherence(sessions, date(2026, 3, 3), date(2026, 3, 18)) == [
        (date(2026, 3, 2), 3),
        (date(2026, 3, 9), 1),
        (date(2026, 3, 16), 0),
    ]
    assert adherence(sessions, date(2026, 3, 18), date(2026, 3, 3)) == []


def test_weekly_pain_averages_resting_scores_per_week() -> None:
    checkins = [checkin(4, days=2), checkin(6, days=3), checkin(9, CheckinSource.HURTS, days=3)]
    assert weekly_pain(checkins, BERLIN, date(2026, 3, 2), date(2026, 3, 15)) == [
        (date(2026, 3, 2), 5.0),
        (date(2026, 3, 9), None),
    ]


def test_csv_holds_checkins_and_sessions_with_local_offsets_across_dst() -> None:
    # Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026.
    checkins = [
        Checkin(
            at=datetime(2026, 3, 29, 6, 0, tzinfo=UTC),
            score=4,
            source=CheckinSource.BEFORE_SESSION,
            locations=frozenset({Location.LOWER_BACK, Location.BUTTOCK}),
            session_id=12,
        ),
        Checkin(
            at=datetime(2026, 3, 28, 7, 0, tzinfo=UTC),
            score=None,
            source=CheckinSource.HURTS,
            symptoms=frozenset({Symptom.NUMBNESS_TINGLING}),
            sharp_or_shooting=True,
        ),
    ]
    sessions = [
        SessionRecord(
            id=12,
            started_at=datetime(2026, 3, 29, 6, 5, tzinfo=UTC),
            ended_at=datetime(2026, 3, 29, 6, 20, tzinfo=UTC),
            status="completed",
            pain_before=4,
            pain_after=None,
            exercises_done=5,
            exercises_skipped=1,
        )
    ]
    reader = csv.DictReader(io.StringIO(export_csv(checkins, sessions, BERLIN).decode("utf-8")))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    rows = list(reader)
    assert [(row["record"], row["at"]) for row in rows] == [
        ("checkin", "2026-03-28T08:00:00+01:00"),
        ("checkin", "2026-03-29T08:00:00+02:00"),
        ("session", "2026-03-29T08:05:00+02:00"),
    ]
    hurt, before, session = rows
    assert hurt["source"] == "hurts"
    assert hurt["score"] == ""
    assert hurt["symptoms"] == "numbness_tingling"
    assert hurt["sharp_or_shooting"] == "true"
    assert before["locations"] == "buttock;lower_back"
    assert before["session_id"] == "12"
    assert session["ended_at"] == "2026-03-29T08:20:00+02:00"
    assert (session["session_id"], session["status"]) == ("12", "completed")
    assert (session["pain_before"], session["pain_after"]) == ("4", "")
    assert (session["exercises_done"], session["exercises_skipped"]) == ("5", "1")
    assert datetime.fromisoformat(before["at"]) == checkins[0].at


def test_csv_of_nothing_is_the_header() -> None:
    assert export_csv([], [], BERLIN).decode("utf-8").splitlines() == [",".join(CSV_COLUMNS)]
