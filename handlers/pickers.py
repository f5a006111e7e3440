"""The pickers several features share, each with the feature whose buttons it makes: the time
zone (typed, shared as a location, or picked from close matches), the reminder's time and its
days, and how a reminder and its next time read to the patient (onboarding and /settings); the
ticked choices of the diary and the safety screen, and the question of new symptoms (/pain, a
reminder, a session).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from telegram import Update

from handlers import free_text, learn
from handlers.buttons import PAIN, SESSION, SETTINGS, CallbackData, Feature, Rows, whole_number
from handlers.ptb.transport import reply
from sibot.checkins import Symptom
from sibot.ports import Button, OutgoingMessage
from sibot.reminders import ReminderView
from sibot.sessions import Source
from sibot.schedule import EVERY_DAY, WEEKDAYS, parse_local_time, weekdays_to_mask
from sibot.texts import format_time, text, zone_name
from sibot.zones import ZoneMatch, candidate_zones, zone_for_location, zone_match

COMMON_TIMES = (time(7), time(8), time(9), time(12), time(18), time(20))
_ALL_DAYS_MASK = weekdays_to_mask(EVERY_DAY)


def toggle_rows(
    language: str, labels: Sequence[str], mask: int, data_for: Callable[[int], str], per_row: int = 1
) -> list[tuple[Button, ...]]:
    """A button per label, ticked ("✅") where `mask` has its bit; a tap's data is
    `data_for(the mask with that bit flipped)`. The diary's where and what, and the safety
    screen's checklist."""
    buttons = [
        Button(
            text(language, "diary.pain.selected", label=label) if mask >> bit & 1 else label,
            data_for(mask ^ 1 << bit),
        )
        for bit, label in enumerate(labels)
    ]
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def choice_rows(
    language: str, kind: str, enum: type[StrEnum], mask: int, data_for: Callable[[int], str], per_row: int
) -> list[tuple[Button, ...]]:
    """The diary's choices of `kind` ("location", "symptom"), a button per member of `enum`."""
    labels = [text(language, f"diary.{kind}.{member.value}") for member in enum]
    return toggle_rows(language, labels, mask, data_for, per_row)


def symptom_buttons(language: str, checkin_id: int, locations: int, mask: int) -> Rows:
    """The question of new symptoms of a check-in, from /pain, a reminder or a session."""
    rows = choice_rows(
        language,
        "symptom",
        Symptom,
        mask,
        lambda m: PAIN.data("sym", checkin_id, locations, m),
        per_row=1,  # the warning signs' labels are long: one a row, never cut short
    )
    done = Button(
        text(language, "diary.pain.done_button"),
        PAIN.data("done", checkin_id, locations, mask),
    )
    none = Button(
        text(language, "diary.pain.none_button"), PAIN.data("done", checkin_id, locations, 0)
    )
    return (*rows, (done, none))


def symptom_question(language: str, checkin_id: int) -> OutgoingMessage:
    """The question of new symptoms on its own, after a high score in a session."""
    return OutgoingMessage(text(language, "diary.pain.symptoms"), symptom_buttons(language, checkin_id, 0, 0))


def time_code(local_time: time) -> str:
    return f"{local_time.hour:02d}{local_time.minute:02d}"


def time_of_code(code: str) -> time | None:
    """The wall time in a button's "HHMM"; None when it is not one (forged data)."""
    if len(code) != 4:
        return None
    hour, minute = whole_number(code[:2], 23), whole_number(code[2:], 59)
    return None if hour is None or minute is None else time(hour, minute)


def time_buttons(feature: Feature, language: str) -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(format_time(language, at), feature.data("time", time_code(at))) for at in COMMON_TIMES]
    return tuple(buttons[:3]), tuple(buttons[3:])


def days_buttons(feature: Feature, language: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(text(language, "settings.days.every_day"), feature.data("days", _ALL_DAYS_MASK)),),
        (Button(text(language, "settings.days.weekdays"), feature.data("days", weekdays_to_mask(WEEKDAYS))),),
        (Button(text(language, "settings.days.choose"), feature.data("pick", 0)),),
    )


def day_picker(feature: Feature, language: str, mask: int) -> tuple[tuple[Button, ...], ...]:
    """One toggle per weekday (the mask it leads to is in its data), then "Done"."""
    toggles = [
        Button(
            ("✅ " if mask & (1 << day) else "") + text(language, f"settings.day.{day}"),
            feature.data("pick", mask ^ (1 << day)),
        )
        for day in range(7)
    ]
    done = Button(text(language, "settings.days.done"), feature.data("days", mask))
    return tuple(toggles[:4]), tuple(toggles[4:]), (done,)


