"""Progression's decision, rule by rule, and properties over random histories (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sibot.checkins import Checkin, CheckinSource
from sibot.progression import (
    MAX_PROGRESSION_REPETITIONS,
    Dose,
    History,
    Offer,
    Reason,
    decide,
    step_back,
    step_up,
)
from sibot.routine import DEFAULT_HOLD_SECONDS, MAX_HOLD_SECONDS, MIN_HOLD_SECONDS

NOW = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
START = Dose(5, 5)


def days_ago(*days: float) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(days=day) for day in days)


def history(**fields: object) -> History:
    """A good week unless told otherwise: five sessions, nothing that hurt, steady pain."""
    defaults: dict[str, object] = {
        "now": NOW, "zone": BERLIN, "dose": START, "pregnant": False,
        "sessions": days_ago(1, 2, 3, 4, 5),
    }
    return History(**{**defaults, **fields})  # type: ignore[arg-type]


def resting(score: int, *days: float) -> tuple[Checkin, ...]:
    return tuple(Checkin(at, score, CheckinSource.DIARY) for at in days_ago(*days))


# --- the ladder ------------------------------------------------------------------------------


def test_a_step_up_is_a_second_of_hold_then_a_repetition() -> None:
    assert step_up(Dose(5, 5), pregnant=False) == Dose(6, 5)
    assert step_up(Dose(10, 5), pregnant=False) == Dose(10, 6)
    assert step_up(Dose(10, 15), pregnant=False) is None


def test_the_pregnancy_caution_keeps_the_starting_hold() -> None:
    assert step_up(Dose(DEFAULT_HOLD_SECONDS, 5), pregnant=True) == Dose(DEFAULT_HOLD_SECONDS, 6)
    # a longer hold the patient chose in /settings is theirs; the step is a repetition
    assert step_up(Dose(8, 5), pregnant=True) == Dose(8, 6)


def test_a_step_back_takes_a_repetition_above_the_start_first_then_hold() -> None:
    assert step_back(Dose(10, 7)) == Dose(10, 6)
    assert step_back(Dose(8, 5)) == Dose(7, 5)
    assert step_back(Dose(MIN_HOLD_SECONDS, 5)) is None
    assert step_back(Dose(MIN_HOLD_SECONDS, 3)) is None  # the gentler routine is lower already


# --- the rules ---------------------------------------------------------------------------------


def test_a_good_week_offers_a_step_up() -> None:
    assert decide(history()) == Offer(Reason.GOOD_WEEK, START, Dose(6, 5))


def test_three_sessions_are_not_enough() -> None:
    assert decide(history(sessions=days_ago(1, 2, 3))) is None
    assert decide(history(sessions=days_ago(1, 2, 3, 8, 9))) is None  # two fall before the week


def test_no_step_up_within_7_days_of_it_hurts() -> None:
    assert decide(history(hurts=days_ago(6.9))) is None
    assert decide(history(hurts=days_ago(7.1))) == Offer(Reason.GOOD_WEEK, START, Dose(6, 5))


def test_no_step_up_within_7_days_of_a_red_flag() -> None:
    assert decide(history(red_flags=days_ago(6.9))) is None
    assert decide(history(red_flags=days_ago(7.1))) is not None


def test_rising_pain_offers_a_step_back() -> None:
    rising = resting(3, 8, 9, 10, 11) + resting(5, 1, 2, 3)
    assert decide(history(dose=Dose(7, 5), checkins=rising)) == Offer(
        Reason.PAIN_ROSE, Dose(7, 5), Dose(6, 5)
    )


def test_steady_or_falling_pain_is_no_rise() -> None:
    steady = resting(4, 8, 9, 10) + resting(4, 1, 2, 3)
    assert decide(history(checkins=steady)) == Offer(Reason.GOOD_WEEK, START, Dose(6, 5))


def test_it_hurts_twice_in_a_week_offers_a_step_back() -> None:
    offer = decide(history(dose=Dose(8, 5), hurts=days_ago(1, 3)))
    assert offer == Offer(Reason.HURTS_TWICE, Dose(8, 5), Dose(7, 5))
    assert decide(history(dose=Dose(8, 5), hurts=days_ago(1))) is None  # once: neither


def test_nothing_within_a_week_of_an_answered_offer() -> None:
    # a week counts in the patient's days: answered last Monday 10:00, offered again today 09:00
    assert decide(history(answered=days_ago(6))) is None
    assert decide(history(answered=(NOW - timedelta(days=7) + timedelta(hours=1),))) is not None
    assert decide(history(dose=Dose(8, 5), hurts=days_ago(1, 2), answered=days_ago(3))) is None


def test_nothing_to_offer_at_the_top_or_the_bottom() -> None:
    assert decide(history(dose=Dose(MAX_HOLD_SECONDS, MAX_PROGRESSION_REPETITIONS))) is None
    assert decide(history(dose=Dose(MIN_HOLD_SECONDS, 5), hurts=days_ago(1, 2))) is None


# --- properties --------------------------------------------------------------------------------

DAYS = 42
event_days = st.lists(st.integers(0, DAYS - 1), max_size=30)


@st.composite
def lives(draw: st.DrawFn) -> dict[str, object]:
    """Six weeks of a patient: sessions, "It hurts" taps, red flags, resting pain, their taps on
    each weekly offer (None: no tap), and the starting dose."""
    return {
        "sessions": draw(st.lists(st.integers(0, DAYS - 1), max_size=40)),
        "hurts": draw(event_days),
        "flags": draw(event_days),
        "pain": draw(st.lists(st.tuples(st.integers(0, DAYS - 1), st.integers(0, 10)), max_size=40)),
        "taps": draw(st.lists(st.sampled_from([True, False, None]), min_size=DAYS, max_size=DAYS)),
        "dose": Dose(draw(st.integers(5, 10)), draw(st.integers(1, 15))),
        "pregnant": draw(st.booleans()),
    }


def instant(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 3, 2, hour, tzinfo=UTC) + timedelta(days=day)


def simulate(life: dict[str, object]) -> list[tuple[datetime, Offer, bool | None, Dose]]:
    """Ask every day (more often than the weekly check does) and tap as the patient would;
    the dose changes only by a tap on "Yes". Returns (when, offer, tap, dose after)."""
    dose: Dose = life["dose"]  # type: ignore[assignment]
    answered: list[datetime] = []
    seen = []
    checkins = tuple(
        Checkin(instant(day, 7), score, CheckinSource.DIARY)
        for day, score in sorted(life["pain"])  # type: ignore[call-overload]
    )
    for day in range(DAYS):
        now = instant(day)

        def before(days: list[int]) -> tuple[datetime, ...]:
            return tuple(instant(d, 6) for d in days if instant(d, 6) <= now)

        state = History(
            now=now, zone=BERLIN, dose=dose, pregnant=life["pregnant"],  # type: ignore[arg-type]
            sessions=before(life["sessions"]), hurts=before(life["hurts"]),  # type: ignore[arg-type]
            red_flags=before(life["flags"]),  # type: ignore[arg-type]
            checkins=tuple(c for c in checkins if c.at <= now), answered=tuple(answered),
        )
        offer = decide(state)
        if offer is None:
            continue
        assert offer.current == dose
        tap = life["taps"][day]  # type: ignore[index]
        if tap is not None:
            answered.append(now)
        if tap:
            dose = offer.proposed
        seen.append((now, offer, tap, dose))
    return seen


@settings(max_examples=300, deadline=None)
@given(lives())
def test_the_dose_stays_within_its_bounds(life: dict[str, object]) -> None:
    start: Dose = life["dose"]  # type: ignore[assignment]
    for _, offer, _, dose in simulate(life):
        assert MIN_HOLD_SECONDS <= dose.hold_seconds <= MAX_HOLD_SECONDS
        assert 1 <= dose.repetitions
        if offer.step_up:
            assert offer.proposed.repetitions <= max(MAX_PROGRESSION_REPETITIONS, start.repetitions)
            if life["pregnant"]:
                assert offer.proposed.hold_seconds <= max(DEFAULT_HOLD_SECONDS, start.hold_seconds)


@settings(max_examples=300, deadline=None)
@given(lives())
def test_no_step_up_within_7_days_of_a_flag_or_it_hurts(life: dict[str, object]) -> None:
    for now, offer, _, _ in simulate(life):
        if offer.step_up:
            for day in [*life["hurts"], *life["flags"]]:  # type: ignore[misc]
                at = instant(day, 6)
                assert not (now - timedelta(days=7) < at <= now)


@settings(max_examples=300, deadline=None)
@given(lives())
def test_at_most_one_change_a_week(life: dict[str, object]) -> None:
    changes = [now for now, _, tap, _ in simulate(life) if tap]
    assert all((later - earlier).days >= 7 for earlier, later in zip(changes, changes[1:]))


@settings(max_examples=300, deadline=None)
@given(lives())
def test_nothing_changes_without_the_patients_tap(life: dict[str, object]) -> None:
    seen = simulate(life)
    dose: Dose = life["dose"]  # type: ignore[assignment]
    for _, offer, tap, after in seen:
        assert after == (offer.proposed if tap else dose)
        dose = after
    # and with no tap at all, the dose never moves, whatever was offered
    untapped = simulate({**life, "taps": [None] * DAYS})
    assert all(after == life["dose"] for _, _, _, after in untapped)


def test_the_decision_is_a_function_of_the_history() -> None:
    state = history(hurts=days_ago(9), checkins=resting(4, 1, 9))
    assert decide(state) == decide(replace(state))
