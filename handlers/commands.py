"""/help, the command menu, and the fallbacks that answer whatever no feature took.

The fallbacks must be the last handlers of group 0: PTB runs the first handler of a group that
matches, so anything registered after them would never see an update.
"""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import free_text
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, reply
from sibot.ports import OutgoingMessage
from sibot.texts import DEFAULT_LANGUAGE, available_languages, text

# The command menu, in the order the patient sees it.
COMMANDS = (
    "start",
    "exercise",
    "exercises",
    "learn",
    "pain",
    "progress",
    "report",
    "export",
    "share",
    "patients",
    "settings",
    "pause",
    "resume",
    "delete",
    "help",
)


def _language(context: BotContext) -> str:
    return context.patient.language


async def show_help(update: Update, context: BotContext) -> None:
    """List every command, one a line."""
    await reply(update, OutgoingMessage(text(_language(context), "settings.help")))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point a patient who typed a command we do not have to /help."""
    await reply(update, OutgoingMessage(text(_language(context), "common.unknown_command")))


async def typed_message(update: Update, context: BotContext) -> None:
    """Give typed text (or a location) to the feature waiting for it, else a short hint."""
    if not await free_text.route(update, context):
        await reply(update, OutgoingMessage(text(_language(context), "settings.text_hint")))


async def other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes: say what works instead."""
    await reply(update, OutgoingMessage(text(_language(context), "settings.text_hint")))


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button nobody handles (an old message of a feature that changed): a short answer."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query, text(_language(context), "settings.unknown_button"))


def register(application: AnyApplication) -> None:
    """/help and the fallbacks; call this after every other feature's register."""
    application.add_handler(CommandHandler("help", show_help))  # group 0
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))  # group 0, fallback
    typed = (filters.TEXT & ~filters.COMMAND) | filters.LOCATION
    application.add_handler(MessageHandler(typed, typed_message))  # group 0, fallback
    application.add_handler(MessageHandler(filters.ALL, other_message))  # group 0, fallback
    application.add_handler(CallbackQueryHandler(unknown_button))  # group 0, fallback


async def on_start(application: AnyApplication) -> None:
    """Set the command menu Telegram shows beside the text field, in each language we speak.

    Telegram picks the menu by the user's app language; the default one (English) is for the rest."""
    await application.bot.set_my_commands(_menu(DEFAULT_LANGUAGE))
    for language in available_languages():
        await application.bot.set_my_commands(_menu(language), language_code=language)


def _menu(language: str) -> list[BotCommand]:
    return [BotCommand(name, text(language, f"settings.command.{name}")) for name in COMMANDS]
