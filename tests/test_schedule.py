"""The schedule math: wall times, zones, weekdays and every clock change of a year."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sibot.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    mask_to_weekdays,
    next_occurrence,
    occurrence_on,
    parse_local_time,
    weekdays_to_mask,
)

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # shifts by 30 minutes
    "Asia/Kathmandu",  # +05:45, no clock changes
    "Pacific/Chatham",  # +12:45 / +13:45, changes at 02:45
]
YEAR = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(365)]
MINUTE = timedelta(minutes=1)

wall_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def transition_days(zone: ZoneInfo) -> list[date]:
    """The days of 2026 on which the zone's offset changes, found without the code under test."""
    def offset(day: date) -> timedelta | None:
        return datetime.combine(day, time()).replace(tzinfo=zone).utcoffset()

    return [day for day in YEAR if offset(day) != offset(day + timedelta(days=1))]


def first_instant_at_or_after(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The oracle: scanning minute by minute, the first instant whose wall clock shows `wall` or later.

    That is the wall time itself, its first occurrence when the clock shows it twice, and the
    end of the gap when the clock skips it. Offsets here are whole quarter hours, so UTC minutes
    line up with local ones.
    """
    target = datetime.combine(day, wall)
    instant = target.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=2)
    while instant.astimezone(zone).replace(tzinfo=None) < target:
        instant += MINUTE
    return instant


def occurrences_through_the_year(
    zone: ZoneInfo, wall: time, weekdays: frozenset[int]
) -> list[tuple[date, datetime]]:
    """Every occurrence in 2026, by chaining next_occurrence from the last instant of 2025."""
    after = datetime.combine(YEAR[0], time()).replace(tzinfo=zone).astimezone(UTC) - MINUTE
    found = []
    while True:
        occurrence = next_occurrence(after, wall, zone, weekdays)
        if occurrence.local_date > YEAR[-1]:
            return found
        found.append((occurrence.local_date, occurrence.fire_at))
        after = occurrence.fire_at


def test_every_zone_but_kathmandu_changes_its_clocks_twice_in_2026():
    changes = {name: len(transition_days(ZoneInfo(name))) for name in ZONES}
    assert changes == {name: 0 if name == "Asia/Kathmandu" else 2 for name in ZONES}


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # spring forward: the first valid instant after the gap
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 59), utc(2026, 3, 8, 7, 0)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 0), utc(2026, 9, 26, 14, 0)),
        # the instant before and the instant the gap ends are themselves
        ("Europe/Berlin", date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
        ("Europe/Berlin", date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),
        # fall back: once, at the first occurrence
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        ("Pacific/Chatham", date(2026, 4, 5), time(2, 50), utc(2026, 4, 4, 13, 5)),
        # no clock change at all
        ("Asia/Kathmandu", date(2026, 6, 1), time(7, 30), utc(2026, 6, 1, 1, 45)),
    ],
)
def test_occurrence_on_a_day(zone: str, day: date, wall: time, expected: datetime):
    assert occurrence_on(day, wall, ZoneInfo(zone)) == expected


def test_a_repeated_wall_time_fires_once_on_that_day():
    zone = ZoneInfo("Europe/Berlin")
    first = next_occurrence(utc(2026, 10, 24, 12), time(2, 30), zone, EVERY_DAY)
    second = next_occurrence(first.fire_at, time(2, 30), zone, EVERY_DAY)

    assert first == next_occurrence(utc(2026, 10, 24, 12), time(2, 30), zone, EVERY_DAY)
    assert (first.local_date, first.fire_at) == (date(2026, 10, 25), utc(2026, 10, 25, 0, 30))
    # not at 01:30 UTC, when the clock shows 02:30 a second time
    assert (second.local_date, second.fire_at) == (date(2026, 10, 26), utc(2026, 10, 26, 1, 30))


def test_next_occurrence_is_strictly_after():
    zone = ZoneInfo("Europe/Berlin")
    at_seven = utc(2026, 3, 2, 6)  # 07:00 in Berlin
    assert next_occurrence(at_seven, time(7), zone, EVERY_DAY).fire_at == utc(2026, 3, 3, 6)
    assert next_occurrence(at_seven - MINUTE, time(7), zone, EVERY_DAY).fire_at == at_seven


def test_next_occurrence_keeps_to_the_weekdays():
    zone = ZoneInfo("America/New_York")
    friday_evening = utc(2026, 3, 7, 1)  # Friday 20:00 in New York
    monday = next_occurrence(friday_evening, time(8), zone, WEEKDAYS)
    assert (monday.local_date, monday.fire_at) == (date(2026, 3, 9), utc(2026, 3, 9, 12))
    sunday = next_occurrence(friday_evening, time(8), zone, frozenset({6}))
    assert sunday.local_date == date(2026, 3, 8)


def test_next_occurrence_refuses_bad_input():
    zone = ZoneInfo("UTC")
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(datetime(2026, 3, 2), time(7), zone, EVERY_DAY)
    with pytest.raises(ValueError, match="at least one weekday"):
        next_occurrence(utc(2026, 3, 2), time(7), zone, frozenset())
    with pytest.raises(ValueError, match="weekdays"):
        next_occurrence(utc(2026, 3, 2), time(7), zone, frozenset({7}))


def test_weekday_masks():
    assert weekdays_to_mask(EVERY_DAY) == 0b1111111
    assert weekdays_to_mask(WEEKDAYS) == 0b0011111
    assert weekdays_to_mask(frozenset({0, 6})) == 0b1000001
    assert mask_to_weekdays(0b1000001) == frozenset({0, 6})
    assert mask_to_weekdays(0) == frozenset()
    with pytest.raises(ValueError):
        mask_to_weekdays(128)
    with pytest.raises(ValueError):
        weekdays_to_mask(frozenset({-1}))


@given(weekday_sets)
def test_weekday_masks_round_trip(weekdays: frozenset[int]):
    assert mask_to_weekdays(weekdays_to_mask(weekdays)) == weekdays


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_wall_time_of_every_transition_day(zone_name: str):
    """Each quarter hour of each day the clocks change fires at the oracle's instant."""
    zone = ZoneInfo(zone_name)
    for day in transition_days(zone):
        for minutes in range(0, 24 * 60, 15):
            wall = time(minutes // 60, minutes % 60)
            expected = first_instant_at_or_after(day, wall, zone)
            assert occurrence_on(day, wall, zone) == expected, (day, wall)
            # a day that gains or loses an hour still leaves 23 hours between occurrences
            following = next_occurrence(expected - timedelta(hours=22), wall, zone, EVERY_DAY)
            assert (following.local_date, following.fire_at) == (day, expected), (day, wall)


@settings(max_examples=40, deadline=None)
@given(zone_name=st.sampled_from(ZONES), wall=wall_times, weekdays=weekday_sets)
def test_a_year_of_occurrences_each_once_at_the_right_wall_time(
    zone_name: str, wall: time, weekdays: frozenset[int]
):
    zone = ZoneInfo(zone_name)
    changes = set(transition_days(zone))

    found = occurrences_through_the_year(zone, wall, weekdays)

    assert [day for day, _ in found] == [day for day in YEAR if day.weekday() in weekdays]
    instants = [instant for _, instant in found]
    assert instants == sorted(set(instants))
    for day, instant in found:
        if day in changes:
            assert instant == first_instant_at_or_after(day, wall, zone), day
        else:
            assert instant.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, wall)


@settings(max_examples=60, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    wall=wall_times,
    weekdays=weekday_sets,
    after=st.datetimes(datetime(2026, 1, 8), datetime(2026, 12, 20), timezones=st.just(UTC)),
)
def test_next_occurrence_is_the_first_one_after_any_instant(
    zone_name: str, wall: time, weekdays: frozenset[int], after: datetime
):
    zone = ZoneInfo(zone_name)
    candidates = [
        occurrence_on(day, wall, zone) for day in YEAR if day.weekday() in weekdays
    ]

    following = next_occurrence(after, wall, zone, weekdays)

    assert following.fire_at == min(instant for instant in candidates if instant > after)
    assert following.local_date.weekday() in weekdays


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7", time(7)), ("19", time(19)), ("7:30", time(7, 30)), ("07:30", time(7, 30)),
        ("7.30", time(7, 30)), ("19h30", time(19, 30)), ("19h", time(19)), ("730", time(7, 30)),
        ("1900", time(19)), ("7pm", time(19)), ("7.30 p.m.", time(19, 30)), ("7:30am", time(7, 30)),
        ("12am", time(0)), ("12pm", time(12)), (" 7 PM ", time(19)),
    ],
)
def test_parse_local_time_accepts(typed: str, expected: time):
    assert parse_local_time(typed) == expected


@pytest.mark.parametrize("typed", ["", "tomorrow", "24", "7:60", "13pm", "0am", "7:5", "12345"])
def test_parse_local_time_refuses(typed: str):
    assert parse_local_time(typed) is None

