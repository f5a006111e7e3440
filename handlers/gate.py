"""The gatekeepers: is this update what it says it is (group -3), who is this, and may the
update go on to the features (group -1)?

In a private chat Telegram's chat id is the user's id. An update that says otherwise was made up
(a forged webhook call): answering it would send one patient's data into another's chat, so the
first gate drops it before anything else sees it, the operator commands included.

The second, in group -1, takes Telegram's word that a user blocked or unblocked the bot (a
my_chat_member update): it marks them inactive or active again at once, and the update goes no
further. For every other private update it loads the patient (creating them on first contact), puts
the view in `context.patient` for the handlers of group 0, and holds back everything but
onboarding's own buttons and texts until the patient has finished onboarding. Updates without a
user, from groups and channels, edits and the like never reach a feature.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop, ChatMemberHandler, TypeHandler

from handlers import onboarding
from handlers.buttons import DELETE, ONBOARDING, SHARE, feature_of, parse_callback
from handlers.ptb.context import AnyApplication, BotContext, remember_language
from handlers.ptb.transport import acknowledge
from sibot import patients
from sibot.onboarding import Step
from sibot.texts import text

log = logging.getLogger(__name__)

# Before the operator commands (group -2): a forged update must not reach them either.
SENDER_CHECK_GROUP = -3

# Commands a patient may use before onboarding is done: /start shows where they are, /delete
# erases what we stored on first contact (the disclaimer promises it), /help once consented.
# A clinician or carer who follows patients need not be a patient: /patients and sharing's buttons
# are theirs (each checked against the consent record).
_ALWAYS_OPEN = frozenset({"start", "delete", "patients"})
# The disclaimer promises /delete at any time, so its confirmation buttons must work too.
_FEATURES_OPEN_DURING_ONBOARDING = frozenset({ONBOARDING, DELETE, SHARE})
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


async def check_sender(update: Update, _context: BotContext) -> None:
    """Drop an update from a private chat that is not its sender's own."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or chat.id == user.id:
        return
    log.warning(
        "update dropped: its private chat is not its sender's",
        extra={"user_id": user.id, "chat_id": chat.id},
    )
    raise ApplicationHandlerStop


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
    context.patient = await patients.meet(context.core, contact)
    remember_language(context.application, user, context.patient.language)
    if context.patient.advised_at is not None and not _open_during_emergency(update, command):
        await onboarding.emergency_hold(update, context)
        raise ApplicationHandlerStop
    if context.patient.onboarded or _open_during_onboarding(update, command, context.patient):
        return
    await onboarding.hold_back(update, context)
    raise ApplicationHandlerStop


def _open_during_emergency(update: Update, command: str | None) -> bool:
    """/delete and its buttons, and the answer to "Has a clinician examined you since?"."""
    if update.callback_query is not None:
        data = parse_callback(update.callback_query.data)
        return data is not None and (data.feature == DELETE or (data.feature == ONBOARDING and data.action == "seen"))
    return command == "delete"


def _open_during_onboarding(update: Update, command: str | None, patient: patients.PatientView) -> bool:
    if update.callback_query is not None:
        return feature_of(update.callback_query.data) in _FEATURES_OPEN_DURING_ONBOARDING
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


def register_sender_check(application: AnyApplication) -> None:
    application.add_handler(TypeHandler(Update, check_sender), group=SENDER_CHECK_GROUP)


async def note_membership(update: Update, context: BotContext) -> None:
    """Mark a user who blocked the bot inactive at once (and active again when they unblock it);
    such an update is for no feature."""
    change = update.my_chat_member
    assert change is not None
    if change.chat.type == ChatType.PRIVATE:
        blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
        await patients.note_blocked(context.core, change.from_user.id, blocked)
    raise ApplicationHandlerStop


def register(application: AnyApplication) -> None:
    # the same group as the gatekeeper, before it: a block or unblock never reaches admit
    application.add_handler(ChatMemberHandler(note_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=-1)
    application.add_handler(TypeHandler(Update, admit), group=-1)
