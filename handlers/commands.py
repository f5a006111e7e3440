"""/help, the command menu, and the fallbacks that answer whatever no feature took.

The fallbacks must be the last handlers of group 0: PTB runs the first handler of a group that
matches, so anything registered after them would never see an update.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import free_text, pickers
from handlers.diary import score_data
from handlers.ptb.context import AnyApplication, BotContext
from handlers.ptb.transport import acknowledge, reply
from sibot.checkins import CheckinSource
from sibot.intents import Meaning, understand
from sibot.ports import Button, OutgoingMessage
from sibot.texts import DEFAULT_LANGUAGE, available_languages, text

log = logging.getLogger(__name__)

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
    """Give typed text (or a location) to the feature waiting for it, else answer what it means."""
    if not await free_text.route(update, context):
        message = update.effective_message
        typed = message.text if message is not None and message.text else ""
        await reply(update, _typed_answer(typed, _language(context)))


def _typed_answer(typed: str, language: str) -> OutgoingMessage:
    """A score: one tap saves it as a /pain check-in. Pain or worry: /pain's scale and when to get
    help. A greeting: a greeting and the main actions. Thanks: a warm word. Anything else: the
    main actions."""
    understood = understand(typed)
    match understood.meaning:
        case Meaning.SCORE:
            score = understood.score
            save = Button(
                text(language, "settings.typed.save_score", score=score),
                score_data(score, CheckinSource.DIARY),
            )
            return OutgoingMessage(text(language, "settings.typed.score", score=score), ((save,),))
        case Meaning.WORRY:
            return OutgoingMessage(text(language, "settings.typed.worry"), ((pickers.note_pain_button(language),),))
        case Meaning.GREETING:
            return OutgoingMessage(text(language, "settings.typed.greeting"), pickers.main_actions(language))
        case Meaning.THANKS:
            return OutgoingMessage(text(language, "settings.typed.thanks"))
        case Meaning.UNKNOWN:
            return OutgoingMessage(text(language, "settings.typed.menu"), pickers.main_actions(language))


async def other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes: what the bot can read, and the main actions."""
    language = _language(context)
    await reply(update, OutgoingMessage(text(language, "settings.typed.media"), pickers.main_actions(language)))


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
    """Set the command menu Telegram shows beside the text field, and what a new user reads of
    the bot before Start, in each language we speak.

    Telegram picks them by the user's app language; the default ones (English) are for the rest."""
    bot = application.bot
    await bot.set_my_commands(_menu(DEFAULT_LANGUAGE))
    for language in available_languages():
        await bot.set_my_commands(_menu(language), language_code=language)
    try:
        for language in ("", *available_languages()):
            await _describe_bot(bot, language)
    except TelegramError as error:
        # a welcome the patient's first /start repeats anyway: no reason to keep the bot down
        log.warning("the bot's description was not set", extra={"error": error.message})


async def _describe_bot(bot: Bot, language_code: str) -> None:
    """Set the bot's description (the empty chat's "What can this bot do?") and short description
    (its profile) in a language; read first, since Telegram limits how often they may change and
    most starts change nothing."""
    language = language_code or DEFAULT_LANGUAGE
    description = text(language, "settings.bot.description")
    short = text(language, "settings.bot.short_description")
    if (await bot.get_my_description(language_code)).description != description:
        await bot.set_my_description(description, language_code)
    if (await bot.get_my_short_description(language_code)).short_description != short:
        await bot.set_my_short_description(short, language_code)


def _menu(language: str) -> list[BotCommand]:
    return [BotCommand(name, text(language, f"settings.command.{name}")) for name in COMMANDS]
