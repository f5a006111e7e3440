"""The exercise pictures sibot sends: their names and their files.

Each exercise has, for each side of a one-sided one, a looping animation (GIF, for
`sendAnimation`) from the start to the held position and back, and a still of the held position
(PNG). `sibot.exercise_drawings` draws them at build time (`python -m sibot.exercise_drawings`
writes them to `sibot/exercise_pictures/`, where the README shows the stills too); the bot only
reads the files, so no process spends seconds of CPU drawing, and a test keeps the files identical
to what the code draws.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from sibot.routine import ROUTINE, SIDES, Side, exercise

PictureKind = Literal["animation", "still"]
PICTURE_KINDS: tuple[PictureKind, ...] = ("animation", "still")
PICTURES_FOLDER = Path(__file__).parent / "exercise_pictures"


def picture_sides(key: str) -> tuple[Side | None, ...]:
    """The sides an exercise has pictures for: right and left, or one picture for both."""
    return SIDES if exercise(key).per_side else (None,)


def picture_name(key: str, side: Side | None, kind: PictureKind) -> str:
    """The stable name of one picture file, which keys its stored Telegram file id."""
    return ".".join(part for part in (key, side, kind) if part)


def picture_file_name(name: str) -> str:
    """The file name Telegram shows for a picture."""
    return f"{name.rsplit('.', 1)[0]}.{'gif' if name.endswith('animation') else 'png'}"


@cache
def all_picture_names() -> tuple[str, ...]:
    """Every picture sibot sends: each exercise, each side, animation and still."""
    return tuple(
        picture_name(entry.key, side, kind)
        for entry in ROUTINE
        for side in picture_sides(entry.key)
        for kind in PICTURE_KINDS
    )


@cache
def picture_file(name: str) -> bytes:
    """The bytes of a picture by its name (see `picture_name`), read once per process."""
    if name not in all_picture_names():
        raise KeyError(name)
    return (PICTURES_FOLDER / picture_file_name(name)).read_bytes()
