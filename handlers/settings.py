"""/settings, /pause and /resume, and the pickers onboarding shares (zone, time, days).

Every change is answered with its new value. Buttons of settings (`st:*`) carry the value they
set, so an old settings message still sets what it says; a forged or outdated value only gets a
short answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import free_text
from handlers.ptb.context import AnyApplication, BotContext
from handlers.buttons import SETTINGS, CallbackData, Feature, parse_callback, whole_number
from handlers.ptb.transport import acknowledge, inline_keyboard
from sibot import patients
from sibot.patients import PatientView
from sibot.ports import Button, OutgoingMessage
from sibot.reminders import ReminderView
from sibot.routine import MAX_HOLD_SECONDS, MIN_HOLD_SECONDS
from sibot.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    mask_to_weekdays,
    parse_local_time,
    weekdays_to_mask,
)
from sibot.texts import available_languages, format_time, language_name, text
from sibot.zones import ZoneMatch, candidate_zones, local_now_label, zone_for_location, zone_label, zone_match

FEATURE = SETTINGS
AWAITING_ZONE = "settings_zone"
AWAITING_TIME = "settings_time"
COMMON_TIMES = (time(7), time(8), time(9), time(12), time(18), time(20))
REPETITION_CHOICES = (3, 5, 8, 10, 12, 15)
_ALL_DAYS_MASK = weekdays_to_mask(EVERY_DAY)


# ---- shared with onboarding: sending, describing, picking -----------------------------------


async def reply(update: Update, message: OutgoingMessage) -> None:
    """Send `message` (HTML, inline buttons) to the chat the update came from."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        message.text, parse_mode=ParseMode.HTML, reply_markup=inline_keyboard(message.buttons)
    )


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
    rows = [(Button(match.label, feature.data("zone", match.zone)),) for match in matches]
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


def on_off(language: str, value: bool) -> str:
    return text(language, "settings.on" if value else "settings.off")


# ---- /settings ------------------------------------------------------------------------------


def _menu(patient: PatientView, reminder: ReminderView | None) -> OutgoingMessage:
    language = patient.language

    def button(name: str, action: str) -> Button:
        return Button(text(language, f"settings.button.{name}"), FEATURE.data("ask", action))

    body = text(
        language,
        "settings.menu",
        zone=zone_label(patient.timezone),
        reminder=describe_reminder(language, reminder),
        hold=patient.hold_seconds,
        repetitions=patient.repetitions,
        pregnancy=on_off(language, patient.pregnant),
        followup=on_off(language, patient.followups_enabled),
        language=language_name(patient.language),
    )
    return OutgoingMessage(
        body,
        (
            (button("zone", "zone"), button("language", "lang")),
            (button("time", "time"), button("days", "days")),
            (button("hold", "hold"), button("reps", "reps")),
            (button("pregnancy", "preg"), button("followup", "follow")),
        ),
    )


def _back(language: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(text(language, "settings.button.back"), FEATURE.data("menu")),),)


def _cancel(language: str) -> tuple[Button, ...]:
    return (Button(text(language, "settings.button.cancel"), FEATURE.data("cancel")),)


async def show_settings(update: Update, context: BotContext) -> None:
    """Show every setting with its value, and buttons to change them."""
    patient = context.patient
    reminder = await patients.open_settings(context.core, patient.id)
    await reply(update, _menu(patient, reminder))


def _ask(patient: PatientView, reminder: ReminderView | None, what: str) -> OutgoingMessage | None:
    """The choices for one setting; None for a setting that does not exist."""
    language = patient.language
    if what == "zone":
        return OutgoingMessage(text(language, "settings.ask.zone"), (_cancel(language),))
    if what == "time":
        return OutgoingMessage(text(language, "settings.ask.time"), (*time_buttons(FEATURE, language), _cancel(language)))
    if what == "days":
        if reminder is None:
            return OutgoingMessage(text(language, "settings.no_reminder"), _back(language))
        return OutgoingMessage(text(language, "settings.ask.days"), days_buttons(FEATURE, language))
    if what == "hold":
        seconds = range(MIN_HOLD_SECONDS, MAX_HOLD_SECONDS + 1)
        return OutgoingMessage(
            text(language, "settings.ask.hold"),
            (tuple(Button(f"{value} s", FEATURE.data("hold", value)) for value in seconds),),
        )
    if what == "reps":
        return OutgoingMessage(
            text(language, "settings.ask.reps"),
            (tuple(Button(str(value), FEATURE.data("reps", value)) for value in REPETITION_CHOICES),),
        )
    if what in _SWITCHES:
        key, current = _SWITCHES[what], patient.pregnant if what == "preg" else patient.followups_enabled
        return OutgoingMessage(
            text(language, f"settings.ask.{key}", state=on_off(language, current)),
            (
                (
                    Button(text(language, "settings.button.turn_on"), FEATURE.data(what, 1)),
                    Button(text(language, "settings.button.turn_off"), FEATURE.data(what, 0)),
                ),
            ),
        )
    if what == "lang":
        return OutgoingMessage(
            text(language, "settings.ask.language"),
            tuple(
                (Button(language_name(code), FEATURE.data("lang", code)),)
                for code in available_languages()
            ),
        )
    return None


