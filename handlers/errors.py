"""The error handler: log with context, answer the patient kindly, never show a traceback."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext
from sibot.texts import text

log = logging.getLogger(__name__)


def _database_unreachable(error: BaseException | None) -> bool:
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated
    return isinstance(error, (ConnectionError, TimeoutError))


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure and tell the patient their data is safe."""
    error = context.error
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    log.error("update failed", exc_info=error, extra={"user_id": user_id})
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = update.effective_user.language_code if update.effective_user else None
    key = "common.db_unavailable" if _database_unreachable(error) else "common.error"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, text(language or "en", key))
    except TelegramError:
        log.warning("could not tell the patient about the failure", extra={"user_id": user_id})
