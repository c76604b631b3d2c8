"""Every indicator relais computes, by key, and one call that computes them all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.indicators import committees, parcours, referrals
from services.indicators.model import Indicator, IndicatorQuery, IndicatorResult

FAMILIES = (referrals, parcours, committees)

INDICATORS: dict[str, Indicator] = {
    indicator.key: indicator for module in FAMILIES for indicator in module.DEFINITIONS
}


async def compute_indicators(session: AsyncSession, query: IndicatorQuery) -> IndicatorResult:
    """The figures of every indicator for ``query`` (no scope check: see the service).

    An indicator that cannot be filtered or grouped as asked (a handover has no offer) is
    left out, and ``left_out`` says why; each family computes only those that apply.
    """
    figures = []
    for module in FAMILIES:
        figures.extend(await module.compute(session, query))
    return IndicatorResult(query=query, figures=figures, left_out=left_out(query))


def left_out(query: IndicatorQuery) -> dict[str, str]:
    """The indicators ``query`` leaves out, each with the reason in French."""
    reasons = {}
    for key, indicator in INDICATORS.items():
        dimension = indicator.applies_to(query)
        if dimension is not None:
            reasons[key] = (
                f"« {indicator.name} » ne se ventile pas par « {dimension.label.lower()} »."
            )
    return reasons
