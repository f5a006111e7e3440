"""What leaves the bot as a file: the one-page report for a doctor, and the CSV of all data.

The PDF uses DejaVu Sans from matplotlib's own data rather than a PDF core font: core fonts are
Latin-1 only, and a patient's name may well be Cyrillic. Every section has a row limit, and page
breaks are off, so the report is one page whatever the period holds; a patient who tracks
everyday activities or was offered a step gets a second page for them.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO, StringIO
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sibot.charts import activity_name, function_chart, has_chart_data, progress_chart
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
from sibot.inflammatory_check import CheckResult, Outcome
from sibot.pictures import picture_file, picture_name, picture_sides
from sibot.routine import ROUTINE
from sibot.texts import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    plural,
    text,
    zone_name,
)
from sibot.safety import Sign

if TYPE_CHECKING:
    from fpdf import FPDF

FAMILY = "DejaVu"
MARGIN = 15  # mm, on A4
CHART_WIDTH = 105  # mm; the chart keeps its 4:3 shape
MAX_WEEK_ROWS = 10  # the most recent weeks; they fit beside the chart
# The most recent events; older ones are counted in one line. 14 leave room below for the
# inflammatory back pain check and the exercise pictures above the footer.
MAX_EVENT_ROWS = 14
PICTURE_GAP = 2  # mm between the exercise pictures under the routine
PICTURE_ASPECT = 600 / 380  # width over height of the stills (sibot/exercise_pictures)
MIN_PICTURE_WIDTH = 18  # mm; smaller ones would show nothing, so they are left out
NAME_HEIGHT = 3  # mm, an exercise's name under its picture
FOOTER_FROM_BOTTOM = MARGIN + 4  # mm
ROW = 5.5  # mm per table row
EVENT_TIME_WIDTH = 40  # mm, room for a short date and time in each language
EVERY_DAY = 0b1111111
FUNCTION_CHART_WIDTH = 130  # mm
MAX_ACTIVITY_ROWS = 12


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


REAL_CHANGE = 2  # points of the function scale: its minimal clinically important difference


def real_change(change: float | None) -> bool:
    """Whether a change of a function score (or of their average) is one that matters."""
    return change is not None and abs(change) >= REAL_CHANGE


@dataclass(frozen=True)
class ActivityRecord:
    """An everyday activity and its scores (0-10), oldest first."""

    suggestion: str | None  # the key of a suggested activity, or None for the patient's words
    typed: str | None
    scores: tuple[tuple[datetime, int], ...]
    retired: bool = False

    @property
    def change(self) -> int | None:
        """The latest score minus the first; None before a second score."""
        return self.scores[-1][1] - self.scores[0][1] if len(self.scores) >= 2 else None


@dataclass(frozen=True)
class StepRecord:
    """A step up or back that was offered, and the patient's answer."""

    at: datetime
    reason: str  # a sibot.progression.Reason value
    accepted: bool
    hold_from: int
    hold_to: int
    repetitions_from: int
    repetitions_to: int


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
    inflammatory_check: CheckResult | None = None  # the newest finished one, whenever it was
    activities: tuple[ActivityRecord, ...] = ()  # current ones first
    function_average: tuple[tuple[date, float], ...] = ()  # Monday of each week, mean score
    steps: tuple[StepRecord, ...] = ()
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
    _inflammatory_check(pdf, report.inflammatory_check, zone, language)
    _exercise_pictures(pdf, language)
    _footer(pdf, language)
    if report.activities or report.steps:
        pdf.add_page()
        _function(pdf, report, zone, language)
        _steps(pdf, report, zone, language)
        _footer(pdf, language)
    return bytes(pdf.output())


def _footer(pdf: FPDF, language: str) -> None:
    pdf.set_y(-FOOTER_FROM_BOTTOM)
    _write(pdf, text(language, "diary.report.footer"), size=8, colour=110)


def change_text(change: float | None, language: str) -> str:
    """" (+3: a real change)", " (+1)" or nothing, after a score or an average."""
    if change is None:
        return ""
    number = str(change) if isinstance(change, int) else format_decimal(language, change)
    signed = f"+{number}" if change > 0 else number
    key = "function.real_change" if real_change(change) else "function.change"
    return f" ({text(language, key, change=signed)})"


def dose_text(language: str, hold: tuple[int, int], repetitions: tuple[int, int]) -> str:
    """What a step changes, (before, after) of each, in one sentence."""
    if hold[0] != hold[1]:
        return text(language, "progression.dose.hold", old=hold[0], new=hold[1])
    return text(language, "progression.dose.repetitions", old=repetitions[0], new=repetitions[1])


