"""The annual report's building blocks: a table of shown figures and a bar chart of them.

The report leaves relais (it is printed and circulated to the comité de pilotage), so every
figure here is written with ``exact=False``: any count below five people reads « < 5 »,
whoever asks, coordinators included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.indicators.catalogue import INDICATORS
from services.indicators.model import Figure, Indicator, IndicatorResult, Unit
from services.indicators.presentation import is_masked, shown


@dataclass(frozen=True)
class ChartBar:
    """One bar: its label, the length it is drawn at (0 when masked) and the text beside it."""

    label: str
    value: float
    text: str


@dataclass(frozen=True)
class ReportTable:
    """A titled table of French texts, and optionally the bar chart of one of its columns."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    chart: list[ChartBar] = field(default_factory=list)
    chart_title: str = ""

    @property
    def empty(self) -> bool:
        """Whether the table has no row to show."""
        return not self.rows


def missing_figure(indicator: Indicator, group: str | None = None) -> Figure:
    """What a figure the computation did not return stands for: nobody, nothing measured."""
    value = 0.0 if indicator.unit in (Unit.PEOPLE, Unit.COUNT) else None
    return Figure(indicator=indicator.key, value=value, basis=0, group=group)


def masked_text(figure: Figure) -> str:
    """``figure`` as the report prints it: always masked below five people."""
    return shown(INDICATORS[figure.indicator], figure, exact=False)


def bar_of(label: str, figure: Figure) -> ChartBar:
    """A bar for ``figure``: a masked figure is drawn empty, with « < 5 » beside it."""
    indicator = INDICATORS[figure.indicator]
    hidden = is_masked(indicator, figure) or figure.value is None
    return ChartBar(label, 0.0 if hidden else float(figure.value or 0), masked_text(figure))


def figure_or_missing(result: IndicatorResult, key: str, group: str | None = None) -> Figure:
    """The total figure of ``key`` (for ``group``), or the missing one."""
    return result.find(key, group=group) or missing_figure(INDICATORS[key], group)


def totals_table(
    title: str,
    keys: Sequence[str],
    current: IndicatorResult,
    previous: IndicatorResult,
    *,
    year: int,
    chart_title: str = "",
) -> ReportTable:
    """One row per indicator: its name, the year's figure and the previous year's."""
    rows = []
    bars = []
    for key in keys:
        figure = figure_or_missing(current, key)
        before = figure_or_missing(previous, key)
        rows.append([INDICATORS[key].name, masked_text(figure), masked_text(before)])
        if INDICATORS[key].unit in (Unit.PEOPLE, Unit.COUNT):
            bars.append(bar_of(INDICATORS[key].name, figure))
    return ReportTable(
        title,
        ["Indicateur", str(year), str(year - 1)],
        rows,
        bars if chart_title else [],
        chart_title,
    )


def groups_of(result: IndicatorResult) -> list[tuple[str, str]]:
    """The groups present in ``result`` as ``(group, label)``, by label."""
    found = {
        figure.group: figure.group_label or figure.group
        for figure in result.figures
        if figure.group is not None
    }
    return sorted(found.items(), key=lambda item: item[1].casefold())


def grouped_table(
    title: str,
    heading: str,
    keys: Sequence[str],
    result: IndicatorResult,
    groups: Iterable[tuple[str, str]],
    *,
    chart_key: str | None = None,
) -> ReportTable:
    """One row per group, one column per indicator; the chart draws ``chart_key``."""
    rows = []
    bars = []
    for group, label in groups:
        rows.append([label, *(masked_text(figure_or_missing(result, key, group)) for key in keys)])
        if chart_key is not None:
            bars.append(bar_of(label, figure_or_missing(result, chart_key, group)))
    chart_title = f"{INDICATORS[chart_key].name} — {title}" if chart_key else ""
    return ReportTable(
        title, [heading, *(INDICATORS[key].name for key in keys)], rows, bars, chart_title
    )


def breakdown_table(key: str, result: IndicatorResult) -> ReportTable:
    """The figures of one indicator by its breakdown (a reason, an outcome)."""
    indicator = INDICATORS[key]
    details = [
        figure
        for figure in result.figures
        if figure.indicator == key and figure.group is None and figure.detail is not None
    ]
    rows = [[figure.detail_label or figure.detail or "", masked_text(figure)] for figure in details]
    bars = [bar_of(figure.detail_label or figure.detail or "", figure) for figure in details]
    return ReportTable(indicator.name, ["Détail", "Valeur"], rows, bars, indicator.name)
