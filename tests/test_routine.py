"""The routine's content is complete, its sessions are well formed, and its words are our own."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import groupby
from pathlib import Path

import pytest

from handlers.render import render_about, render_exercise_card, render_relax, render_step
from sibot.routine import (
    MAX_HOLD_SECONDS,
    MAX_REPETITIONS,
    MIN_HOLD_SECONDS,
    MIN_REPETITIONS,
    ROUTINE,
    ROUTINE_KEYS,
    SIDES,
    Exercise,
    Step,
    StepKind,
    about_topics,
    build_steps,
    estimated_minutes,
    exercise,
    prop_up_in_pregnancy,
)
from sibot.texts import Plural, available_languages, catalog, text
from sibot.texts.en.routine import MESSAGES

# The seed article lives in the shared folder beside the repository (as in CI).
ARTICLE = Path(
    os.environ.get(
        "SIBOT_SOURCE_ARTICLE",
        Path(__file__).resolve().parents[2] / "shared" / "seed" / "si-joint-article.txt",
    )
)
# Hashes of the article's runs of eight words, for machines without the article.
ARTICLE_FINGERPRINT = Path(__file__).parent / "data" / "article-8grams.txt"
TELEGRAM_LIMIT = 4096
CATALOG_TEXT_LIMIT = 300
STEP_MESSAGE_LIMIT = 220  # visible characters; one glance on a phone
PREGNANCY_LINE_LIMIT = 100  # the line a pregnant patient reads more, in any language
ABOUT_PAGE_LIMIT = 700  # visible characters; one phone screen, buttons and all
LANGUAGE = "en"


def _steps_of(entry: Exercise, steps: tuple[Step, ...]) -> list[Step]:
    return [step for step in steps if step.exercise == entry.key]


def _all_rendered() -> Iterator[str]:
    for hold_seconds, repetitions in ((MIN_HOLD_SECONDS, MIN_REPETITIONS), (7, 5)):
        for step in build_steps(ROUTINE_KEYS, hold_seconds=hold_seconds, repetitions=repetitions):
            yield render_step(step, LANGUAGE)
            if step.kind is StepKind.INTRO:
                yield render_step(step, LANGUAGE, pregnant=True)
            if step.kind is StepKind.HOLD:
                yield render_relax(step, LANGUAGE)
    for key in ROUTINE_KEYS:
        yield render_exercise_card(key, LANGUAGE)
    for topic in about_topics():
        yield render_about(topic, LANGUAGE)


def test_the_routine_holds_the_six_exercises_in_the_articles_order() -> None:
    assert ROUTINE_KEYS == (
        "hip_adduction",
        "hip_abduction",
        "hip_flexion",
        "hip_abductor_stretch",
        "knee_to_chest",
        "piriformis_stretch",
    )
    assert [exercise(key) for key in ROUTINE_KEYS] == list(ROUTINE)
    assert exercise("hip_abduction").equipment == ("band",)
    assert exercise("hip_adduction").equipment == ("pillow",)
    assert {entry.key for entry in ROUTINE if entry.per_side} >= {
        "knee_to_chest",
        "piriformis_stretch",
    }


def test_an_unknown_exercise_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        exercise("plank")


@pytest.mark.parametrize("entry", ROUTINE, ids=lambda entry: entry.key)
def test_every_text_of_an_exercise_is_in_the_catalog(entry: Exercise) -> None:
    texts = catalog(LANGUAGE)
    assert entry.kind in ("strength", "stretch")
    assert entry.steps, "an exercise needs a setup"
    for key in (*entry.text_keys, *(f"routine.equipment.{item}" for item in entry.equipment)):
        template = texts[key]
        assert isinstance(template, str) and template.strip(), key
        assert len(template) < CATALOG_TEXT_LIMIT, key


@pytest.mark.parametrize("entry", ROUTINE, ids=lambda entry: entry.key)
def test_a_held_exercise_has_a_hold_step_that_takes_the_duration(entry: Exercise) -> None:
    rep_template = MESSAGES[entry.rep_step]
    assert isinstance(rep_template, str)
    if entry.holds:
        assert entry.hold_step == entry.rep_step
        assert "{duration}" in rep_template
        assert entry.relax_key in MESSAGES
    else:
        assert entry.hold_step is None and entry.relax_key is None
        assert "{" not in rep_template


@pytest.mark.parametrize("entry", ROUTINE, ids=lambda entry: entry.key)
def test_each_exercise_becomes_intro_setup_then_sides_times_reps(entry: Exercise) -> None:
    repetitions = 4
    steps = _steps_of(entry, build_steps(ROUTINE_KEYS, hold_seconds=8, repetitions=repetitions))
    rep_kind = StepKind.HOLD if entry.holds else StepKind.REP
    sides = SIDES if entry.per_side else (None,)

    expected: list[tuple[StepKind, str | None, int | None, str]] = [
        (StepKind.INTRO, None, None, entry.title_key)
    ]
    expected += [(StepKind.INSTRUCTION, None, None, key) for key in entry.steps]
    for side in sides:
        if side is not None:
            expected.append((StepKind.SIDE, side, None, entry.side_key(side)))
        expected += [(rep_kind, side, rep, entry.rep_step) for rep in range(1, repetitions + 1)]

    assert [(step.kind, step.side, step.rep, step.text_key) for step in steps] == expected
    for step in steps:
        assert step.reps == (repetitions if step.rep is not None else None)
        assert step.hold_seconds == (8 if step.kind is StepKind.HOLD else None)


def test_per_side_exercises_do_the_right_side_then_the_left() -> None:
    steps = build_steps(["knee_to_chest"], hold_seconds=5, repetitions=2)
    sides = [step.side for step in steps if step.kind is StepKind.HOLD]
    assert sides == ["right", "right", "left", "left"]


def test_a_session_numbers_its_steps_and_exercises() -> None:
    keys = ["piriformis_stretch", "hip_adduction", "hip_flexion"]
    steps = build_steps(keys, hold_seconds=6, repetitions=3)

    assert [step.index for step in steps] == list(range(len(steps)))
    assert [key for key, _ in groupby(step.exercise for step in steps)] == keys
    assert {(step.exercise, step.exercise_number) for step in steps} == {
        ("piriformis_stretch", 1),
        ("hip_adduction", 2),
        ("hip_flexion", 3),
    }
    assert {step.exercise_count for step in steps} == {3}


def test_a_gentle_session_is_just_smaller_numbers() -> None:
    gentle = build_steps(ROUTINE_KEYS, hold_seconds=5, repetitions=2)
    standard = build_steps(ROUTINE_KEYS, hold_seconds=7, repetitions=5)
    assert len(gentle) < len(standard)
    assert {step.hold_seconds for step in gentle if step.kind is StepKind.HOLD} == {5}


@pytest.mark.parametrize(
    ("hold_seconds", "repetitions"),
    [
        (MIN_HOLD_SECONDS - 1, 5),
        (MAX_HOLD_SECONDS + 1, 5),
        (7, MIN_REPETITIONS - 1),
        (7, MAX_REPETITIONS + 1),
    ],
)
def test_holds_and_repetitions_out_of_range_are_refused(
    hold_seconds: int, repetitions: int
) -> None:
    with pytest.raises(ValueError):
        build_steps(ROUTINE_KEYS, hold_seconds=hold_seconds, repetitions=repetitions)
    with pytest.raises(ValueError):
        estimated_minutes(ROUTINE_KEYS, hold_seconds, repetitions)


def test_the_range_limits_themselves_are_accepted() -> None:
    assert build_steps(ROUTINE_KEYS, hold_seconds=MIN_HOLD_SECONDS, repetitions=MIN_REPETITIONS)
    assert build_steps(ROUTINE_KEYS, hold_seconds=MAX_HOLD_SECONDS, repetitions=MAX_REPETITIONS)


def test_an_empty_session_or_an_unknown_exercise_is_refused() -> None:
    with pytest.raises(ValueError):
        build_steps([], hold_seconds=7, repetitions=5)
    with pytest.raises(KeyError):
        build_steps(["hip_adduction", "plank"], hold_seconds=7, repetitions=5)


def test_the_estimate_is_plausible_and_grows_with_the_work() -> None:
    standard = estimated_minutes(ROUTINE_KEYS, 7, 5)
    assert 8 <= standard <= 20
    assert (
        estimated_minutes(ROUTINE_KEYS, 5, 2) < standard < estimated_minutes(ROUTINE_KEYS, 10, 10)
    )
    assert estimated_minutes(["hip_adduction"], 5, 1) >= 1


def test_an_intro_names_the_exercise_its_place_and_what_it_needs() -> None:
    intro = build_steps(ROUTINE_KEYS, hold_seconds=7, repetitions=5)[0]
    message = render_step(intro, LANGUAGE)
    assert message.startswith("<b>Hip adduction</b> (1 of 6)\n")
    assert "pillow" in message


def test_five_of_the_six_exercises_are_declared_on_the_back() -> None:
    assert [entry.key for entry in ROUTINE if entry.position != "on_back"] == ["hip_abductor_stretch"]


def test_only_exercises_on_the_back_prop_up_and_only_in_pregnancy() -> None:
    on_back, on_side = exercise("hip_flexion"), exercise("hip_abductor_stretch")
    assert prop_up_in_pregnancy(on_back, pregnant=True)
    assert not prop_up_in_pregnancy(on_back, pregnant=False)
    assert not prop_up_in_pregnancy(on_side, pregnant=True)
    assert not prop_up_in_pregnancy(on_side, pregnant=False)


@pytest.mark.parametrize("language", available_languages())
def test_a_pregnant_patients_intro_has_one_line_more_at_its_start(language: str) -> None:
    line = text(language, "routine.pregnancy.on_back")
    assert len(line) <= PREGNANCY_LINE_LIMIT
    for step in build_steps(ROUTINE_KEYS, hold_seconds=7, repetitions=1):
        usual = render_step(step, language)
        pregnant = render_step(step, language, pregnant=True)
        if step.kind is StepKind.INTRO and exercise(step.exercise).position == "on_back":
            title, *rest = usual.split("\n")
            assert pregnant.split("\n") == [title, line, *rest]
        else:
            assert pregnant == usual


def test_a_hold_says_the_side_the_rep_and_the_seconds() -> None:
    steps = build_steps(["hip_flexion"], hold_seconds=7, repetitions=5)
    hold = next(step for step in steps if step.side == "left" and step.rep == 3)
    message = render_step(hold, LANGUAGE)
    assert message.startswith("<i>Left side · Rep 3 of 5</i>\n")
    assert "7 seconds" in message
    assert render_relax(hold, LANGUAGE).startswith("<b>Relax.</b> ")


def test_only_a_hold_has_a_relax_message() -> None:
    steps = build_steps(["hip_abductor_stretch"], hold_seconds=7, repetitions=1)
    for step in steps:
        with pytest.raises(ValueError):
            render_relax(step, LANGUAGE)


def test_a_library_card_shows_every_step_and_the_hold_range() -> None:
    card = render_exercise_card("piriformis_stretch", LANGUAGE)
    entry = exercise("piriformis_stretch")
    for key in entry.steps:
        assert str(MESSAGES[key]) in card
    assert "5–10 seconds" in card
    with pytest.raises(KeyError):
        render_exercise_card("plank", LANGUAGE)


def test_about_pages_exist_point_to_a_clinician_and_name_no_doses() -> None:
    assert about_topics() == ("symptoms", "causes", "treatments", "pregnancy")
    for topic in about_topics():
        page = render_about(topic, LANGUAGE)
        assert re.search(r"clinician|doctor", page), topic
        assert not re.search(r"\d", page), f"{topic} names a number, perhaps a dose"
    with pytest.raises(KeyError):
        render_about("diet", LANGUAGE)


@pytest.mark.parametrize("language", available_languages())
def test_about_pages_fit_a_phone_screen(language: str) -> None:
    for topic in about_topics():
        page = re.sub(r"</?[bi]>", "", render_about(topic, language))
        assert len(page) <= ABOUT_PAGE_LIMIT, (language, topic)


class _TagChecker(HTMLParser):
    """Collects what Telegram's HTML parse mode would object to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("b", "i") or attrs:
            self.problems.append(f"tag <{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        self.problems.append(f"entity &{name};")


def test_every_message_fits_telegram_and_uses_only_balanced_bold_and_italics() -> None:
    for message in _all_rendered():
        checker = _TagChecker()
        checker.feed(message)
        checker.close()
        assert checker.problems == [] and checker.open == [], message
        visible = re.sub(r"</?[bi]>", "", message)
        assert not re.search(r"[<>&]", visible), message
        assert 0 < len(message) < TELEGRAM_LIMIT


def test_session_messages_fit_one_glance() -> None:
    steps = build_steps(ROUTINE_KEYS, hold_seconds=MAX_HOLD_SECONDS, repetitions=MAX_REPETITIONS)
    for step in steps:
        messages = [render_step(step, LANGUAGE)]
        if step.kind is StepKind.HOLD:
            messages.append(render_relax(step, LANGUAGE))
        for message in messages:
            assert len(re.sub(r"</?[bi]>", "", message)) <= STEP_MESSAGE_LIMIT, message


def _eight_grams(source: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", re.sub(r"<[^>]*>", " ", source.lower()))
    return {tuple(words[start : start + 8]) for start in range(len(words) - 7)}


def _fingerprint(grams: set[tuple[str, ...]]) -> set[str]:
    """Hashes of the 8-grams: the article's can live in the repository without its text."""
    return {hashlib.sha256(" ".join(gram).encode()).hexdigest()[:16] for gram in grams}


def article_fingerprint() -> str:
    """The contents of ARTICLE_FINGERPRINT, computed from the article."""
    return "\n".join(sorted(_fingerprint(_eight_grams(ARTICLE.read_text(encoding="utf-8"))))) + "\n"


def test_no_eight_words_in_a_row_come_from_the_source_article() -> None:
    article = set(ARTICLE_FINGERPRINT.read_text(encoding="utf-8").split())
    english = [
        line
        for value in catalog("en").values()
        for line in ((value.one, value.other) if isinstance(value, Plural) else (value,))
    ]
    ours = _fingerprint(set().union(*map(_eight_grams, (*english, *_all_rendered()))))
    assert ours & article == set()
    if ARTICLE.is_file():  # where the article is at hand, the stored fingerprint must be its own
        assert ARTICLE_FINGERPRINT.read_text(encoding="utf-8") == article_fingerprint(), (
            "regenerate: python -c 'from tests.test_routine import *; "
            "ARTICLE_FINGERPRINT.write_text(article_fingerprint())'"
        )
