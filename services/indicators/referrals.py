"""Indicators of the referrals family: declared and computed here (issue 16, being built)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.indicators.model import Figure, Indicator, IndicatorQuery

DEFINITIONS: tuple[Indicator, ...] = ()


async def compute(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    """Every figure of this module's indicators for ``query``."""
    return []
