"""Every indicator relais computes, by key, and one call that computes them all."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.indicators import committees, parcours, referrals
from services.indicators.model import Indicator, IndicatorQuery, IndicatorResult

FAMILIES = (referrals, parcours, committees)

INDICATORS: dict[str, Indicator] = {
    indicator.key: indicator for module in FAMILIES for indicator in module.DEFINITIONS
}


async def compute_indicators(
    session: AsyncSession, query: IndicatorQuery, *, keys: Collection[str] | None = None
) -> IndicatorResult:
    """The figures of every indicator for ``query`` (no scope check: see the service), or
    of the indicators ``keys`` only: a chart of three volumes does not pay for the delays.

    An indicator that cannot be filtered or grouped as asked (a handover has no offer) is
    left out, and ``left_out`` says why; each family computes only those that apply.
    """
    await _room_to_aggregate(session)
    wanted = None if keys is None else frozenset(keys)
    figures = []
    for module in FAMILIES:
        if wanted is None:
            figures.extend(await module.compute(session, query))
        elif module is referrals:
            figures.extend(await referrals.compute(session, query, keys=wanted))
        elif wanted & {indicator.key for indicator in module.DEFINITIONS}:
            figures.extend(await module.compute(session, query))
    if wanted is not None:
        figures = [figure for figure in figures if figure.indicator in wanted]
    return IndicatorResult(query=query, figures=figures, left_out=left_out(query, wanted))


async def _room_to_aggregate(session: AsyncSession) -> None:
    """On PostgreSQL, for this transaction: memory enough for the aggregates of a year of
    cases (60,000 referrals) to stay off the disk (the default 4 MB spills them), and a plan
    made for each query's own period. asyncpg prepares its statements, and from the sixth run
    PostgreSQL may keep a generic plan that guesses a period's rows blind: it picked nested
    loops that took 16 s at 180,000 referrals instead of 0.2 s."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def left_out(query: IndicatorQuery, keys: Collection[str] | None = None) -> dict[str, str]:
    """The indicators ``query`` leaves out (among ``keys``), each with the reason in French."""
    reasons = {}
    for key, indicator in INDICATORS.items():
        if keys is not None and key not in keys:
            continue
        dimension = indicator.applies_to(query)
        if dimension is not None:
            reasons[key] = (
                f"« {indicator.name} » ne se ventile pas par « {dimension.label.lower()} »."
            )
    return reasons
