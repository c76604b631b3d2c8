"""Charts drawn on the server as SVG: the geometry here, the markup in ``_charts.html``.

No script and no library: a bar chart is a few rectangles and texts. Each chart also
comes with a table of the same numbers for whoever does not see it. The indicators page's
charts (``grouped_bars``, ``line_chart``) write each bar's series and value in words and give
each line its own dash pattern, marker and legend, so that no meaning rests on colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LABEL_CHARACTERS = 30
"""Longer organisation names are cut in the chart (the table gives them in full)."""


@dataclass(frozen=True)
class Bar:
    """One bar with its label and its value, in the chart's coordinates."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    """A chart's size (its ``viewBox``), its bars and the baseline they stand on."""

    width: int
    height: int
    bars: list[Bar]
    axis_x1: float
    axis_y1: float
    axis_x2: float
    axis_y2: float


def short_label(text: str, limit: int = LABEL_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def horizontal_bars(
    items: Sequence[tuple[str, int]],
    *,
    width: int = 640,
    label_width: int = 230,
    bar_height: int = 22,
    gap: int = 10,
) -> Chart:
    """One horizontal bar per ``(label, value)``, the longest for the largest value."""
    room = width - label_width - 50
    largest = max((value for _label, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        y = gap + index * (bar_height + gap)
        length = room * value / largest
        bars.append(
            Bar(
                label=short_label(label),
                value=value,
                x=label_width,
                y=y,
                width=round(length, 1),
                height=bar_height,
                label_x=label_width - 8,
                label_y=y + bar_height * 0.7,
                value_x=round(label_width + length + 6, 1),
                value_y=y + bar_height * 0.7,
            )
        )
    height = gap + len(items) * (bar_height + gap)
    return Chart(width, height, bars, label_width, 0, label_width, height)


def columns(
    items: Sequence[tuple[str, int]],
    *,
    width: int = 640,
    height: int = 220,
    bottom: int = 30,
    top: int = 20,
) -> Chart:
    """One vertical column per ``(label, value)``, left to right, values above them."""
    slot = width / max(len(items), 1)
    room = height - bottom - top
    largest = max((value for _label, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        tall = room * value / largest
        x = index * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                y=round(height - bottom - tall, 1),
                width=round(slot * 0.7, 1),
                height=round(tall, 1),
                label_x=round(index * slot + slot / 2, 1),
                label_y=height - bottom + 18,
                value_x=round(index * slot + slot / 2, 1),
                value_y=round(height - bottom - tall - 5, 1),
            )
        )
    baseline = height - bottom
    return Chart(width, height, bars, 0, baseline, width, baseline)


NARROW_WIDTH = 400
"""The indicators page's charts: a narrow ``viewBox`` the page scales to its width, so
that their texts stay readable on a 360 px phone."""
GROUP_LABEL_CHARACTERS = 48
VALUE_ROOM = 150
"""The least room kept right of the longest bar for « Série : 1 234 »."""
CHARACTER_WIDTH = 7.4
"""The widest average width of a 13 px character, to keep a bar's words inside the drawing."""
LEAST_BAR_ROOM = 120


@dataclass(frozen=True)
class Measure:
    """One value of one series: ``value`` sizes the mark, ``text`` is what is written
    (« 12 », « < 5 », « 4,5 j ouvrés »); ``value`` is None for a masked or missing value."""

    series: str
    value: float | None
    text: str


@dataclass(frozen=True)
class BarGroup:
    """The bars of one label (a sub-axis, an organisation, a return reason)."""

    label: str
    measures: Sequence[Measure]


@dataclass(frozen=True)
class HBar:
    """One bar and the text after it, in the chart's coordinates."""

    series: str
    text: str
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class HGroup:
    """A group's label, above its bars."""

    label: str
    full_label: str
    label_y: float
    bars: list[HBar]


@dataclass(frozen=True)
class HBarChart:
    """A chart of grouped horizontal bars: its ``viewBox`` size and its groups."""

    width: int
    height: int
    groups: list[HGroup]
    axis_x: float


def _bar_text(measure: Measure, measures: int) -> str:
    """« Acceptées : 12 » when a group has several bars, « 12 » alone."""
    return f"{measure.series} : {measure.text}" if measures > 1 else measure.text


