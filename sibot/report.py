"""What leaves the bot as a file: the one-page report for a doctor, and the CSV of all data.

The PDF uses DejaVu Sans from matplotlib's own data rather than a PDF core font: core fonts are
Latin-1 only, and a patient's name may well be Cyrillic. Every section has a row limit, and page
breaks are off, so the report is one page whatever the period holds.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO, StringIO
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sibot.charts import has_chart_data, progress_chart
from sibot.checkins import (
    Checkin,
    CheckinSource,
    RedFlagRule,
    adherence,
    daily_pain,
    local_date,
    streak,
    weekly_pain,
)
from sibot.safety import Sign
from sibot.texts import format_date, format_datetime, format_decimal, format_time, plural, text

if TYPE_CHECKING:
    from fpdf import FPDF

FAMILY = "DejaVu"
MARGIN = 15  # mm, on A4
CHART_WIDTH = 105  # mm; the chart keeps its 4:3 shape
MAX_WEEK_ROWS = 10  # the most recent weeks; they fit beside the chart
MAX_EVENT_ROWS = 18  # the most recent events; older ones are counted in one line
ROW = 5.5  # mm per table row
EVENT_TIME_WIDTH = 40  # mm, room for a short date and time in each language
EVERY_DAY = 0b1111111


@dataclass(frozen=True)
class RoutineSettings:
    """The patient's current routine and reminder, as the report shows them."""

    hold_seconds: int
    repetitions: int
    gentle: bool
    reminder_time: time | None  # None when reminders are off
    reminder_weekdays: int  # bit 0 = Monday, as in the reminders table
    zone: str  # IANA name
    pregnancy_caution: bool


@dataclass(frozen=True)
class FlagEvent:
    """A red flag that fired, and when."""

    at: datetime
    rule: RedFlagRule


@dataclass(frozen=True)
class ReportData:
    """Everything the doctor's report shows. Check-ins, session dates and flags outside
    start..end (local dates, both included) are left out."""

    name: str
    start: date
    end: date
    routine: RoutineSettings
    checkins: tuple[Checkin, ...] = ()
    session_dates: tuple[date, ...] = ()  # the local date of each completed session
    red_flags: tuple[FlagEvent, ...] = ()
    # the safety screen's yes answers that asked for a doctor, in the table's order (pregnancy has
    # its own line)
    warning_signs: tuple[Sign, ...] = ()


def doctor_report_pdf(report: ReportData, language: str) -> bytes:
    """A one-page A4 PDF a doctor reads in a minute."""
    zone = ZoneInfo(report.routine.zone)
    checkins = [c for c in report.checkins if report.start <= local_date(c.at, zone) <= report.end]
    session_dates = [day for day in report.session_dates if report.start <= day <= report.end]
    pdf = _new_pdf()
    _header(pdf, report, len(checkins), session_dates, language)
    _trend(pdf, report, checkins, session_dates, zone, language)
    _events(pdf, report, checkins, zone, language)
    _routine(pdf, report.routine, language)
    _write_wrapped(pdf, _warning_signs(report.warning_signs, language))
    pdf.set_y(-MARGIN - 4)
    _write(pdf, text(language, "diary.report.footer"), size=8, colour=110)
    return bytes(pdf.output())


