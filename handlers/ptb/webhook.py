"""Webhook mode: an aiohttp server that takes Telegram's updates and answers /healthz.

PTB's own webhook server has no room for a health endpoint, so we run the documented custom
webhook set-up: our server checks the secret header and puts each update on the update queue.

Anyone can post to a public URL, so the server never runs without a secret: WEBHOOK_SECRET_TOKEN,
or else one derived from the bot token, the same on every replica (only who holds the token can
work it out, and the token alone gives more than the secret). A call without the secret, or whose
body is not an update, is refused with 403 or 400; a flood of them writes a few log lines a
minute, not one a call.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections import Counter
from enum import StrEnum
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update
from telegram.error import TelegramError

from handlers.ptb.context import AnyApplication, core_of
from handlers.ptb.errors import give_up
from handlers.ptb.lifecycle import running, stopped_by_signals
from sibot.health import check_health
from sibot.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# Refused calls after the first of a spell are counted and logged in one line this often.
REFUSALS_SUMMED_EVERY_S = 60.0
_DERIVED_SECRET_LABEL = b"sibot webhook secret token"
# What json.loads and PTB's de_json (which does not validate) raise on a body that is not an
# update: bad JSON or UTF-8, a list or a number where an object belongs, a date out of range,
# nesting deeper than the stack.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError)


class Refusal(StrEnum):
    BAD_SECRET = "bad secret"
    BAD_BODY = "bad body"


def webhook_path(webhook_url: str) -> str:
    """The local path Telegram posts to: the path of WEBHOOK_URL, or / when it has none."""
    return urlsplit(webhook_url).path or "/"


def webhook_secret(settings: Settings, bot_token: str) -> str:
    """WEBHOOK_SECRET_TOKEN, or else one derived from the bot token: 43 characters of Telegram's
    allowed A-Z a-z 0-9 _ -, the same for every replica of the bot."""
    if settings.webhook_secret_token is not None:
        return settings.webhook_secret_token.get_secret_value()
    digest = hmac.new(bot_token.encode(), _DERIVED_SECRET_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class RefusedCalls:
    """Logs refused webhook calls without letting a flood flood the log: the first of a spell at
    once, the others in one line a minute, until a minute passes without one."""

    def __init__(self, every_s: float = REFUSALS_SUMMED_EVERY_S) -> None:
        self._every_s = every_s
        self._counts: Counter[Refusal] = Counter()
        self._timer: asyncio.TimerHandle | None = None

    def refuse(self, refusal: Refusal, detail: str) -> None:
        if self._timer is None:
            log.warning(
                "webhook call refused: %s (%s); more are counted and logged once a minute",
                refusal, detail, extra={"refusal": refusal.name.lower()},
            )
            self._arm()
        else:
            self._counts[refusal] += 1

    def summarize(self) -> None:
        """Log the calls refused since the last line; a minute without one ends the spell."""
        self._timer = None
        if self._log_counts():
            self._arm()

    def close(self) -> None:
        """Log what is counted; the server has stopped."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._log_counts()

    def _log_counts(self) -> bool:
        if not self._counts:
            return False
        counts = {refusal: self._counts[refusal] for refusal in Refusal}
        log.warning(
            "%d webhook calls refused in the last minute: %d bad secret, %d bad body",
            sum(counts.values()), *counts.values(),
            extra={refusal.name.lower(): count for refusal, count in counts.items()},
        )
        self._counts.clear()
        return True

    def _arm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._every_s, self.summarize)


def _right_secret(request: web.Request, secret: str) -> bool:
    # A header with characters outside ASCII cannot be the secret; as bytes it compares safely
    # (compare_digest refuses non-ASCII strings with a TypeError).
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    return hmac.compare_digest(given, secret.encode())


class NotAnUpdate(ValueError):
    """A webhook call's body that is not an update; the message names what was wrong."""


def parse_update(body: bytes, bot: Bot) -> Update:
    """The update a webhook call carries; NotAnUpdate for any other body."""
    try:
        payload = json.loads(body)
        update = Update.de_json(payload, bot) if _numbered_object(payload) else None
    except _PARSE_ERRORS as error:
        raise NotAnUpdate(type(error).__name__) from None
    if update is None:
        raise NotAnUpdate("not a JSON object with an integer update_id")
    return update


def _numbered_object(payload: object) -> bool:
    return isinstance(payload, dict) and type(payload.get("update_id")) is int


def build_web_app(
    application: AnyApplication, *, path: str, secret: str, refused: RefusedCalls | None = None
) -> web.Application:
    """The aiohttp app: POST <path> for updates, GET /healthz for load balancers."""
    refusals = refused or RefusedCalls()

    async def receive(request: web.Request) -> web.Response:
        if not _right_secret(request, secret):
            refusals.refuse(Refusal.BAD_SECRET, "no or wrong secret token header")
            return web.Response(status=403, text="forbidden")
        try:
            # Bytes, not text: a made-up charset in the Content-Type would fail the decoding.
            update = parse_update(await request.read(), application.bot)
        except web.HTTPRequestEntityTooLarge:
            refusals.refuse(Refusal.BAD_BODY, "too large")
            raise
        except NotAnUpdate as error:
            refusals.refuse(Refusal.BAD_BODY, str(error))
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
    """Run the bot in webhook mode until SIGINT or SIGTERM, then stop cleanly, whenever it comes:
    a stop while the start waits out an outage of the database or Telegram cuts the wait short."""
    settings = core_of(application).settings
    assert settings.webhook_url is not None
    secret = webhook_secret(settings, application.bot.token)
    refused = RefusedCalls()
    web_app = build_web_app(
        application, path=webhook_path(settings.webhook_url), secret=secret, refused=refused
    )
    # No access log: a line per call would let anyone who can reach the port fill the disk;
    # each update gets its own line, and refused calls are counted.
    runner = web.AppRunner(web_app, access_log=None)
    stop = asyncio.Event()
    with stopped_by_signals(stop) as started:
        # Listen before anything else: a port we cannot have fails the start before the database
        # or Telegram hear of it. Updates that come in before the application runs wait in its
        # queue.
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        except OSError as error:
            await runner.cleanup()
            give_up(
                application,
                f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} for Telegram's "
                f"webhook calls ({error.strerror}); set WEBHOOK_LISTEN and WEBHOOK_PORT to an "
                "address this host has and a port no other program uses",
            )
            return
        log.info("webhook server listening", extra={"port": settings.webhook_port})
        try:
            async with running(application, started):
                try:
                    if await _webhook_set(application, settings, secret):
                        await stop.wait()
                finally:
                    # Stop taking updates first; leaving `running` lets the queued ones finish.
                    await runner.cleanup()
        finally:
            if runner.server is not None:  # a stop during the start, before the cleanup above
                await runner.cleanup()
            refused.close()


async def _webhook_set(application: AnyApplication, settings: Settings, secret: str) -> bool:
    """Tell Telegram where to send updates; False when it refused, which ends the start."""
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
        return False
    log.info("webhook set", extra={"webhook_url": settings.webhook_url})
    return True
