"""/settings, /pause and /resume; the zone, time and days pickers it shares with onboarding are
in `handlers/pickers.py`.

Every change is answered with its new value. Buttons of settings (`st:*`) carry the value they
set, so an old settings message still sets what it says; a forged or outdated value only gets a
short answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import free_text
from handlers.buttons import SETTINGS, CallbackData, parse_callback
from handlers.pickers import (
    answer_zone,
    day_picker,
    days_buttons,
    describe_reminder,
    local_when,
    mask_of,
    next_reminder,
    time_buttons,
    time_of_code,
    typed_time,
)
from handlers.ptb.context import AnyApplication, BotContext, remember_language
from handlers.ptb.transport import acknowledge, replace_message, reply
from handlers.render import local_now_label
from sibot import patients
from sibot.patients import PatientView
from sibot.ports import Button, OutgoingMessage
from sibot.reminders import ReminderView
from sibot.routine import MAX_HOLD_SECONDS, MIN_HOLD_SECONDS, Pace
from sibot.schedule import mask_to_weekdays
from sibot.texts import available_languages, language_name, text, zone_name

FEATURE = SETTINGS
AWAITING_ZONE = "settings_zone"
AWAITING_TIME = "settings_time"
REPETITION_CHOICES = (3, 5, 8, 10, 12, 15)
# Rests between guided repetitions; 0 stands for "as long as the hold".
REST_CHOICES = (0, 3, 5, 8, 10, 15, 20, 30)


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
        zone=zone_name(language, patient.timezone),
        reminder=describe_reminder(language, reminder),
        hold=patient.hold_seconds,
        repetitions=patient.repetitions,
        pace=text(language, f"settings.pace.{patient.pace}"),
        rest=_rest_label(language, patient.rest_seconds),
        pregnancy=on_off(language, patient.pregnant),
        followup=on_off(language, patient.followups_enabled),
        pictures=on_off(language, patient.pictures),
        language=language_name(patient.language),
    )
    return OutgoingMessage(
        body,
        (
            (button("zone", "zone"), button("language", "lang")),
            (button("time", "time"), button("days", "days")),
            (button("hold", "hold"), button("reps", "reps")),
            (button("pace", "pace"), button("rest", "rest")),
            (button("pregnancy", "preg"), button("followup", "follow")),
            (button("pictures", "pics"),),
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
    if what == "pace":
        return OutgoingMessage(
            text(language, "settings.ask.pace"),
            tuple(
                (Button(text(language, f"settings.pace.{pace}"), FEATURE.data("pace", pace)),)
                for pace in Pace
            ),
        )
    if what == "rest":
        rests = tuple(
            Button(_rest_label(language, value or None), FEATURE.data("rest", value))
            for value in REST_CHOICES
        )
        return OutgoingMessage(text(language, "settings.ask.rest"), (rests[:1], rests[1:]))
    if what in _SWITCHES:
        key, current = _SWITCHES[what], _switched_on(patient, what)
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


def _rest_label(language: str, seconds: int | None) -> str:
    if seconds is None:
        return text(language, "settings.rest.as_hold")
    return text(language, "settings.rest.seconds", seconds=seconds)


# The on/off settings: button action -> catalog name.
_SWITCHES = {"preg": "pregnancy", "follow": "followup", "pics": "pictures"}


def _switched_on(patient: PatientView, what: str) -> bool:
    """The current value of an on/off setting, by its button action."""
    values = {"preg": patient.pregnant, "follow": patient.followups_enabled, "pics": patient.pictures}
    return values[what]


async def _zone_changed(context: BotContext, zone: str) -> OutgoingMessage | None:
    """Move the patient to `zone` and say so; None for a zone that does not exist (forged)."""
    patient = context.patient
    language = patient.language
    if not await patients.change_zone(context.core, patient.id, zone):
        return None
    local_now = local_now_label(zone, context.core.clock.now(), language)
    confirmation = text(language, "settings.set.zone", zone=zone_name(language, zone), local_now=local_now)
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
    if data is not None and data.action == "lang":  # changed: the flood limit speaks it too
        remember_language(context.application, query.from_user, data.arg(0))
    await acknowledge(query, outcome.toast)
    if outcome.edit is not None:
        await replace_message(query, outcome.edit)
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
        case "rest" if number is not None:
            return await _rest_changed(context, number)
        case "pace":
            return await _pace_changed(context, data.arg(0))
        case "preg" | "follow" | "pics" | "lang":
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


async def _rest_changed(context: BotContext, seconds: int) -> _Outcome | None:
    """A rest between guided repetitions; 0 makes it as long as the hold again."""
    patient = context.patient
    language = patient.language
    if not await patients.change_rest_seconds(context.core, patient.id, seconds or None):
        return None
    confirmation = text(language, "settings.set.rest", rest=_rest_label(language, seconds or None))
    return _Outcome(message=OutgoingMessage(confirmation, _back(language)))


async def _pace_changed(context: BotContext, pace: str) -> _Outcome | None:
    patient = context.patient
    language = patient.language
    if not await patients.change_pace(context.core, patient.id, pace):
        return None
    confirmation = text(language, "settings.set.pace", pace=text(language, f"settings.pace.{pace}"))
    return _Outcome(message=OutgoingMessage(confirmation, _back(language)))


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
        if value == "1" and not patient.pregnant:
            confirmation += "\n\n" + text(language, "settings.set.pregnancy_ask")
    elif action == "pics":
        await patients.change_pictures(context.core, patient.id, value == "1")
        confirmation = text(language, "settings.set.pictures", state=on_off(language, value == "1"))
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
