"""The cases that reached the coordination: every lifecycle's escalations, by case."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import TimerKind, TimerStatus
from core.models import Timer
from services.indicators.frame import month_label, month_of, within
from services.indicators.model import Dimension, Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.referral_frame import NO_GROUP, group_code
from states.policy.scope import territory_clause
from states.registry import LIFECYCLES

CASES_REACHING_COORDINATOR = Indicator(
    "cases_reaching_coordinator",
    "Dossiers remontés à la coordination",
    "Dossiers distincts (orientations, passages de relais, accompagnements, décisions, "
    "actions) pour lesquels au moins une alerte à la coordination est partie pendant la "
    "période.",
    Family.CHASING,
    Unit.PEOPLE,
    dimensions=frozenset({Dimension.MONTH}),
)
DEFINITIONS: tuple[Indicator, ...] = (CASES_REACHING_COORDINATOR,)


async def compute(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    """The cases with an escalation fired in the period, in the query's scope; by month
    when grouped so (a case escalated in two months counts once in each, once in all)."""
    if CASES_REACHING_COORDINATOR.applies_to(query) is not None:
        return []
    total = (await _count(session, query, False))[None]
    figures = [Figure(CASES_REACHING_COORDINATOR.key, total, total)]
    if query.group_by is Dimension.MONTH:
        for group, count in sorted((await _count(session, query, True)).items()):
            figures.append(
                Figure(
                    CASES_REACHING_COORDINATOR.key,
                    count,
                    count,
                    group=group,
                    group_label=month_label(group or ""),
                )
            )
    return figures


async def _count(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> dict[str | None, int]:
    counts: dict[str | None, int] = defaultdict(int)
    if not grouped:
        counts[None] = 0
    group = month_of(Timer.fired_at, query.period) if grouped else NO_GROUP
    for lifecycle in LIFECYCLES.values():
        stmt = select(Timer.case_id.label("case_id"), group.label("grp")).where(
            Timer.case_kind == lifecycle.name,
            Timer.kind == TimerKind.ESCALATION,
            Timer.status == TimerStatus.FIRED,
            within(Timer.fired_at, query.period),
        )
        if query.territory is not None or query.party_organisation_id is not None:
            # Only a scope reads the case's row: all Paris counts from the timers' index.
            stmt = stmt.join(lifecycle.model, lifecycle.model.id == Timer.case_id)
        if query.territory is not None:
            stmt = stmt.where(territory_clause(lifecycle, query.territory))
        if query.party_organisation_id is not None:
            organisation = query.party_organisation_id
            # A lifecycle without an organisation's side (a year's action plan) has none.
            parties = [column == organisation for column in lifecycle.parties.values()]
            stmt = stmt.where(or_(false(), *parties))
        rows = stmt.distinct().subquery()
        result = await session.execute(select(rows.c.grp, func.count()).group_by(rows.c.grp))
        for group_value, count in result.all():
            counts[group_code(group_value)] += count
    return counts
