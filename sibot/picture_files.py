"""The Telegram file ids of the exercise pictures, one per bot and picture.

Telegram keeps a file it was sent and answers with its `file_id`, which is good for that bot only:
the first send of a picture uploads its bytes and stores the id here, every later send uses the id.
When Telegram refuses a stored id (a new bot token, a file it dropped) the picture is uploaded once
more and the new id replaces the old one.
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy.exc import IntegrityError

from sibot.core import Core
from sibot.models import PictureFile


async def stored_file_id(core: Core, bot_id: int, picture: str) -> str | None:
    """The file id Telegram gave this bot for this picture, if it has uploaded it."""
    async with core.db.transaction() as session:
        row = await session.get(PictureFile, (bot_id, picture))
        return None if row is None else row.file_id


async def remember_file_id(core: Core, bot_id: int, picture: str, file_id: str) -> None:
    """Keep the file id of an upload, in place of any id stored before."""
    # A send to another chat may upload it at the same moment and store its id first: both work.
    with suppress(IntegrityError):
        async with core.db.transaction() as session:
            row = await session.get(PictureFile, (bot_id, picture))
            if row is None:
                stored = PictureFile(
                    bot_id=bot_id, picture=picture, file_id=file_id, stored_at=core.clock.now()
                )
                session.add(stored)
            else:
                row.file_id, row.stored_at = file_id, core.clock.now()
