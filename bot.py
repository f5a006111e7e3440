"""The composition root: parse the command line, load settings, build the bot, run it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram.ext import ApplicationBuilder, ContextTypes

import handlers
from handlers.ptb.concurrency import PerChatUpdateProcessor, trace_handlers
from handlers.ptb.context import CORE_KEY, AnyApplication, BotContext
from handlers.ptb.errors import FATAL_KEY, on_error
from handlers.ptb.http import AiohttpRequest
from handlers.ptb.lifecycle import serve_polling
from handlers.ptb.sandbox import run_sandbox
from handlers.ptb.startup import ConnectingApplication
from handlers.ptb.transport import PriorityRateLimiter
from handlers.ptb.webhook import serve_webhook, webhook_secret
from sibot.core import Core
from sibot.db import Database
from sibot.logs import configure_logging
from sibot.ports import Clock, SystemClock
from sibot.settings import Settings, SettingsError, load_settings
from sibot.startup import DatabaseLock, StartupFailure, upgrade_database

log = logging.getLogger("sibot")


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    token: str | None = None,
    chat_sends_per_second: float = 1,
) -> AnyApplication:
    """The bot with every handler registered; the database opens in post_init.
    `chat_sends_per_second` is Telegram's limit in a private chat; a fast clock (tests, the
    benchmarks) speeds it up with the session's timers."""
    bot_token = token or settings.telegram_bot_token.get_secret_value()  # type: ignore[union-attr]
    application = (
        ApplicationBuilder()
        .application_class(ConnectingApplication)
        .token(bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.removesuffix("/bot") + "/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest())
        .concurrent_updates(PerChatUpdateProcessor())
        .rate_limiter(
            PriorityRateLimiter(
                overall_per_second=settings.send_rate, chat_per_second=chat_sends_per_second
            )
        )
        .post_init(_on_start)
        .post_shutdown(_on_stop)
        .build()
    )
    application.bot_data[CORE_KEY] = Core(
        settings=settings, db=Database(settings.database_url), clock=clock or SystemClock()
    )
    handlers.register(application)
    application.add_error_handler(on_error)
    trace_handlers(application)
    return application


async def _on_start(application: AnyApplication) -> None:
    core: Core = application.bot_data[CORE_KEY]
    await upgrade_database(core.db, core.settings.database_url, core.settings.startup_retries)
    await handlers.on_start(application)
    mode = "webhook" if core.settings.webhook_mode else "polling"
    log.info("ready", extra={"mode": mode, "database": core.db.kind})


async def _on_stop(application: AnyApplication) -> None:
    core: Core = application.bot_data[CORE_KEY]
    await core.db.dispose()


def _run(settings: Settings) -> int:
    """Serve until stopped; 0 after a clean stop, 1 when the bot had to give up."""
    application = build_application(settings)
    with DatabaseLock(settings.database_url):
        if settings.webhook_mode:
            asyncio.run(serve_webhook(application))
        else:
            assert isinstance(application, ConnectingApplication)
            asyncio.run(serve_polling(application, application.stop_requested))
    return 1 if FATAL_KEY in application.bot_data else 0


async def _migrate(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        async with DatabaseLock(settings.database_url):  # never pull the schema from under a bot
            await upgrade_database(database, settings.database_url, settings.startup_retries)
    finally:
        await database.dispose()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sibot", description="The sibot Telegram bot.")
    parser.add_argument("command", nargs="?", choices=["run", "migrate"], default="run")
    parser.add_argument("--sandbox", action="store_true", help="chat with the bot in this terminal")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        # `migrate` never talks to Telegram, and the sandbox talks to its own emulator.
        settings = load_settings(require_token=args.command == "run" and not args.sandbox)
    except SettingsError as error:
        print(f"sibot: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, _secrets(settings))
    try:
        return _command(args, settings)
    except StartupFailure as failure:
        log.critical(str(failure), extra={"exit_status": failure.exit_status})
        return failure.exit_status


def _secrets(settings: Settings) -> list[str]:
    """What no log line may show: the bot token, and the webhook secret Telegram sends us."""
    token = settings.telegram_bot_token
    if token is None:
        return []
    return [token.get_secret_value(), webhook_secret(settings, token.get_secret_value())]


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        log.info("database is at the newest revision", extra={"database": settings.database_kind})
        return 0
    if args.sandbox:
        try:
            return asyncio.run(run_sandbox(settings, build_application))
        except KeyboardInterrupt:  # Ctrl-C: the bot and the emulator were stopped on the way out
            return 130
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
