"""The reminder dispatcher job, the reminder's messages, and its own buttons: rm:snooze:<minutes>,
rm:skip, and rm:signs:<1|0> (the weekly "Any new warning signs?").

One job, "reminder-dispatcher", runs the core's `Dispatcher.tick` and schedules itself again for
the moment the tick says (the earliest due reminder, follow-up or retry; at most 30 s away), so
memory stays flat in the number of patients and a restart rebuilds nothing. `wake_dispatcher`
runs a tick at once and waits for it (tests); `DispatcherRunner.wake` starts one at once without
waiting, and answers the core's doorbell (an emergency alert for a follower); ticks never overlap.

The dispatcher gets the reminder and the follow-up from `MESSAGES` (the core's `ReminderRenderer`
port), drawn here beside the code that reads their buttons. Their other buttons belong to their
features: `ss:start:reminder` (exercise) and `pn:score:<n>:reminder` (diary).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.jobstores.base import JobLookupError
from telegram import Update
from telegram.ext import CallbackQueryHandler, Job

from handlers.buttons import REMINDER, SESSION, parse_callback
from handlers.diary import score_buttons
from handlers.function import weekly_message
from handlers.ptb.context import AnyApplication, BotContext, core_of
from handlers.pickers import symptom_question
from handlers.ptb.transport import TelegramSender, acknowledge, reply
from sibot.dispatcher import MAX_WAIT, Dispatcher
from sibot.checkins import CheckinSource
from sibot.diary import answer_signs_question
from sibot.function import Card
from sibot.patients import PatientView
from sibot.ports import Button, OutgoingMessage
from sibot.reminders import SNOOZE_MINUTES, skip_reminder_today, snooze_reminder
from sibot.sessions import Source
from sibot.texts import DEFAULT_LANGUAGE, format_time, plural, text

log = logging.getLogger(__name__)

FEATURE = REMINDER
JOB_NAME = "reminder-dispatcher"
RUNNER_KEY = "reminder_dispatcher"
# Never tick again sooner than this: a row another replica holds stays due until it is done.
MIN_DELAY = timedelta(seconds=1)


class Outbox(Protocol):
    """Another outbox the dispatcher's job runs after the reminders (sharing's)."""

    async def tick(self, now: datetime) -> datetime | None: ...


class DispatcherRunner:
    """Runs one tick at a time, of the reminders and of every other outbox added, and keeps
    exactly one dispatcher job scheduled."""

    def __init__(self, application: AnyApplication) -> None:
        self._core = core_of(application)
        self._dispatcher = Dispatcher.for_core(
            self._core, TelegramSender(application.bot), MESSAGES, lambda: application.running
        )
        self._application = application
        self._lock = asyncio.Lock()
        self._job: Job[Any] | None = None
        self._outboxes: list[Outbox] = []
        self._woken = False  # a wake came while a tick ran: the next one starts at once

    def add_outbox(self, outbox: Outbox) -> None:
        self._outboxes.append(outbox)

    async def run_tick(self) -> None:
        """Send what is due now, then schedule the next tick (even when this one failed)."""
        async with self._lock:
            self._woken = False
            next_tick = self._core.clock.now() + MAX_WAIT
            try:
                next_tick = await self._dispatcher.tick(self._core.clock.now())
                for outbox in self._outboxes:
                    due = await outbox.tick(self._core.clock.now())
                    next_tick = min(next_tick, due or next_tick)
            finally:
                later = max(next_tick - self._core.clock.now(), MIN_DELAY)
                self.schedule(timedelta(0) if self._woken else later)

    def wake(self) -> None:
        """Tick at once, without waiting for it: something was queued. A tick under way may
        have looked already, so the one after it starts at once too."""
        self._woken = True
        self.schedule(timedelta(0))

    def schedule(self, delay: timedelta) -> None:
        """Replace the scheduled job by one `delay` from now (30 s at most)."""
        job_queue = self._application.job_queue
        assert job_queue is not None, "install python-telegram-bot[job-queue]"
        if self._job is not None and not self._job.removed:
            with contextlib.suppress(JobLookupError):  # a run_once job is gone once it ran
                self._job.schedule_removal()
        seconds = min(delay, MAX_WAIT).total_seconds()
        # no misfire grace limit: a tick that starts late must still start
        self._job = job_queue.run_once(
            _on_job, when=seconds, name=JOB_NAME, job_kwargs={"misfire_grace_time": None}
        )


# A fan-out sends the same few messages to thousands: building each one's fifteen buttons and
# its texts again was 6% of the bot's samples in a profile of the fan-out. The messages are
# frozen, and so are the catalogs.
@functools.cache
def reminder_message(language: str, minutes: int, ask_signs: bool = False) -> OutgoingMessage:
    """The daily reminder (and a snoozed one): start, snooze, skip, and a one-tap pain scale;
    once a week, the question of new warning signs, in the same message."""
    body = plural(language, "reminders.due", minutes) + "\n\n" + text(language, "reminders.pain_prompt")
    snoozes = tuple(
        Button(text(language, f"reminders.button.snooze_{later}"), FEATURE.data("snooze", later))
        for later in SNOOZE_MINUTES
    )
    signs: tuple[tuple[Button, ...], ...] = ()
    if ask_signs:
        body += "\n\n" + text(language, "reminders.signs_ask")
        signs = ((
            Button(text(language, "reminders.button.signs_yes"), FEATURE.data("signs", 1)),
            Button(text(language, "reminders.button.signs_no"), FEATURE.data("signs", 0)),
        ),)
    return OutgoingMessage(
        text=body,
        buttons=(
            (_start_button(language),),
            snoozes,
            (_skip_button(language),),
            *score_buttons(CheckinSource.REMINDER),
            *signs,
        ),
    )


@functools.cache
def followup_message(language: str) -> OutgoingMessage:
    """The one gentle follow-up of a reminder that was left alone."""
    return OutgoingMessage(
        text=text(language, "reminders.followup"),
        buttons=((_start_button(language),), (_skip_button(language),)),
    )


def _start_button(language: str) -> Button:
    return Button(text(language, "reminders.button.start"), SESSION.data("start", Source.REMINDER))


def _skip_button(language: str) -> Button:
    return Button(text(language, "reminders.button.skip"), FEATURE.data("skip"))


class _ReminderMessages:
    """The `ReminderRenderer` the dispatcher sends through."""

    def reminder(self, language: str, minutes: int, ask_signs: bool) -> OutgoingMessage:
        return reminder_message(language, minutes, ask_signs)

    def followup(self, language: str) -> OutgoingMessage:
        return followup_message(language)

    def weekly(self, language: str, card: Card) -> OutgoingMessage:
        return weekly_message(language, card)


MESSAGES = _ReminderMessages()


def register(application: AnyApplication) -> None:
    """The reminder's snooze and skip buttons (group 0)."""
    application.add_handler(
        CallbackQueryHandler(on_reminder_button, FEATURE.pattern), group=0
    )


