"""Typed times and the compact codes onboarding and settings buttons carry."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.buttons import SETTINGS, parse_callback, whole_number
from handlers.gate import command_of
from handlers.pickers import day_picker, mask_of, time_code, time_of_code
from sibot.schedule import parse_local_time
from sibot.texts import available_languages, format_time


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("19:00", time(19, 0)),
        ("7pm", time(19, 0)),
        ("7.30 pm", time(19, 30)),
        ("7:30 a.m.", time(7, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("1900", time(19, 0)),
        (" 6 ", time(6, 0)),
    ],
)
def test_times_people_type(typed: str, expected: time) -> None:
    assert parse_local_time(typed) == expected


@pytest.mark.parametrize(
    "typed", ["25:61", "24:00", "7:60", "13pm", "0am", "noon", "", "7:3", "half past seven", "٧:٣٠", "７:30", "²pm"]
)
def test_impossible_times_are_refused(typed: str) -> None:
    assert parse_local_time(typed) is None


@given(st.times(), st.sampled_from(available_languages()))
def test_every_time_the_bot_shows_reads_back(moment: time, language: str) -> None:
    shown = format_time(language, moment)
    assert parse_local_time(shown) == moment.replace(second=0, microsecond=0, tzinfo=None)
    assert time_of_code(time_code(moment)) == moment.replace(second=0, microsecond=0, tzinfo=None)


@pytest.mark.parametrize("code", ["2561", "2400", "730", "07300", "ab00", "", "²²²²", "٠٧٣٠", "+730", " 730", "7_30"])
def test_forged_time_codes_are_refused(code: str) -> None:
    assert time_of_code(code) is None


def test_the_day_picker_toggles_one_day_per_button() -> None:
    rows = day_picker(SETTINGS, "en", 0b0000101)
    toggles = [button for row in rows[:-1] for button in row]
    assert [button.label for button in toggles] == ["✅ Mon", "Tue", "✅ Wed", "Thu", "Fri", "Sat", "Sun"]
    masks = [mask_of(parse_callback(button.data)) for button in toggles]  # type: ignore[arg-type]
    assert masks == [0b0000100, 0b0000111, 0b0000001, 0b0001101, 0b0010101, 0b0100101, 0b1000101]
    assert mask_of(parse_callback(rows[-1][0].data)) == 0b0000101  # type: ignore[arg-type]
    assert mask_of(parse_callback("st:days:128")) is None  # type: ignore[arg-type]
    assert mask_of(parse_callback("st:days:-1")) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "number"), [("0", 0), ("7", 7), ("0007", 7), ("2147483647", 2**31 - 1)])
def test_a_whole_number_is_ascii_digits(value: str, number: int) -> None:
    assert whole_number(value) == number


@pytest.mark.parametrize(
    "value", ["", "²", "٣", "１２", "𝟙", "½", "-1", "-0", "+3", " 3", "3 ", "1_0", "1e9", "0x1f", "2147483648", "9" * 500]
)
def test_anything_else_is_not_a_number(value: str) -> None:
    assert whole_number(value) is None
    assert parse_callback(f"pn:score:{value}:diary").int_arg(0) is None  # type: ignore[union-attr]


class _Message:
    def __init__(self, text: str | None) -> None:
        self.text = text


@pytest.mark.parametrize(
    ("typed", "command"),
    [("/start", "start"), ("/START abc", "start"), ("/help@sibot_bot", "help"), ("/", ""), ("hello", None), (None, None)],
)
def test_the_command_a_message_starts_with(typed: str | None, command: str | None) -> None:
    assert command_of(_Message(typed)) == command  # type: ignore[arg-type]