def _new_pdf() -> FPDF:
    # fpdf and matplotlib come with the first report, not at start, which they slowed (see
    # benchmarks/README.md)
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN)
    pdf.add_font(FAMILY, "", fonts / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.add_page()
    return pdf


def _write(
    pdf: FPDF,
    line: str,
    *,
    size: float = 10,
    bold: bool = False,
    height: float = ROW,
    width: float = 0,
    colour: int = 0,
    last: bool = True,
) -> None:
    """One line of text, cut with an ellipsis if it is wider than its cell."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(colour)
    room = (width or pdf.epw) - 2 * pdf.c_margin
    if pdf.get_string_width(line) > room:
        while line and pdf.get_string_width(line + "…") > room:
            line = line[:-1]
        line += "…"
    if last:
        pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(width, height, line)


def _write_wrapped(pdf: FPDF, text_: str, size: float = 10) -> None:
    """A paragraph over as many lines as it needs (the safety screen's answers: a few at most)."""
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(0)
    pdf.multi_cell(0, ROW, text_, align="L", new_x="LMARGIN", new_y="NEXT")


def _header(
    pdf: FPDF, report: ReportData, checkins: int, session_dates: list[date], language: str
) -> None:
    _write(
        pdf, text(language, "diary.report.title", name=report.name), size=18, bold=True, height=10
    )
    period = text(
        language,
        "diary.report.period",
        start=format_date(language, report.start),
        end=format_date(language, report.end),
        zone=report.routine.zone,
    )
    _write(pdf, period, size=11, height=6)
    summary = text(
        language,
        "diary.report.summary",
        sessions=len(session_dates),
        checkins=checkins,
        streak=plural(language, "diary.days", streak(session_dates, report.end)),
    )
    _write(pdf, summary, size=11, height=6)
    pdf.ln(3)


def _trend(
    pdf: FPDF,
    report: ReportData,
    checkins: list[Checkin],
    session_dates: list[date],
    zone: ZoneInfo,
    language: str,
) -> None:
    """The chart on the left, the weekly figures on the right."""
    top = pdf.get_y()
    days = daily_pain(checkins, zone)
    sessions_by_date = Counter(session_dates)
    chart_bottom = top + 10
    if has_chart_data(days, sessions_by_date, report.end):
        png = progress_chart(
            days, sessions_by_date, streak(session_dates, report.end), report.end, language
        )
        pdf.image(BytesIO(png), x=MARGIN, y=top, w=CHART_WIDTH)
        chart_bottom = top + CHART_WIDTH * 3 / 4
    else:
        _write(pdf, text(language, "diary.report.no_chart"), width=CHART_WIDTH)
    left = MARGIN + CHART_WIDTH + 5
    widths = (25.0, 21.0, 24.0)
    pdf.set_xy(left, top)
    _write(
        pdf, text(language, "diary.report.weeks"), size=12, bold=True, height=8, width=sum(widths)
    )
    headings = ("diary.report.week_of", "diary.report.week_sessions", "diary.report.week_pain")
    pain = dict(weekly_pain(checkins, zone, report.start, report.end))
    rows = [
        (
            format_date(language, max(monday, report.start), "short"),
            str(count),
            _score(pain[monday], language),
        )
        for monday, count in adherence(session_dates, report.start, report.end)[-MAX_WEEK_ROWS:]
    ]
    _row(pdf, left, widths, tuple(text(language, key) for key in headings), bold=True)
    for row in rows:
        _row(pdf, left, widths, row)
    pdf.set_y(max(chart_bottom, pdf.get_y()) + 5)


def _row(
    pdf: FPDF, left: float, widths: tuple[float, ...], cells: tuple[str, ...], bold: bool = False
) -> None:
    pdf.set_x(left)
    for width, cell in zip(widths, cells, strict=True):
        _write(pdf, cell, bold=bold, width=width, last=False)
    pdf.ln(ROW)


def _score(mean: float | None, language: str) -> str:
    return text(language, "diary.report.no_score") if mean is None else format_decimal(language, mean)


def _events(
    pdf: FPDF, report: ReportData, checkins: list[Checkin], zone: ZoneInfo, language: str
) -> None:
    """Red flags and "It hurts" taps, newest first."""
    _write(pdf, text(language, "diary.report.events"), size=12, bold=True, height=8)
    flags = [
        (flag.at, text(language, f"diary.report.rule.{flag.rule.value}"))
        for flag in report.red_flags
        if report.start <= local_date(flag.at, zone) <= report.end
    ]
    hurts = [(c.at, _hurts(c, language)) for c in checkins if c.source is CheckinSource.HURTS]
    events = sorted(flags + hurts, key=lambda event: event[0], reverse=True)
    if not events:
        _write(pdf, text(language, "diary.report.no_events"))
    for at, description in events[:MAX_EVENT_ROWS]:
        _write(pdf, format_datetime(language, at.astimezone(zone)), width=EVENT_TIME_WIDTH, last=False)
        _write(pdf, description)
    if len(events) > MAX_EVENT_ROWS:
        _write(pdf, plural(language, "diary.report.more_events", len(events) - MAX_EVENT_ROWS))
    pdf.ln(4)


def _hurts(checkin: Checkin, language: str) -> str:
    score = (
        text(language, "diary.report.no_score") if checkin.score is None else f"{checkin.score}/10"
    )
    key = "diary.report.hurts_sharp" if checkin.sharp_or_shooting else "diary.report.hurts"
    return text(language, key, score=score)


def _routine(pdf: FPDF, routine: RoutineSettings, language: str) -> None:
    _write(pdf, text(language, "diary.report.routine"), size=12, bold=True, height=8)
    variant = text(
        language,
        "diary.report.routine_gentle" if routine.gentle else "diary.report.routine_standard",
    )
    _write(
        pdf,
        text(
            language,
            "diary.report.routine_dose",
            hold=routine.hold_seconds,
            repetitions=routine.repetitions,
            variant=variant,
        ),
    )
    if routine.reminder_time is None:
        _write(pdf, text(language, "diary.report.no_reminder"))
    else:
        _write(
            pdf,
            text(
                language,
                "diary.report.reminder",
                time=format_time(language, routine.reminder_time),
                days=_weekdays(routine.reminder_weekdays, language),
                zone=routine.zone,
            ),
        )
    _write(
        pdf,
        text(
            language,
            "diary.report.pregnancy_on"
            if routine.pregnancy_caution
            else "diary.report.pregnancy_off",
        ),
    )


def _warning_signs(signs: tuple[Sign, ...], language: str) -> str:
    """The safety screen's yes answers, each with what the patient was told."""
    if not signs:
        return text(language, "diary.report.no_signs")
    names = "; ".join(text(language, f"safety.report.{sign.value}") for sign in signs)
    return text(language, "diary.report.signs", signs=names)


def _weekdays(mask: int, language: str) -> str:
    if mask & EVERY_DAY == EVERY_DAY:
        return text(language, "diary.report.every_day")
    return ", ".join(text(language, f"diary.weekday.{day}") for day in range(7) if mask >> day & 1)


# The CSV's column names and values are a data format, like the enum values in it: they stay
# the same in every language so that a spreadsheet or a script can rely on them.
CSV_COLUMNS = (
    "record",
    "at",
    "ended_at",
    "source",
    "score",
    "locations",
    "symptoms",
    "sharp_or_shooting",
    "session_id",
    "status",
    "pain_before",
    "pain_after",
    "exercises_done",
    "exercises_skipped",
)


@dataclass(frozen=True)
class SessionRecord:
    """One exercise session as the export shows it."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    status: str
    pain_before: int | None
    pain_after: int | None
    exercises_done: int
    exercises_skipped: int


def export_csv(checkins: list[Checkin], sessions: list[SessionRecord], zone: ZoneInfo) -> bytes:
    """UTF-8 CSV of every check-in and session, oldest first, times in the patient's zone with
    their offset (2026-03-29T08:00:00+02:00); several locations or symptoms are joined by ";"."""
    rows = [_checkin_row(c, zone) for c in checkins] + [_session_row(s, zone) for s in sessions]
    rows.sort(key=lambda row: datetime.fromisoformat(row["at"]))
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _local_iso(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).isoformat(timespec="seconds")


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def _checkin_row(checkin: Checkin, zone: ZoneInfo) -> dict[str, str]:
    return {
        "record": "checkin",
        "at": _local_iso(checkin.at, zone),
        "source": checkin.source.value,
        "score": _optional(checkin.score),
        "locations": ";".join(sorted(checkin.locations)),
        "symptoms": ";".join(sorted(checkin.symptoms)),
        "sharp_or_shooting": "true" if checkin.sharp_or_shooting else "false",
        "session_id": _optional(checkin.session_id),
    }


def _session_row(session: SessionRecord, zone: ZoneInfo) -> dict[str, str]:
    return {
        "record": "session",
        "at": _local_iso(session.started_at, zone),
        "ended_at": "" if session.ended_at is None else _local_iso(session.ended_at, zone),
        "session_id": str(session.id),
        "status": session.status,
        "pain_before": _optional(session.pain_before),
        "pain_after": _optional(session.pain_after),
        "exercises_done": str(session.exercises_done),
        "exercises_skipped": str(session.exercises_skipped),
    }
