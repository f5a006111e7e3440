"""Everyday activities (the weekly function score) and the step offered: their buttons, the typed
activity, the weekly check's message, and their part of /progress.

Callback data (prefix fn, pg):
  fn:open                       the activities picker, as a new message
  fn:add:<suggestion>           track a suggested activity; fn:type waits for a typed one
  fn:drop:<activity>            stop tracking one (its scores stay); fn:done closes the picker
  fn:score:<activity>:<n>:<w>   a score; w=1 in the weekly check, 0 for the first score
  pg:yes:<hold>:<reps>          accept the step to that dose; pg:no:<hold>:<reps> declines it
The weekly check is one message, edited at every tap.
"""

from __future__ import annotations

import asyncio
import html
import statistics
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler

from handlers import free_text
from handlers.buttons import FUNCTION, PROGRESSION, CallbackData, Rows, pain_scale, parse_callback
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, inline_keyboard, replace_message, reply
from sibot import function, progression
from sibot.charts import activity_name, function_chart
from sibot.checkins import local_date
from sibot.function import Activity, Card, FunctionHistory, Picker
from sibot.ports import Button, OutgoingMessage
from sibot.progression import Dose, Offer
from sibot.report import change_text, dose_text
from sibot.routine import MAX_HOLD_SECONDS, MAX_REPETITIONS
from sibot.texts import format_decimal, text

SUGGESTIONS_PER_ROW = 2
SCORES_SHOWN = 5  # the latest scores of an activity in /progress
LABEL_LENGTH = 30


def register(application: AnyApplication) -> None:
    """The activities' and the step's buttons (group 0), and the typed activity."""
    application.add_handler(CallbackQueryHandler(on_function_button, FUNCTION.pattern), group=0)
    application.add_handler(CallbackQueryHandler(on_step_button, PROGRESSION.pattern), group=0)
    free_text.expect(application, function.AWAITING_ACTIVITY, on_typed_activity)


# --- rendering -----------------------------------------------------------------------------------


def _name(activity: Activity, language: str) -> str:
    return activity_name(activity.suggestion, activity.typed, language)


def _label(name: str) -> str:
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def open_button(language: str, tracking: bool) -> Button:
    """The button that opens the activities picker: under onboarding's summary and /progress."""
    key = "function.button.change" if tracking else "function.button.open"
    return Button(text(language, key), FUNCTION.data("open"))


def picker_message(language: str, picker: Picker) -> OutgoingMessage:
    lines = [text(language, "function.picker.intro")]
    if picker.activities:
        names = "\n".join(f"• {html.escape(_name(a, language))}" for a in picker.activities)
        lines.append(text(language, "function.picker.current", activities=names))
    rows: list[tuple[Button, ...]] = []
    if picker.full:
        lines.append(text(language, "function.picker.full"))
    else:
        suggestions = [
            Button(text(language, f"function.suggestion.{key}"), FUNCTION.data("add", key))
            for key in picker.suggestions
        ]
        rows += [
            tuple(suggestions[i : i + SUGGESTIONS_PER_ROW])
            for i in range(0, len(suggestions), SUGGESTIONS_PER_ROW)
        ]
        rows.append((Button(text(language, "function.button.type"), FUNCTION.data("type")),))
    for activity in picker.activities:
        label = text(language, "function.button.drop", name=_label(_name(activity, language)))
        rows.append((Button(label, FUNCTION.data("drop", activity.id)),))
    rows.append((Button(text(language, "function.button.done"), FUNCTION.data("done")),))
    return OutgoingMessage("\n\n".join(lines), tuple(rows))


def _scale(activity: Activity, weekly: bool) -> Rows:
    return pain_scale(lambda score: FUNCTION.data("score", activity.id, score, int(weekly)))


def first_score_message(language: str, activity: Activity) -> OutgoingMessage:
    name = html.escape(_name(activity, language))
    return OutgoingMessage(
        text(language, "function.ask.first", name=name), _scale(activity, weekly=False)
    )


def weekly_message(language: str, card: Card) -> OutgoingMessage:
    """The weekly check as it stands: what is scored, what is asked; once all are, the average
    and any step offered."""
    lines = []
    if card.activities:
        scored = dict(card.scored)
        rows = []
        for activity in card.activities:
            name = html.escape(_name(activity, language))
            if activity.id in scored:
                rows.append(text(language, "function.weekly.scored", name=name, score=scored[activity.id]))
            elif activity == card.asking:
                rows.append(text(language, "function.weekly.asking", name=name))
            else:
                rows.append(text(language, "function.weekly.waiting", name=name))
        lines.append(text(language, "function.weekly.title") + "\n\n" + "\n".join(rows))
    if card.asking is not None:
        return OutgoingMessage("\n\n".join(lines), _scale(card.asking, weekly=True))
    if card.scored:
        average = statistics.fmean(score for _, score in card.scored)
        change = None if card.history is None else card.history.average_change
        thanks = text(language, "function.weekly.thanks", average=format_decimal(language, average))
        lines.append(thanks + change_text(change, language))
    buttons: Rows = ()
    if card.offer is not None:
        lines.append(_offer_text(language, card.offer))
        buttons = _offer_buttons(language, card.offer)
    return OutgoingMessage("\n\n".join(lines), buttons)


def _offer_text(language: str, offer: Offer) -> str:
    question = text(language, f"progression.offer.{offer.reason.value}")
    return question + "\n" + dose_text(
        language,
        (offer.current.hold_seconds, offer.proposed.hold_seconds),
        (offer.current.repetitions, offer.proposed.repetitions),
    )


