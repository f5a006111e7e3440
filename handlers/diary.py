"""The pain diary: /pain and its buttons, /progress, /report, /export and /delete.

A check-in is stored the moment the score is tapped, so a patient who stops there still has it
logged; where it hurts and new symptoms are added to it after. The choices made so far travel in
the buttons' callback data as bit masks, so a half-answered check-in needs no state on our side.

Callback data (prefix pn, dl):
  pn:score:<n>:<source>         a score, from /pain (diary) or a reminder (reminder)
  pn:ask                        ask for the score, as /pain does (under a message that offers it)
  pn:loc:<id>:<mask>            where, toggled; pn:where:<id>:<mask> confirms it
  pn:sym:<id>:<loc>:<mask>      new symptoms, toggled; pn:done:<id>:<loc>:<mask> confirms them
  pn:gentle                     switch to the gentler routine
  dl:yes:<asked at, unix s>     erase everything; dl:no keeps it
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import pickers
from handlers.buttons import DELETE, PAIN, CallbackData, Rows, pain_scale, parse_callback, whole_number
from handlers.exercise import cancel_hold
from handlers.function import open_button, send_progress as send_function_progress
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, inline_keyboard, unless_unchanged
from handlers.render import gentle_button, render_advice, render_week_comparison
from sibot import diary, function
from sibot.charts import chart_window, has_chart_data, progress_chart
from sibot.checkins import (
    PAIN_SCALE,
    CheckinSource,
    Location,
    RedFlag,
    Symptom,
    local_date,
)
from sibot.patients import PatientView
from sibot.ports import Button
from sibot.report import doctor_report_pdf, export_csv
from sibot.texts import plural, text

# Sources a score button may name; a session's scores are asked for by the session itself.
BUTTON_SOURCES = frozenset({CheckinSource.DIARY, CheckinSource.REMINDER})
LOCATIONS_PER_ROW = 2


def register(application: AnyApplication) -> None:
    """The diary's commands and buttons (group 0)."""
    application.add_handler(CommandHandler("pain", ask_pain), group=0)
    application.add_handler(CommandHandler("progress", show_progress), group=0)
    application.add_handler(CommandHandler("report", send_report), group=0)
    application.add_handler(CommandHandler("export", send_export), group=0)
    application.add_handler(CommandHandler("delete", ask_delete), group=0)
    application.add_handler(CallbackQueryHandler(on_pain_button, PAIN.pattern), group=0)
    application.add_handler(
        CallbackQueryHandler(on_delete_button, DELETE.pattern), group=0
    )


# --- /pain --------------------------------------------------------------------------------------


def score_buttons(source: CheckinSource) -> Rows:
    """The 0-10 scale, for /pain and for the reminder's message."""
    return pain_scale(lambda score: score_data(score, source))


def score_data(score: int, source: CheckinSource) -> str:
    """The data of a button that saves `score` as a check-in from `source`."""
    return PAIN.data("score", score, source.value)


async def ask_pain(update: Update, context: BotContext) -> None:
    """Ask for the pain score, one tap on the 0-10 scale; "/pain 6" saves it at once."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    typed = context.args[0] if context.args and len(context.args) == 1 else ""
    score = whole_number(typed, max(PAIN_SCALE))
    if score is not None:
        saved = await _save_score(context, score, CheckinSource.DIARY)
        await message.reply_text(
            text(patient.language, "diary.pain.where", score=score),
            parse_mode=ParseMode.HTML,
            reply_markup=inline_keyboard(_location_buttons(patient.language, saved.checkin_id, 0)),
        )
        await _advise(context, message.chat.id, patient, saved.flags)
        return
    await message.reply_text(**_pain_question(patient.language))


def _pain_question(language: str) -> dict[str, Any]:
    return {
        "text": text(language, "diary.pain.ask"),
        "parse_mode": ParseMode.HTML,
        "reply_markup": inline_keyboard(score_buttons(CheckinSource.DIARY)),
    }


async def _on_ask(update: Update, context: BotContext, data: CallbackData) -> bool:
    """"Note my pain" under another message: /pain's question, as a new message below it."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await acknowledge(query)
    await context.bot.send_message(query.message.chat.id, **_pain_question(context.patient.language))
    return True


async def _save_score(context: BotContext, score: int, source: str) -> diary.CheckinResult:
    return await diary.record(context.core, context.patient.id, score, source)


