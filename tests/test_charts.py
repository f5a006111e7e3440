"""The pictures and the doctor's report, read back the way a viewer would: Pillow and pypdf."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader

from sibot.charts import has_chart_data, progress_chart
from sibot.checkins import Checkin, CheckinSource, DayPain, RedFlagRule
from sibot.inflammatory_check import CheckResult, Outcome
from sibot.report import FlagEvent, ReportData, RoutineSettings, doctor_report_pdf

TODAY = date(2026, 3, 29)
BLUE = (0x00, 0x72, 0xB2)  # the "before" line


def month_of_pain() -> list[DayPain]:
    return [
        DayPain(
            TODAY - timedelta(days=n),
            before=4 + n % 3,
            after=3 + n % 4 if n % 2 else None,
            standalone=5.5 if n % 5 == 0 else None,
        )
        for n in range(30)
    ]


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_has_chart_data_looks_at_the_last_30_days_only() -> None:
    old = TODAY - timedelta(days=30)
    assert not has_chart_data([], {}, TODAY)
    assert not has_chart_data([DayPain(old, before=5)], {old: 1}, TODAY)
    assert not has_chart_data([DayPain(TODAY)], {TODAY: 0}, TODAY)
    assert has_chart_data([DayPain(old + timedelta(days=1), after=5)], {}, TODAY)
    assert has_chart_data([], {TODAY: 1}, TODAY)


def test_progress_chart_refuses_an_empty_month() -> None:
    with pytest.raises(ValueError):
        progress_chart([], {}, 0, TODAY, "en")


def test_progress_chart_is_a_legible_picture() -> None:
    sessions = {TODAY - timedelta(days=n): 1 + (n % 7 == 0) for n in range(0, 30, 2)}
    image = decode(progress_chart(month_of_pain(), sessions, 12, TODAY, "en"))
    assert image.size == (800, 600)
    assert image.mode in {"RGB", "RGBA"}
    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=800 * 600) or []
    assert len(colours) > 50
    assert any(colour == BLUE for _, colour in colours)


@pytest.mark.parametrize("language", ["en", "de", "es", "ru"])
def test_todays_marker_and_date_are_drawn_whole_inside_the_picture(language: str) -> None:
    """A lone score today: its whole marker is drawn, and the date under it keeps off the edge."""
    image = decode(progress_chart([DayPain(TODAY, before=5)], {TODAY: 1}, 1, TODAY, language))
    rgb = image.convert("RGB")
    width, height = rgb.size
    below_legend = range(120, height)
    marker = [x for x in range(width) for y in below_legend if rgb.getpixel((x, y)) == BLUE]
    assert max(marker) - min(marker) >= 10  # 9 pt across; one cut at the axes' edge was half that
    labels = range(height - 40, height)
    inked = [x for x in range(width) for y in labels if sum(rgb.getpixel((x, y))) < 600]
    assert max(inked) < width - 6


def test_progress_chart_draws_sessions_without_any_score() -> None:
    image = decode(progress_chart([], {TODAY: 1}, 1, TODAY, "en"))
    assert image.width >= 400
    assert len(image.convert("L").getcolors(maxcolors=256 * 256) or []) > 10


def routine() -> RoutineSettings:
    return RoutineSettings(
        hold_seconds=10,
        repetitions=8,
        gentle=False,
        reminder_time=time(8, 30),
        reminder_weekdays=0b0010101,  # Monday, Wednesday, Friday
        zone="Europe/Berlin",
        pregnancy_caution=True,
    )


def utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_doctor_report_is_one_page_with_name_period_and_events() -> None:
    start = date(2026, 3, 1)
    checkins = tuple(
        Checkin(at=utc(start + timedelta(days=n), 7), score=5 - n // 10, source=CheckinSource.DIARY)
        for n in range(29)
    ) + (
        Checkin(at=utc(date(2026, 3, 20), 17), score=7, source=CheckinSource.HURTS),
        Checkin(at=utc(date(2026, 2, 10), 17), score=9, source=CheckinSource.HURTS),
    )
    report = ReportData(
        name="Анна Петрова",
        start=start,
        end=TODAY,
        routine=routine(),
        checkins=checkins,
        session_dates=tuple(start + timedelta(days=n) for n in range(0, 29, 2)),
        red_flags=(FlagEvent(utc(date(2026, 3, 12), 9), RedFlagRule.SEVERE_PAIN),),
    )
    pages, content = pdf_text(doctor_report_pdf(report, "en"))
    assert pages == 1
    assert "Анна Петрова" in content
    assert "01/03/2026" in content and "29/03/2026" in content
    assert "Mar 2026" not in content  # one date format: the period's is the events'
    assert "12/03/2026, 10:00" in content  # the red flag, in Berlin time
    assert "20/03/2026, 18:00" in content  # the "It hurts" tap
    assert "10/02/2026" not in content  # before the period
    assert "Mon, Wed, Fri" in content
    assert "Pregnancy caution: on" in content


def test_doctor_report_stays_on_one_page_with_a_long_busy_year() -> None:
    start = date(2025, 3, 30)
    flags = tuple(
        FlagEvent(utc(start + timedelta(days=n), 9), RedFlagRule.RISING_PAIN)
        for n in range(0, 360, 6)
    )
    report = ReportData(
        name="A patient with a remarkably long chosen name " * 3,
        start=start,
        end=TODAY,
        routine=routine(),
        session_dates=tuple(start + timedelta(days=n) for n in range(364)),
        red_flags=flags,
        inflammatory_check=CheckResult(utc(date(2026, 3, 2), 9), 4, Outcome.ASK_REFERRAL),
    )
    pages, content = pdf_text(doctor_report_pdf(report, "en"))
    assert pages == 1
    assert "earlier events" in content
    assert "02/03/2026: 4 of 8 features. Advised to ask about a rheumatology referral." in content


def test_doctor_report_of_an_empty_period_says_so() -> None:
    report = ReportData(
        name="Sam",
        start=date(2026, 3, 1),
        end=TODAY,
        routine=RoutineSettings(5, 5, True, None, 0, "UTC", False),
    )
    pages, content = pdf_text(doctor_report_pdf(report, "en"))
    assert pages == 1
    assert "None in this period." in content
    assert "Reminder: off" in content
    assert "Inflammatory back pain (NICE NG65)\nCheck not taken." in content


def test_doctor_report_says_when_the_inflammatory_check_does_not_apply() -> None:
    check = CheckResult(utc(date(2026, 3, 1), 23), None, Outcome.NOT_APPLICABLE)
    report = ReportData("Sam", date(2026, 3, 1), TODAY, routine(), inflammatory_check=check)
    _, content = pdf_text(doctor_report_pdf(report, "en"))
    assert "02/03/2026: does not apply (began at 45 or later, or under 3 months)." in content


def test_doctor_report_shows_the_exercises_small_under_the_routine() -> None:
    report = ReportData(name="Ana", start=date(2026, 3, 1), end=TODAY, routine=routine())
    reader = PdfReader(io.BytesIO(doctor_report_pdf(report, "en")))
    [page] = reader.pages
    assert len(page.images) == 6  # the held position of each exercise (no data: no chart)
    content = page.extract_text()
    assert "Hip adduction" in content and "Piriformis stretch" in content
