"""What the indicators page shows, built from the service's ``IndicatorView``: headline
figures per family beside last year's, and the charts with their tables.

Every value goes through ``presentation.shown`` with the view's ``exact``: a count below five
is « < 5 » on the page exactly when it is in the service's answer for this viewer; a masked
value draws no bar and no point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.indicators.catalogue import INDICATORS
from services.indicators.model import Family, Figure, Indicator, IndicatorResult, Period, Unit
from services.indicators.presentation import is_masked, shown
from services.indicators.service import IndicatorView
from web.charts import BarGroup, HBarChart, LineChart, Measure, grouped_bars, line_chart

MONTHS = [
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]
PREFERRED_SERIES = ("referrals_sent", "referrals_accepted", "referrals_returned")
"""The volumes the grouping and the monthly charts show, when the catalogue has them."""
GROUPS_CHART = "groupes"
MONTHS_CHART = "mois"
DETAIL_PREFIX = "detail-"


@dataclass(frozen=True)
class Headline:
    """One indicator's figure, its definition, last year's figure and Paris's beside it."""

    key: str
    name: str
    definition: str
    value: str
    last_year: str | None
    evolution: str | None
    paris: str | None
    left_out: str | None  # why the filters or grouping asked leave this indicator out


@dataclass(frozen=True)
class Section:
    """The headline figures of one family."""

    slug: str
    title: str
    headlines: list[Headline]


@dataclass(frozen=True)
class Table:
    """A chart's numbers: its column headers and one row per label."""

    columns: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class PageChart:
    """A chart of the page: its key (for its CSV), words, drawing and table."""

    key: str
    title: str
    description: str
    bars: HBarChart | None
    line: LineChart | None
    table: Table


def _figure(result: IndicatorResult | None, key: str) -> Figure | None:
    return result.find(key) if result is not None else None


def _text(indicator: Indicator, figure: Figure | None, exact: bool) -> str:
    return shown(indicator, figure, exact=exact) if figure is not None else "—"


def _evolution(indicator: Indicator, now: Figure | None, before: Figure | None) -> str | None:
    """« +3 (+12 %) », « −0,5 j ouvrés », « +4 points »; None when either is hidden."""
    if now is None or before is None or now.value is None or before.value is None:
        return None
    difference = now.value - before.value
    sign = "+" if difference >= 0 else "−"
    if indicator.unit is Unit.SHARE:
        return f"{sign}{abs(difference) * 100:.0f} points"
    if indicator.unit is Unit.DAYS:
        return f"{sign}{abs(difference):.1f} j ouvrés".replace(".", ",")
    text = f"{sign}{abs(difference):.0f}"
    if before.value:
        text += f" ({sign}{abs(difference) / before.value * 100:.0f} %)"
    return text


def _left_out(indicator: Indicator, reason: str) -> Headline:
    return Headline(
        indicator.key, indicator.name, indicator.definition, "—", None, None, None, reason
    )


def sections(view: IndicatorView) -> list[Section]:
    """The headline figures of every family, in the catalogue's order."""
    found = []
    for family in Family:
        headlines = []
        for indicator in (i for i in INDICATORS.values() if i.family is family):
            left_out = view.result.left_out.get(indicator.key)
            if left_out is not None:
                headlines.append(_left_out(indicator, left_out))
                continue
            now = _figure(view.result, indicator.key)
            before = _figure(view.comparison, indicator.key)
            visible = [f for f in (now, before) if f is not None]
            hidden = any(is_masked(indicator, f) for f in visible) and not view.exact
            headlines.append(
                Headline(
                    key=indicator.key,
                    name=indicator.name,
                    definition=indicator.definition,
                    value=_text(indicator, now, view.exact),
                    last_year=(
                        None if view.comparison is None else _text(indicator, before, view.exact)
                    ),
                    evolution=None if hidden else _evolution(indicator, now, before),
                    paris=(
                        None
                        if view.paris is None
                        else _text(indicator, _figure(view.paris, indicator.key), view.exact)
                    ),
                    left_out=None,
                )
            )
        found.append(Section(family.value, family.label, headlines))
    return found


def series_indicators() -> list[Indicator]:
    """The volumes the grouping chart compares (at most three)."""
    preferred = [INDICATORS[key] for key in PREFERRED_SERIES if key in INDICATORS]
    if preferred:
        return preferred
    volumes = [
        indicator
        for indicator in INDICATORS.values()
        if indicator.family is Family.VOLUMES and indicator.breakdown is None
    ]
    return volumes[:3]


def breakdown_indicators() -> list[Indicator]:
    """The indicators counted by reason or outcome (one chart each)."""
    return [indicator for indicator in INDICATORS.values() if indicator.breakdown is not None]


