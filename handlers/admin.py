"""Operator commands, for SIBOT_ADMIN_IDS only: /stats and /broadcast with a confirmation.

They sit in group -2, before the gatekeeper, and stop the update there. For anyone else the
filter does not match, so the update goes on and gets the ordinary unknown-command answer. A
broadcast's buttons check SIBOT_ADMIN_IDS when pressed, and the core lets only the operator who
wrote the broadcast send or cancel it.

A job looks at start and every minute for broadcasts a stop or a dead replica cut off, and goes
on with them (`sibot.operators.resume_broadcasts`), or ends them when they were cancelled.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from handlers.buttons import BROADCAST, parse_callback
from handlers.ptb.context import AnyApplication, BotContext, core_of
from handlers.ptb.transport import TelegramSender, acknowledge, inline_keyboard
from sibot.operators import (
    NO_COHORT,
    BroadcastEnd,
    BroadcastState,
    BroadcastView,
    Cancellation,
    CohortStats,
    Refusal,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    end_cancelled_broadcasts,
    resume_broadcasts,
    send_broadcast,
    stats_by_cohort,
    total,
)
from sibot.ports import Button
from sibot.texts import text

ADMIN_GROUP = -2
MAX_BROADCAST_LENGTH = 4096
LANGUAGE = "en"  # operators read the operator texts in English
# A broadcast whose replica died is taken over once its hold (BROADCAST_HOLD) has run out.
RESUME_EVERY = timedelta(minutes=1)
RESUME_JOB = "broadcast-resume"
REFUSALS = {
    Refusal.UNKNOWN: "admin.broadcast_stale",
    Refusal.NOT_YOURS: "admin.broadcast_not_yours",
    Refusal.SENDING: "admin.broadcast_already_sending",
    Refusal.FINISHED: "admin.broadcast_already_finished",
    Refusal.CANCELLED: "admin.broadcast_was_cancelled",
    Refusal.EXPIRED: "admin.broadcast_expired",
}


def register(application: AnyApplication) -> None:
    admins = filters.User(user_id=core_of(application).settings.admin_ids)
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("stats", stats, admins & private), ADMIN_GROUP)
    application.add_handler(CommandHandler("broadcast", broadcast, admins & private), ADMIN_GROUP)
    application.add_handler(
        CallbackQueryHandler(broadcast_button, pattern=BROADCAST.pattern), ADMIN_GROUP
    )


async def stats(update: Update, context: BotContext) -> None:
    rows = await stats_by_cohort(context.core)
    parts = [text(LANGUAGE, "admin.stats_title")]
    if not rows:
        parts.append(text(LANGUAGE, "admin.stats_empty"))
    else:
        parts.append(_stats_block(total(rows), text(LANGUAGE, "admin.stats_total")))
        parts.extend(_stats_block(row, _cohort_label(row)) for row in rows)
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n\n".join(parts), parse_mode=ParseMode.HTML)
    raise ApplicationHandlerStop


def _cohort_label(row: CohortStats) -> str:
    name = text(LANGUAGE, "admin.stats_no_cohort") if row.cohort == NO_COHORT else row.cohort
    return text(LANGUAGE, "admin.stats_cohort", cohort=html.escape(name))


def _stats_block(row: CohortStats, label: str) -> str:
    figures = {name: getattr(row, name) for name in CohortStats.__slots__ if name != "cohort"}
    followed = text(LANGUAGE, "admin.stats_followed", followed=row.followed)
    return text(LANGUAGE, "admin.stats_row", label=label, **figures) + "\n" + followed


async def broadcast(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    body = (message.text or "").partition(" ")[2].strip()
    if not body:
        await message.reply_text(text(LANGUAGE, "admin.broadcast_usage"))
    elif len(body) > MAX_BROADCAST_LENGTH:
        await message.reply_text(text(LANGUAGE, "admin.broadcast_too_long", length=len(body)))
    else:
        draft = await draft_broadcast(context.core, update.effective_user.id, body)
        buttons = [
            [
                Button(text(LANGUAGE, "admin.broadcast_send"), BROADCAST.data("send", draft.id)),
                _cancel_button(draft.id),
            ]
        ]
        preview = text(
            LANGUAGE, "admin.broadcast_preview", recipients=draft.recipients, text=html.escape(body)
        )
        await message.reply_text(preview, parse_mode=ParseMode.HTML, reply_markup=inline_keyboard(buttons))
    raise ApplicationHandlerStop


def _cancel_button(broadcast_id: int) -> Button:
    return Button(text(LANGUAGE, "admin.broadcast_cancel"), BROADCAST.data("cancel", broadcast_id))


async def broadcast_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    if query.from_user.id not in context.core.settings.admin_ids:
        return  # not an operator (or no more): the update goes on to the ordinary stale-button answer
    data = parse_callback(query.data)
    broadcast_id = data.int_arg(0) if data is not None else None
    if data is None or broadcast_id is None or data.action not in ("send", "cancel"):
        await acknowledge(query, text(LANGUAGE, "admin.broadcast_stale"))
    elif data.action == "cancel":
        await _cancel(update, context, broadcast_id)
    else:
        await _send_confirmed(update, context, broadcast_id)
    raise ApplicationHandlerStop


async def _send_confirmed(update: Update, context: BotContext, broadcast_id: int) -> None:
    query = update.callback_query
    assert query is not None
    confirmed = await confirm_broadcast(context.core, broadcast_id, query.from_user.id)
    if isinstance(confirmed, Refusal):
        await acknowledge(query, text(LANGUAGE, REFUSALS[confirmed]), alert=True)
        return
    await acknowledge(query)
    await query.edit_message_text(
        text(LANGUAGE, "admin.broadcast_sending", recipients=confirmed.recipients),
        reply_markup=inline_keyboard([[_cancel_button(broadcast_id)]]),
    )
    # Sending to thousands takes minutes at bulk priority: do it beside the update, not in it.
    context.application.create_task(
        _deliver(context.application, confirmed), update=update, name=f"broadcast:{broadcast_id}"
    )


async def _cancel(update: Update, context: BotContext, broadcast_id: int) -> None:
    query = update.callback_query
    assert query is not None
    cancelled = await cancel_broadcast(context.core, broadcast_id, query.from_user.id)
    if isinstance(cancelled, Refusal):
        await acknowledge(query, text(LANGUAGE, REFUSALS[cancelled]), alert=True)
        return
    await acknowledge(query)
    await query.edit_message_text(_cancelled_text(cancelled))


def _cancelled_text(cancelled: Cancellation) -> str:
    if cancelled.stopping:  # the replica sending it reports the counts when it has stopped
        return text(LANGUAGE, "admin.broadcast_stopping")
    if cancelled.sent or cancelled.failed:
        return text(LANGUAGE, "admin.broadcast_stopped", sent=cancelled.sent, failed=cancelled.failed)
    return text(LANGUAGE, "admin.broadcast_cancelled")


async def on_start(application: AnyApplication) -> None:
    """Look now, and then every minute, for broadcasts nobody is sending any more."""
    job_queue = application.job_queue
    assert job_queue is not None, "install python-telegram-bot[job-queue]"
    # A first run given as `first=0` falls due before the job queue starts, and APScheduler then
    # moves it one interval on; a run time of its own (no misfire limit) keeps the look at start.
    job_queue.run_repeating(
        _resume, interval=RESUME_EVERY, name=RESUME_JOB,
        job_kwargs={"next_run_time": datetime.now(UTC), "misfire_grace_time": None},
    )


async def _resume(context: BotContext) -> None:
    for ended in await end_cancelled_broadcasts(context.core):
        await _report(context.application, ended)
    for broadcast in await resume_broadcasts(context.core):
        context.application.create_task(
            _deliver(context.application, broadcast), name=f"broadcast:{broadcast.id}"
        )
        await context.bot.send_message(
            broadcast.admin_id,
            text(LANGUAGE, "admin.broadcast_resumed", recipients=broadcast.recipients),
            reply_markup=inline_keyboard([[_cancel_button(broadcast.id)]]),
        )


async def _deliver(application: AnyApplication, broadcast: BroadcastView) -> None:
    """Send the broadcast; a bot that is stopping leaves the rest to its next start."""
    sender = TelegramSender(application.bot)
    core = core_of(application)
    ended = await send_broadcast(core, sender, broadcast, lambda: application.running)
    if ended is not None:
        await _report(application, ended)


async def _report(application: AnyApplication, ended: BroadcastEnd) -> None:
    """Tell the operator how their broadcast ended."""
    key = "admin.broadcast_done" if ended.state is BroadcastState.FINISHED else "admin.broadcast_stopped"
    await application.bot.send_message(
        ended.admin_id, text(LANGUAGE, key, sent=ended.sent, failed=ended.failed)
    )
