"""The store of Telegram file ids, one per bot and picture, on both kinds of database."""

from __future__ import annotations

from sibot.core import Core
from sibot.picture_files import remember_file_id, stored_file_id

PICTURE = "knee_to_chest.right.animation"


async def test_an_uploaded_id_is_kept_per_bot_and_a_new_one_replaces_it(core: Core) -> None:
    assert await stored_file_id(core, 1, PICTURE) is None
    await remember_file_id(core, 1, PICTURE, "first-id")
    await remember_file_id(core, 2, PICTURE, "another-bots-id")
    assert await stored_file_id(core, 1, PICTURE) == "first-id"
    assert await stored_file_id(core, 1, "knee_to_chest.left.animation") is None

    await remember_file_id(core, 1, PICTURE, "after-a-refusal")

    assert await stored_file_id(core, 1, PICTURE) == "after-a-refusal"
    assert await stored_file_id(core, 2, PICTURE) == "another-bots-id"
