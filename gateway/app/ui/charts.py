"""Server-side SVG charts: geometry computed here, drawn by the macros in `ui/_charts.html`.

Each function turns plain numbers into positioned shapes in a fixed viewBox; the template only
writes them out (Jinja escapes every label), and CSS classes colour them, so pages need no script
and no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CHAR_WIDTH = 7.0  # average width of a 12px system-ui character, in viewBox units
LABEL_MIN, LABEL_MAX = 60, 230


def _round(value: float) -> float:
    return round(value, 1)


def label_width(labels: Sequence[str]) -> int:
    """Room for the longest label (within bounds), so short labels leave more room for bars."""
    longest = max((len(label) for label in labels), default=0)
    return min(LABEL_MAX, max(LABEL_MIN, math.ceil(longest * CHAR_WIDTH + 16)))


def _short(label: str, width: int) -> str:
    """A label that fits `width`; the full text stays in the shape's tooltip."""
    limit = max(4, int((width - 16) / CHAR_WIDTH))
    return label if len(label) <= limit else label[: limit - 1] + "…"


def nice_step(maximum: float, ticks: int = 4) -> int:
    """A whole-number gridline step of 1, 2 or 5 times a power of ten, about `ticks` per axis."""
    rough = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5):
        if rough <= factor * power:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def axis(maximum: float, ticks: int = 4) -> tuple[int, list[int]]:
    """The top of a value axis starting at zero, and its gridline values."""
    step = nice_step(maximum, ticks)
    top = max(step, math.ceil(max(maximum, 1) / step) * step)
    return top, list(range(0, top + 1, step))


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category; `css` names its colour class."""

    label: str
    values: Sequence[int]
    css: str


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    css: str
    text_y: float
    value_x: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one labelled row per item, each over a track of the full length."""

    width: int
    height: int
    label_width: int
    track_width: float
    bars: list[Bar]


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    css: str | Callable[[str], str] = "series-0",
    width: int = 460,
    row_height: int = 26,
) -> BarChart:
    """Horizontal bars for labelled counts, scaled to the largest."""
    value_space = 48
    labels = label_width([label for label, _ in items])
    plot = width - labels - value_space
    largest = max((value for _, value in items), default=0) or 1
    bar_height = row_height - 8
    bars = []
    for index, (label, value) in enumerate(items):
        y = 4 + index * row_height
        length = plot * value / largest
        bars.append(
            Bar(
                label=label,
                short_label=_short(label, labels),
                value=value,
                x=labels,
                y=y,
                width=_round(length),
                height=bar_height,
                css=css(label) if callable(css) else css,
                text_y=_round(y + bar_height / 2),
                value_x=_round(labels + length + 6),
            )
        )
    return BarChart(width, 8 + len(items) * row_height, labels, plot, bars)


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class Column:
    title: str
    hit_x: float
    hit_width: float
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class AxisLabel:
    text: str
    x: float


@dataclass(frozen=True)
class ColumnChart:
    """Vertical columns over categories (days), each a stack of series segments."""

    width: int
    height: int
    left: int
    right: float
    top: int
    baseline: float
    label_y: float
    columns: list[Column]
    ticks: list[Tick]
    labels: list[AxisLabel]
    legend: list[tuple[str, str]]


def stacked_columns(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 560,
    height: int = 220,
) -> ColumnChart:
    """Stacked columns, one per category, with a zero-based gridded value axis."""
    left, right, top, bottom = 36, 8, 10, 26
    plot_width, plot_height = width - left - right, height - top - bottom
    baseline = top + plot_height
    totals = [sum(row.values[index] for row in series) for index in range(len(categories))]
    axis_top, tick_values = axis(max(totals, default=0))
    slot = plot_width / max(len(categories), 1)
    column_width = slot * 0.62
    columns = []
    for index, category in enumerate(categories):
        x = left + index * slot + (slot - column_width) / 2
        stacked = 0
        segments = []
        for row in series:
            value = row.values[index]
            if value:
                y = baseline - (stacked + value) / axis_top * plot_height
                segments.append(
                    Segment(
                        _round(x),
                        _round(y),
                        _round(column_width),
                        _round(value / axis_top * plot_height),
                        row.css,
                    )
                )
            stacked += value
        parts = ", ".join(f"{row.values[index]} {row.label.lower()}" for row in series)
        columns.append(
            Column(f"{category}: {parts}", _round(left + index * slot), _round(slot), segments)
        )
    every = max(1, math.ceil(len(categories) / max(1, int(plot_width // 44))))
    labels = [
        AxisLabel(category, _round(left + index * slot + slot / 2))
        for index, category in enumerate(categories)
        if (len(categories) - 1 - index) % every == 0
    ]
    ticks = [
        Tick(value, _round(baseline - value / axis_top * plot_height)) for value in tick_values
    ]
    return ColumnChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        baseline=baseline,
        label_y=baseline + 17,
        columns=columns,
        ticks=ticks,
        labels=labels,
        legend=[(row.label, row.css) for row in series],
    )


@dataclass(frozen=True)
class BarGroup:
    label: str
    short_label: str
    text_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class GroupedBarChart:
    """Horizontal bar groups: one labelled row per category, one thin bar per series."""

    width: int
    height: int
    label_width: int
    groups: list[BarGroup]
    legend: list[tuple[str, str]]


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 460,
) -> GroupedBarChart:
    """Side-by-side bars per category (e.g. each reviewer's approvals and rejections)."""
    value_space, bar_height, bar_gap, group_gap = 48, 11, 3, 12
    labels = label_width(categories)
    plot = width - labels - value_space
    largest = max((value for row in series for value in row.values), default=0) or 1
    group_height = len(series) * (bar_height + bar_gap) - bar_gap
    groups = []
    for index, category in enumerate(categories):
        top = 6 + index * (group_height + group_gap)
        bars = []
        for position, row in enumerate(series):
            value = row.values[index]
            y = top + position * (bar_height + bar_gap)
            length = plot * value / largest
            bars.append(
                Bar(
                    label=f"{category}: {value} {row.label.lower()}",
                    short_label=row.label,
                    value=value,
                    x=labels,
                    y=y,
                    width=_round(length),
                    height=bar_height,
                    css=row.css,
                    text_y=_round(y + bar_height / 2),
                    value_x=_round(labels + length + 6),
                )
            )
        groups.append(
            BarGroup(category, _short(category, labels), _round(top + group_height / 2), bars)
        )
    height = 12 + len(categories) * (group_height + group_gap) - group_gap
    return GroupedBarChart(
        width, max(height, 0), labels, groups, [(row.label, row.css) for row in series]
    )


@dataclass(frozen=True)
class Sparkline:
    """A small trend line with its shaded area and a dot on the latest value."""

    width: int
    height: int
    points: str
    area: str
    last_x: float
    last_y: float


def sparkline(values: Sequence[int], *, width: int = 120, height: int = 32) -> Sparkline:
    """A line through `values`, scaled to the box, zero at the bottom edge."""
    pad = 3
    largest = max(values, default=0) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    coordinates = [
        (_round(pad + index * step), _round(height - pad - value / largest * (height - 2 * pad)))
        for index, value in enumerate(values or [0])
    ]
    points = " ".join(f"{x},{y}" for x, y in coordinates)
    first_x, last_x = coordinates[0][0], coordinates[-1][0]
    bottom = height - pad
    area = f"M{first_x},{bottom} L" + " L".join(f"{x},{y}" for x, y in coordinates)
    area += f" L{last_x},{bottom} Z"
    return Sparkline(width, height, points, area, last_x, coordinates[-1][1])
