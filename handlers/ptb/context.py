"""The typed callback context: `context.core` instead of digging in bot_data."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from sibot.core import Core
from sibot.patients import PatientView

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