# The on/off settings: button action -> catalog name.
_SWITCHES = {"preg": "pregnancy", "follow": "followup"}


async def _zone_changed(context: BotContext, zone: str) -> OutgoingMessage | None:
    """Move the patient to `zone` and say so; None for a zone that does not exist (forged)."""
    patient = context.patient
    language = patient.language
    if not await patients.change_zone(context.core, patient.id, zone):
        return None
    local_now = local_now_label(zone, context.core.clock.now(), language)
    confirmation = text(language, "settings.set.zone", zone=zone_label(zone), local_now=local_now)
    return OutgoingMessage(confirmation, _back(language))


async def _reminder_changed(
    context: BotContext, local_time: time | None, weekdays: frozenset[int] | None
) -> OutgoingMessage:
    """Change the reminder's time or its days, keeping the other as it was."""
    patient = context.patient
    language = patient.language
    reminder = await patients.change_reminder(context.core, patient, local_time, weekdays)
    if reminder is None:
        return OutgoingMessage(text(language, "settings.no_reminder"), _back(language))
    confirmation = text(
        language,
        "settings.set.time",
        reminder=describe_reminder(language, reminder),
        next=next_reminder(language, reminder, patient.timezone),
    )
    return OutgoingMessage(confirmation, _back(language))


async def on_zone_answer(update: Update, context: BotContext) -> None:
    """A typed city or zone, or a shared location, after "Time zone" in settings."""

    async def choose(zone: str) -> None:
        confirmation = await _zone_changed(context, zone)
        assert confirmation is not None  # the zones offered are all real ones
        await reply(update, confirmation)

    await answer_zone(update, context.patient.language, FEATURE, choose)


async def on_time_answer(update: Update, context: BotContext) -> None:
    """A typed reminder time after "Reminder time" in settings."""
    local_time = await typed_time(update, context.patient.language)
    if local_time is not None:
        await reply(update, await _reminder_changed(context, local_time, None))


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a button leads to: a toast, the tapped message's new look, a new message."""

    toast: str | None = None
    edit: OutgoingMessage | None = None
    message: OutgoingMessage | None = None


async def on_button(update: Update, context: BotContext) -> None:
    """Act on a settings button; an unknown or forged one only gets a short answer."""
    query = update.callback_query
    assert query is not None
    data = parse_callback(query.data)
    outcome = None if data is None else await _outcome(context, data)
    if outcome is None:
        await acknowledge(query, text(context.patient.language, "settings.invalid"))
        return
    await acknowledge(query, outcome.toast)
    if outcome.edit is not None:
        await query.edit_message_text(
            outcome.edit.text, parse_mode=ParseMode.HTML, reply_markup=inline_keyboard(outcome.edit.buttons)
        )
    if outcome.message is not None:
        await reply(update, outcome.message)


async def _outcome(context: BotContext, data: CallbackData) -> _Outcome | None:
    patient = context.patient
    language = patient.language
    action, number = data.action, data.int_arg(0)
    match action:
        case "menu" | "ask" | "cancel":
            return await _navigate(context, action, data.arg(0))
        case "zone":
            confirmation = await _zone_changed(context, data.arg(0))
            return None if confirmation is None else _Outcome(message=confirmation)
        case "rezone":
            return _Outcome(message=OutgoingMessage(text(language, "settings.ask.zone"), (_cancel(language),)))
        case "time":
            local_time = time_of_code(data.arg(0))
            return None if local_time is None else _Outcome(message=await _reminder_changed(context, local_time, None))
        case "pick":
            mask = mask_of(data)
            if mask is None:
                return None
            return _Outcome(edit=OutgoingMessage(text(language, "settings.days.pick"), day_picker(FEATURE, language, mask)))
        case "days":
            mask = mask_of(data)
            if mask is None:
                return None
            if not mask:
                return _Outcome(toast=text(language, "settings.days.none"))
            return _Outcome(message=await _reminder_changed(context, None, mask_to_weekdays(mask)))
        case "hold" | "reps" if number is not None:
            return await _dose_changed(context, action, number)
        case "preg" | "follow" | "lang":
            return await _choice_changed(context, action, data.arg(0))
        case "pause":
            return await _paused(context, number)
    return None