def grouped_bars(
    groups: Sequence[BarGroup], *, bar_height: int = 16, gap: int = 4, label_height: int = 20
) -> HBarChart:
    """One block per group: its label on a line, then one bar per measure, the longest for
    the largest value of the chart; a missing value draws no bar but keeps its text."""
    left = 4
    longest_text = max(
        (len(_bar_text(m, len(g.measures))) for g in groups for m in g.measures), default=0
    )
    words = max(VALUE_ROOM, round(longest_text * CHARACTER_WIDTH) + 10)
    room = max(LEAST_BAR_ROOM, NARROW_WIDTH - left - words)
    largest = max(
        (m.value for group in groups for m in group.measures if m.value is not None), default=0
    )
    scale = room / largest if largest > 0 else 0.0
    y = 0.0
    drawn = []
    for group in groups:
        label_y = y + 15
        y += label_height
        bars = []
        for measure in group.measures:
            length = round((measure.value or 0) * scale, 1)
            bars.append(
                HBar(
                    series=measure.series,
                    text=_bar_text(measure, len(group.measures)),
                    x=left,
                    y=y,
                    width=length,
                    height=bar_height,
                    text_x=round(left + length + 5, 1),
                    text_y=y + bar_height - 3,
                )
            )
            y += bar_height + gap
        drawn.append(
            HGroup(short_label(group.label, GROUP_LABEL_CHARACTERS), group.label, label_y, bars)
        )
        y += gap * 2
    return HBarChart(NARROW_WIDTH, max(round(y), 1), drawn, left)


@dataclass(frozen=True)
class Point:
    """One point of a line: where, and what it says (« mars 2026 : 12 »)."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    """One series: its name, its style (index into the dash patterns and markers), its
    segments (a gap where a value is masked) as SVG ``points`` strings, and its points."""

    name: str
    style: int
    segments: list[str]
    points: list[Point]
    legend_y: float


@dataclass(frozen=True)
class Tick:
    """A graduation: its position and its text."""

    position: float
    text: str


@dataclass(frozen=True)
class LineChart:
    """A line chart: ``viewBox`` size, plot area, graduations and lines."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    lines: list[Line]


def nice_step(largest: float, intervals: int = 5) -> float:
    """The graduation step for values up to ``largest``: 1, 2 or 5 times a power of ten,
    at least 1 (the lines count people), giving at most ``intervals`` intervals."""
    if largest <= intervals:
        return 1.0
    power = 10 ** math.floor(math.log10(largest / intervals))
    for step in (1, 2, 5, 10):
        if step * power * intervals >= largest:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _tick_text(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value >= 1 or value == 0 else f"{value:g}"


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    height: int = 230,
    max_x_labels: int = 6,
) -> LineChart:
    """One line per ``(name, values)`` over the same ``x_labels`` (months); None breaks the
    line. The legend is written below the plot, one series a line."""
    left, right, top = 44.0, NARROW_WIDTH - 26.0, 12.0  # room for the last month centred
    legend_room = 20 * len(series)
    bottom = height - 28.0 - legend_room
    largest = max((v for _n, values in series for v in values if v is not None), default=0.0)
    step_value = nice_step(largest)
    ceiling = step_value * max(1, math.ceil(largest / step_value))
    count = len(x_labels)
    step = (right - left) / (count - 1) if count > 1 else 0.0

    def x_of(index: int) -> float:
        return round(left + index * step if count > 1 else (left + right) / 2, 1)

    def y_of(value: float) -> float:
        return round(bottom - (bottom - top) * value / ceiling, 1)

    steps = round(ceiling / step_value)
    y_ticks = [Tick(y_of(step_value * i), _tick_text(step_value * i)) for i in range(steps + 1)]
    every = max(1, math.ceil(count / max_x_labels))
    x_ticks = [Tick(x_of(i), label) for i, label in enumerate(x_labels) if i % every == 0]
    lines = []
    for style, (name, values) in enumerate(series):
        segments: list[list[Point]] = [[]]
        points = []
        for index, value in enumerate(values[:count]):
            if value is None:
                segments.append([])
                continue
            point = Point(x_of(index), y_of(value), x_labels[index])
            segments[-1].append(point)
            points.append(point)
        lines.append(
            Line(
                name=name,
                style=style,
                segments=[" ".join(f"{p.x},{p.y}" for p in part) for part in segments if part],
                points=points,
                legend_y=bottom + 42 + 20 * style,
            )
        )
    return LineChart(NARROW_WIDTH, height, left, top, right, bottom, y_ticks, x_ticks, lines)
