"""The « Indicateurs » page: the plan's figures for a period, filtered and grouped, with
last year's beside them, charts and their tables, each chart's CSV."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import paris_date
from core.enums import PlanAxis, Territory
from core.errors import Forbidden, InvalidInput
from services import directory
from services.indicators.model import Dimension, IndicatorQuery
from services.indicators.service import IndicatorView, indicator_csv, read_indicators
from services.parallel import Sessions, Work, side_by_side
from states.actor import Actor
from states.policy.indicators import may_read_indicators
from web.deps import FileUserDep, NowDep, SessionDep, SessionsDep, WebUserDep
from web.downloads import attachment
from web.indicator_form import GROUP_CHOICES, PUBLIC_CHOICES, IndicatorForm, read_form
from web.indicator_page import (
    GROUPS_CHART,
    MONTHS_CHART,
    breakdown_charts,
    chart_indicator_keys,
    grouping_chart,
    monthly_chart,
    sections,
    series_indicators,
)
from web.rendering import render
from web.routing import page_router

router = page_router()


async def _choices(session: AsyncSession) -> dict[str, object]:
    organisations = await directory.list_organisations(session)
    offers, _next = await directory.list_offers(session, active_only=False, limit=500)
    return {
        "organisations": [(str(o.id), o.name) for o in organisations],
        "offers": [(str(o.id), o.title) for o in offers],
        "sub_axes": [(a.value, a.choice_label) for a in PlanAxis],
        "territories": Territory.choices(),
        "publics": [(p.value, p.label) for p in PUBLIC_CHOICES],
        "groupings": [(d.value, d.label) for d in GROUP_CHOICES],
    }


async def _views(
    session: AsyncSession, sessions: Sessions, actor: Actor, query: IndicatorQuery
) -> tuple[IndicatorView, IndicatorView | None, IndicatorView]:
    """The whole period (with last year), the chosen grouping, and month by month: the last
    two only of the volumes their charts draw (a year of Paris's delays costs seconds). On
    PostgreSQL the three are read at once, each on its own connection."""
    series = [indicator.key for indicator in series_indicators()]

    def view(asked: IndicatorQuery, **options: Any) -> Work[IndicatorView]:
        async def read(own: AsyncSession) -> IndicatorView:
            return await read_indicators(own, actor, asked, sessions=sessions, **options)

        return read

    works = [
        view(replace(query, group_by=None)),
        view(replace(query, group_by=Dimension.MONTH), keys=series[:1]),
    ]
    if query.group_by is not None:
        works.append(view(query, compare=False, keys=series))
    total, monthly, *grouped = await side_by_side(session, sessions, works)
    return total, (grouped[0] if grouped else None), monthly


def _csv_query(form: IndicatorForm) -> str:
    return urlencode({name: value for name, value in form.values.items() if value})


@router.get("/indicators")
async def indicators_page(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    sessions: SessionsDep,
    now: NowDep,
) -> Response:
    """The figures of the form's period and filters in the user's scope (read_indicators
    says which and refuses a role that may not read them)."""
    form = read_form(request.query_params, paris_date(now))
    context: dict[str, object] = {
        "title": "Indicateurs",
        "form": form,
        "csv_query": _csv_query(form),
        **(await _choices(session)),
    }
    if form.query is None:
        if not may_read_indicators(user.actor):
            raise Forbidden("Votre rôle ne donne pas accès aux indicateurs du plan.")
        return render(request, "indicators.html", {**context, "view": None}, status_code=422)
    total, grouped, monthly = await _views(session, sessions, user.actor, form.query)
    charts = [grouping_chart(grouped) if grouped else None, monthly_chart(monthly)]
    context |= {
        "view": total,
        "period": form.query.period,
        "sections": sections(total),
        "charts": [chart for chart in charts if chart is not None] + breakdown_charts(total),
    }
    return render(request, "indicators.html", context)


@router.get("/indicators/csv")
async def indicators_csv(
    request: Request, user: FileUserDep, session: SessionDep, now: NowDep
) -> Response:
    """One chart's figures as a spreadsheet (``chart=``), always masked: the file leaves
    relais."""
    form = read_form(request.query_params, paris_date(now))
    chart = request.query_params.get("chart", "")
    keys = chart_indicator_keys(chart)
    if form.query is None:
        raise InvalidInput(" ".join(form.errors.values()), field=next(iter(form.errors)))
    if keys is None:
        raise InvalidInput("Graphique : choisissez un graphique de la page.", field="chart")
    query = form.query
    if chart == MONTHS_CHART:
        query = replace(query, group_by=Dimension.MONTH)
    elif chart != GROUPS_CHART:
        query = replace(query, group_by=None)
    view = await read_indicators(session, user.actor, query, compare=False)
    period = query.period
    name = f"relais-indicateurs-{chart}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    return attachment(indicator_csv(view, keys).encode("utf-8"), "text/csv; charset=utf-8", name)
