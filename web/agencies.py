"""The agency page: one agency across years (every report of one agency_key), its key figures and
rates year by year as a table and as server-drawn SVG line charts, each year's flags, and links
to every report. Its JSON twin is /api/agencies/<key> (web/api.py)."""
from __future__ import annotations

import math

from flask import Blueprint, abort, render_template

from indexer.aliases import COUNT_ALIASES, RATES
from indexer.results import AgencyPanel

from .collection import get_collection
from .flag_text import explain_flag
from .i18n import alias_label
from .links import current_language

bp = Blueprint("agencies", __name__)

# the route's key takes slashes (region/name): the path converter
AGENCY_ROUTE = "/agencies/<path:key>"
# the counts drawn in the figures chart (the table shows every key figure)
CHART_COUNTS = ("applications", "handled", "granted", "denied")
CHART_RATES = ("grant_rate", "partial_rate", "denial_rate", "unable_rate", "correction_rate")
WIDTH, HEIGHT, MARGIN = 560, 220, 40
# the number of horizontal grid lines above 0
TICKS = 4
# line colours, in series order (readable on white, distinct in greyscale by dash too)
PALETTE = (("#1f5fa8", ""), ("#c0392b", "6 3"), ("#2e8b57", "2 3"), ("#8e44ad", "8 3 2 3"), ("#b7791f", "1 2"))


def get_panel(key: str) -> AgencyPanel:
    """The agency with this key, or a 404."""
    panel = get_collection().agency(key)
    if panel is None:
        abort(404, f"no agency with key {key}")
    return panel


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above ``value`` (a readable top of the y axis)."""
    scale = 10.0 ** math.floor(math.log10(value))
    return next(step * scale for step in (1, 2, 5, 10) if step * scale >= value)


def line_chart(years: list[int], series: dict[str, list[float | None]], top: float | None = None) -> dict:
    """An SVG line chart's geometry: one line per series over the years, each year placed by its
    distance in time (2019, 2022, 2024: three years apart, then two), broken where a value is blank
    or a year has no report (a gap, never a drop to 0 nor a line drawn across years not known);
    ``top`` fixes the y axis (1 for rates), else it fits the data.

    Returns {"width", "height", "x_labels": [(x, year)], "y_ticks": [(y, value)],
    "lines": [{"name", "colour", "dash", "segments": ["x,y x,y …"], "points": [(x, y, value)]}]}.
    """
    values = [v for vs in series.values() for v in vs if v is not None]
    top = top or _nice_top(max(values, default=0) or 1)
    span_x = WIDTH - 2 * MARGIN
    first, last = (min(years), max(years)) if years else (0, 0)

    def x_of(i: int) -> float:
        share = (years[i] - first) / (last - first) if last > first else 0.5
        return round(MARGIN + share * span_x, 1)

    def y_of(value: float) -> float:
        return round(HEIGHT - MARGIN - (min(value, top) / top) * (HEIGHT - 2 * MARGIN), 1)

    lines = []
    for name, vs in series.items():
        segments, current, points = [], [], []
        for i, value in enumerate(vs):
            if value is None or (i and years[i] - years[i - 1] > 1):  # a blank, or years without a report
                if current:
                    segments.append(current)
                current = []
                if value is None:
                    continue
            point = (x_of(i), y_of(value))
            current.append(point)
            points.append((*point, value))
        if current:
            segments.append(current)
        colour, dash = PALETTE[len(lines) % len(PALETTE)]
        lines.append({"name": name, "colour": colour, "dash": dash, "segments": [" ".join(f"{x},{y}" for x, y in seg) for seg in segments if seg],
                      "points": points})
    return {"width": WIDTH, "height": HEIGHT, "x_labels": [(x_of(i), year) for i, year in enumerate(years)],
            "y_ticks": [(y_of(top * n / TICKS), round(top * n / TICKS, 4)) for n in range(TICKS + 1)],
            "lines": lines}


def agency_view(panel: AgencyPanel, lang: str) -> dict:
    """The page's rows and charts from the panel (the same object the API returns)."""
    years = [row.year for row in panel.years]
    # every count alias some year has (procurement only in 2019-template years, fees only in 2021's)
    counts = [a for a in COUNT_ALIASES if any(row.figures.get(a) is not None for row in panel.years)]
    column = {name: [row.figures.get(name) for row in panel.years] for name in (*counts, *RATES)}
    return {
        "count_aliases": counts,
        "rate_aliases": list(RATES),
        "rows": [{"year": row, "flags": [{"code": code, "text": explain_flag(code, lang)} for code in row.flags]}
                 for row in panel.years],
        "counts_chart": line_chart(years, {a: column[a] for a in CHART_COUNTS if a in column}),
        "rates_chart": line_chart(years, {a: column[a] for a in CHART_RATES}, top=1.0),
        "series_label": lambda name: alias_label(name, lang),
    }


@bp.get(AGENCY_ROUTE)
def agency_page(key: str):
    """One agency across years: reports, key figures and rates by year (table and charts), flags."""
    panel = get_panel(key)
    return render_template("agency.html", panel=panel, **agency_view(panel, current_language()))
