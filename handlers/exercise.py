"""Guided exercise sessions and the exercise library: /exercise, /exercises, ss:* and lib:*.

At the patient's own pace, one message per step and Next on each. At the guided pace (the
default) setup messages come one by one after a reading pause, "I'm in position" starts the
repetitions, and each repetition, its "Relax" (always a new message, so the phone buzzes) and the
rest after it are timed; only a side change and the next exercise wait for a tap. The buttons of
every message carry the session's step token, so only the newest message's buttons act and an
older one answers "This step is over". Old keyboards are left in place rather than edited away:
an edit costs one of the chat's one-a-second sends. Whatever the session times (a hold, a rest,
a reading pause) arms the JobQueue timer "hold:<session id>"; Pause, Stop and a tap cancel it.

Callback data (prefix ss, lib):
  ss:start:<source>[:gentle]               start a session (onboarding, reminder, command, menu),
                                           switching to the gentler routine first with "gentle"
  ss:<action>:<session>:<token>[:<args>]   a step's button (sibot.sessions.Action values):
                                           pb/pa <score or ->, hs <score>, hk <score> <sharp 0|1>;
                                           gentle: the pain before was high, go on gently
  ss:over:<session>:<token>:<what>         stop that session and start <what> again
                                           ("all", or an exercise's place in the routine)
  lib:list, lib:show:<n>, lib:do:<n>       the library; <n> is the exercise's place in the routine
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, TypeGuard

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ExtBot, JobQueue

from handlers import learn, onboarding, pickers
from handlers.buttons import (
    GENTLE_START,
    LIBRARY,
    SESSION,
    STEP_ACTIONS,
    CallbackData,
    Rows,
    pain_scale,
    parse_callback,
    whole_number,
)
from handlers.ptb.context import AnyApplication, BotContext, core_of
from handlers.ptb.transport import TelegramSender, acknowledge, inline_keyboard, replace_message
from handlers.render import (
    gentle_button,
    render_advice,
    render_exercise_card,
    render_known_pain,
    render_pain_before,
    render_picture_caption,
    render_position,
    render_guided_relax,
    render_guided_steps,
    render_relax,
    render_step,
    render_stopped,
    render_summary,
)
from sibot import sessions
from sibot.checkins import PAIN_SCALE
from sibot.core import Core
from sibot.patients import PatientView
from sibot.pictures import PictureKind, picture_name, picture_sides
from sibot.ports import Button, OutgoingMessage, SendError
from sibot.routine import ROUTINE_KEYS, SIDES, Side, Step, StepKind, exercise
from sibot.sessions import (
    Action,
    Awaiting,
    Command,
    Outcome,
    SessionState,
    Show,
    Source,
    StaleStep,
)
from sibot.texts import text

log = logging.getLogger(__name__)

WHOLE_ROUTINE = "all"
BUTTON_SOURCES = {
    source.value: source
    for source in (Source.ONBOARDING, Source.REMINDER, Source.COMMAND, Source.MENU)
}
SKIP_SCORE = "-"


def register(application: AnyApplication) -> None:
    """The session's and the library's commands and buttons (group 0)."""
    application.add_handler(CommandHandler("exercise", start_from_command), group=0)
    application.add_handler(CommandHandler("exercises", show_library), group=0)
    application.add_handler(
        CallbackQueryHandler(on_session_button, SESSION.pattern), group=0
    )
    application.add_handler(
        CallbackQueryHandler(on_library_button, LIBRARY.pattern), group=0
    )


async def on_start(application: AnyApplication) -> None:
    """Pick up the sessions a restart cut off: holds run on, the others ask how to go on."""
    core = core_of(application)
    resumption = await sessions.resume_after_restart(core)
    assert application.job_queue is not None
    for hold in resumption.holds:
        # a hold that ended while we were down gets its "Relax" at once
        _arm_hold(application.job_queue, core, hold.state, hold.seconds_left)
    prompts = [
        (shown.patient.id, _render(shown.outcome, shown.patient)) for shown in resumption.prompts
    ]
    if prompts:
        application.job_queue.run_once(
            _send_resume_prompts, 0, data=prompts, name="session-resume",
            job_kwargs={"misfire_grace_time": None},
        )


# --- starting ----------------------------------------------------------------------------------


async def start_from_command(update: Update, context: BotContext) -> None:
    """Start the routine, or offer to continue the session in progress; first, once, the safety
    question a patient who onboarded before it was added has not answered."""
    if await onboarding.ask_catch_up(update, context):
        return
    await _begin(context, WHOLE_ROUTINE, Source.COMMAND)


async def _begin(
    context: BotContext, what: str, source: Source, *, gentle: bool = False
) -> None:
    """Start `what` ("all" or an exercise's place), unless a session is going on already;
    `gentle` switches to the gentler routine first."""
    patient, keys = _patient(context), _keys(what)
    if keys is None:
        return
    outcome = await sessions.start(context.core, patient, keys, source, gentle=gentle)
    cancel_hold(context.job_queue, outcome.state.id)
    message = _render(outcome, patient, start_over=what)
    if outcome.known_pain is not None:
        now = context.core.clock.now()
        known = render_known_pain(outcome.state, outcome.known_pain, patient.pregnant, now, patient.language)
        message = replace(message, text=f"{known}\n\n{message.text}")
    sent = await _send(context.bot, patient.id, message, context.core)
    _arm_once_sent(context.job_queue, context.core, outcome.state, sent)


def _keys(what: str) -> tuple[str, ...] | None:
    """The exercises of "all" or of one exercise's place in the routine; None for anything else."""
    if what == WHOLE_ROUTINE:
        return ROUTINE_KEYS
    return (ROUTINE_KEYS[int(what)],) if _is_place(what) else None


# --- a step's buttons --------------------------------------------------------------------------


async def on_session_button(update: Update, context: BotContext) -> None:
    """Route an ss:* tap; anything forged or out of date gets the short "step is over" answer."""
    query = update.callback_query
    assert query is not None
    data = parse_callback(query.data)
    if data is None:
        await _answer_stale(update, context)
        return
    if data.action == "start" and data.arg(0) in BUTTON_SOURCES:
        await acknowledge(query)
        gentle = data.arg(1) == GENTLE_START
        await _begin(context, WHOLE_ROUTINE, BUTTON_SOURCES[data.arg(0)], gentle=gentle)
        return
    if data.action == "over":
        await _start_over(update, context, data)
        return
    action = STEP_ACTIONS.get(data.action)
    command = _command(action, data) if action is not None else None
    session_id, token = data.int_arg(0), data.int_arg(1)
    if command is None or session_id is None or token is None:
        await _answer_stale(update, context)
        return
    await _act(update, context, session_id, token, command)


async def _act(
    update: Update, context: BotContext, session_id: int, token: int, command: Command
) -> None:
    query, core, patient = update.callback_query, context.core, _patient(context)
    assert query is not None
    try:
        pressed = await sessions.press(core, patient, session_id, token, command)
    except StaleStep:
        await _answer_stale(update, context)
        return
    await acknowledge(query)
    await _show(
        context.bot, context.job_queue, core, patient, pressed.outcome, command, pressed.streak,
        first=pressed.first,
    )


async def _start_over(update: Update, context: BotContext, data: CallbackData) -> None:
    query, patient = update.callback_query, _patient(context)
    assert query is not None
    session_id, token, keys = data.int_arg(0), data.int_arg(1), _keys(data.arg(2))
    try:
        if session_id is None or token is None or keys is None:
            raise StaleStep
        outcome = await sessions.start_over(context.core, patient, session_id, token, keys)
    except StaleStep:
        await _answer_stale(update, context)
        return
    await acknowledge(query)
    cancel_hold(context.job_queue, session_id)
    await _send(context.bot, patient.id, _render(outcome, patient))


def _command(action: Action, data: CallbackData) -> Command | None:
    """The command a button carries, or None when its arguments are not what it makes."""
    score = data.int_arg(2)
    valid_score = score is not None and score in PAIN_SCALE
    match action:
        case Action.PAIN_BEFORE | Action.PAIN_AFTER if data.arg(2) == SKIP_SCORE:
            return Command(action)
        case Action.PAIN_BEFORE | Action.PAIN_AFTER | Action.HURTS_SCORE if valid_score:
            return Command(action, score)
        case Action.HURTS_ANSWER if valid_score and data.arg(3) in ("0", "1"):
            return Command(action, score, sharp=data.arg(3) == "1")
        case Action.PAIN_BEFORE | Action.PAIN_AFTER | Action.HURTS_SCORE | Action.HURTS_ANSWER:
            return None
        case _:
            return Command(action)


# --- the hold timer ----------------------------------------------------------------------------


def hold_job_name(session_id: int) -> str:
    """The name of a session's hold timer, so that it can be found and cancelled."""
    return f"hold:{session_id}"


def _arm_hold(job_queue: JobQueue[Any], core: Core, state: SessionState, seconds: float) -> None:
    """Move the session on after `seconds` of a hold, rest or reading pause (scaled down in
    tests)."""
    cancel_hold(job_queue, state.id)
    job_queue.run_once(
        _hold_ended,
        seconds * core.settings.hold_time_scale,
        data={"patient": state.patient_id, "session": state.id, "token": state.step_token},
        name=hold_job_name(state.id),
        job_kwargs={"misfire_grace_time": None},
    )


def cancel_hold(job_queue: JobQueue[Any] | None, session_id: int) -> None:
    """Stop the timer of a session, if one runs."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(hold_job_name(session_id)):
        job.schedule_removal()


async def _hold_ended(context: BotContext) -> None:
    """The timer ran out: "Relax" after a hold, or (guided) what comes after a rest or a
    reading pause."""
    assert context.job is not None and context.job_queue is not None
    data, core = context.job.data, context.core
    try:
        shown = await sessions.end_hold(core, data["patient"], data["session"], data["token"])
    except StaleStep:
        return  # the patient paused, stopped or moved on meanwhile
    command = Command(Action.HOLD_DONE)
    await _show(context.bot, context.job_queue, core, shown.patient, shown.outcome, command, 0)


async def _send_resume_prompts(context: BotContext) -> None:
    """Tell every patient whose session a restart cut off how to go on."""
    assert context.job is not None
    for chat_id, message in context.job.data:
        await _send(context.bot, chat_id, message)


# --- what the patient sees ---------------------------------------------------------------------


async def _show(
    bot: ExtBot[Any],
    job_queue: JobQueue[Any] | None,
    core: Core,
    patient: PatientView,
    outcome: Outcome,
    command: Command,
    streak: int,
    *,
    first: bool = False,
) -> None:
    state = outcome.state
    if not state.timed:
        cancel_hold(job_queue, state.id)
    message = _render(outcome, patient, command=command, streak=streak, first=first)
    sent = await _send(bot, patient.id, message, core)
    _arm_once_sent(job_queue, core, state, sent)
    if outcome.symptoms_of is not None:
        # a high or risen score may come with a warning sign: asked as /pain asks it
        await _send(bot, patient.id, pickers.symptom_question(patient.language, outcome.symptoms_of), core)


def _arm_once_sent(job_queue: JobQueue[Any] | None, core: Core, state: SessionState, sent: bool) -> None:
    """Start the state's timer, if it has one: when its message is out, however long the chat's
    send queue was."""
    if sent and state.timed and job_queue is not None:
        _arm_hold(job_queue, core, state, state.timer_seconds)


def _render(
    outcome: Outcome,
    patient: PatientView,
    *,
    command: Command | None = None,
    streak: int = 0,
    first: bool = False,
    start_over: str = WHOLE_ROUTINE,
) -> OutgoingMessage:
    state, language = outcome.state, patient.language
    b = _Buttons(state, language)
    match outcome.show:
        case Show.PAIN_BEFORE:
            body = render_pain_before(state, patient.pregnant, language)
            return OutgoingMessage(body, b.scores(Action.PAIN_BEFORE, skippable=True))
        case Show.STEP if state.guided:
            body = render_guided_steps(state, language, pregnant=patient.pregnant)
            opening = state.shown_steps[0]
            if _opens_a_side(opening) and patient.pictures:
                return _with_animation(body, opening, language, b.guided_step())
            return OutgoingMessage(body, b.guided_step())
        case Show.RELAX if state.guided:
            body = render_guided_relax(state, language)
            coming = state.next_step
            # the second side's position comes with this "Relax", so its animation does too
            if state.awaiting is Awaiting.READY and _switches_side(coming) and patient.pictures:
                return _with_animation(body, coming, language, b.guided_relax())
            return OutgoingMessage(body, b.guided_relax())
        case Show.STEP:
            step = state.steps[state.step_index]
            body = render_step(step, language, pregnant=patient.pregnant)
            if step.kind is StepKind.HOLD:
                return OutgoingMessage(f"{body}\n{text(language, 'session.hold_tip')}", b.holding())
            if _opens_a_side(step) and patient.pictures:
                return _with_animation(body, step, language, b.step())
            return OutgoingMessage(body, b.step())
        case Show.RELAX:
            relax = render_relax(state.shown_step, language)
            return OutgoingMessage(f"{relax}\n{text(language, 'session.relax_next')}", b.step())
        case Show.PAUSED:
            return OutgoingMessage(text(language, "session.paused"), b.continue_or_stop())
        case Show.CHOICE:
            position = render_position(state, language)
            body = text(language, "session.choice", position=position)
            return OutgoingMessage(body, b.continue_or_start_over(start_over))
        case Show.RESUME:
            position = render_position(state, language)
            body = text(language, "session.resume", position=position)
            return OutgoingMessage(body, b.continue_or_stop())
        case Show.HURTS_SCORE:
            body = text(language, "session.hurts.ask")
            return OutgoingMessage(body, b.scores(Action.HURTS_SCORE))
        case Show.HURTS_KIND:
            score = command.score if command is not None and command.score is not None else 0
            return OutgoingMessage(text(language, "session.hurts.kind"), b.sharp_or_not(score))
        case Show.HURTS_NOTED:
            return OutgoingMessage(text(language, "session.hurts.noted"), b.continue_or_stop())
        case Show.GENTLE_OFFER:
            advice = render_advice(outcome.flags, language)
            body = "\n\n".join([*advice, text(language, "session.gentle.offer")])
            return OutgoingMessage(body, b.gentle_or_stop())
        case Show.SAFETY_STOP:
            advice = render_advice(outcome.flags, language)
            return OutgoingMessage("\n\n".join([*advice, text(language, "session.safety_stop")]))
        case Show.PAIN_AFTER:
            body = text(language, "session.pain_after")
            return OutgoingMessage(body, b.scores(Action.PAIN_AFTER, skippable=True))
        case Show.SUMMARY:
            # the first completed session offers the pages about the condition
            learn_more = ((learn.open_button(language),),) if first else ()
            body = render_summary(state, streak, outcome.flags, language)
            return OutgoingMessage(body, learn_more)
        case Show.STOPPED:
            return OutgoingMessage(render_stopped(state, language))
        case Show.ABANDONED:
            return OutgoingMessage(text(language, "session.abandoned"))


def _switches_side(step: Step | None) -> TypeGuard[Step]:
    """Whether the step is the switch to an exercise's second side."""
    return step is not None and step.kind is StepKind.SIDE and step.side != SIDES[0]


def _opens_a_side(step: Step) -> bool:
    """Whether a message showing this step first comes with an animation: an exercise's intro
    shows its first side (or its only picture), the switch to the second side shows that side."""
    return step.kind is StepKind.INTRO or _switches_side(step)


def _with_animation(body: str, step: Step, language: str, buttons: Rows) -> OutgoingMessage:
    """A message that opens an exercise or its second side, as the caption of that side's
    animation."""
    return _with_picture(body, step.exercise, "animation", language, buttons, step.side)


def _with_picture(
    body: str,
    exercise_key: str,
    kind: PictureKind,
    language: str,
    buttons: Rows,
    side: Side | None = None,
) -> OutgoingMessage:
    """A message about an exercise as the caption of its picture of this side (the first side's
    when None), which the caption tells in words."""
    shown = side or picture_sides(exercise_key)[0]
    caption = render_picture_caption(body, exercise_key, language, shown)
    return OutgoingMessage(caption, buttons, picture=picture_name(exercise_key, shown, kind))


class _Buttons:
    """The keyboards of one session state; every button carries the state's token."""

    def __init__(self, state: SessionState, language: str) -> None:
        self.state = state
        self.language = language

    def _data(self, action: Action | str, *args: object) -> str:
        return SESSION.data(action, self.state.id, self.state.step_token, *args)

    def _button(self, key: str, action: Action | str, *args: object) -> Button:
        return Button(text(self.language, key), self._data(action, *args))

    def step(self) -> Rows:
        return ((self._button("session.button.next", Action.NEXT),), *self.holding())

    def guided_step(self) -> Rows:
        """A repetition: Pause, Stop and "It hurts" only; a setup message being read: those and
        Skip; the last setup message: the tap that starts the repetitions."""
        if self.state.holding:
            return self.repetition()
        if self.state.awaiting is Awaiting.READING:
            return self.holding()
        return self.waiting("session.button.in_position")

    def guided_relax(self) -> Rows:
        match self.state.awaiting:
            case Awaiting.RESTING:
                return self.repetition()
            case Awaiting.PAIN_AFTER:
                return self.scores(Action.PAIN_AFTER, skippable=True)
        coming = self.state.next_step
        if coming is not None and coming.kind is StepKind.INTRO:
            return self.waiting("session.button.next_exercise")
        return self.waiting("session.button.in_position")

    def repetition(self) -> Rows:
        return (
            (self._button("session.button.pause", Action.PAUSE),),
            (
                self._button("session.button.hurts", Action.HURTS),
                self._button("session.button.stop", Action.STOP),
            ),
        )

    def waiting(self, key: str) -> Rows:
        """What waits for the patient's tap: that tap, then Skip (when some of the exercise is
        left), "It hurts" and Stop."""
        second = [
            self._button("session.button.hurts", Action.HURTS),
            self._button("session.button.stop", Action.STOP),
        ]
        if self.state.exercise_left:
            second.insert(0, self._button("session.button.skip", Action.SKIP))
        return ((self._button(key, Action.NEXT),), tuple(second))

    def holding(self) -> Rows:
        first = [self._button("session.button.pause", Action.PAUSE)]
        if self.state.exercise_left:
            first.append(self._button("session.button.skip", Action.SKIP))
        second = (
            self._button("session.button.hurts", Action.HURTS),
            self._button("session.button.stop", Action.STOP),
        )
        return (tuple(first), second)

    def continue_or_stop(self) -> Rows:
        return (
            (
                self._button("session.button.continue", Action.CONTINUE),
                self._button("session.button.stop", Action.STOP),
            ),
        )

    def continue_or_start_over(self, what: str) -> Rows:
        return (
            (
                self._button("session.button.continue", Action.CONTINUE),
                self._button("session.button.start_over", "over", what),
            ),
        )

    def gentle_or_stop(self) -> Rows:
        return (
            (gentle_button(self._data(Action.GENTLE), self.language),),
            (self._button("session.button.stop_today", Action.STOP),),
        )

    def scores(self, action: Action, *, skippable: bool = False) -> Rows:
        rows = pain_scale(lambda score: self._data(action, score))
        if not skippable:
            return rows
        return (*rows, (self._button("session.button.skip_question", action, SKIP_SCORE),))

    def sharp_or_not(self, score: int) -> Rows:
        return (
            (
                self._button("session.button.yes", Action.HURTS_ANSWER, score, 1),
                self._button("session.button.no", Action.HURTS_ANSWER, score, 0),
            ),
        )


# --- the library -------------------------------------------------------------------------------


async def show_library(update: Update, context: BotContext) -> None:
    """List the exercises; each opens its card."""
    assert update.effective_message is not None
    language = _patient(context).language
    await update.effective_message.reply_text(
        text(language, "session.library"),
        parse_mode=ParseMode.HTML,
        reply_markup=inline_keyboard(_library_rows(language)),
    )


async def on_library_button(update: Update, context: BotContext) -> None:
    """Show an exercise's card, the list again, or start a session of that one exercise."""
    query = update.callback_query
    assert query is not None
    data = parse_callback(query.data)
    patient = _patient(context)
    language = patient.language
    place = data.arg(0) if data is not None else ""
    if data is None or data.action not in ("list", "show", "do") or (
        data.action != "list" and not _is_place(place)
    ):
        await _answer_stale(update, context)
        return
    # the card is in place before the answer, so the spinner stops on what was asked for
    match data.action:
        case "list":
            library = OutgoingMessage(text(language, "session.library"), _library_rows(language))
            await replace_message(query, library)
        case "show":
            key = ROUTINE_KEYS[int(place)]
            card = render_exercise_card(key, language)
            if patient.pictures:
                # a text message cannot become a photo: the card and its still come below the
                # list, which stays for the other cards, so the card needs no way back
                rows = _card_rows(place, language, back=False)
                message = _with_picture(card, key, "still", language, rows)
                await _send(context.bot, patient.id, message, context.core)
            else:
                await replace_message(query, OutgoingMessage(card, _card_rows(place, language)))
    await acknowledge(query)
    if data.action == "do":
        await _begin(context, place, Source.LIBRARY)


def _is_place(value: str) -> bool:
    return whole_number(value, len(ROUTINE_KEYS) - 1) is not None


def _library_rows(language: str) -> Rows:
    return tuple(
        (Button(text(language, exercise(key).title_key), LIBRARY.data("show", place)),)
        for place, key in enumerate(ROUTINE_KEYS)
    )


def _card_rows(place: str, language: str, *, back: bool = True) -> Rows:
    do = (Button(text(language, "session.library.do"), LIBRARY.data("do", place)),)
    if not back:
        return (do,)
    return (do, (Button(text(language, "session.library.back"), LIBRARY.data("list")),))


# --- small helpers -----------------------------------------------------------------------------


def _patient(context: BotContext) -> PatientView:
    """The patient the gate (group -1) loaded for this update; jobs load theirs themselves."""
    return context.patient


async def _answer_stale(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None
    language = _patient(context).language
    await acknowledge(update.callback_query, text(language, "common.stale_button"))


async def _send(
    bot: ExtBot[Any], chat_id: int, message: OutgoingMessage, core: Core | None = None
) -> bool:
    """Send a session message; a failure is logged, the session stays where it is."""
    try:
        await TelegramSender(bot, core).send(chat_id, message)
    except SendError:
        log.warning("could not send a session message", extra={"user_id": chat_id})
        return False
    return True

