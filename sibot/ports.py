"""The small interfaces the core talks through, so that tests can put a recording fake in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sibot.function import Card


class Priority(IntEnum):
    """Who goes first when the rate limiter has a queue: lower values are sent earlier."""

    INTERACTIVE = 0  # an answer to what the patient just did; a hold is running
    REMINDER = 1  # reminder fan-out can wait a few seconds
    BULK = 2  # operator broadcasts


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: what the patient reads, and the callback data (at most 64 bytes)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message the core wants sent: text (HTML) and rows of inline buttons.

    With a `photo` (PNG bytes drawn for this message alone, a chart) or a `picture` (a name from
    `sibot.pictures`, sent by its stored file id) the text is its caption (at most 1024 characters).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    photo: bytes | None = None
    picture: str | None = None


class SendError(Exception):
    """Telegram did not take a message."""


class RecipientBlocked(SendError):
    """The patient blocked the bot (403); sending again will not help."""


class TemporarySendFailure(SendError):
    """A network fault, a 5xx or a 429 that outlived our retries; worth trying again later."""


class Sender(Protocol):
    """Sends a message to a chat and returns Telegram's message id."""

    async def send(
        self, chat_id: int, message: OutgoingMessage, *, priority: Priority = Priority.INTERACTIVE
    ) -> int: ...


class ReminderRenderer(Protocol):
    """The messages the dispatcher sends by itself; the glue draws them (with their buttons).

    Pure functions of their arguments: a fan-out asks for the same few thousands of times, and an
    implementation may build each once."""

    def reminder(self, language: str, minutes: int, ask_signs: bool) -> OutgoingMessage:
        """The daily reminder (and a snoozed one), for a routine of about `minutes`; with the
        weekly "Any new warning signs?" when `ask_signs`."""
        ...

    def followup(self, language: str) -> OutgoingMessage:
        """The one gentle follow-up of a reminder that was left alone."""
        ...

    def weekly(self, language: str, card: Card) -> OutgoingMessage:
        """The weekly function check: the first activity to score, or a step offered."""
        ...


class Doorbell:
    """Rung by a use case that queued something an outbox must send at once (an emergency alert
    to a follower); the glue answers it by waking the dispatcher. Unanswered (unit tests, before
    the dispatcher runs) a ring does nothing: the dispatcher's next tick finds the row anyway."""

    def __init__(self) -> None:
        self._answer: Callable[[], None] | None = None

    def answer_with(self, answer: Callable[[], None]) -> None:
        self._answer = answer

    def ring(self) -> None:
        if self._answer is not None:
            self._answer()


class Clock(Protocol):
    """The current instant, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)
