"""Chart data to SVG geometry, drawn by small templates (no script, no inline style).

Charts are server-rendered SVG so they work under the strict CSP and with
script off; colours come from classes in console/dashboard.css. pygal is not
in the dependency set and would add inline styles; these three shapes are
all the dashboard needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from privacyportal.widgets import Chart

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 30
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
PALETTE = 8


@dataclass
class Drawing:
    width: int = WIDTH
    height: int = HEIGHT
    shapes: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    xlabels: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    plot: dict[str, int] = field(default_factory=dict)


def figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no data"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text}{unit}"


def nice_max(value: float) -> float:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _axis(drawing: Drawing, top: float, unit: str) -> None:
    drawing.plot = {
        "x": LEFT,
        "y": TOP,
        "w": PLOT_W,
        "h": PLOT_H,
        "bottom": TOP + PLOT_H,
    }
    for fraction in (0, 0.5, 1):
        if not float(top * fraction).is_integer() and unit != "%":
            continue  # no "2.5 requests" on the axis
        y = TOP + PLOT_H - fraction * PLOT_H
        drawing.ticks.append({"y": round(y, 1), "label": figure(top * fraction, unit)})


def _xlabels(drawing: Drawing, chart: Chart, band: float) -> None:
    for index, label in enumerate(chart.labels):
        if index % chart.label_every == 0:
            x = LEFT + band * index + band / 2
            drawing.xlabels.append({"x": round(x, 1), "label": label})


def columns(chart: Chart) -> Drawing:
    """Stacked columns, one per label."""
    drawing = Drawing()
    totals = [
        sum(s.values[i] or 0 for s in chart.series) for i in range(len(chart.labels))
    ]
    top = nice_max(max(totals, default=0))
    _axis(drawing, top, chart.series[0].unit if chart.series else "")
    band = PLOT_W / max(len(chart.labels), 1)
    for index, label in enumerate(chart.labels):
        base = TOP + PLOT_H
        for number, series in enumerate(chart.series):
            value = series.values[index] or 0
            height = PLOT_H * value / top
            if height <= 0:
                continue
            base -= height
            drawing.shapes.append(
                {
                    "x": round(LEFT + band * index + band * 0.1, 1),
                    "y": round(base, 1),
                    "w": round(band * 0.8, 1),
                    "h": round(height, 1),
                    "cls": f"s{number % PALETTE}",
                    "title": f"{label}, {series.name}: {figure(value, series.unit)}",
                }
            )
    _xlabels(drawing, chart, band)
    return drawing


BAR_ROW, BAR_LABEL = 28, 230


def bars(chart: Chart) -> Drawing:
    """Horizontal bars of the first series; every series' figure beside each."""
    first = chart.series[0]
    top = 100 if first.unit == "%" else nice_max(max(first.values, default=0) or 0)
    rows = len(chart.labels)
    drawing = Drawing(height=TOP + rows * BAR_ROW + 8)
    room = WIDTH - BAR_LABEL - 150
    for index, label in enumerate(chart.labels):
        y = TOP + index * BAR_ROW
        value = first.values[index]
        said = " · ".join(figure(s.values[index], s.unit) for s in chart.series)
        width = room * (value or 0) / top
        drawing.texts.append(
            {"x": BAR_LABEL - 8, "y": y + 15, "text": label, "cls": "lbl"}
        )
        drawing.shapes.append(
            {
                "x": BAR_LABEL,
                "y": y + 3,
                "w": round(max(width, 1), 1),
                "h": BAR_ROW - 8,
                "cls": "s0",
                "title": f"{label}: {said}",
            }
        )
        drawing.texts.append(
            {
                "x": round(BAR_LABEL + width + 6, 1),
                "y": y + 15,
                "text": said,
                "cls": "val",
            }
        )
    return drawing


def lines(chart: Chart) -> Drawing:
    """One line per series over the labels; a gap where a value is missing."""
    drawing = Drawing()
    unit = chart.series[0].unit if chart.series else ""
    peak = max((v for s in chart.series for v in s.values if v is not None), default=0)
    top = 100 if unit == "%" else nice_max(peak)
    _axis(drawing, top, unit)
    band = PLOT_W / max(len(chart.labels), 1)
    for number, series in enumerate(chart.series):
        points = [
            (
                round(LEFT + band * i + band / 2, 1),
                round(TOP + PLOT_H - PLOT_H * v / top, 1),
            )
            for i, v in enumerate(series.values)
            if v is not None
        ]
        drawing.lines.append(
            {
                "points": " ".join(f"{x},{y}" for x, y in points),
                "cls": f"s{number % PALETTE}",
                "dots": [
                    {"x": x, "y": y, "title": f"{series.name}: {figure(v, unit)}"}
                    for (x, y), v in zip(
                        points, [v for v in series.values if v is not None], strict=True
                    )
                ],
            }
        )
    _xlabels(drawing, chart, band)
    return drawing


DRAW = {"columns": columns, "bars": bars, "lines": lines}


def draw(chart: Chart) -> Drawing:
    return DRAW[chart.kind](chart)


def table(chart: Chart) -> dict[str, Any]:
    """The same figures as a table: one row per label, one column per series."""
    headers = ["", *(s.name for s in chart.series)]
    rows = [
        [label, *(figure(s.values[i], s.unit) for s in chart.series)]
        for i, label in enumerate(chart.labels)
    ]
    return {"headers": headers, "rows": rows}


def has_data(chart: Chart) -> bool:
    return any(v for s in chart.series for v in s.values)
