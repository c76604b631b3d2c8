"""The annual action plan of the governance: a page by axis of the plan, and its spreadsheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from core.business_days import PARIS
from services import governance_reports
from services.documents import action_plan_csv
from web.deps import NowDep, SessionDep, WebUserDep
from web.downloads import attachment
from web.rendering import render
from web.routing import page_router

router = page_router()

Year = Annotated[int | None, Query(ge=2000, le=2999)]
FRENCH_COLUMNS = (
    "Axe",
    "Intitulé de l'axe",
    "Décision",
    "Intitulé de la décision",
    "Adoptée le",
    "Action",
    "Intitulé de l'action",
    "Structure responsable",
    "Échéance",
    "État",
    "En retard",
)


@router.get("/action-plan")
async def action_plan_page(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep, year: Year = None
) -> Response:
    """The year's adopted action plan decisions by axis, with their action items."""
    year = year or now.astimezone(PARIS).year
    plan = await governance_reports.action_plan(session, user.actor, year, now)
    return render(
        request,
        "action_plan.html",
        {
            "title": f"Plan d'action {year}",
            "plan": plan,
            "decided": sum(len(group.decisions) for group in plan.axes),
        },
    )


@router.get("/action-plan.csv")
async def action_plan_spreadsheet(
    user: WebUserDep, session: SessionDep, now: NowDep, year: Year = None
) -> Response:
    """The action plan as a spreadsheet for French Excel: ``;``-separated, UTF-8 with a BOM."""
    year = year or now.astimezone(PARIS).year
    plan = await governance_reports.action_plan(session, user.actor, year, now)
    return attachment(
        action_plan_csv(plan, delimiter=";", header=FRENCH_COLUMNS),
        "text/csv; charset=utf-8",
        f"plan-action-{year}.csv",
    )
