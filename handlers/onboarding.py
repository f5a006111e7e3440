"""/start, and onboarding's screens: one message per step, each with the buttons that answer it.

Where the patient stands lives in the database (sibot/onboarding.py), so /start, a restart or an
old button always lead back to the current step. Buttons (`ob:*`) name the step they answer; the
core ignores them once the patient has moved on, and the patient gets a short answer instead.
"""

from __future__ import annotations

import html

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import free_text, learn, pickers
from handlers.buttons import (
    GENTLE_START,
    ONBOARDING,
    SESSION,
    CallbackData,
    Rows,
    pain_scale,
    parse_callback,
)
from handlers.function import open_button
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, replace_message, reply
from handlers.render import local_now_label, render_advice
from sibot import emergency, onboarding
from sibot.checkins import PAIN_SCALE
from sibot.onboarding import Screen, Step
from sibot.safety import SCREEN, Question, Sign, Urgency, is_checklist, signs_of_mask
from sibot.sessions import Source, session_minutes
from sibot.patients import PatientView, is_indefinite
from sibot.ports import Button, OutgoingMessage
from sibot.schedule import mask_to_weekdays
from sibot.texts import format_time, text, zone_name
from sibot.zones import zone_for_language

FEATURE = ONBOARDING


def _name_suffix(patient: PatientView) -> str:
    """", Ana" when we know the patient's first name, so greetings read naturally."""
    return f", {html.escape(patient.name)}" if patient.name else ""


# ---- the screens ----------------------------------------------------------------------------


def _screen(context: BotContext, screen: Screen, language_code: str | None) -> OutgoingMessage:
    """The message that asks the question the patient stands at; the summary once finished."""
    if screen.finished is not None:
        return _summary(screen)
    patient, position = screen.patient, screen.position
    assert position is not None
    language = patient.language
    match position.step:
        case Step.DISCLAIMER:
            body = text(language, "onboarding.welcome", name=_name_suffix(patient))
            body += "\n\n" + text(language, "onboarding.disclaimer")
            return OutgoingMessage(body, ((Button(text(language, "onboarding.accept"), FEATURE.data("accept")),),))
        case Step.SAFETY:
            assert position.question is not None
            return _question(language, position.question)
        case Step.CLEARANCE:
            assert position.question is not None
            return _clearance(language, position.question, position.urgency)
        case Step.TIMEZONE:
            zones = _suggested_zones(context, language_code)
            buttons = tuple((Button(zone_name(language, zone), FEATURE.data("zone", zone)),) for zone in zones)
            return OutgoingMessage(text(language, "onboarding.zone.ask"), buttons)
        case Step.ZONE_CONFIRM:
            body = text(
                language,
                "onboarding.zone.confirm",
                zone=zone_name(language, patient.timezone),
                local_now=local_now_label(patient.timezone, context.core.clock.now(), language),
            )
            return OutgoingMessage(
                body,
                (
                    (
                        Button(text(language, "onboarding.zone.right"), FEATURE.data("zok", 1)),
                        Button(text(language, "onboarding.zone.wrong"), FEATURE.data("zok", 0)),
                    ),
                ),
            )
        case Step.REMINDER_TIME:
            return OutgoingMessage(text(language, "onboarding.time.ask"), pickers.time_buttons(FEATURE, language))
        case Step.REMINDER_DAYS:
            reminder = screen.reminder
            at = format_time(language, reminder.local_time) if reminder else ""
            return OutgoingMessage(text(language, "onboarding.days.ask", time=at), pickers.days_buttons(FEATURE, language))
        case Step.BASELINE:
            scores = pain_scale(lambda score: FEATURE.data("pain", score))
            return OutgoingMessage(text(language, "onboarding.baseline.ask"), scores)


