"""Charts drawn on the server as SVG: the geometry here, the markup in ``_charts.html``.

No script and no library: a bar chart is a few rectangles and texts. Each chart also
comes with a table of the same numbers for whoever does not see it.
"""

from __future__ import annotations

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
