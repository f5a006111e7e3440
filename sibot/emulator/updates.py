"""The updates waiting for the bot, handed out by getUpdates long polls or a webhook."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sibot.emulator.changes import Changes
from sibot.emulator.wire import ApiError

MAX_UPDATES_PER_POLL = 100
# An empty allowed_updates list means every type but these.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass(slots=True)
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    """Pending updates in order, numbered as Telegram numbers them."""

    def __init__(self) -> None:
        self.pending: deque[dict[str, Any]] = deque()
        self.changes = Changes()
        self.webhook: Webhook | None = None
        self.allowed_updates: list[str] = []
        self._next_update_id = 1
        self._newest_poll = 0
        self._closed = False

    def push(self, body: dict[str, Any]) -> int | None:
        """Numbers and queues an update; None when allowed_updates filters it out."""
        kind = update_type(body)
        if self.allowed_updates and kind not in self.allowed_updates:
            return None
        if not self.allowed_updates and kind in OPT_IN_UPDATE_TYPES:
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        self.pending.append({"update_id": update_id, **body})
        self.changes.notify()
        return update_id

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Keeps the previous setting when the caller gave none, as Telegram does."""
        if allowed is not None:
            self.allowed_updates = list(allowed)

    def drop_pending(self) -> None:
        self.pending.clear()

    def set_webhook(self, webhook: Webhook | None) -> None:
        self.webhook = webhook
        self.changes.notify()

    def close(self) -> None:
        """Ends every waiting poll with what it has."""
        self._closed = True
        self.changes.notify()

    def confirm(self, offset: int) -> None:
        """Forgets updates before `offset`; a negative one keeps only the last -offset updates."""
        if offset < 0:
            while len(self.pending) > -offset:
                self.pending.popleft()
            return
        while self.pending and self.pending[0]["update_id"] < offset:
            self.pending.popleft()

    async def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """getUpdates: a newer poll ends an older one that is still waiting, with 409."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        if offset is not None:
            self.confirm(offset)
        self._newest_poll += 1
        this_poll = self._newest_poll
        self.changes.notify()
        limit = min(max(limit, 1), MAX_UPDATES_PER_POLL)

        def ready() -> list[dict[str, Any]] | None:
            if this_poll != self._newest_poll:
                raise ApiError(409, TERMINATED_BY_OTHER_POLL)
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)
            if self.pending or self._closed:
                return list(islice(self.pending, limit))
            return None

        try:
            return await self.changes.wait_until(ready, max(timeout, 0.0))
        except TimeoutError:
            return []