async def on_start(application: AnyApplication) -> None:
    """Start the dispatcher: its first tick sends what is due and retries what a crash left."""
    runner = DispatcherRunner(application)
    application.bot_data[RUNNER_KEY] = runner
    core_of(application).doorbell.answer_with(runner.wake)
    runner.schedule(timedelta(0))


def runner_of(application: AnyApplication) -> DispatcherRunner:
    runner: DispatcherRunner = application.bot_data[RUNNER_KEY]
    return runner


def wake_soon(application: AnyApplication) -> None:
    """Have the dispatcher tick at once, without waiting for it: something was queued."""
    runner_of(application).wake()


async def wake_dispatcher(application: AnyApplication) -> None:
    """Run a tick now and wait for it: tests call it after moving the clock.

    The bot itself never needs to: a changed reminder is found by the next tick, at most
    `MAX_WAIT` away.
    """
    runner: DispatcherRunner = application.bot_data[RUNNER_KEY]
    await runner.run_tick()


async def _on_job(context: BotContext) -> None:
    """Run the dispatcher's tick."""
    runner: DispatcherRunner = context.application.bot_data[RUNNER_KEY]
    await runner.run_tick()


async def on_reminder_button(update: Update, context: BotContext) -> None:
    """Snooze or skip today's reminder; an old reminder's button only gets a short answer."""
    query = update.callback_query
    assert query is not None
    patient = context.patient
    language = patient.language if patient is not None else DEFAULT_LANGUAGE
    answer = text(language, "reminders.stale")
    data = parse_callback(query.data)
    if patient is not None and data is not None and query.message is not None:
        core, message_id = context.core, query.message.message_id
        if data.action == "snooze" and (minutes := data.int_arg(0)) is not None:
            fire_at = await snooze_reminder(core, patient.id, message_id, minutes)
            if fire_at is not None:
                answer = text(language, "reminders.snoozed", time=_wall_clock(fire_at, patient))
        elif data.action == "skip" and await skip_reminder_today(core, patient.id, message_id):
            answer = text(language, "reminders.skipped")
        elif data.action == "signs" and data.arg(0) in ("0", "1"):
            await _on_signs_answer(update, context, data.arg(0) == "1")
            return
    await acknowledge(query, answer)


async def _on_signs_answer(update: Update, context: BotContext, new_signs: bool) -> None:
    """No: a word of thanks and nothing more. Yes: the symptom list, as /pain shows it."""
    query, patient = update.callback_query, context.patient
    assert query is not None
    answer = await answer_signs_question(context.core, patient.id, new_signs)
    if answer.checkin_id is None:
        await acknowledge(query, text(patient.language, "reminders.signs_none"))
        return
    await acknowledge(query)
    await reply(update, symptom_question(patient.language, answer.checkin_id))


def _wall_clock(instant: datetime, patient: PatientView) -> str:
    return format_time(patient.language, instant.astimezone(patient.zone).time())
