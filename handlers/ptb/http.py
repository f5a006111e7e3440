"""PTB's HTTP transport on aiohttp, the client library the webhook server already brings.

On PTB's default transport (httpx) a bare bot that answers and edits for a tap runs several times
the instructions it runs on this one, and CPU is what bounds the fan-out, the taps and the hold
timers on a small machine (benchmarks/README.md). This transport keeps PTB's contract: (status,
body) for every answer, TimedOut for timeouts, NetworkError for everything else that went wrong
on the way. aiohttp has no write timeout: the read timeout bounds each wait for Telegram.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from handlers.ptb.private import DefaultValue, ODVInput

# What PTB's own transport uses; enough for the fan-out's and the updates' calls in flight.
CONNECTIONS = 256
DEFAULT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 1.0
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """One aiohttp ClientSession per PTB request object, opened in `initialize`."""

    def __init__(self, *, connections: int = CONNECTIONS, read_timeout: float | None = DEFAULT_TIMEOUT_S) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        pool, connect = _seconds(pool_timeout, POOL_TIMEOUT_S), _seconds(connect_timeout, DEFAULT_TIMEOUT_S)
        timeout = aiohttp.ClientTimeout(
            # aiohttp's connect timeout covers the wait for a pooled connection too.
            connect=None if pool is None or connect is None else pool + connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        try:
            async with self._session.request(
                method, url, timeout=timeout, **_body(request_data)
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, asyncio.TimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """Plain parameters as one JSON object, which the Bot API takes as well as PTB's form. The form
    carries every object JSON-encoded, then percent-encoded, and parsing it costs Telegram's side
    as much: a good share of each reminder send's CPU (see benchmarks/README.md). Files go as
    multipart, the other parameters beside them as form fields."""
    if request_data is None:
        return {}
    if not request_data.contains_files:
        return {"data": json.dumps(request_data.parameters).encode(), "headers": _JSON}
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, *mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype[0] if mimetype else None)
    return {"data": form}
