"""The pain diary: the 0-10 scale, the red-flag rules, streaks and summaries.

Everything here is pure. Check-ins come in as frozen dataclasses with aware UTC times; local dates
are worked out in the patient's zone, which the caller passes together with "today" (this module
never reads the clock).

Which check-ins describe the patient's usual pain: diary, reminder, before-session and baseline
scores ("resting" scores). An after-session score measures the session's effect and an "It hurts"
tap a moment inside an exercise; each has its own rule, and neither moves the averages or the
rising-pain baseline.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sibot.safety import Symptom, Urgency, symptoms_at


PAIN_SCALE = range(0, 11)

SEVERE_PAIN = 8  # a score of this or more pauses the routine
HURTS_SEVERE = 7  # an "It hurts" tap with this score or more stops today's session
RISE = 2  # points above the patient's usual that count as a rise
RISE_CHECKINS = 3  # resting check-ins in a row that must all show the rise
# ...spread over at least this long: one bad evening is not a rise "held"
RISE_MIN_SPAN = timedelta(hours=24)
BASELINE_DAYS = 14  # the usual pain is the median of the resting scores this long before the run
BASELINE_MIN_CHECKINS = 3  # fewer resting scores than this are too few to call anything "usual"
SESSION_RISE = 2  # after minus before, in points, that asks for an easier session next time
WEEK_DAYS = 7


def validate_pain(score: object) -> int:
    """The score as an int on the 0-10 scale; ValueError for anything else, bools included."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in PAIN_SCALE:
        raise ValueError(f"a pain score is a whole number from 0 to 10, not {score!r}")
    return score


class Location(StrEnum):
    """Where it hurts; the values are short enough for callback data."""

    LOWER_BACK = "lower_back"
    BUTTOCK = "buttock"
    HIP = "hip"
    GROIN = "groin"
    LEG = "leg"


class CheckinSource(StrEnum):
    """What asked for the check-in."""

    DIARY = "diary"
    REMINDER = "reminder"
    BEFORE_SESSION = "before_session"
    AFTER_SESSION = "after_session"
    BASELINE = "baseline"
    HURTS = "hurts"


class RedFlagRule(StrEnum):
    """The safety rules; among flags of equal urgency, this order is the order shown."""

    CAUDA_EQUINA = "cauda_equina"
    FEVER = "fever"
    ONE_LEG_WEAK = "one_leg_weak"
    SEVERE_PAIN = "severe_pain"
    RISING_PAIN = "rising_pain"
    SESSION_RISE = "session_rise"
    HURTS_SEVERE = "hurts_severe"


RESTING_SOURCES = frozenset(
    {
        CheckinSource.DIARY,
        CheckinSource.REMINDER,
        CheckinSource.BEFORE_SESSION,
        CheckinSource.BASELINE,
    }
)
# The diary symptoms that send the patient to an emergency department (sibot.safety.TRIAGE).
CAUDA_EQUINA_SIGNS = symptoms_at(Urgency.EMERGENCY)
RULE_URGENCY = {
    RedFlagRule.CAUDA_EQUINA: Urgency.EMERGENCY,
    RedFlagRule.FEVER: Urgency.DOCTOR_TODAY,
    RedFlagRule.ONE_LEG_WEAK: Urgency.DOCTOR_TODAY,
    RedFlagRule.SEVERE_PAIN: Urgency.PAUSE_AND_CONTACT,
    RedFlagRule.RISING_PAIN: Urgency.PAUSE_AND_CONTACT,
    RedFlagRule.SESSION_RISE: Urgency.TAKE_IT_EASIER,
    RedFlagRule.HURTS_SEVERE: Urgency.PAUSE_AND_CONTACT,
}


@dataclass(frozen=True)
class Checkin:
    """One pain check-in; `score` is None when the patient only reported symptoms."""

    at: datetime
    score: int | None
    source: CheckinSource
    locations: frozenset[Location] = frozenset()
    symptoms: frozenset[Symptom] = frozenset()
    sharp_or_shooting: bool = False
    session_id: int | None = None

    def __post_init__(self) -> None:
        if self.at.utcoffset() != timedelta(0):
            raise ValueError("a check-in's time must be timezone-aware UTC")
        if self.score is not None:
            validate_pain(self.score)

    @property
    def is_resting(self) -> bool:
        """A score that says how the patient usually feels (see the module docstring)."""
        return self.score is not None and self.source in RESTING_SOURCES


@dataclass(frozen=True)
class RedFlag:
    """A safety rule that fired, with what to tell the patient."""

    rule: RedFlagRule
    urgency: Urgency
    text_key: str


