"""Pure time rules: a local wall time, a zone and weekdays give the next UTC instant to fire.

A reminder belongs to the patient's wall clock, not to an offset: "07:30 in Europe/Berlin" is
05:30 UTC in summer and 06:30 UTC in winter. Two wall times need a rule:
- a time the clock skips (spring forward) fires at the first instant after the gap, so the
  patient still gets the reminder that day, as early as the day allows;
- a time the clock shows twice (fall back) fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EVERY_DAY: frozenset[int] = frozenset(range(7))
WEEKDAYS: frozenset[int] = frozenset(range(5))  # Monday to Friday

_ALL_DAYS_MASK = (1 << 7) - 1


@dataclass(frozen=True)
class Occurrence:
    """One firing of a daily reminder: the patient's local date it belongs to, and when it fires."""

    local_date: date
    fire_at: datetime  # aware, UTC


def weekdays_to_mask(weekdays: frozenset[int]) -> int:
    """Weekdays (Monday=0 .. Sunday=6) as a bit mask for storage: bit i is weekday i."""
    _check_weekdays(weekdays)
    return sum(1 << day for day in weekdays)


def mask_to_weekdays(mask: int) -> frozenset[int]:
    """The weekdays a stored bit mask stands for."""
    if not 0 <= mask <= _ALL_DAYS_MASK:
        raise ValueError(f"weekday mask {mask} is outside 0..{_ALL_DAYS_MASK}")
    return frozenset(day for day in range(7) if mask & (1 << day))


def occurrence_on(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the wall time `local_time` on `local_date` stands for in `zone`.

    A skipped wall time gives the instant the gap ends; a repeated one gives its first instant.
    """
    wall = datetime.combine(local_date, local_time.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the earlier of a repeated time
    if _wall_time(first, zone) == wall:
        return first
    return _end_of_gap(wall, zone)


def next_occurrence(
    after: datetime, local_time: time, zone: ZoneInfo, weekdays: frozenset[int]
) -> Occurrence:
    """The first occurrence strictly after `after` (aware) on one of `weekdays`."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be timezone-aware")
    _check_weekdays(weekdays)
    if not weekdays:
        raise ValueError("a reminder needs at least one weekday")
    # Start a day early: a skipped time late on one day can fire on the next local date.
    local_date = after.astimezone(zone).date() - timedelta(days=1)
    while True:
        if local_date.weekday() in weekdays:
            fire_at = occurrence_on(local_date, local_time, zone)
            if fire_at > after:
                return Occurrence(local_date=local_date, fire_at=fire_at)
        local_date += timedelta(days=1)


_TIME_PATTERN = re.compile(
    r"""
    (?P<hour>[0-9]{1,2})                                          # ASCII digits: \d takes "٣" too
    (?: [:.h：] (?P<minute>[0-9]{2})? | (?P<bare_minute>[0-9]{2}) )?  # 7:30, 7.30, 19h30, 19h, 730, 1900
    \s*
    (?: (?P<meridiem>[ap]) \.? \s* m \.? )?                       # am, pm, a.m., p. m.
    """,
    re.VERBOSE | re.IGNORECASE,
)


def parse_local_time(text: str) -> time | None:
    """A wall time typed by a patient, or None when it is not one.

    Accepted on the 24-hour clock: "7", "19", "7:30", "07:30", "7.30", "19h30", "19h", and bare
    digits "730", "1900". On the 12-hour clock the same with "am"/"pm": "7pm", "7.30 p.m.",
    "7:30am"; "12am" is 00:00 and "12pm" is 12:00. Case and surrounding spaces do not matter.
    """
    match = _TIME_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"] or match["bare_minute"] or 0)
    if minute > 59:
        return None
    if match["meridiem"] is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["meridiem"].lower() == "p" else 0)
    elif hour > 23:
        return None
    return time(hour, minute)


def _check_weekdays(weekdays: frozenset[int]) -> None:
    if not weekdays <= EVERY_DAY:
        raise ValueError(f"weekdays must be within 0 (Monday) .. 6 (Sunday), got {sorted(weekdays)}")


def _wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a clock change skips over `wall`, i.e. the first instant after the gap.

    With the offsets before and after the change, the change lies in (wall - after, wall - before]
    (PEP 495: fold=1 reads a skipped time with the new offset, fold=0 with the old). The offset
    changes once in that span, so a binary search on whole seconds finds it.
    """
    earliest = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # still the old offset
    latest = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # already the new offset
    old_offset = earliest.astimezone(zone).utcoffset()
    low, high = 0, int((latest - earliest).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (earliest + timedelta(seconds=middle)).astimezone(zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    return earliest + timedelta(seconds=high)
