"""The baselines: bare PTB bots with no database and no logic, and the naive reminder design.

Each runs as `python -m benchmarks.bare <kind> --base-url URL ...` (a process of its own, as the
bot under test is) and logs one JSON line {"message": "ready"} on stderr once it serves:

  echo    answers every text with the same text
  tap     answers a callback query and edits its message, as a pain tap does, without storing it
  send    sends one message with buttons to each chat (32 in flight, as sibot's dispatcher), through
          PTB's AIORateLimiter, then exits
          and prints {"sent", "failed", "seconds"} on stdout
  hold    "hold:go" taps start a hold: "Hold" now, "Relax" when an asyncio timer ends; meanwhile,
          at --fanout-at (unix time), the `send` fan-out runs in the same process
  naive   the design sibot does not use: one JobQueue run_daily job per patient, loaded at start
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from handlers.ptb.http import AiohttpRequest
from sibot.models import Patient, Reminder
from sibot.schedule import mask_to_weekdays

CONCURRENT_UPDATES = 16  # as many as sibot's PerChatUpdateProcessor runs at once
# Sends in flight at once, as sibot's dispatcher on SQLite. Unbounded, thousands of requests queue
# in httpcore's pool, whose request assignment is quadratic in the queue: minutes for 5,000.
SEND_CONCURRENCY = 32
REMINDER_TEXT = "Time for your exercises: about 10 minutes. Ready?"
WHERE_TEXT = "Pain <b>3</b> saved. Where does it hurt?"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def _keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"x:{label}") for label in labels]]
    )


REMINDER_KEYBOARD = _keyboard("Start", "Skip today")
WHERE_KEYBOARD = _keyboard("Left buttock", "Right buttock", "Lower back", "Groin", "Done")


def _log(message: str, **fields: Any) -> None:
    print(json.dumps({"message": message, **fields}), file=sys.stderr, flush=True)


def _builder(base_url: str) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    token = os.environ.get("SIBOT_BENCH_TOKEN", "123456789:AAE-sibot-bench-token-abcdefghijk")
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if os.environ.get("SIBOT_BENCH_TRANSPORT") == "aiohttp":
        # sibot's own transport, to tell what the transport buys from what the rest costs
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest())
    return builder


# --- echo and tap --------------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the tap and edit its message, as sibot's pain tap does, storing nothing."""
    query = update.callback_query
    assert query is not None
    await query.answer("Saved: 3")
    await query.edit_message_text(WHERE_TEXT, parse_mode="HTML", reply_markup=WHERE_KEYBOARD)


def interactive_application(kind: str, base_url: str) -> AnyApplication:
    """The echo or tap bot, not started."""
    application = _builder(base_url).concurrent_updates(CONCURRENT_UPDATES).build()
    if kind == "echo":
        application.add_handler(MessageHandler(filters.TEXT, echo))
    else:
        application.add_handler(CallbackQueryHandler(tap))
    return application


async def start(application: AnyApplication) -> None:
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)


async def stop(application: AnyApplication) -> None:
    assert application.updater is not None
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def serve_until_stopped(application: AnyApplication) -> None:
    await start(application)
    _log("ready")
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopped.set)
    await stopped.wait()
    await stop(application)


# --- send: the bare fan-out ----------------------------------------------------------------------


async def fan_out(bot: Bot, chat_ids: Sequence[int]) -> dict[str, Any]:
    """One send_message per chat, SEND_CONCURRENCY at a time, through the bot's rate limiter."""
    started = time.perf_counter()
    slots = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(chat_id: int) -> bool:
        try:
            async with slots:
                await bot.send_message(chat_id, REMINDER_TEXT, reply_markup=REMINDER_KEYBOARD)
        except Exception:  # noqa: BLE001 - a failed send is a figure here, not an error
            return False
        return True

    outcomes = await asyncio.gather(*(one(chat_id) for chat_id in chat_ids))
    return {
        "sent": sum(outcomes),
        "failed": len(outcomes) - sum(outcomes),
        "seconds": round(time.perf_counter() - started, 3),
    }