def _question(language: str, question: Question) -> OutgoingMessage:
    number = list(Question).index(question) + 1
    lines = [text(language, "onboarding.safety.intro")] if number == 1 else []
    lines.append(text(language, "onboarding.safety.progress", number=number, count=len(Question)))
    lines.append(text(language, f"onboarding.question.{question}"))
    if is_checklist(question):
        return OutgoingMessage("\n".join(lines), checklist_buttons(language, question, 0))
    answers = (
        Button(text(language, "onboarding.yes"), FEATURE.data("answer", question, 1)),
        Button(text(language, "onboarding.no"), FEATURE.data("answer", question, 0)),
    )
    return OutgoingMessage("\n".join(lines), (answers,))


def checklist_buttons(language: str, question: Question, mask: int) -> Rows:
    """A checklist question's signs, one a row, ticked by `mask`; then Done and "None of these".
    Each tap carries the whole mask, so a half-ticked list needs no state on our side."""
    labels = [text(language, f"safety.sign.{sign}") for sign in SCREEN[question]]
    rows = pickers.toggle_rows(language, labels, mask, lambda flipped: FEATURE.data("mark", question, flipped))
    done = Button(text(language, "diary.pain.done_button"), FEATURE.data("marked", question, mask))
    none = Button(text(language, "onboarding.none_apply"), FEATURE.data("marked", question, 0))
    return (*rows, (done, none))


def _clearance(language: str, question: Question, urgency: Urgency | None) -> OutgoingMessage:
    """The advice a worrying answer gets. An emergency's carries no way on (see emergency_hold);
    the others wait for the patient's word that a clinician has cleared them."""
    if urgency is Urgency.EMERGENCY:
        return OutgoingMessage(text(language, "safety.emergency"))
    key = "onboarding.see_doctor_today" if urgency is Urgency.DOCTOR_TODAY else "onboarding.see_doctor"
    button = Button(text(language, "onboarding.cleared"), FEATURE.data("clear", question))
    return OutgoingMessage(text(language, key), ((button,),))


def _suggested_zones(context: BotContext, language_code: str | None) -> list[str]:
    """The operator's default zone and the one the patient's Telegram language suggests."""
    zones = [context.core.settings.default_timezone, zone_for_language(language_code)]
    return list(dict.fromkeys(zone for zone in zones if zone))


def _with_note(note: str, message: OutgoingMessage) -> OutgoingMessage:
    return OutgoingMessage(f"{note}\n\n{message.text}", message.buttons)


async def _current_screen(update: Update, context: BotContext, note: str | None = None) -> OutgoingMessage | None:
    """The current step's message, re-read from the database; None once onboarding is over."""
    language_code = update.effective_user.language_code if update.effective_user else None
    screen = await onboarding.current_screen(context.core, context.patient)
    if screen is None:
        return None
    message = _screen(context, screen, language_code)
    return message if note is None else _with_note(note, message)


# ---- /start ---------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    """Greet the patient: the first step of onboarding, where they left it, or welcome back."""
    patient = context.patient
    if patient.onboarded:
        if not await ask_catch_up(update, context):
            await reply(update, await _welcome_back(context, patient))
        return
    note = None if patient.onboarding_step == Step.DISCLAIMER else text(patient.language, "onboarding.carry_on")
    screen = await _current_screen(update, context, note)
    if screen is not None:
        await reply(update, screen)


async def _welcome_back(context: BotContext, patient: PatientView) -> OutgoingMessage:
    language = patient.language
    now = context.core.clock.now()
    today = await onboarding.today(context.core, patient)
    reminder = today.reminder
    lines = [
        text(language, "settings.welcome_back", name=_name_suffix(patient)),
        text(language, "settings.today_done" if today.done else "settings.today_open"),
    ]
    if patient.paused_at(now):
        assert patient.paused_until is not None
        if is_indefinite(patient.paused_until):
            lines.append(text(language, "settings.paused"))
        else:
            until = pickers.local_when(language, patient.paused_until, patient.timezone)
            lines.append(text(language, "settings.paused_until", until=until))
    elif reminder is None or reminder.next_fire_at is None:
        lines.append(text(language, "settings.reminders_off"))
    else:
        lines.append(text(language, "settings.next_reminder", next=pickers.next_reminder(language, reminder, patient.timezone)))
    return OutgoingMessage("\n".join(lines), pickers.main_actions(language))