def _flag(rule: RedFlagRule) -> RedFlag:
    return RedFlag(rule, RULE_URGENCY[rule], f"diary.flag.{rule.value}")


def cauda_equina(new: Checkin) -> RedFlag | None:
    """Numbness between the legs, bladder, bowel or sexual trouble, weakness in both legs or
    weakness getting worse fast: an emergency."""
    return _flag(RedFlagRule.CAUDA_EQUINA) if new.symptoms & CAUDA_EQUINA_SIGNS else None


def fever(new: Checkin) -> RedFlag | None:
    """Fever with back pain: a doctor today. A score of 0 says there is no back pain to go with it;
    a check-in without a score still counts, since the patient came here because of back pain."""
    return _flag(RedFlagRule.FEVER) if Symptom.FEVER in new.symptoms and new.score != 0 else None


def one_leg_weakness(new: Checkin) -> RedFlag | None:
    """New weakness in one leg: a doctor today."""
    return _flag(RedFlagRule.ONE_LEG_WEAK) if Symptom.ONE_LEG_WEAK in new.symptoms else None


def severe_pain(new: Checkin) -> RedFlag | None:
    """A score of 8 or more, from any source: pause the routine and contact a clinician."""
    return (
        _flag(RedFlagRule.SEVERE_PAIN)
        if new.score is not None and new.score >= SEVERE_PAIN
        else None
    )


def hurts_severe(new: Checkin) -> RedFlag | None:
    """An "It hurts" tap scored 7 or more, or sharp or shooting: stop for today."""
    if new.source is not CheckinSource.HURTS:
        return None
    strong = new.score is not None and new.score >= HURTS_SEVERE
    return _flag(RedFlagRule.HURTS_SEVERE) if strong or new.sharp_or_shooting else None


def rising_pain(new: Checkin, history: Sequence[Checkin]) -> RedFlag | None:
    """A rise of 2 points or more, held over the last 3 resting check-ins.

    Fires when the new check-in is resting and it and the two resting check-ins before it are each
    at least 2 points above the patient's usual pain, and those three span at least 24 hours. The
    usual pain is the median of the resting scores in the 14 days before the first of the three,
    and needs at least 3 of them; a median ignores the odd bad day that a mean would chase.
    """
    if not new.is_resting:
        return None
    resting = sorted((c for c in _before(new, history) if c.is_resting), key=lambda c: c.at)
    if len(resting) < RISE_CHECKINS - 1:
        return None
    run = [*resting[-(RISE_CHECKINS - 1) :], new]
    if new.at - run[0].at < RISE_MIN_SPAN:
        return None
    since = run[0].at - timedelta(days=BASELINE_DAYS)
    usual_scores = [c.score for c in resting if since <= c.at < run[0].at]
    if len(usual_scores) < BASELINE_MIN_CHECKINS:
        return None
    usual = statistics.median(usual_scores)
    held = all(c.score is not None and c.score >= usual + RISE for c in run)
    return _flag(RedFlagRule.RISING_PAIN) if held else None


def session_change(before: int | None, after: int | None) -> RedFlag | None:
    """Pain up 2 points or more from before a session to after it: take it easier next time."""
    if before is None or after is None:
        return None
    return _flag(RedFlagRule.SESSION_RISE) if after - before >= SESSION_RISE else None


def _before(new: Checkin, history: Sequence[Checkin]) -> list[Checkin]:
    return [c for c in history if c.at <= new.at and c != new]


def _session_rise(new: Checkin, history: Sequence[Checkin]) -> RedFlag | None:
    if new.source is not CheckinSource.AFTER_SESSION or new.session_id is None:
        return None
    befores = [
        c
        for c in _before(new, history)
        if c.source is CheckinSource.BEFORE_SESSION and c.session_id == new.session_id
    ]
    if not befores:
        return None
    return session_change(max(befores, key=lambda c: c.at).score, new.score)


def reads_history(new: Checkin) -> bool:
    """Whether a rule looks at earlier check-ins for `new`: the rising-pain rule for a resting
    score, the session rule for an after-session one. For any other check-in `evaluate` gives the
    same flags with an empty history, so the caller need not load it."""
    return new.is_resting or (
        new.source is CheckinSource.AFTER_SESSION and new.session_id is not None
    )


