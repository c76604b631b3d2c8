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
    """The figures of every indicator for ``query`` (no scope check: see the service)."""
    figures = []
    for module in FAMILIES:
        figures.extend(await module.compute(session, query))
    return IndicatorResult(query=query, figures=figures)
