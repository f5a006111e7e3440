"""The typed callback context: `context.core` instead of digging in bot_data."""

from __future__ import annotations

from typing import Any

from telegram import User
from telegram.ext import Application, CallbackContext, ExtBot

from sibot.core import Core
from sibot.patients import PatientView, language_for

CORE_KEY = "core"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context every sibot callback receives.

    PTB builds one context per update and hands it to every handler group, so the gatekeeper
    (group -1) loads the patient once and later handlers read `context.patient`.
    """

    # Set by the gatekeeper, which stops any update it does not admit: every handler of group 0
    # and later finds it. Groups before the gatekeeper have none.
    patient: PatientView

    @property
    def core(self) -> Core:
        return self.bot_data[CORE_KEY]


def core_of(application: AnyApplication) -> Core:
    return application.bot_data[CORE_KEY]


# The language a patient chose (/settings), kept in PTB's user_data for what answers a user before
# the gatekeeper loads the patient (the flood limit's notices), with no database read. Kept only
# when it differs from the language of the user's Telegram app, which an update carries anyway.
LANGUAGE_KEY = "language"


def remember_language(application: AnyApplication, user: User, chosen: str) -> None:
    """Note the language the user chose (the gatekeeper, at every update; /settings, when it
    changes)."""
    if chosen != language_for(user.language_code):
        application.user_data[user.id][LANGUAGE_KEY] = chosen
    elif (data := application.user_data.get(user.id)) is not None:
        data.pop(LANGUAGE_KEY, None)


def chosen_language(application: AnyApplication, user_id: int) -> str | None:
    """The language noted for the user by `remember_language`, if it differs from their app's."""
    data = application.user_data.get(user_id)
    return None if data is None else data.get(LANGUAGE_KEY)