def evaluate(new: Checkin, history: Sequence[Checkin]) -> list[RedFlag]:
    """Every rule the new check-in sets off, most urgent first.

    `history` holds the patient's earlier check-ins (the last 30 days are plenty); anything later
    than `new`, or `new` itself, is ignored. When an "It hurts" tap is both severe and scored 8 or
    more, only the "stop for today" flag is given: it already says to pause and talk to a clinician.
    """
    found = [
        cauda_equina(new),
        fever(new),
        one_leg_weakness(new),
        severe_pain(new),
        rising_pain(new, history),
        _session_rise(new, history),
        hurts_severe(new),
    ]
    flags = [flag for flag in found if flag is not None]
    if any(flag.rule is RedFlagRule.HURTS_SEVERE for flag in flags):
        flags = [flag for flag in flags if flag.rule is not RedFlagRule.SEVERE_PAIN]
    urgencies, rules = list(Urgency), list(RedFlagRule)
    return sorted(flags, key=lambda f: (urgencies.index(f.urgency), rules.index(f.rule)))


def asks_symptoms(new: Checkin, flags: Sequence[RedFlag]) -> bool:
    """Whether a score should be followed by the question of new symptoms, wherever it was
    tapped: a score of 8 or more, or a rise the rules flag, may come with a warning sign."""
    strong = new.score is not None and new.score >= SEVERE_PAIN
    return strong or any(flag.rule is RedFlagRule.RISING_PAIN for flag in flags)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    """The patient's calendar date at an instant."""
    return at.astimezone(zone).date()


def streak(session_dates: Iterable[date], today: date) -> int:
    """Consecutive local days with a completed session, ending today or, if today's session is
    still to come, yesterday."""
    done = set(session_dates)
    day = today if today in done else today - timedelta(days=1)
    count = 0
    while day in done:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class DayPain:
    """The mean scores of one local day: before sessions, after sessions, and on their own."""

    day: date
    before: float | None = None
    after: float | None = None
    standalone: float | None = None


_SERIES = {
    CheckinSource.BEFORE_SESSION: "before",
    CheckinSource.AFTER_SESSION: "after",
    CheckinSource.DIARY: "standalone",
    CheckinSource.REMINDER: "standalone",
    CheckinSource.BASELINE: "standalone",
}


def daily_pain(checkins: Iterable[Checkin], zone: ZoneInfo) -> list[DayPain]:
    """Per local date with any score, oldest first; "It hurts" taps are events, not levels."""
    scores: defaultdict[date, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for checkin in checkins:
        series = _SERIES.get(checkin.source)
        if series is not None and checkin.score is not None:
            scores[local_date(checkin.at, zone)][series].append(checkin.score)
    return [
        DayPain(day, **{series: statistics.fmean(values) for series, values in by_series.items()})
        for day, by_series in sorted(scores.items())
    ]


def _resting_mean(
    checkins: Iterable[Checkin], zone: ZoneInfo, first: date, last: date
) -> float | None:
    scores = [
        c.score
        for c in checkins
        if c.is_resting and c.score is not None and first <= local_date(c.at, zone) <= last
    ]
    return statistics.fmean(scores) if scores else None


@dataclass(frozen=True)
class WeekComparison:
    """Mean resting pain of the 7 days before the last 7, and of the last 7 (today included)."""

    previous: float
    current: float


def week_comparison(
    checkins: Iterable[Checkin], zone: ZoneInfo, today: date
) -> WeekComparison | None:
    """This week against last week, or None when either has no resting score."""
    checkins = list(checkins)
    week = timedelta(days=WEEK_DAYS)
    current = _resting_mean(checkins, zone, today - week + timedelta(days=1), today)
    previous = _resting_mean(checkins, zone, today - 2 * week + timedelta(days=1), today - week)
    if current is None or previous is None:
        return None
    return WeekComparison(previous=previous, current=current)


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def _week_starts(start: date, end: date) -> list[date]:
    first, last = week_start(start), week_start(end)
    return (
        [first + timedelta(weeks=n) for n in range((last - first).days // WEEK_DAYS + 1)]
        if start <= end
        else []
    )


def adherence(session_dates: Iterable[date], start: date, end: date) -> list[tuple[date, int]]:
    """Completed sessions per week (Monday first) from start to end, both included; a date per
    session, so two sessions on one day count twice."""
    counts = Counter(week_start(day) for day in session_dates if start <= day <= end)
    return [(monday, counts[monday]) for monday in _week_starts(start, end)]


def weekly_pain(
    checkins: Iterable[Checkin], zone: ZoneInfo, start: date, end: date
) -> list[tuple[date, float | None]]:
    """Mean resting pain per week (Monday first) from start to end; None for a week without any."""
    checkins = list(checkins)
    return [
        (
            monday,
            _resting_mean(checkins, zone, max(monday, start), min(monday + timedelta(days=6), end)),
        )
        for monday in _week_starts(start, end)
    ]
