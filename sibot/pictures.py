"""The exercise pictures sibot sends: their names, and their files rendered once per process.

Each exercise has, for each side of a one-sided one, a looping animation (GIF, for
`sendAnimation`) from the start to the held position and back, and a still of the held position
(PNG). `sibot.exercise_drawings` draws them; its numpy, Pillow and matplotlib come with the first
picture a process needs, not at start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from sibot.routine import ROUTINE, SIDES, Side, exercise

PictureKind = Literal["animation", "still"]
PICTURE_KINDS: tuple[PictureKind, ...] = ("animation", "still")


@dataclass(frozen=True)
class RenderedExercise:
    """The animation (GIF) and the still (PNG) of one exercise on one side."""

    animation: bytes
    still: bytes

    def file(self, kind: PictureKind) -> bytes:
        return self.animation if kind == "animation" else self.still


def _render(key: str) -> dict[Side | None, RenderedExercise]:
    from sibot.exercise_drawings import render_exercise

    files = render_exercise(key, picture_sides(key))
    return {side: RenderedExercise(*pair) for side, pair in files.items()}


def picture_sides(key: str) -> tuple[Side | None, ...]:
    """The sides an exercise has pictures for: right and left, or one picture for both."""
    return SIDES if exercise(key).per_side else (None,)


def picture_name(key: str, side: Side | None, kind: PictureKind) -> str:
    """The stable name of one picture file, which keys its stored Telegram file id."""
    return ".".join(part for part in (key, side, kind) if part)


def picture_file_name(name: str) -> str:
    """The file name Telegram shows for a picture."""
    return f"{name.rsplit('.', 1)[0]}.{'gif' if name.endswith('animation') else 'png'}"


def all_picture_names() -> tuple[str, ...]:
    """Every picture sibot sends: each exercise, each side, animation and still."""
    return tuple(
        picture_name(entry.key, side, kind)
        for entry in ROUTINE
        for side in picture_sides(entry.key)
        for kind in PICTURE_KINDS
    )


_rendered: dict[str, dict[Side | None, RenderedExercise]] = {}
_render_lock = threading.Lock()


def rendered(key: str, side: Side | None) -> RenderedExercise:
    """The pictures of an exercise (and side), rendered on the first call in this process only.

    Slow (a second or so) the first time: call it from a worker thread, never the event loop.
    """
    with _render_lock:
        if key not in _rendered:
            _rendered[key] = _render(key)
        return _rendered[key][side]


def picture_file(name: str) -> bytes:
    """The bytes of a picture by its name (see `picture_name`)."""
    parts = name.split(".")
    key, kind = parts[0], parts[-1]
    side = parts[1] if len(parts) == 3 else None
    return rendered(key, side).file(kind)  # type: ignore[arg-type]
