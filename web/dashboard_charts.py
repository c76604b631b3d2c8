"""The dashboard's charts, drawn to be read on a phone as well as on a desk.

The organisations' bars carry their names in full, wrapped on as many lines as they need
above each bar: two organisations whose names share their first thirty characters (« Espace
parisien d'insertion Paris Centre » and « … Paris Est ») must never read the same. The
weekly trend is drawn twice, all its weeks for a wide screen and its latest weeks for a
phone; ``relais.css`` shows one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web.charts import CHARACTER_WIDTH, NARROW_WIDTH, Chart, columns

PHONE_WEEKS = 6
"""How many of the latest weeks the phone's trend chart draws: six columns stay readable
in 360 px."""
VALUE_ROOM = 44
"""Room kept right of the longest bar for its value."""
LABELLED_WIDTH = 340
"""The organisations' chart's ``viewBox`` width: about a phone's, so that its 13 px texts
are drawn at about 13 px on a 360 px screen."""


@dataclass(frozen=True)
class LabelledBar:
    """One horizontal bar under its label's lines, in the chart's coordinates."""

    label: str
    lines: list[str]
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    line_height: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class LabelledBarChart:
    """A chart of labelled bars: its ``viewBox`` size, its bars and the axis they start on."""

    width: int
    height: int
    bars: list[LabelledBar]
    axis_x1: float
    axis_y1: float
    axis_x2: float
    axis_y2: float


def wrap_label(text: str, limit: int) -> list[str]:
    """``text`` in full, cut between words into lines of at most ``limit`` characters; a
    word longer than ``limit`` stands whole on its own line."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def labelled_bars(
    items: Sequence[tuple[str, int]],
    *,
    width: int = LABELLED_WIDTH,
    bar_height: int = 18,
    line_height: int = 16,
    gap: int = 12,
) -> LabelledBarChart:
    """One horizontal bar per ``(label, value)``, the longest for the largest value, each
    under its label written in full on as many lines as it takes."""
    left = 4
    limit = int((width - 2 * left) / CHARACTER_WIDTH)
    room = width - left - VALUE_ROOM
    largest = max((value for _label, value in items), default=0) or 1
    bars = []
    y = float(gap)
    for label, value in items:
        lines = wrap_label(label, limit)
        top = y + len(lines) * line_height + 4
        length = round(room * value / largest, 1)
        bars.append(
            LabelledBar(
                label=label,
                lines=lines,
                value=value,
                x=left,
                y=top,
                width=length,
                height=bar_height,
                label_x=left,
                label_y=y + line_height - 4,
                line_height=line_height,
                value_x=round(left + length + 6, 1),
                value_y=top + bar_height * 0.75,
            )
        )
        y = top + bar_height + gap
    height = round(y)
    return LabelledBarChart(width, height, bars, left, 0, left, height)


def phone_columns(items: Sequence[tuple[str, int]], weeks: int = PHONE_WEEKS) -> Chart:
    """The latest ``weeks`` of ``items`` as columns in a narrow drawing a phone shows whole."""
    return columns(items[-weeks:], width=NARROW_WIDTH, height=200)
