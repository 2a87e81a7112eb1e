"""The monitoring board's charts as plain geometry for server-rendered SVG
(templates/monitoring/_charts.html). See docs/monitoring.md "The page".

No chart library: a chart is a few rectangles whose widths are proportional to the counts. Each
chart has a title (its accessible name, the SVG being role="img") and a table beside it with the
same numbers, which is the accessible equivalent and the place where each number is a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fill colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by the legend
# and the table too, never by colour alone.
COLOURS = {
    "on_time": "#1d6b3c",
    "late": "#8a5a00",
    "in_time": "#24466e",
    "overdue": "#a01c1c",
    "submitted_on_time": "#1d6b3c",
    "submitted_late": "#8a5a00",
    "not_submitted": "#a01c1c",
    "postponed": "#5b3f8c",
    "withdrawn": "#5d6670",
}
LABEL_W = 230  # the left column: the state's or the agency's name
BAR_W = 400
ROW_H = 26
BAR_H = 18


@dataclass
class Segment:
    key: str
    value: int
    x: float
    width: float
    colour: str


@dataclass
class Row:
    label: str
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    label_w: int
    rows: list[Row]


def _scale(values: list[int]) -> float:
    top = max([*values, 1])
    return BAR_W / top


def bars(items: list[tuple[str, str, int]]) -> Chart:
    """One bar per (key, label, value): the four task states, or the programme outcomes."""
    scale = _scale([v for _, _, v in items])
    rows = []
    for n, (key, label, value) in enumerate(items):
        segment = Segment(key, value, 0.0, round(value * scale, 1), COLOURS.get(key, "#3a4149"))
        rows.append(Row(label=label, total=value, y=n * ROW_H, segments=[segment]))
    return Chart(width=LABEL_W + BAR_W + 60, height=len(rows) * ROW_H, label_w=LABEL_W, rows=rows)


def stacked(rows: list[dict[str, Any]], keys: tuple[str, ...], part: str) -> Chart:
    """One stacked bar per agency row of the board (`part`: "tasks"), its segments `keys`."""
    totals = [sum(int(r[part][k]) for k in keys) for r in rows]
    scale = _scale(totals)
    found = []
    for n, (row, total) in enumerate(zip(rows, totals, strict=True)):
        x = 0.0
        segments = []
        for key in keys:
            value = int(row[part][key])
            width = round(value * scale, 1)
            if value:
                segments.append(Segment(key, value, x, width, COLOURS.get(key, "#3a4149")))
            x += width
        found.append(Row(label=str(row["agency"]) or "—", total=total, y=n * ROW_H, segments=segments))
    return Chart(width=LABEL_W + BAR_W + 60, height=max(1, len(found)) * ROW_H, label_w=LABEL_W, rows=found)
