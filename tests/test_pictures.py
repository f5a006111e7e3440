"""The exercise pictures: one animation and one still per exercise and side, drawn by the code."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageSequence

from handlers.render import (
    render_exercise_card,
    render_guided_relax,
    render_picture_caption,
    render_step,
)
from sibot.exercise_drawings import render_exercise
from sibot.pictures import (
    PICTURES_FOLDER,
    all_picture_names,
    picture_file,
    picture_file_name,
    picture_name,
    picture_sides,
)
from sibot.routine import ROUTINE, ROUTINE_KEYS, build_steps
from sibot.sessions import Awaiting, Source, new_session
from sibot.texts import available_languages, text
from tests.factories import patient_view

MAX_BYTES = 300_000
CAPTION_LIMIT = 1024  # Telegram's, for the caption of a photo or animation
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
# the stems of the words for right and left, before endings that agree with the noun
SIDE_STEMS = {"en": ("right", "left"), "de": ("recht", "link"), "es": ("derech", "izquierd"),
              "ru": ("прав", "лев")}


def _frames(gif: bytes) -> list[np.ndarray]:
    with Image.open(BytesIO(gif)) as image:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


def test_every_exercise_and_side_has_an_animation_and_a_still() -> None:
    expected = {
        f"{entry.key}.{side}.{kind}" if side else f"{entry.key}.{kind}"
        for entry in ROUTINE
        for side in (("right", "left") if entry.per_side else (None,))
        for kind in ("animation", "still")
    }
    assert set(all_picture_names()) == expected
    files = {path.name for path in PICTURES_FOLDER.iterdir()}
    assert files == {picture_file_name(name) for name in expected}
    for name in expected:
        data = picture_file(name)
        if name.endswith("animation"):
            assert data[:6] == b"GIF89a" and len(_frames(data)) > 5  # it moves
        else:
            assert data[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", all_picture_names())
def test_a_picture_is_phone_sized_and_small(name: str) -> None:
    data = picture_file(name)
    assert len(data) < MAX_BYTES
    with Image.open(BytesIO(data)) as image:
        assert 480 <= image.width <= 720
        if name.endswith("animation"):
            assert image.info["loop"] == 0  # loops for ever


@pytest.mark.parametrize("key", [entry.key for entry in ROUTINE if entry.per_side])
def test_the_left_side_is_the_exact_mirror_of_the_right(key: str) -> None:
    right, left = (_frames(picture_file(picture_name(key, side, "animation"))) for side in ("right", "left"))
    assert len(right) == len(left)
    for right_frame, left_frame in zip(right, left, strict=True):
        assert np.array_equal(np.fliplr(right_frame), left_frame)
    with Image.open(BytesIO(picture_file(picture_name(key, "right", "still")))) as still:
        with Image.open(BytesIO(picture_file(picture_name(key, "left", "still")))) as mirrored:
            assert np.array_equal(np.fliplr(np.asarray(still)), np.asarray(mirrored))


@pytest.mark.parametrize("key", ROUTINE_KEYS)
def test_the_committed_pictures_are_what_the_code_draws_byte_for_byte(key: str) -> None:
    """Drawing is deterministic; the files the bot sends and the README shows are up to date
    (`python -m sibot.exercise_drawings` writes them again)."""
    for side, (animation, still) in render_exercise(key, picture_sides(key)).items():
        assert animation == picture_file(picture_name(key, side, "animation"))
        assert still == picture_file(picture_name(key, side, "still"))


@pytest.mark.parametrize("language", available_languages())
def test_every_picture_caption_fits_telegram_in_every_language(language: str) -> None:
    steps = build_steps(ROUTINE_KEYS, hold_seconds=10, repetitions=20)
    intros = [step for step in steps if step.kind == "intro"]
    assert len(intros) == len(ROUTINE)
    for step in intros:
        caption = render_picture_caption(render_step(step, language), step.exercise, language)
        assert len(caption) <= CAPTION_LIMIT
    for key in ROUTINE_KEYS:  # a library card, with its still
        caption = render_picture_caption(render_exercise_card(key, language), key, language)
        assert len(caption) <= CAPTION_LIMIT
    for key, body in _second_side_switches(language):
        assert len(render_picture_caption(body, key, language, "left")) <= CAPTION_LIMIT


def _second_side_switches(language: str) -> list[tuple[str, str]]:
    """What the switch to each one-sided exercise's second side says, at both paces: at my pace
    its own message, at the guided pace the first side's last "Relax" (with one repetition, that
    "Relax" says everything in full)."""
    switches = []
    for entry in ROUTINE:
        if not entry.per_side:
            continue
        patient = patient_view(pace="guided", repetitions=1, hold_seconds=10)
        state = new_session(patient, (entry.key,), Source.LIBRARY, NOW)
        [side] = [step for step in state.steps if step.kind == "side" and step.side == "left"]
        relax = replace(state, awaiting=Awaiting.READY, step_index=side.index)
        switches += [
            (entry.key, render_step(side, language)),
            (entry.key, render_guided_relax(relax, language)),
        ]
    return switches


@pytest.mark.parametrize("language", available_languages())
def test_the_left_picture_is_told_with_the_sides_swapped_in_every_language(language: str) -> None:
    """The left picture mirrors the right one, so its caption is the right one's with right and
    left swapped (each word's stem, whatever its ending), in every language."""
    right_stem, left_stem = SIDE_STEMS[language]
    swap = {right_stem: left_stem, left_stem: right_stem}
    for entry in ROUTINE:
        if not entry.per_side:
            continue
        right, left = (text(language, entry.picture_key(side)) for side in ("right", "left"))
        swapped = re.sub(rf"\b({right_stem}|{left_stem})", lambda found: swap[found[1]], right)
        assert left == swapped != right


def test_the_readme_shows_the_still_of_each_exercise_as_the_bot_sends_it() -> None:
    """The README's table links the very files the bot sends, which the test above keeps equal
    to what the code draws."""
    readme = (PICTURES_FOLDER.parent.parent / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\(sibot/exercise_pictures/([\w.]+\.png)\)", readme))
    first_sides = {
        picture_file_name(picture_name(entry.key, picture_sides(entry.key)[0], "still"))
        for entry in ROUTINE
    }
    assert linked == first_sides
    assert all((PICTURES_FOLDER / name).is_file() for name in linked)