# ---- the question added to the screen later, and the emergency hold ---------------------------


async def ask_catch_up(update: Update, context: BotContext) -> bool:
    """Ask a patient who finished onboarding before the screen's newest question that question
    (their /start or /exercise waits for it); False when there is none to ask."""
    patient = context.patient
    question = await onboarding.catch_up_question(context.core, patient)
    if question is None:
        return False
    lines = (text(patient.language, "onboarding.catch_up"), text(patient.language, f"onboarding.question.{question}"))
    await reply(update, OutgoingMessage("\n\n".join(lines), checklist_buttons(patient.language, question, 0)))
    return True


async def _on_catch_up(update: Update, context: BotContext, data: CallbackData) -> bool:
    """The catch-up checklist confirmed: the advice its answers ask for, or a way to start."""
    query, patient = update.callback_query, context.patient
    assert query is not None
    yes = _ticked(data)
    caught_up = None if yes is None else await onboarding.answer_catch_up(context.core, patient.id, yes)
    if caught_up is None:
        return False
    await acknowledge(query)
    await replace_message(query, OutgoingMessage(_tapped_text(query)))
    language = patient.language
    if caught_up.urgency is None:
        start = Button(text(language, "settings.action.session"), SESSION.data("start", Source.MENU))
        await reply(update, OutgoingMessage(text(language, "onboarding.catch_up.thanks"), ((start,),)))
    else:
        key = "onboarding.see_doctor_today" if caught_up.urgency is Urgency.DOCTOR_TODAY else "onboarding.catch_up.see_doctor"
        await reply(update, OutgoingMessage(text(language, key)))
    return True


def _ticked(data: CallbackData) -> frozenset[Sign] | None:
    """The signs a checklist button ticks; None when forged."""
    if data.arg(0) not in set(Question) or not is_checklist(Question(data.arg(0))):
        return None
    mask = data.int_arg(1)
    return None if mask is None else signs_of_mask(Question(data.arg(0)), mask)


async def emergency_hold(update: Update, context: BotContext) -> None:
    """Answer anything from a patient sent to an emergency department: the advice again, or
    once the hour is over, the question whether a clinician has examined them, on its own."""
    patient = context.patient
    language = patient.language
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    if emergency.asks_if_examined(patient, context.core.clock.now()):
        answers = (
            Button(text(language, "onboarding.yes"), FEATURE.data("seen", 1)),
            Button(text(language, "onboarding.no"), FEATURE.data("seen", 0)),
        )
        await reply(update, OutgoingMessage(text(language, "safety.examined.ask"), (answers,)))
    else:
        await reply(update, OutgoingMessage(text(language, "safety.emergency")))


async def _on_examined(update: Update, context: BotContext, data: CallbackData) -> bool:
    """Yes: on where they were (the next question, or what /start shows); no: the advice."""
    query = update.callback_query
    assert query is not None
    answer = data.arg(0)
    examined = None if answer not in ("0", "1") else await emergency.answer_examined(context.core, context.patient.id, answer == "1")
    if examined is None:
        return False
    await acknowledge(query)
    patient = context.patient = examined.patient
    language = patient.language
    if not examined.examined:
        await reply(update, OutgoingMessage(text(language, "safety.emergency")))
    elif patient.onboarded:
        await reply(update, _with_note(text(language, "onboarding.clearance_thanks"), await _welcome_back(context, patient)))
    else:
        screen = await _current_screen(update, context, text(language, "onboarding.clearance_thanks"))
        if screen is not None:
            await reply(update, screen)
    return True


# ---- what the gate holds back ----------------------------------------------------------------


