"""Failures to inject, so tests can show the bot survives what Telegram and networks do."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["400", "5xx", "429", "timeout", "drop"]


@dataclass(slots=True)
class Fault:
    """One planned failure.

    kind: "400" refuses the call with `description`, as Telegram refuses what it cannot take;
    "5xx" answers `status`; "429" answers Too Many Requests with `retry_after`;
    "timeout" answers only after `delay` seconds; "drop" closes the connection unanswered.
    For "timeout" and "drop", `takes_effect` says whether the call still happens (the message is
    sent, only the answer is late or lost); otherwise the timeout ends in a dropped connection.
    The fault fires on matching calls with `probability` (drawn from the seeded generator) until
    it has fired `count` times (`None`: no end).
    """

    kind: FaultKind
    method: str | None = None
    chat_id: int | None = None
    count: int | None = 1
    probability: float = 1.0
    status: int = 500
    retry_after: int = 1
    delay: float = 10.0
    takes_effect: bool = False
    description: str = "Bad Request"
    injected: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (
            (self.count is None or self.injected < self.count)
            and (self.method is None or self.method.lower() == method.lower())
            and (self.chat_id is None or self.chat_id == chat_id)
        )


class Faults:
    """The planned failures, consulted in the order they were added."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._planned: list[Fault] = []
        self.injected = 0  # over the emulator's life, surviving clear()

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int | None = 1,
        probability: float = 1.0,
        status: int = 500,
        retry_after: int = 1,
        delay: float = 10.0,
        takes_effect: bool = False,
        description: str = "Bad Request",
    ) -> Fault:
        fault = Fault(
            kind, method, chat_id, count, probability, status, retry_after, delay, takes_effect,
            description,
        )
        self._planned.append(fault)
        return fault

    def clear(self) -> None:
        self._planned.clear()

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """The fault to inject into this call, if one fires."""
        for fault in self._planned:
            if fault.matches(method, chat_id) and self._random.random() < fault.probability:
                fault.injected += 1
                self.injected += 1
                return fault
        return None