def mask_of(data: CallbackData) -> int | None:
    """The weekday mask a days button carries; None for forged data."""
    mask = data.int_arg(0)
    return mask if mask is not None and 0 <= mask <= _ALL_DAYS_MASK else None


async def answer_zone(
    update: Update, language: str, feature: Feature, choose: Callable[[str], Awaitable[object]]
) -> None:
    """A typed city, zone or offset, or a shared location: `choose` the zone when it is clear,
    offer the close matches (buttons of `feature`) when it is not, else say it is not a zone."""
    matches = _zone_answer(update)
    if not matches:
        await reply(update, _not_a_zone(update, language))
    elif len(matches) == 1:
        await choose(matches[0].zone)
    else:
        buttons = _zone_choice_buttons(feature, language, matches)
        await reply(update, OutgoingMessage(text(language, "settings.zone.choose"), buttons))


async def typed_time(update: Update, language: str) -> time | None:
    """The wall time the patient typed; None, once they are told so, when it is not one."""
    local_time = parse_local_time(update.message.text or "") if update.message else None
    if local_time is None:
        await reply(update, OutgoingMessage(text(language, "settings.time.bad", typed=free_text.quoted(update))))
    return local_time


def _zone_choice_buttons(feature: Feature, language: str, matches: list[ZoneMatch]) -> tuple[tuple[Button, ...], ...]:
    rows = [
        (Button(zone_name(language, m.zone, m.city, m.country_code), feature.data("zone", m.zone)),)
        for m in matches
    ]
    rows.append((Button(text(language, "settings.zone.none_of_these"), feature.data("rezone")),))
    return tuple(rows)


def _zone_answer(update: Update) -> list[ZoneMatch] | None:
    """The zones a typed or shared answer may mean; None when it was neither text nor location.

    A location in open sea (or out of range) gives no zone, like an unknown city name."""
    message = update.message
    if message is None:
        return None
    if message.location is not None:
        try:
            zone = zone_for_location(message.location.latitude, message.location.longitude)
        except ValueError:
            zone = None
        return [] if zone is None else [zone_match(zone)]
    if message.text:
        return candidate_zones(message.text)
    return None


def _not_a_zone(update: Update, language: str) -> OutgoingMessage:
    message = update.message
    if message is not None and message.location is not None:
        return OutgoingMessage(text(language, "settings.zone.ocean"))
    return OutgoingMessage(text(language, "settings.zone.unknown", typed=free_text.quoted(update)))


def describe_reminder(language: str, reminder: ReminderView | None) -> str:
    """"07:30 every day", "07:30 on Mon, Thu", or "off"."""
    if reminder is None or not reminder.weekdays:
        return text(language, "settings.reminder.off")
    if reminder.weekdays == EVERY_DAY:
        days = text(language, "settings.reminder.every_day")
    elif reminder.weekdays == WEEKDAYS:
        days = text(language, "settings.reminder.weekdays")
    else:
        names = ", ".join(text(language, f"settings.day.{day}") for day in sorted(reminder.weekdays))
        days = text(language, "settings.reminder.on_days", days=names)
    return text(language, "settings.reminder", time=format_time(language, reminder.local_time), days=days)


def local_when(language: str, instant: datetime, zone: str) -> str:
    """An instant as the patient's wall clock shows it: "Tue 07:30"."""
    local = instant.astimezone(ZoneInfo(zone))
    return text(
        language,
        "settings.when",
        weekday=text(language, f"settings.day.{local.weekday()}"),
        time=format_time(language, local.time()),
    )


def next_reminder(language: str, reminder: ReminderView | None, zone: str) -> str:
    if reminder is None or reminder.next_fire_at is None:
        return text(language, "settings.reminder.off")
    return local_when(language, reminder.next_fire_at, zone)


def main_actions(language: str) -> Rows:
    """What a patient does most, one button a row: /start and any text we cannot place show them."""
    return (
        (Button(text(language, "settings.action.session"), SESSION.data("start", Source.MENU)),),
        (note_pain_button(language),),
        (learn.open_button(language),),
        (Button(text(language, "settings.action.settings"), SETTINGS.data("menu")),),
    )


def note_pain_button(language: str) -> Button:
    return Button(text(language, "settings.action.pain"), PAIN.data("ask"))