async def hold_back(update: Update, context: BotContext) -> None:
    """Answer a patient in onboarding who did something else: typed answers go to their step,
    anything else gets a short reminder and the current step again."""
    patient = context.patient
    language = patient.language
    before_consent = patient.onboarding_step == Step.DISCLAIMER
    if update.callback_query is not None:
        key = "onboarding.read_and_accept" if before_consent else "onboarding.finish_first_toast"
        await acknowledge(update.callback_query, text(language, key))
        return
    message = update.message
    typed = message is not None and (message.location is not None or (message.text or "")[:1] not in ("/", ""))
    # Before consent only a follower's zone (sharing) waits for a typed answer.
    if typed and (not before_consent or patient.awaiting) and await free_text.route(update, context):
        return
    if before_consent:
        accept = Button(text(language, "onboarding.accept"), FEATURE.data("accept"))
        await reply(update, OutgoingMessage(text(language, "onboarding.read_and_accept"), ((accept,),)))
        return
    note = text(language, "onboarding.use_buttons" if typed else "onboarding.finish_first")
    screen = await _current_screen(update, context, note)
    if screen is not None:
        await reply(update, screen)


# ---- typed answers ---------------------------------------------------------------------------


async def on_zone_answer(update: Update, context: BotContext) -> None:
    """A typed city, zone or offset, or a shared location, at the time zone step."""

    async def choose(zone: str) -> bool:
        return await _advance(update, context, onboarding.ChooseZone(zone))

    await pickers.answer_zone(update, context.patient.language, FEATURE, choose)


async def on_time_answer(update: Update, context: BotContext) -> None:
    """A typed reminder time at the reminder step."""
    local_time = await pickers.typed_time(update, context.patient.language)
    if local_time is None:
        return
    await _advance(update, context, onboarding.ChooseReminderTime(local_time))


# ---- buttons ---------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    """Answer an onboarding button: the next step, or a short word for an old or forged one."""
    query = update.callback_query
    assert query is not None
    patient = context.patient
    data = parse_callback(query.data)
    special = _SPECIAL_BUTTONS.get(data.action) if data is not None else None
    if data is not None and special is not None:
        if not await special(update, context, data):
            await acknowledge(query, text(patient.language, "onboarding.stale"))
        return
    if data is not None and data.action == "pick" and patient.onboarding_step == Step.REMINDER_DAYS:
        mask = pickers.mask_of(data)
        if mask is not None:
            await acknowledge(query)
            picker = pickers.day_picker(FEATURE, patient.language, mask)
            await replace_message(query, OutgoingMessage(text(patient.language, "settings.days.pick"), picker))
            return
    if data is not None and data.action == "days" and pickers.mask_of(data) == 0:
        await acknowledge(query, text(patient.language, "settings.days.none"))
        return
    step = None if data is None else _step_of(data)
    if step is None or not await _advance(update, context, step):
        await acknowledge(query, text(patient.language, "onboarding.stale"))


async def _on_mark(update: Update, context: BotContext, data: CallbackData) -> bool:
    """A checklist's sign ticked or unticked: the same message with the new ticks."""
    query = update.callback_query
    assert query is not None
    if _ticked(data) is None:
        return False
    await acknowledge(query)
    question, mask = Question(data.arg(0)), data.int_arg(1) or 0
    keyboard = checklist_buttons(context.patient.language, question, mask)
    await replace_message(query, OutgoingMessage(_tapped_text(query), keyboard))
    return True


def _tapped_text(query: CallbackQuery) -> str:
    return query.message.text_html if isinstance(query.message, Message) else ""


async def _on_marked(update: Update, context: BotContext, data: CallbackData) -> bool:
    """A checklist confirmed: a step of onboarding, or the catch-up question after it."""
    if context.patient.onboarded:
        return await _on_catch_up(update, context, data)
    yes = _ticked(data)
    return yes is not None and await _advance(update, context, onboarding.AnswerQuestion(Question(data.arg(0)), yes))


_SPECIAL_BUTTONS = {"mark": _on_mark, "marked": _on_marked, "seen": _on_examined}


