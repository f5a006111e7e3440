"""The error handler: log with context, answer the patient kindly, never show a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Conflict, TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers.ptb.concurrency import mark_failed
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.private import skip_last_poll
from handlers.ptb.transport import acknowledge
from sibot.db import trouble_of
from sibot.patients import language_for
from sibot.texts import text

log = logging.getLogger(__name__)


# Set in bot_data when the bot must stop and exit non-zero.
FATAL_KEY = "fatal_error"


def give_up(application: AnyApplication, message: str) -> None:
    """Log why the bot cannot go on; it then stops with exit status 1 (a service manager's cue)."""
    log.critical(message)
    application.bot_data[FATAL_KEY] = message


def _stop_for_second_poller(context: BotContext) -> None:
    # Two pollers on one token steal each other's updates; fighting only makes it worse.
    give_up(
        context.application,
        "another process is polling Telegram with this bot token; stopping. "
        "Run one polling process per token, or use webhook mode (WEBHOOK_URL) for replicas.",
    )
    _skip_last_poll(context)
    context.application.stop_running()


def _skip_last_poll(context: BotContext) -> None:
    """On stopping, PTB polls once more to confirm what it fetched. After a conflict our last poll
    already confirmed it, and one more poll would cut off the newer poller's: both would stop.
    PTB offers no switch for this, hence its private attribute."""
    if context.application.updater is not None:
        skip_last_poll(context.application.updater)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure, tell the patient their data is safe, and stop the update there."""
    error = context.error
    mark_failed()
    if update is None and isinstance(error, Conflict):
        _stop_for_second_poller(context)
        return
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    trouble = trouble_of(error)
    if trouble is None:
        log.error("update failed", exc_info=error, extra={"user_id": user_id})
    else:
        # The database's state, not a fault of ours: one line each. A traceback each, hundreds a
        # minute while a lock is held, slowed every patient's answers (benchmarks/locks).
        log.warning("update failed", extra={"user_id": user_id, "database": trouble})
    if isinstance(update, Update) and update.effective_chat is not None:
        await _tell_the_patient(update, context, user_id, trouble)
    # PTB would hand the update on to the next group: after a failed gatekeeper that is a feature
    # without `context.patient`, and a second error message for one update.
    raise ApplicationHandlerStop


async def _tell_the_patient(
    update: Update, context: BotContext, user_id: int | None, trouble: str | None
) -> None:
    assert update.effective_chat is not None
    language = language_for(update.effective_user.language_code if update.effective_user else None)
    # Busy, read-only or away: nothing the patient did wrong, and it passes.
    key = "common.error" if trouble is None else "common.db_unavailable"
    try:
        if update.callback_query is not None:
            await acknowledge(update.callback_query)
        await context.bot.send_message(update.effective_chat.id, text(language, key))
    except TelegramError:
        log.warning("could not tell the patient about the failure", extra={"user_id": user_id})
