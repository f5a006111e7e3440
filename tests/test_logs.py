"""The production log handler: secrets redacted in every field, libraries kept quiet, and a failed
statement logged without its parameters."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from sibot.db import Database
from sibot.logs import log_handler, set_levels
from sibot.models import Checkin
from tests.conftest import TOKEN_SECRET
from tests.harness import TOKEN

FORMATS = ["json", "text"]


@pytest.fixture
def written(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """What the production handler, in the test's format, writes from the root logger."""
    lines = io.StringIO()
    handler = log_handler(lines, request.param, [TOKEN])
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


@pytest.mark.parametrize("written", FORMATS, indirect=True)
def test_extra_fields_are_redacted_whatever_their_type(written: io.StringIO) -> None:
    url = f"https://bot.example.org/{TOKEN}"
    logging.getLogger("sibot.test").warning(
        "webhook set",
        extra={"webhook_url": url, "headers": {"Referer": quote(url, safe="")}, "parts": [TOKEN_SECRET],
               "port": 8443},
        stack_info=True,
    )
    line = written.getvalue()
    assert TOKEN_SECRET not in line
    assert "https://bot.example.org/[redacted]" in line and "8443" in line


@pytest.mark.parametrize("written", FORMATS, indirect=True)
async def test_an_access_log_of_the_token_as_webhook_path_is_redacted(written: io.StringIO) -> None:
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.INFO)  # asked for: libraries are quiet otherwise
    async def take(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(f"/{TOKEN}", take)
    try:
        async with TestClient(TestServer(app)) as client:
            assert (await client.post(f"/{TOKEN}", headers={"Referer": f"/{TOKEN}"})).status == 200
            assert (await client.post(f"/{quote(TOKEN, safe='')}")).status == 200
    finally:
        access.setLevel(logging.NOTSET)
    lines = [line for line in written.getvalue().splitlines() if "POST /" in line]
    assert len(lines) == 2
    assert not [line for line in lines if TOKEN_SECRET in line]


@pytest.mark.parametrize("written", ["text"], indirect=True)
def test_libraries_stay_at_warning_whatever_the_bots_level(written: io.StringIO) -> None:
    set_levels("DEBUG")
    logging.getLogger("fontTools.subset").info("Glyph names: ['Z', 'e', 'b']")
    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint `sendMessage`")
    logging.getLogger("aiohttp.access").info("POST /hook 200")
    logging.getLogger("sqlalchemy.engine").warning("a library's warning")
    logging.getLogger("handlers.diary").debug("the bot's own debug line")
    logging.getLogger("sibot.updates").debug("another of the bot's own")
    lines = written.getvalue()
    assert "a library's warning" in lines and "own debug line" in lines and "another of" in lines
    assert "Glyph" not in lines and "Bot API" not in lines and "POST" not in lines


@pytest.mark.parametrize("written", ["json"], indirect=True)
async def test_a_failed_statement_is_logged_without_its_parameters(
    database: Database, written: io.StringIO
) -> None:
    # No such patient: the foreign key refuses the check-in on both databases.
    row = {"patient_id": 404_000_404, "at": datetime.now(UTC), "score": 9, "source": "Zebediah"}
    with pytest.raises(DBAPIError) as failed:
        async with database.transaction() as session:
            await session.execute(insert(Checkin).values(row))
    logging.getLogger("handlers.ptb.errors").error("update failed", exc_info=failed.value)
    line = written.getvalue()
    assert "update failed" in line and "INSERT INTO checkins" in line
    assert "SQL parameters hidden" in line
    assert "404000404" not in line and "Zebediah" not in line
