"""Typed answers: text (or a shared location) goes to whoever `patient.awaiting` says waits for it.

Each feature names what it waits for in its `register` with `expect(application, name, callback)`;
the fallback of handlers/commands.py (and the gate, during onboarding) calls `route`.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from telegram import Update

from handlers.ptb.context import AnyApplication, BotContext

AnswerCallback = Callable[[Update, BotContext], Awaitable[None]]
_REGISTRY_KEY = "free_text_answers"
# Enough of a typed answer to recognise it when it is quoted back.
_QUOTE_LENGTH = 40


def expect(application: AnyApplication, awaiting: str, answer: AnswerCallback) -> None:
    """Have `answer` handle typed text and locations while a patient's `awaiting` is `awaiting`."""
    answers: dict[str, AnswerCallback] = application.bot_data.setdefault(_REGISTRY_KEY, {})
    if awaiting in answers:
        raise ValueError(f"two features wait for the typed answer {awaiting!r}")
    answers[awaiting] = answer


async def route(update: Update, context: BotContext) -> bool:
    """Hand a typed answer to the feature that waits for it; False when none does."""
    awaiting = context.patient.awaiting
    answer = context.bot_data.get(_REGISTRY_KEY, {}).get(awaiting)
    if answer is None:
        return False
    await answer(update, context)
    return True


def quoted(update: Update) -> str:
    """What the patient typed, shortened and escaped, to quote it back in HTML."""
    typed = " ".join((update.message.text or "").split()) if update.message else ""
    if len(typed) > _QUOTE_LENGTH:
        typed = typed[: _QUOTE_LENGTH - 1] + "…"
    return html.escape(typed)