def chart_indicator_keys(chart: str) -> list[str] | None:
    """The indicators whose figures a chart's CSV holds; None for an unknown chart."""
    if chart == GROUPS_CHART:
        return [indicator.key for indicator in series_indicators()]
    if chart == MONTHS_CHART:
        return [indicator.key for indicator in series_indicators()[:1]]
    key = chart.removeprefix(DETAIL_PREFIX)
    if chart.startswith(DETAIL_PREFIX) and key in INDICATORS and INDICATORS[key].breakdown:
        return [key]
    return None


def _measure(indicator: Indicator, figure: Figure | None, exact: bool, series: str) -> Measure:
    hidden = figure is None or (not exact and is_masked(indicator, figure))
    value = None if hidden or figure is None else figure.value
    return Measure(series, value, _text(indicator, figure, exact))


def _bars_chart(
    key: str, title: str, groups: list[BarGroup], head: str, series: list[str]
) -> PageChart:
    rows = [(group.label, [m.text for m in group.measures]) for group in groups]
    total = len(groups)
    description = (
        f"Barres horizontales, {total} ligne(s) : pour chacune, "
        f"{', '.join(series).lower()}. Les chiffres figurent dans le tableau qui suit."
    )
    return PageChart(
        key, title, description, grouped_bars(groups), None, Table([head, *series], rows)
    )


def grouping_chart(view: IndicatorView) -> PageChart | None:
    """The volumes by the chosen grouping (sub-axis, organisation, territory…)."""
    grouping = view.result.query.group_by
    indicators = series_indicators()
    if grouping is None or not indicators:
        return None
    labels: dict[str, str] = {}
    for figure in view.result.figures:
        if figure.group is not None and figure.detail is None:
            labels.setdefault(figure.group, figure.group_label or figure.group)
    groups = [
        BarGroup(
            label,
            [
                _measure(i, view.result.find(i.key, group=code), view.exact, i.name)
                for i in indicators
            ],
        )
        for code, label in labels.items()
    ]
    if not groups:
        return None
    title = f"{indicators[0].name} et suites, par {grouping.label.lower()}"
    return _bars_chart(GROUPS_CHART, title, groups, grouping.label, [i.name for i in indicators])


def breakdown_charts(view: IndicatorView) -> list[PageChart]:
    """One chart per indicator counted by reason or outcome, over the whole period."""
    charts = []
    for indicator in breakdown_indicators():
        groups = [
            BarGroup(
                figure.detail_label or figure.detail or "",
                [_measure(indicator, figure, view.exact, indicator.name)],
            )
            for figure in view.result.figures
            if figure.indicator == indicator.key
            and figure.group is None
            and figure.detail is not None
        ]
        if groups:
            charts.append(
                _bars_chart(
                    DETAIL_PREFIX + indicator.key, indicator.name, groups, "Détail", ["Nombre"]
                )
            )
    return charts


def months_of(period: Period) -> list[date]:
    """The first day of each month the period touches."""
    months = []
    month = period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def _monthly(
    indicator: Indicator, result: IndicatorResult | None, months: Sequence[date], exact: bool
) -> list[Measure]:
    return [
        _measure(
            indicator,
            result.find(indicator.key, group=f"{m:%Y-%m}") if result else None,
            exact,
            indicator.name,
        )
        for m in months
    ]


def monthly_chart(view: IndicatorView) -> PageChart | None:
    """The first volume month by month, this period against the same months a year before."""
    indicators = series_indicators()
    if not indicators:
        return None
    indicator = indicators[0]
    period = view.result.query.period
    months = months_of(period)
    current = _monthly(indicator, view.result, months, view.exact)
    series = [("Période choisie", [m.value for m in current])]
    head = ["Période choisie"]
    rows = [[m.text] for m in current]
    if view.comparison is not None:
        before = _monthly(indicator, view.comparison, months_of(period.previous_year()), view.exact)
        series.append(("Un an plus tôt", [m.value for m in before]))
        head.append("Un an plus tôt")
        rows = [[*row, m.text] for row, m in zip(rows, before, strict=True)]
    x_labels = [f"{MONTHS[m.month - 1]}" for m in months]
    chart = line_chart(x_labels, series)
    description = (
        f"Courbes par mois, de {_month_label(months[0])} à {_month_label(months[-1])} : "
        f"{indicator.name.lower()}, la période choisie en trait plein avec des ronds, un an "
        "plus tôt en pointillés avec des carrés. Les chiffres figurent dans le tableau qui suit."
    )
    table = Table(
        ["Mois", *head], [(_month_label(m), row) for m, row in zip(months, rows, strict=True)]
    )
    return PageChart(
        MONTHS_CHART, f"{indicator.name}, mois par mois", description, None, chart, table
    )