def _step_of(data: CallbackData) -> onboarding.Reply | None:
    """The step a button stands for; None for forged data."""
    match data.action:
        case "accept":
            return onboarding.AcceptDisclaimer()
        case "answer" if data.arg(0) in set(Question) and data.arg(1) in ("0", "1"):
            question = Question(data.arg(0))
            if is_checklist(question):
                return None
            return onboarding.AnswerQuestion(question, frozenset(SCREEN[question]) if data.arg(1) == "1" else frozenset())
        case "clear" if data.arg(0) in set(Question):
            return onboarding.ConfirmClearance(Question(data.arg(0)))
        case "zone":
            return onboarding.ChooseZone(data.arg(0))
        case "rezone":
            return onboarding.ConfirmZone(False)
        case "zok" if data.arg(0) in ("0", "1"):
            return onboarding.ConfirmZone(data.arg(0) == "1")
        case "time" if (local_time := pickers.time_of_code(data.arg(0))) is not None:
            return onboarding.ChooseReminderTime(local_time)
        case "days" if mask := pickers.mask_of(data):
            return onboarding.ChooseReminderDays(mask_to_weekdays(mask))
        case "pain" if (score := data.int_arg(0)) is not None and score in PAIN_SCALE:
            return onboarding.RecordBaseline(score)
    return None


async def _advance(update: Update, context: BotContext, step: onboarding.Reply) -> bool:
    """Take one step and show the next screen (the summary after the last); False if stale."""
    before = context.patient
    language_code = update.effective_user.language_code if update.effective_user else None
    next_screen = await onboarding.reply(context.core, before.id, step)
    if next_screen is None:
        return False
    after = context.patient = next_screen.patient
    screen = _screen(context, next_screen, language_code)
    note = _note_between(before, after)
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    await reply(update, screen if note is None else _with_note(note, screen))
    if next_screen.finished is not None:
        # offered once: onboarding finishes once, and the offer is not part of it
        await reply(update, learn.check_offer(after.language))
    return True


def _note_between(before: PatientView, after: PatientView) -> str | None:
    """What to say about the step just taken, above the next question."""
    language = after.language
    if after.pregnant and not before.pregnant:
        return text(language, "onboarding.pregnancy_caution")
    if (before.onboarding_step or "").startswith(Step.CLEARANCE) and after.onboarding_step != before.onboarding_step:
        return text(language, "onboarding.clearance_thanks")
    return None


def _summary(screen: Screen) -> OutgoingMessage:
    """What happens next (after the advice of any red flag), and the button for a first session:
    a gentler one when the baseline asks for it."""
    finished, reminder = screen.finished, screen.reminder
    assert finished is not None
    patient = finished.patient
    language = patient.language
    lines = render_advice(finished.flags, language)
    lines.append(
        text(
            language,
            "onboarding.summary",
            reminder=pickers.describe_reminder(language, reminder),
            next=pickers.next_reminder(language, reminder, patient.timezone),
            score=finished.score,
            minutes=session_minutes(patient, gentle=finished.offer_gentle),
        )
    )
    if patient.pregnant:
        lines.append(text(language, "onboarding.summary.pregnant"))
    if finished.offer_gentle:
        data = SESSION.data("start", Source.ONBOARDING, GENTLE_START)
        start = Button(text(language, "onboarding.start_gentle"), data)
    else:
        start = Button(text(language, "onboarding.start_first"), SESSION.data("start", Source.ONBOARDING))
    # Everyday activities are optional: one more button, no more messages for who skips them.
    return OutgoingMessage("\n\n".join(lines), ((start,), (open_button(language, tracking=False),)))


def register(application: AnyApplication) -> None:
    application.add_handler(CommandHandler("start", start))  # group 0
    application.add_handler(CallbackQueryHandler(on_button, pattern=FEATURE.pattern))  # group 0
    free_text.expect(application, Step.TIMEZONE.value, on_zone_answer)
    free_text.expect(application, Step.REMINDER_TIME.value, on_time_answer)
