"""The reminder dispatcher job, and the reminder's own buttons: rm:snooze:<minutes>, rm:skip.

One job, "reminder-dispatcher", runs the core's `Dispatcher.tick` and schedules itself again for
the moment the tick says (the earliest due reminder, follow-up or retry; at most 30 s away), so
memory stays flat in the number of patients and a restart rebuilds nothing. `wake_dispatcher`
runs a tick at once; ticks never overlap.

The reminder's other buttons belong to their features: `ss:start:reminder` (exercise) and
`pn:score:<n>:reminder` (diary).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram import Update
from telegram.ext import CallbackQueryHandler, Job

from handlers.context import AnyApplication, BotContext, core_of
from handlers.keyboards import feature_pattern, parse_callback
from handlers.transport import TelegramSender, acknowledge
from sibot.dispatcher import MAX_WAIT, Dispatcher
from sibot.patients import PatientView
from sibot.reminders import skip_reminder_today, snooze_reminder
from sibot.texts import DEFAULT_LANGUAGE, format_time, text

log = logging.getLogger(__name__)

FEATURE = "rm"
JOB_NAME = "reminder-dispatcher"
RUNNER_KEY = "reminder_dispatcher"
# Never tick again sooner than this: a row another replica holds stays due until it is done.
MIN_DELAY = timedelta(seconds=1)


class DispatcherRunner:
    """Runs one tick at a time and keeps exactly one dispatcher job scheduled."""

    def __init__(self, application: AnyApplication) -> None:
        self._core = core_of(application)
        self._dispatcher = Dispatcher.for_core(
            self._core, TelegramSender(application.bot), lambda: application.running
        )
        self._application = application
        self._lock = asyncio.Lock()
        self._job: Job[Any] | None = None

    async def run_tick(self) -> None:
        """Send what is due now, then schedule the next tick (even when this one failed)."""
        async with self._lock:
            next_tick = self._core.clock.now() + MAX_WAIT
            try:
                next_tick = await self._dispatcher.tick(self._core.clock.now())
            finally:
                self.schedule(max(next_tick - self._core.clock.now(), MIN_DELAY))

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


def register(application: AnyApplication) -> None:
    """The reminder's snooze and skip buttons (group 0)."""
    application.add_handler(
        CallbackQueryHandler(on_reminder_button, feature_pattern(FEATURE)), group=0
    )


async def on_start(application: AnyApplication) -> None:
    """Start the dispatcher: its first tick sends what is due and retries what a crash left."""
    runner = DispatcherRunner(application)
    application.bot_data[RUNNER_KEY] = runner
    runner.schedule(timedelta(0))


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
    await acknowledge(query, answer)


def _wall_clock(instant: datetime, patient: PatientView) -> str:
    return format_time(patient.language, instant.astimezone(patient.zone).time())