async def _navigate(context: BotContext, action: str, what: str) -> _Outcome | None:
    """Show the menu, ask for one setting, or cancel a typed answer."""
    patient = context.patient
    awaiting = {"zone": AWAITING_ZONE, "time": AWAITING_TIME}.get(what) if action == "ask" else None
    reminder = await patients.open_settings(context.core, patient.id, awaiting)
    if action == "menu":
        return _Outcome(message=_menu(patient, reminder))
    if action == "cancel":
        return _Outcome(message=OutgoingMessage(text(patient.language, "settings.cancelled"), _back(patient.language)))
    question = _ask(patient, reminder, what)
    return None if question is None else _Outcome(message=question)


async def _dose_changed(context: BotContext, action: str, number: int) -> _Outcome | None:
    patient = context.patient
    language = patient.language
    if action == "hold":
        changed = await patients.change_hold_seconds(context.core, patient.id, number)
        confirmation = text(language, "settings.set.hold", hold=number)
    else:
        changed = await patients.change_repetitions(context.core, patient.id, number)
        confirmation = text(language, "settings.set.reps", repetitions=number)
    return _Outcome(message=OutgoingMessage(confirmation, _back(language))) if changed else None


async def _choice_changed(context: BotContext, action: str, value: str) -> _Outcome | None:
    patient = context.patient
    language = patient.language
    if action == "lang":
        if not await patients.change_language(context.core, patient.id, value):
            return None
        language = value
        confirmation = text(language, "settings.set.language", language=language_name(value))
    elif value not in ("0", "1"):
        return None
    elif action == "preg":
        await patients.change_pregnant(context.core, patient.id, value == "1")
        confirmation = text(language, "settings.set.pregnancy", state=on_off(language, value == "1"))
    else:
        await patients.change_followups(context.core, patient.id, value == "1")
        confirmation = text(language, "settings.set.followup", state=on_off(language, value == "1"))
    return _Outcome(message=OutgoingMessage(confirmation, _back(language)))


# ---- /pause and /resume ---------------------------------------------------------------------


async def ask_pause(update: Update, context: BotContext) -> None:
    """Offer how long to pause the reminders."""
    language = context.patient.language
    buttons = tuple(
        (Button(text(language, f"settings.pause.{days}"), FEATURE.data("pause", days)),)
        for days in (*patients.PAUSE_DAYS, 0)
    )
    await reply(update, OutgoingMessage(text(language, "settings.pause.ask"), buttons))


async def _paused(context: BotContext, days: int | None) -> _Outcome | None:
    patient = context.patient
    language = patient.language
    if days is None or (days and days not in patients.PAUSE_DAYS):
        return None
    until = await patients.pause_reminders(context.core, patient.id, days or None)
    if patients.is_indefinite(until):
        return _Outcome(message=OutgoingMessage(text(language, "settings.paused")))
    when = local_when(language, until, patient.timezone)
    return _Outcome(message=OutgoingMessage(text(language, "settings.paused_until", until=when)))


async def resume(update: Update, context: BotContext) -> None:
    """End a pause: reminders go on from the next one."""
    patient = context.patient
    language = patient.language
    resumed = await patients.resume_reminders(context.core, patient)
    reminder = resumed.reminder
    if not resumed.resumed:
        message = text(language, "settings.not_paused")
    elif reminder is None or reminder.next_fire_at is None:
        message = text(language, "settings.resumed_no_reminder")
    else:
        message = text(language, "settings.resumed", next=next_reminder(language, reminder, patient.timezone))
    await reply(update, OutgoingMessage(message))


def register(application: AnyApplication) -> None:
    application.add_handler(CommandHandler("settings", show_settings))  # group 0
    application.add_handler(CommandHandler("pause", ask_pause))  # group 0
    application.add_handler(CommandHandler("resume", resume))  # group 0
    application.add_handler(CallbackQueryHandler(on_button, pattern=FEATURE.pattern))  # group 0
    free_text.expect(application, AWAITING_ZONE, on_zone_answer)
    free_text.expect(application, AWAITING_TIME, on_time_answer)