def _function(pdf: FPDF, report: ReportData, zone: ZoneInfo, language: str) -> None:
    """The everyday activities: their chart, then first and latest score of each."""
    _write(pdf, text(language, "function.report.title"), size=14, bold=True, height=9)
    current = [a for a in report.activities if not a.retired and a.scores]
    if not any(a.scores for a in report.activities):
        _write(pdf, text(language, "function.report.none"))
        pdf.ln(4)
        return
    if current:
        series = [
            (
                activity_name(a.suggestion, a.typed, language),
                tuple((local_date(at, zone), score) for at, score in a.scores),
            )
            for a in current
        ]
        png = function_chart(series, list(report.function_average), language)
        top = pdf.get_y()
        pdf.image(BytesIO(png), x=MARGIN, y=top, w=FUNCTION_CHART_WIDTH)
        pdf.set_y(top + FUNCTION_CHART_WIDTH * 3 / 4 + 3)
    widths = (70.0, 30.0, 30.0, 50.0)
    headings = ("activity", "first", "latest", "change")
    _row(pdf, MARGIN, widths, tuple(text(language, f"function.report.{key}") for key in headings), bold=True)
    for activity in report.activities[:MAX_ACTIVITY_ROWS]:
        if not activity.scores:
            continue
        name = activity_name(activity.suggestion, activity.typed, language)
        if activity.retired:
            name = text(language, "function.report.retired", name=name)
        first, latest = activity.scores[0], activity.scores[-1]
        _row(pdf, MARGIN, widths, (
            name,
            f"{first[1]} ({format_date(language, local_date(first[0], zone))})",
            f"{latest[1]} ({format_date(language, local_date(latest[0], zone))})",
            change_text(activity.change, language).strip(" ()"),
        ))
    if report.function_average:
        first_mean, last_mean = report.function_average[0][1], report.function_average[-1][1]
        change = last_mean - first_mean if len(report.function_average) > 1 else None
        _row(pdf, MARGIN, widths, (
            text(language, "function.report.average"),
            format_decimal(language, first_mean),
            format_decimal(language, last_mean),
            change_text(change, language).strip(" ()"),
        ), bold=True)
    pdf.ln(4)


def _steps(pdf: FPDF, report: ReportData, zone: ZoneInfo, language: str) -> None:
    """Every step offered, newest first, with the answer and why."""
    _write(pdf, text(language, "progression.report.title"), size=12, bold=True, height=8)
    if not report.steps:
        _write(pdf, text(language, "progression.report.none"))
    for step in sorted(report.steps, key=lambda s: s.at, reverse=True)[:MAX_EVENT_ROWS]:
        dose = dose_text(
            language, (step.hold_from, step.hold_to), (step.repetitions_from, step.repetitions_to)
        )
        answer = "progression.report.accepted" if step.accepted else "progression.report.declined"
        line = text(
            language, "progression.report.line", dose=dose, answer=text(language, answer),
            reason=text(language, f"progression.reason.{step.reason}"),
        )
        _write(pdf, format_datetime(language, step.at.astimezone(zone)), width=EVENT_TIME_WIDTH, last=False)
        _write(pdf, line)


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
        zone=zone_name(language, report.routine.zone),
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
            format_date(language, max(monday, report.start)),
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
                zone=zone_name(language, routine.zone, with_id=False),  # the period names it in full
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


def _inflammatory_check(
    pdf: FPDF, result: CheckResult | None, zone: ZoneInfo, language: str
) -> None:
    pdf.ln(2)
    _write(pdf, text(language, "ibp.report.title"), size=12, bold=True, height=8)
    _write(pdf, _inflammatory_check_line(result, zone, language))


def _inflammatory_check_line(result: CheckResult | None, zone: ZoneInfo, language: str) -> str:
    """The newest inflammatory back pain check in a line: its date, count and what it advised."""
    if result is None:
        return text(language, "ibp.report.none")
    day = format_date(language, local_date(result.at, zone))
    if result.outcome is Outcome.NOT_APPLICABLE:
        return text(language, "ibp.report.not_applicable", date=day)
    outcome = text(language, f"ibp.report.outcome.{result.outcome.value}")
    return text(language, "ibp.report.result", date=day, count=result.count, outcome=outcome)


def _exercise_pictures(pdf: FPDF, language: str) -> None:
    """The exercises in a row under the routine, small: each one's held position (its first
    side) over its name. They take the room left above the footer, shrunk to fit it, so the
    report stays on one page whatever the sections above hold."""
    room = pdf.h - FOOTER_FROM_BOTTOM - NAME_HEIGHT - pdf.get_y() - 2
    width = min(
        (pdf.epw - PICTURE_GAP * (len(ROUTINE) - 1)) / len(ROUTINE),
        room * PICTURE_ASPECT,
    )
    if width < MIN_PICTURE_WIDTH:
        return
    top = pdf.get_y() + 1
    for number, entry in enumerate(ROUTINE):
        left = MARGIN + number * (width + PICTURE_GAP)
        still = picture_file(picture_name(entry.key, picture_sides(entry.key)[0], "still"))
        pdf.image(BytesIO(still), x=left, y=top, w=width)
        pdf.set_xy(left, top + width / PICTURE_ASPECT)
        _write(pdf, text(language, entry.title_key), size=6, width=width, height=NAME_HEIGHT, last=False)
    pdf.set_xy(MARGIN, top + width / PICTURE_ASPECT + NAME_HEIGHT)


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
    "check_count",
    "check_outcome",
    "activity",
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


def export_csv(
    checkins: list[Checkin],
    sessions: list[SessionRecord],
    zone: ZoneInfo,
    inflammatory_checks: Sequence[CheckResult] = (),
    activities: Sequence[ActivityRecord] = (),
) -> bytes:
    """UTF-8 CSV of every check-in, session, inflammatory back pain check and everyday activity's
    score, oldest first, times in the patient's zone with their offset (2026-03-29T08:00:00+02:00);
    several locations or symptoms are joined by ";". An activity is its suggestion's key or the
    patient's words."""
    rows = [_checkin_row(c, zone) for c in checkins] + [_session_row(s, zone) for s in sessions]
    rows += [_inflammatory_check_row(result, zone) for result in inflammatory_checks]
    rows += [
        {
            "record": "function", "at": _local_iso(at, zone), "score": str(score),
            "activity": activity.suggestion or activity.typed or "",
        }
        for activity in activities
        for at, score in activity.scores
    ]
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


def _inflammatory_check_row(result: CheckResult, zone: ZoneInfo) -> dict[str, str]:
    return {
        "record": "inflammatory_check",
        "at": _local_iso(result.at, zone),
        "check_count": _optional(result.count),
        "check_outcome": result.outcome.value,
    }
