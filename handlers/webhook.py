"""Webhook mode: an aiohttp server that takes Telegram's updates and answers /healthz.

PTB's own webhook server has no room for a health endpoint, so we run the documented custom
webhook set-up: our server checks the secret header and puts each update on the update queue.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from handlers.context import AnyApplication, core_of
from handlers.errors import give_up
from handlers.lifecycle import running
from sibot.health import check_health

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"


def webhook_path(webhook_url: str) -> str:
    """The local path Telegram posts to: the path of WEBHOOK_URL, or / when it has none."""
    return urlsplit(webhook_url).path or "/"


def build_web_app(application: AnyApplication, *, path: str, secret: str | None) -> web.Application:
    """The aiohttp app: POST <path> for updates, GET /healthz for load balancers."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if secret is not None and not hmac.compare_digest(given, secret):
            log.warning("webhook call without the right secret token")
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
            update = Update.de_json(payload, application.bot)
        except (json.JSONDecodeError, TypeError, KeyError, ValueError):
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        core = core_of(application)
        report = await check_health(core.db, core.heartbeat, core.clock.now())
        return web.json_response(report.as_dict(), status=200 if report.healthy else 503)

    web_app = web.Application()
    web_app.router.add_post(path, receive)
    web_app.router.add_get(HEALTH_PATH, healthz)
    return web_app


async def serve_webhook(application: AnyApplication) -> None:
    """Run the bot in webhook mode until SIGINT or SIGTERM, then stop cleanly."""
    settings = core_of(application).settings
    assert settings.webhook_url is not None
    secret = settings.webhook_secret_token.get_secret_value() if settings.webhook_secret_token else None
    runner = web.AppRunner(
        build_web_app(application, path=webhook_path(settings.webhook_url), secret=secret)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    # Listen before anything else: a port we cannot have fails the start before the database or
    # Telegram hear of it. Updates that come in before the application runs wait in its queue.
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    except OSError as error:
        await runner.cleanup()
        give_up(
            application,
            f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} for Telegram's "
            f"webhook calls ({error.strerror}); set WEBHOOK_LISTEN and WEBHOOK_PORT to an address "
            "this host has and a port no other program uses",
        )
        return
    log.info("webhook server listening", extra={"port": settings.webhook_port})
    async with running(application):
        try:
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        except TelegramError as error:
            give_up(
                application,
                f"Telegram refused WEBHOOK_URL ({error.message}); it must be an HTTPS address "
                "Telegram can reach, on port 443, 80, 88 or 8443",
            )
        else:
            log.info("webhook set", extra={"webhook_url": settings.webhook_url})
            await stop.wait()
        # Stop taking updates first, then let the ones already queued finish.
        await runner.cleanup()
