"""The annual report's action plan: each item of « le plan de l'année » against its target.

The plan the comité de pilotage validated for the year (``plan_of_the_year``) comes first;
without one, the report falls back to the decisions « plan d'action » the committees
approved in the year and how far their action items got, and says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.enums import PlanAxis, Role
from core.models import ActionPlanItem
from services import governance_reports
from services.action_plan_service import plan_of_the_year
from services.annual_report_tables import ReportTable, masked_text
from services.indicators.catalogue import INDICATORS
from services.indicators.model import Figure, IndicatorResult, Unit
from services.indicators.presentation import is_masked, shown
from states.actor import Actor

PLAN_COLUMNS = [
    "Sous-axe",
    "Action",
    "Structure pilote",
    "Échéance",
    "Indicateur visé",
    "Cible",
    "Valeur de l'année",
    "Cible atteinte",
]


def _reached(item: ActionPlanItem, figure: Figure | None) -> str:
    """« oui », « non », or why it cannot be said (no target, a masked or empty value)."""
    if item.target_indicator is None or item.target_value is None:
        return "—"
    indicator = INDICATORS.get(item.target_indicator)
    if indicator is None or figure is None or figure.value is None:
        return "non mesurable"
    if is_masked(indicator, figure):
        return "non mesurable (< 5)"
    # A delay is aimed at from above: the shorter, the better.
    if indicator.unit is Unit.DAYS:
        return "oui" if figure.value <= item.target_value else "non"
    return "oui" if figure.value >= item.target_value else "non"


def _item_row(item: ActionPlanItem, current: IndicatorResult) -> list[str]:
    indicator = INDICATORS.get(item.target_indicator or "")
    figure = current.find(item.target_indicator) if item.target_indicator else None
    target = ""
    if indicator is not None and item.target_value is not None:
        # A target is an aim, not a count of people: written as it was set.
        aim = Figure(indicator.key, item.target_value, basis=len(INDICATORS) + 5)
        target = shown(indicator, aim, exact=True)
    value = masked_text(figure) if figure is not None else ("—" if indicator is None else "< 5")
    return [
        PlanAxis(item.sub_axis).value,
        item.title,
        item.lead_organisation.name,
        f"{item.due_on:%d/%m/%Y}",
        indicator.name if indicator else "—",
        target or "—",
        value if indicator else "—",
        _reached(item, figure),
    ]


async def _approved_decisions(session: AsyncSession, year: int, now: datetime) -> ReportTable:
    """The fallback: approved « plan d'action » decisions and their action items at ``now``."""
    reader = Actor(user_id=None, organisation_id=None, role=Role.COORDINATOR)
    plan = await governance_reports.action_plan(session, reader, year, now)
    rows = [
        [
            group.axis.value,
            f"{decision.reference} — {decision.title}",
            action.title,
            action.owner_organisation.name,
            f"{action.due_on:%d/%m/%Y}",
            "en retard" if action.overdue else action.state_label,
        ]
        for group in plan.axes
        for decision in group.decisions
        for action in decision.actions
    ]
    columns = ["Sous-axe", "Décision", "Action", "Structure responsable", "Échéance", "État"]
    return ReportTable("Actions des décisions « plan d'action » adoptées", columns, rows)


async def action_plan_tables(
    session: AsyncSession, year: int, now: datetime, current: IndicatorResult
) -> tuple[str, list[ReportTable]]:
    """The sentence that opens the chapter and its tables: the validated plan's items against
    their targets, then the action items of the year's decisions."""
    actions = await _approved_decisions(session, year, now)
    view = await plan_of_the_year(session, year)
    if view is None:
        return (
            f"Aucun plan d'action n'a été validé par le comité de pilotage pour {year} : "
            "voici les actions des décisions « plan d'action » adoptées dans l'année.",
            [actions],
        )
    validated = view.plan.validated_at
    when = f" le {validated.astimezone(PARIS):%d/%m/%Y}" if validated else ""
    items = ReportTable(
        f"Plan d'action {year} ({view.plan.reference})",
        PLAN_COLUMNS,
        [_item_row(item, current) for item in view.items],
    )
    return (
        f"Le plan d'action {year} validé par le comité de pilotage{when}, chaque action "
        "avec sa cible et la valeur de l'indicateur sur l'année.",
        [items, actions],
    )
