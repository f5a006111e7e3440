"""The gatekeeper (group -1): who is this, and may the update go on to the features?

It loads the patient behind every private update (creating them on first contact), puts the view
in `context.patient` for the handlers of group 0, and holds back everything but onboarding's own
buttons and texts until the patient has finished onboarding. Updates without a user, from groups
and channels, edits and the like never reach a feature.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from handlers import onboarding
from handlers.context import AnyApplication, BotContext
from handlers.keyboards import parse_callback
from handlers.transport import acknowledge
from sibot import patients
from sibot.onboarding import Step
from sibot.texts import text

# Commands a patient may use before onboarding is done: /start shows where they are, /delete
# erases what we stored on first contact (the disclaimer promises it), /help once consented.
_ALWAYS_OPEN = frozenset({"start", "delete"})
# The disclaimer promises /delete at any time, so its confirmation buttons must work too.
_FEATURES_OPEN_DURING_ONBOARDING = frozenset({onboarding.FEATURE, "dl"})
_OPEN_AFTER_CONSENT = frozenset({"help"})


def command_of(message: Message | None) -> str | None:
    """The command a message starts with, lower case and without a @botname; None for others."""
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split(maxsplit=1)[0][1:].partition("@")[0].casefold()


def _payload(message: Message | None) -> str | None:
    """What follows the command: "/start abc" -> "abc"."""
    parts = (message.text or "").split(maxsplit=1) if message is not None else []
    return parts[1] if len(parts) > 1 else None


async def admit(update: Update, context: BotContext) -> None:
    """Load or create the patient; hold back what a patient in onboarding may not do yet."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot or (update.message is None and update.callback_query is None):
        raise ApplicationHandlerStop
    if chat is None or chat.type != ChatType.PRIVATE:
        await _refuse_outside_private_chat(update)
        raise ApplicationHandlerStop
    command = command_of(update.message)
    contact = patients.Contact(
        user_id=user.id,
        first_name=user.first_name,
        language_code=user.language_code,
        is_start=command == "start",
        start_payload=_payload(update.message) if command == "start" else None,
    )
    context.patient = await _meet(context, contact)
    if context.patient.onboarded or _open_during_onboarding(update, command, context.patient):
        return
    await onboarding.hold_back(update, context)
    raise ApplicationHandlerStop


async def _meet(context: BotContext, contact: patients.Contact) -> patients.PatientView:
    try:
        return await _meet_once(context, contact)
    except IntegrityError:
        # Another replica created the same patient a moment ago; theirs stands.
        return await _meet_once(context, contact)


async def _meet_once(context: BotContext, contact: patients.Contact) -> patients.PatientView:
    core = context.core
    return await patients.meet(core.db, contact, core.clock.now(), core.settings.default_timezone)


def _open_during_onboarding(update: Update, command: str | None, patient: patients.PatientView) -> bool:
    if update.callback_query is not None:
        parsed = parse_callback(update.callback_query.data)
        return parsed is not None and parsed.feature in _FEATURES_OPEN_DURING_ONBOARDING
    if command in _ALWAYS_OPEN:
        return True
    return command in _OPEN_AFTER_CONSENT and patient.onboarding_step != Step.DISCLAIMER


async def _refuse_outside_private_chat(update: Update) -> None:
    """Say once, briefly, that sibot works in private chats; stay silent on group chatter."""
    language = patients.language_for(update.effective_user.language_code if update.effective_user else None)
    if update.callback_query is not None:
        await acknowledge(update.callback_query, text(language, "onboarding.private_only"))
    elif command_of(update.message) is not None and update.message is not None:
        await update.message.reply_text(text(language, "onboarding.private_only"))


def register(application: AnyApplication) -> None:
    application.add_handler(TypeHandler(Update, admit), group=-1)
