"""The Telegram glue. `register` adds every handler; the group numbers are commented.

What lives where: one module per feature (onboarding, settings, diary, exercise, learn, reminders,
sharing, admin, and commands: /help, the menu and the fallbacks), the gate and the flood limit (floods) before
them, the button route table and codec (buttons), the chat messages' renderers (render), the
pickers onboarding and /settings share (pickers), and free_text, which routes a typed answer to the feature awaiting it. Under them,
`handlers.ptb` is the python-telegram-bot plumbing: transport, HTTP, concurrency, webhook,
lifecycle, start, errors, context, sandbox; it imports none of these modules.

PTB runs at most one handler per group for an update, in the order of the groups:
  -3  the sender check (gate): drops a private-chat update whose chat is not its sender's.
  -2  operator commands (admin): only for SIBOT_ADMIN_IDS; they stop the update.
  -1  the gatekeeper (gate): Telegram's word of a block or unblock first; then it loads or
      creates the patient and holds back who has not onboarded.
   0  every feature's commands and buttons, then the fallbacks (commands), which must come last.
Before any of them, as an update arrives, the flood limit (floods) may hold it back.
"""

from __future__ import annotations

from handlers import admin
from handlers import commands
from handlers import diary
from handlers import exercise
from handlers import floods
from handlers import function
from handlers import gate
from handlers import learn
from handlers import onboarding
from handlers import reminders
from handlers import settings
from handlers import sharing
from handlers.ptb.context import AnyApplication


def register(application: AnyApplication) -> None:
    """Add every handler of the bot, in the order they must see an update."""
    floods.register(application)  # at the update processor's door, before a chat's turn
    gate.register_sender_check(application)  # group -3: a forged chat goes no further
    admin.register(application)  # group -2: operator commands
    gate.register(application)  # group -1: the patient in context.patient; onboarding first
    sharing.register(application)  # group 0: /start share_<code> (before onboarding's), /share /patients, sh:
    onboarding.register(application)  # group 0: /start, ob:
    settings.register(application)  # group 0: /settings /pause /resume, st:
    diary.register(application)  # group 0: /pain /progress /report /export /delete, pn: dl:
    exercise.register(application)  # group 0: /exercise /exercises, ss: lib:
    learn.register(application)  # group 0: /learn, lr:
    function.register(application)  # group 0: fn: pg: (everyday activities, the step offered)
    reminders.register(application)  # group 0: rm: (snooze, skip today)
    commands.register(application)  # group 0, LAST: /help, unknown command, free text, old buttons


async def on_start(application: AnyApplication) -> None:
    """Work each feature does once the database is up: command menu, timers, the dispatcher,
    broadcasts to resume."""
    await exercise.on_start(application)
    await commands.on_start(application)
    await reminders.on_start(application)  # the reminder dispatcher job
    await sharing.on_start(application)  # sharing's outbox, in the dispatcher's job
    await admin.on_start(application)  # broadcasts a stop or a crash cut off