async def on_pain_button(update: Update, context: BotContext) -> None:
    """Route a pn:* tap; anything forged or out of date gets the short "step is over" answer."""
    query = update.callback_query
    assert query is not None
    data = parse_callback(query.data)
    patient = context.patient
    action = _PAIN_ACTIONS.get(data.action) if data is not None else None
    handled = data is not None and action is not None and await action(update, context, data)
    if not handled:
        await acknowledge(query, text(patient.language, "common.stale_button"))


async def _on_score(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient = update.callback_query, context.patient
    assert query is not None and query.message is not None
    score, source = data.int_arg(0), data.arg(1)
    if score not in PAIN_SCALE or source not in BUTTON_SOURCES:
        return False
    assert score is not None
    saved = await _save_score(context, score, source)
    await acknowledge(query, text(patient.language, "diary.pain.saved_answer", score=score))
    where = text(patient.language, "diary.pain.where", score=score)
    keyboard = inline_keyboard(_location_buttons(patient.language, saved.checkin_id, 0))
    if source == CheckinSource.DIARY:
        await _edit_text(query, where, keyboard)
    else:
        # The reminder's own buttons stay; its score row goes, so one reminder is one check-in.
        await _drop_score_rows(query)
        await context.bot.send_message(
            query.message.chat.id, where, parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
    await _advise(context, query.message.chat.id, patient, saved.flags)
    return True


async def _drop_score_rows(query: CallbackQuery) -> None:
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    if markup is None:
        return
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(_is_score(parse_callback(str(button.callback_data))) for button in row)
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except BadRequest:
        # Too old to edit, or already without them: the check-in is saved all the same.
        return


def _is_score(data: CallbackData | None) -> bool:
    return data is not None and data.feature == PAIN and data.action == "score"


async def _edit_text(
    query: CallbackQuery, new_text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    await unless_unchanged(
        query.edit_message_text(new_text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    )


async def _edit_keyboard(query: CallbackQuery, keyboard: InlineKeyboardMarkup | None) -> None:
    await unless_unchanged(query.edit_message_reply_markup(keyboard))


async def _on_location(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient = update.callback_query, context.patient
    checkin_id, mask = _row_id(data.int_arg(0)), _mask(data.int_arg(1), Location)
    if checkin_id is None or mask is None:
        return False
    assert query is not None
    await acknowledge(query)
    await _edit_keyboard(
        query, inline_keyboard(_location_buttons(patient.language, checkin_id, mask))
    )
    return True


async def _on_where(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient = update.callback_query, context.patient
    checkin_id, locations = _row_id(data.int_arg(0)), _mask(data.int_arg(1), Location)
    if checkin_id is None or locations is None:
        return False
    if await _save_details(context, checkin_id, locations, None) is None:
        return False
    assert query is not None
    await acknowledge(query)
    await _edit_text(
        query,
        text(patient.language, "diary.pain.symptoms"),
        inline_keyboard(pickers.symptom_buttons(patient.language, checkin_id, locations, 0)),
    )
    return True


def _details(data: CallbackData) -> tuple[int, int, int] | None:
    """The check-in, locations and symptoms a details button carries; None if forged."""
    checkin_id = _row_id(data.int_arg(0))
    locations, symptoms = _mask(data.int_arg(1), Location), _mask(data.int_arg(2), Symptom)
    if checkin_id is None or locations is None or symptoms is None:
        return None
    return checkin_id, locations, symptoms


async def _on_symptom(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient, details = update.callback_query, context.patient, _details(data)
    if details is None:
        return False
    checkin_id, locations, symptoms = details
    assert query is not None
    await acknowledge(query)
    await _edit_keyboard(
        query, inline_keyboard(pickers.symptom_buttons(patient.language, checkin_id, locations, symptoms))
    )
    return True


async def _on_done(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient, details = update.callback_query, context.patient, _details(data)
    if details is None:
        return False
    checkin_id, locations, symptoms = details
    saved = await _save_details(context, checkin_id, locations, symptoms)
    if saved is None:
        return False
    assert query is not None and query.message is not None
    await acknowledge(query)
    await _edit_text(query, _summary(patient.language, saved.score, locations, symptoms))
    await _advise(context, query.message.chat.id, patient, saved.flags)
    return True


async def _on_gentle(update: Update, context: BotContext, data: CallbackData) -> bool:
    query, patient = update.callback_query, context.patient
    assert query is not None and query.message is not None
    gentle = await diary.go_gentle(context.core, patient.id)
    if gentle is None:
        return False
    await acknowledge(query, text(patient.language, "diary.gentle.answer"))
    await _edit_keyboard(query, None)
    await context.bot.send_message(
        query.message.chat.id,
        text(
            patient.language,
            "diary.gentle.done",
            hold=gentle.hold_seconds,
            repetitions=gentle.repetitions,
        ),
        parse_mode=ParseMode.HTML,
    )
    return True


_PAIN_ACTIONS = {
    "score": _on_score,
    "ask": _on_ask,
    "loc": _on_location,
    "where": _on_where,
    "sym": _on_symptom,
    "done": _on_done,
    "gentle": _on_gentle,
}


async def _save_details(
    context: BotContext, checkin_id: int, locations: int, symptoms: int | None
) -> diary.DetailsResult | None:
    """Store the choices (symptoms None: not asked yet); None for a stale button."""
    return await diary.detail(
        context.core,
        context.patient.id,
        checkin_id,
        _members(locations, Location),
        None if symptoms is None else _members(symptoms, Symptom),
    )


def _row_id(value: int | None) -> int | None:
    """A check-in id (ids start at 1); None for forged data."""
    return value or None


def _mask(value: int | None, enum: type[StrEnum]) -> int | None:
    """A bit mask over the enum's members, or None when it names bits the enum does not have."""
    if value is None or not 0 <= value < 1 << len(enum):
        return None
    return value


def _members(mask: int, enum: type[StrEnum]) -> list[str]:
    return [member.value for bit, member in enumerate(enum) if mask >> bit & 1]


def _location_buttons(language: str, checkin_id: int, mask: int) -> tuple[tuple[Button, ...], ...]:
    rows = pickers.choice_rows(
        language, "location", Location, mask, lambda m: PAIN.data("loc", checkin_id, m), LOCATIONS_PER_ROW
    )
    done = Button(
        text(language, "diary.pain.done_button"), PAIN.data("where", checkin_id, mask)
    )
    return (*rows, (done,))


def _summary(language: str, score: int | None, locations: int, symptoms: int) -> str:
    places = [text(language, f"diary.location.{value}") for value in _members(locations, Location)]
    new = [text(language, f"diary.symptom.{value}") for value in _members(symptoms, Symptom)]
    where = text(language, "diary.pain.saved_where", places=", ".join(places))
    symptoms_text = text(language, "diary.pain.saved_symptoms", symptoms=", ".join(new))
    return text(
        language,
        "diary.pain.saved",
        score="–" if score is None else score,
        where=where if places else "",
        symptoms=symptoms_text if new else "",
    )


async def _advise(
    context: BotContext, chat_id: int, patient: PatientView, flags: Sequence[RedFlag]
) -> None:
    """Tell the patient what each red flag means for them, most urgent first."""
    if not flags:
        return
    advice = diary.advice(flags, patient.gentle)
    paragraphs = render_advice(advice.flags, patient.language)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if advice.pause:
        paragraphs.append(text(patient.language, "diary.pain.pause_hint"))
        if advice.offer_gentle:
            paragraphs.append(text(patient.language, "diary.pain.gentle_hint"))
            buttons = ((gentle_button(PAIN.data("gentle"), patient.language),),)
    await context.bot.send_message(
        chat_id,
        "\n\n".join(paragraphs),
        parse_mode=ParseMode.HTML,
        reply_markup=inline_keyboard(buttons),
    )


# --- /progress, /report, /export ----------------------------------------------------------------


async def show_progress(update: Update, context: BotContext) -> None:
    """Send the 30-day chart with this week against the last, or a kind word when it is empty;
    then the everyday activities' chart, or under the first a button to start tracking them."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    seen = await diary.progress_of(context.core, patient)
    activities = await function.function_of(context.core, patient.id, patient.zone)
    # The first /progress of a patient without activities offers them, under its answer.
    track = None if activities.current else inline_keyboard(((open_button(patient.language, False),),))
    if not has_chart_data(seen.days, seen.sessions_by_date, seen.today):
        await message.reply_text(text(patient.language, "diary.progress.empty"), reply_markup=track)
        await send_function_progress(message, context, activities)
        return
    # Drawing takes a few hundred milliseconds: off the loop, so nobody's hold timer waits.
    png = await asyncio.to_thread(
        progress_chart,
        seen.days,
        seen.sessions_by_date,
        seen.streak,
        seen.today,
        patient.language,
    )
    week = (
        render_week_comparison(seen.week, patient.language)
        if seen.week is not None
        else text(patient.language, "diary.progress.no_week")
    )
    first_day, _ = chart_window(seen.today)
    caption = text(
        patient.language,
        "diary.progress.caption",
        week=week,
        streak=plural(patient.language, "diary.days", seen.streak),
        sessions=sum(n for day, n in seen.sessions_by_date.items() if day >= first_day),
    )
    await message.reply_photo(png, caption=caption, parse_mode=ParseMode.HTML, reply_markup=track)
    await send_function_progress(message, context, activities)


async def send_report(update: Update, context: BotContext) -> None:
    """Send the one-page PDF for the patient's doctor."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    report = await function.report(context.core, patient.id)
    if report is None or not (
        report.checkins or report.session_dates or report.red_flags or report.activities
        or report.warning_signs
    ):
        await message.reply_text(text(patient.language, "diary.report.empty"))
        return
    if not report.name and update.effective_user is not None:
        report = dataclasses.replace(report, name=update.effective_user.first_name)
    pdf = await asyncio.to_thread(doctor_report_pdf, report, patient.language)
    await _reply_file(message, patient.language, "report", report.end, pdf)


async def send_export(update: Update, context: BotContext) -> None:
    """Send every check-in and session as a CSV file."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    now = context.core.clock.now()
    data, activities = await function.export(context.core, patient.id)
    if not (data.checkins or data.sessions or data.inflammatory_checks or activities):
        await message.reply_text(text(patient.language, "diary.export.empty"))
        return
    csv_bytes = await asyncio.to_thread(
        export_csv, data.checkins, data.sessions, patient.zone, data.inflammatory_checks, activities
    )
    await _reply_file(message, patient.language, "export", local_date(now, patient.zone), csv_bytes)


async def _reply_file(
    message: Message, language: str, kind: str, day: date, payload: bytes
) -> None:
    """Send the file, named and captioned by the "diary.<kind>" texts."""
    await message.reply_document(
        payload,
        filename=text(language, f"diary.{kind}.filename", day=day.isoformat()),
        caption=text(language, f"diary.{kind}.caption"),
    )


# --- /delete ------------------------------------------------------------------------------------


async def ask_delete(update: Update, context: BotContext) -> None:
    """Ask before erasing everything."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    asked_at = int(context.core.clock.now().timestamp())
    buttons = (
        (Button(text(patient.language, "diary.delete.yes"), DELETE.data("yes", asked_at)),),
        (Button(text(patient.language, "diary.delete.no"), DELETE.data("no")),),
    )
    await message.reply_text(
        text(patient.language, "diary.delete.ask"),
        parse_mode=ParseMode.HTML,
        reply_markup=inline_keyboard(buttons),
    )


async def on_delete_button(update: Update, context: BotContext) -> None:
    """Erase everything on a fresh yes; keep it all on no."""
    query = update.callback_query
    assert query is not None
    patient = context.patient
    data = parse_callback(query.data)
    action = data.action if data is not None else ""
    if action == "no":
        await acknowledge(query)
        await _edit_text(query, text(patient.language, "diary.delete.kept"))
        return
    # Unix seconds, which outgrow 32 bits in 2038.
    asked_at = data.int_arg(0, maximum=2**63 - 1) if data is not None and action == "yes" else None
    if asked_at is None:
        await acknowledge(query, text(patient.language, "common.stale_button"))
        return
    erased = await diary.erase(context.core, patient.id, asked_at)
    if erased is None:
        await acknowledge(query, text(patient.language, "diary.delete.expired"), alert=True)
        return
    _forget(context, patient.id, erased)
    await acknowledge(query)
    await _edit_text(query, text(patient.language, "diary.delete.done"))


def _forget(context: BotContext, patient_id: int, erased: diary.Erased) -> None:
    """After the rows (reminders and outbox included): the running hold timers, PTB's memory."""
    for session_id in erased.session_ids:
        cancel_hold(context.application.job_queue, session_id)
    context.application.drop_user_data(patient_id)
    context.application.drop_chat_data(patient_id)