def limited_bot(base_url: str, rate: float) -> Bot:
    """A bot whose calls go through PTB's AIORateLimiter at `rate` a second (3 retries on 429)."""
    return _builder(base_url).rate_limiter(
        AIORateLimiter(overall_max_rate=rate, overall_time_period=1, max_retries=3)
    ).build().bot


async def send_main(args: argparse.Namespace) -> None:
    bot = limited_bot(args.base_url, args.rate)
    async with bot:
        _log("ready")
        summary = await fan_out(bot, range(args.first, args.first + args.count))
    print(json.dumps(summary), flush=True)


# --- hold: timers beside a fan-out ---------------------------------------------------------------


def hold_application(base_url: str, rate: float, hold_seconds: float) -> AnyApplication:
    application = (
        _builder(base_url)
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, overall_time_period=1, max_retries=3))
        .build()
    )
    timers: set[asyncio.Task[None]] = set()

    async def relax_after(bot: Bot, chat_id: int) -> None:
        await asyncio.sleep(hold_seconds)
        await bot.send_message(chat_id, "Relax.")

    async def hold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Start a hold: say so now, and relax when the timer ends."""
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer()
        await context.bot.send_message(query.message.chat.id, f"Hold for {hold_seconds:g} s.")
        timer = asyncio.create_task(relax_after(context.bot, query.message.chat.id))
        timers.add(timer)
        timer.add_done_callback(timers.discard)

    application.add_handler(CallbackQueryHandler(hold, pattern="^hold:go$"))
    return application


async def hold_main(args: argparse.Namespace) -> None:
    application = hold_application(args.base_url, args.rate, args.hold_seconds)
    await start(application)
    _log("ready")
    await asyncio.sleep(max(0.0, args.fanout_at - time.time()))
    summary = await fan_out(application.bot, range(args.first, args.first + args.count))
    _log("fan-out done", **summary)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()
    await stop(application)


# --- naive: one job per patient ------------------------------------------------------------------


async def remind(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send one patient's reminder (never runs in the benchmark: nothing is due)."""
    assert context.job is not None and isinstance(context.job.chat_id, int)
    await context.bot.send_message(context.job.chat_id, REMINDER_TEXT, reply_markup=REMINDER_KEYBOARD)


async def load_jobs(application: AnyApplication, database_url: str) -> int:
    """Read every reminder and add one run_daily job for it, as a naive bot does at start."""
    engine = create_async_engine(database_url)
    query = select(Reminder.patient_id, Reminder.local_time, Reminder.weekdays, Patient.timezone).join(
        Patient, Patient.id == Reminder.patient_id
    ).where(Reminder.enabled)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    await engine.dispose()
    assert application.job_queue is not None
    for patient_id, local_time, weekdays, zone in rows:
        application.job_queue.run_daily(
            remind,
            local_time.replace(tzinfo=ZoneInfo(zone)),
            days=tuple(sorted(mask_to_weekdays(weekdays))),
            name=f"reminder:{patient_id}",
            chat_id=patient_id,
            job_kwargs={"misfire_grace_time": None},
        )
    return len(rows)


async def naive_main(args: argparse.Namespace) -> None:
    application = _builder(args.base_url).build()
    await application.initialize()
    jobs = await load_jobs(application, args.database_url)
    await application.start()  # the scheduler computes every job's next run time here
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    _log("ready", jobs=jobs)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()
    await stop(application)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare")
    parser.add_argument("kind", choices=["echo", "tap", "send", "hold", "naive"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--first", type=int, default=0, help="the first chat id of the fan-out")
    parser.add_argument("--count", type=int, default=0, help="chats in the fan-out")
    parser.add_argument("--fanout-at", type=float, default=0.0, help="unix time the fan-out starts")
    parser.add_argument("--hold-seconds", type=float, default=5.0)
    parser.add_argument("--database-url", default="")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    if args.kind in ("echo", "tap"):
        asyncio.run(serve_until_stopped(interactive_application(args.kind, args.base_url)))
    elif args.kind == "send":
        asyncio.run(send_main(args))
    elif args.kind == "hold":
        asyncio.run(hold_main(args))
    else:
        asyncio.run(naive_main(args))


if __name__ == "__main__":
    main()