def _offer_buttons(language: str, offer: Offer) -> Rows:
    dose = (offer.proposed.hold_seconds, offer.proposed.repetitions)
    yes = "progression.button.up" if offer.step_up else "progression.button.back"
    return (
        (
            Button(text(language, yes), PROGRESSION.data("yes", *dose)),
            Button(text(language, "progression.button.no"), PROGRESSION.data("no", *dose)),
        ),
    )


def progress_caption(language: str, history: FunctionHistory) -> str:
    """The caption of the activities' chart in /progress: the average and each activity over
    time, with a real change named."""
    average = " → ".join(format_decimal(language, mean) for _, mean in history.weekly_average[-SCORES_SHOWN:])
    lines = []
    for entry in history.current:
        scores = " → ".join(str(score) for _, score in entry.scores[-SCORES_SHOWN:])
        name = html.escape(_name(entry.activity, language))
        line = text(language, "function.progress.line", name=name, scores=scores)
        lines.append(line + change_text(entry.change, language))
    return text(
        language,
        "function.progress.caption",
        average=average + change_text(history.average_change, language),
        activities="\n".join(lines),
    )


def chart_of(history: FunctionHistory, language: str, zone: ZoneInfo) -> bytes:
    """The activities' chart (current ones), drawn by the core."""
    series = [
        (
            _name(entry.activity, language),
            tuple((local_date(at, zone), score) for at, score in entry.scores),
        )
        for entry in history.current
    ]
    return function_chart(series, list(history.weekly_average), language)


async def send_progress(message: Message, context: BotContext, history: FunctionHistory) -> None:
    """/progress's part: the activities' chart with the average and each activity, and a button
    to change them; nothing before the first score."""
    patient = context.patient
    if not history.current:
        return
    png = await asyncio.to_thread(chart_of, history, patient.language, patient.zone)
    await message.reply_photo(
        png,
        caption=progress_caption(patient.language, history),
        parse_mode=ParseMode.HTML,
        reply_markup=inline_keyboard(((open_button(patient.language, tracking=True),),)),
    )


# --- answers -------------------------------------------------------------------------------------


async def on_function_button(update: Update, context: BotContext) -> None:
    """Open the picker, add, type, drop or score an activity; an old or forged button gets a
    short answer."""
    query = update.callback_query
    assert query is not None
    patient = context.patient
    language = patient.language
    data = parse_callback(query.data)
    shown = None if data is None else await _function_step(context, data)
    if shown is None:
        await acknowledge(query, text(language, "common.stale_button"))
        return
    await acknowledge(query)
    if data is not None and data.action == "open":
        await reply(update, shown)
    else:
        await replace_message(query, shown)


async def _function_step(context: BotContext, data: CallbackData) -> OutgoingMessage | None:
    core, patient = context.core, context.patient
    language = patient.language
    match data.action:
        case "open":
            return picker_message(language, await function.open_picker(core, patient.id))
        case "done":
            await function.open_picker(core, patient.id)  # no typed activity awaited any more
            return OutgoingMessage(text(language, "function.done"))
        case "type":
            picker = await function.expect_typed(core, patient.id)
            if picker.full:
                return picker_message(language, picker)
            return OutgoingMessage(
                text(language, "function.type.ask", length=function.MAX_TYPED_LENGTH)
            )
        case "add":
            added = await function.add_activity(core, patient.id, suggestion=data.arg(0))
            if added.card is None or added.card.asking is None:
                return None
            return first_score_message(language, added.card.asking)
        case "drop" if (activity_id := data.int_arg(0)) is not None:
            return picker_message(language, await function.retire_activity(core, patient.id, activity_id))
        case "score":
            activity_id, score = data.int_arg(0), data.int_arg(1)
            if activity_id is None or score is None or data.arg(2) not in ("0", "1"):
                return None
            weekly = data.arg(2) == "1"
            shown = await function.record_score(core, patient.id, activity_id, score, weekly)
            if isinstance(shown, Picker):
                return picker_message(language, shown)
            return None if shown is None else weekly_message(language, shown)
    return None


async def on_typed_activity(update: Update, context: BotContext) -> None:
    """The patient's own words for an activity: ask its first score."""
    patient = context.patient
    message = update.effective_message
    assert message is not None
    typed = message.text or ""
    added = await function.add_activity(context.core, patient.id, typed=typed)
    if added.too_long:
        notice = text(patient.language, "function.type.too_long", length=function.MAX_TYPED_LENGTH)
        await reply(update, OutgoingMessage(notice))
        return
    if added.card is None or added.card.asking is None:
        await reply(update, picker_message(patient.language, await function.open_picker(context.core, patient.id)))
        return
    await reply(update, first_score_message(patient.language, added.card.asking))


async def on_step_button(update: Update, context: BotContext) -> None:
    """Accept or decline the step offered; nothing changes unless it still stands."""
    query = update.callback_query
    assert query is not None
    language = context.patient.language
    data = parse_callback(query.data)
    dose = _dose_of(data)
    if data is None or dose is None:
        await acknowledge(query, text(language, "common.stale_button"))
        return
    answered = await progression.answer_offer(
        context.core, context.patient.id, dose, accept=data.action == "yes"
    )
    if answered.offer is None:
        await acknowledge(query, text(language, "progression.stale"))
        return
    await acknowledge(query)
    outcome = "progression.accepted" if answered.accepted else "progression.declined"
    shown = html.escape(query.message.text or "") if isinstance(query.message, Message) else ""
    await replace_message(query, OutgoingMessage(f"{shown}\n\n{text(language, outcome)}".strip()))


def _dose_of(data: CallbackData | None) -> Dose | None:
    if data is None:
        return None
    hold = data.int_arg(0, MAX_HOLD_SECONDS)
    repetitions = data.int_arg(1, MAX_REPETITIONS)
    return None if hold is None or repetitions is None else Dose(hold, repetitions)
