"""Progress pictures: the last 30 days of pain and sessions as a PNG.

Drawn on a bare `Figure` with the Agg canvas, never through pyplot, whose global figure registry
is not safe to use from several threads. Sizes are set per call rather than through rcParams,
which are global too. The picture is 800x600 with type of 16 pt and more, so it stays legible
when Telegram shows it 400 px wide.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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
    from matplotlib.dates import num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    first, last = chart_window(today, window_days)
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
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
    # datetimes: a date minus 0.6 days is the same date, and the first and last bars were cut
    margin = timedelta(hours=14)
    session_axes.set_xlim(datetime.combine(first, time()) - margin, datetime.combine(last, time()) + margin)
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
