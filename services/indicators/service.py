"""The indicators as a person may read them: their scope, small counts, and the CSV export.

``read_indicators`` is what the page, ``GET /api/indicators`` and the annual report call; it
checks the reader, narrows the question to their scope (a coordinator's territory, an
organisation's own figures with Paris-wide ones beside) and computes last year's figures
for comparison. ``indicator_csv`` writes a view for a spreadsheet, always masked: a file
leaves relais.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.clock import as_utc
from core.enums import Public
from core.errors import Forbidden, InvalidInput
from core.models import Organisation
from services.documents import csv_cell
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.frame import COUNTED_PUBLICS
from services.indicators.model import MASK, IndicatorQuery, IndicatorResult, Period
from services.indicators.presentation import exported, is_masked
from services.parallel import Sessions, side_by_side
from states.actor import Actor
from states.policy.indicators import (
    IndicatorScope,
    indicator_scope,
    may_read_indicators,
    may_see_small_counts,
)

ALL_PARIS = "Tout Paris"
CSV_COLUMNS = (
    "Périmètre",
    "Période",
    "Indicateur",
    "Clé",
    "Regroupement",
    "Groupe",
    "Détail",
    "Valeur",
    "Nombre de cas (base)",
)


@dataclass(frozen=True)
class IndicatorView:
    """The figures a reader asked for, in their scope, with what goes beside them."""

    result: IndicatorResult  # the figures asked, in the viewer's scope
    comparison: IndicatorResult | None  # the same query over the same period one year earlier
    paris: IndicatorResult | None  # for an org admin or member: the Paris-wide figures beside
    exact: bool  # small counts shown exactly (coordinators, DPO, on relais's own page/API only)
    scope_label: str  # « Tout Paris », « Paris 18e », « EPI Paris Centre »


MAX_YEARS = 5
"""The longest period asked at once: five years (the plan's span)."""


def indicator_query(
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    *,
    public: Public | None = None,
    **filters: Any,
) -> IndicatorQuery:
    """The question a reader asks, checked: the period defaults to the current calendar year
    up to today (Paris), must not end before it starts nor span more than five years, and
    never filters by a health public (AAH, RQTH, handicap: in no aggregate)."""
    today = as_utc(now).astimezone(PARIS).date()
    first = start or date((end or today).year, 1, 1)
    last = end or (today if first <= today else date(first.year, 12, 31))
    if last < first:
        raise InvalidInput("La date de fin précède la date de début.", field="end")
    if last > _years_after(first, MAX_YEARS):
        raise InvalidInput("La période demandée dépasse cinq ans.", field="end")
    if public is not None and public not in COUNTED_PUBLICS:
        raise InvalidInput(
            f"« {public.label} » relève de la santé : aucun indicateur ne se calcule par ce "
            "public.",
            field="public",
        )
    return IndicatorQuery(period=Period(first, last), public=public, **filters)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


async def read_indicators(
    session: AsyncSession,
    actor: Actor,
    query: IndicatorQuery,
    *,
    compare: bool = True,
    keys: Collection[str] | None = None,
    sessions: Sessions | None = None,
) -> IndicatorView:
    """The figures of ``query`` that ``actor`` may read, narrowed to their scope (of the
    indicators ``keys`` only, when given: a chart needs a few of them). With ``sessions``,
    on PostgreSQL, the period, last year and Paris are computed at once
    (``parallel.side_by_side``).

    Raises ``Forbidden`` for a role that may not read indicators (the committees'
    secretariat, the platform's admins). The query's own ``territory`` and
    ``party_organisation_id`` are replaced by the actor's scope.
    """
    if not may_read_indicators(actor):
        raise Forbidden("Votre rôle ne donne pas accès aux indicateurs du plan.")
    scope = indicator_scope(actor)
    scoped = replace(query, territory=scope.territory, party_organisation_id=scope.organisation_id)
    asked = [scoped]
    if compare:
        asked.append(scoped.for_period(scoped.period.previous_year()))
    if scope.is_organisation:
        asked.append(replace(scoped, territory=None, party_organisation_id=None))
    results = await side_by_side(session, sessions, [_computation(one, keys) for one in asked])
    result = results.pop(0)
    comparison = results.pop(0) if compare else None
    paris = results.pop(0) if scope.is_organisation else None
    return IndicatorView(
        result=result,
        comparison=comparison,
        paris=paris,
        exact=may_see_small_counts(actor),
        scope_label=await _scope_label(session, scope),
    )


def _computation(
    query: IndicatorQuery, keys: Collection[str] | None
) -> Callable[[AsyncSession], Awaitable[IndicatorResult]]:
    async def compute(session: AsyncSession) -> IndicatorResult:
        return await compute_indicators(session, query, keys=keys)

    return compute


async def _scope_label(session: AsyncSession, scope: IndicatorScope) -> str:
    if scope.organisation_id is not None:
        organisation = await session.get(Organisation, scope.organisation_id)
        return organisation.name if organisation is not None else ALL_PARIS
    if scope.territory is not None:
        return scope.territory.label
    return ALL_PARIS


def indicator_csv(view: IndicatorView, keys: Sequence[str] | None = None) -> str:
    """``view`` as CSV (``;``-separated, French headers), always masked: « < 5 » for a
    figure about fewer than five people, whoever asked. ``keys`` keeps those indicators.

    One row per figure: the reader's scope, then last year's, then Paris-wide ones.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    blocks = [(view.scope_label, view.result), (view.scope_label, view.comparison)]
    blocks.append((ALL_PARIS, view.paris))
    for label, result in blocks:
        if result is not None:
            writer.writerows(_rows(label, result, keys))
    return buffer.getvalue()


def _rows(label: str, result: IndicatorResult, keys: Sequence[str] | None) -> list[list[str]]:
    grouping = result.query.group_by.label if result.query.group_by is not None else ""
    rows = []
    for figure in result.figures:
        if keys is not None and figure.indicator not in keys:
            continue
        indicator = INDICATORS[figure.indicator]
        masked = is_masked(indicator, figure)
        rows.append(
            [
                csv_cell(label),
                result.query.period.label,
                indicator.name,
                indicator.key,
                grouping if figure.group is not None else "",
                csv_cell(figure.group_label or figure.group or "Ensemble"),
                csv_cell(figure.detail_label or ""),
                exported(indicator, figure, exact=False),
                MASK if masked else str(figure.basis),
            ]
        )
    return rows
