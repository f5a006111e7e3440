"""Progress pictures: the last 30 days of pain and sessions as a PNG.

Drawn on a bare `Figure` with the Agg canvas, never through pyplot, whose global figure registry
is not safe to use from several threads. Sizes are set per call rather than through rcParams,
which are global too. The picture is 800x600 with type of 16 pt and more, so it stays legible
when Telegram shows it 400 px wide.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import TYPE_CHECKING

from sibot.checkins import PAIN_SCALE, DayPain
from sibot.texts import format_day_month, plural, text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WINDOW_DAYS = 30
FIGURE_INCHES = (8, 6)
DPI = 100
TYPE_SIZE = 18
TITLE_SIZE = 20

# (DayPain field, marker, colour): the Okabe-Ito palette, told apart by colour-blind eyes too,
# and distinct markers for a print in black and white.
SERIES = (
    ("before", "o", "#0072B2"),
    ("after", "s", "#D55E00"),
    ("standalone", "^", "#009E73"),
)
SESSION_COLOUR = "#999999"
# Room left of the first day and right of today, so their markers and bars are drawn whole.
EDGE_DAYS = 0.8
EDGE_PAD_INCHES = 0.1


def chart_window(today: date, window_days: int = WINDOW_DAYS) -> tuple[date, date]:
    """The first and last day the chart shows."""
    return today - timedelta(days=window_days - 1), today


def has_chart_data(
    days: list[DayPain], sessions_by_date: dict[date, int], today: date, window_days: int = WINDOW_DAYS
) -> bool:
    """Whether the window (30 days) holds a pain score or a session, so a chart has something to
    show."""
    first, last = chart_window(today, window_days)
    scored = any(
        first <= day.day <= last and any(getattr(day, name) is not None for name, _, _ in SERIES)
        for day in days
    )
    return scored or any(
        first <= day <= last and count > 0 for day, count in sessions_by_date.items()
    )


def progress_chart(
    days: list[DayPain],
    sessions_by_date: dict[date, int],
    streak: int,
    today: date,
    language: str,
    window_days: int = WINDOW_DAYS,
    title_key: str = "diary.chart.title",
) -> bytes:
    """The PNG of the last 30 days (or `window_days`, titled by the text `title_key`: a
    follower's weekly summary shows 7); ValueError when `has_chart_data` finds nothing to draw."""
    if not has_chart_data(days, sessions_by_date, today, window_days):
        raise ValueError("no pain scores or sessions in the chart's window")
    # matplotlib comes with the first chart, not at start, where it took a sixth of the time
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    first, last = chart_window(today, window_days)
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    # a wider margin than the default 4 px, so today's date label never meets the edge
    figure.set_layout_engine("constrained", w_pad=EDGE_PAD_INCHES)
    FigureCanvasAgg(figure)
    pain_axes, session_axes = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1]}
    )
    shown = [day for day in days if first <= day.day <= last]
    for name, marker, colour in SERIES:
        points = [(day.day, getattr(day, name)) for day in shown if getattr(day, name) is not None]
        if points:
            x, y = zip(*points, strict=True)
            pain_axes.plot(
                x,
                y,
                marker=marker,
                color=colour,
                linewidth=2.5,
                markersize=9,
                label=text(language, f"diary.chart.{name}"),
            )
    pain_axes.set_ylim(PAIN_SCALE.start - 0.3, PAIN_SCALE.stop - 1 + 0.3)
    pain_axes.set_yticks([0, 2, 4, 6, 8, 10])
    pain_axes.set_ylabel(text(language, "diary.chart.pain"), fontsize=TYPE_SIZE)
    pain_axes.grid(axis="y", alpha=0.3)
    if pain_axes.lines:
        pain_axes.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(pain_axes.lines),
            fontsize=TYPE_SIZE - 2,
            frameon=False,
            handlelength=1.5,
        )
    _draw_sessions(session_axes, sessions_by_date, first, last, language)
    # in day numbers: a date plus a fraction of a day is the same date, which left no margin
    session_axes.set_xlim(date2num(first) - EDGE_DAYS, date2num(last) + EDGE_DAYS)
    # a tick every week (every day in a week's chart), counted back from today so that today is
    # always labelled
    step = timedelta(days=1 if window_days <= 7 else 7)
    session_axes.set_xticks([last - step * n for n in range((window_days - 1) // step.days, -1, -1)])
    session_axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: format_day_month(language, num2date(value).date()))
    )
    for axes in (pain_axes, session_axes):
        axes.tick_params(labelsize=TYPE_SIZE)
        axes.spines[["top", "right"]].set_visible(False)
    figure.align_ylabels()
    days_text = plural(language, "diary.days", streak)
    figure.suptitle(text(language, title_key, days=days_text), fontsize=TITLE_SIZE)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_sessions(
    axes: Axes, sessions_by_date: dict[date, int], first: date, last: date, language: str
) -> None:
    from matplotlib.ticker import MaxNLocator

    counts = {
        day: count for day, count in sessions_by_date.items() if first <= day <= last and count > 0
    }
    if counts:
        axes.bar(list(counts), list(counts.values()), width=0.7, color=SESSION_COLOUR)
    axes.set_ylim(0, max([2, *counts.values()]))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=2, integer=True))
    axes.set_ylabel(text(language, "diary.chart.sessions"), fontsize=TYPE_SIZE - 2)


# Activity lines in the Okabe-Ito palette; the average is a black dashed line beneath them.
ACTIVITY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
ACTIVITY_MARKERS = ("o", "s", "^", "D", "v", "P")
FunctionSeries = tuple[str, tuple[tuple[date, int], ...]]


def activity_name(suggestion: str | None, typed: str | None, language: str) -> str:
    """What an everyday activity is called: a suggestion in the patient's language, or their
    own words."""
    return text(language, f"function.suggestion.{suggestion}") if suggestion else typed or ""


def function_chart(
    activities: list[FunctionSeries], average: list[tuple[date, float]], language: str
) -> bytes:
    """The PNG of the weekly function scores: each activity (name, dated scores) and the weekly
    average; ValueError with no score to draw."""
    if not any(points for _, points in activities):
        raise ValueError("no function scores to draw")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for index, (name, points) in enumerate(activities):
        if points:
            x, y = zip(*points, strict=True)
            axes.plot(
                x, y, marker=ACTIVITY_MARKERS[index % len(ACTIVITY_MARKERS)],
                color=ACTIVITY_COLOURS[index % len(ACTIVITY_COLOURS)], linewidth=2,
                markersize=9, zorder=2, label=_shortened(name),
            )
    if average:
        x, y = zip(*average, strict=True)
        # dashed and beneath, so that an activity with the same scores still shows
        axes.plot(
            x, y, color="black", linewidth=3, linestyle="--", zorder=1,
            label=text(language, "function.chart.average"),
        )
    axes.set_ylim(-0.3, 10.3)
    axes.set_yticks([0, 2, 4, 6, 8, 10])
    axes.set_ylabel(text(language, "function.chart.score"), fontsize=TYPE_SIZE)
    axes.grid(axis="y", alpha=0.3)
    # below the plot: scores near 10 would run under a legend inside it
    axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=TYPE_SIZE - 4,
        frameon=False,
    )
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: format_day_month(language, num2date(value).date()))
    )
    axes.tick_params(labelsize=TYPE_SIZE - 2)
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(text(language, "function.chart.title"), fontsize=TITLE_SIZE)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _shortened(name: str, length: int = 28) -> str:
    return name if len(name) <= length else name[: length - 1] + "…"
