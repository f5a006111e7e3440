"""Delivery of queued updates to the bot's webhook: one at a time, in order, retried until taken."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from sibot.emulator.updates import UpdateQueue, Webhook
from sibot.emulator.world import unix_now

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One POST of an update: the HTTP status, or the error when there was no answer."""

    update_id: int
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDelivery:
    def __init__(self, queue: UpdateQueue, *, retry_delay: float, timeout: float) -> None:
        self.queue = queue
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.attempts: list[WebhookAttempt] = []
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._deliver_forever(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _next(self) -> tuple[Webhook, dict[str, Any]] | None:
        if self.queue.webhook is None or not self.queue.pending:
            return None
        return self.queue.webhook, self.queue.pending[0]

    async def _deliver_forever(self) -> None:
        while True:
            webhook, update = await self.queue.changes.wait_until(self._next, None)
            attempt = await self._post(webhook, update)
            self.attempts.append(attempt)
            if attempt.delivered:
                if self.queue.pending and self.queue.pending[0] is update:
                    self.queue.pending.popleft()
                continue
            webhook.last_error_date = unix_now()
            webhook.last_error_message = attempt.error
            await asyncio.sleep(self.retry_delay)

    async def _post(self, webhook: Webhook, update: dict[str, Any]) -> WebhookAttempt:
        assert self._session is not None
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            return WebhookAttempt(update["update_id"], None, f"Connection failed: {error!r}")
        error = None
        if not 200 <= response.status < 300:
            error = f"Wrong response from the webhook: {response.status} {response.reason}"
        return WebhookAttempt(update["update_id"], response.status, error)
