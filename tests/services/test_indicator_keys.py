"""Computing only some indicators (a chart's, a report table's) gives exactly their figures of
the whole computation, and the volumes' totals by month (the months added up) are those of
no grouping."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.indicators.catalogue import compute_indicators
from services.indicators.model import Dimension, Figure, IndicatorQuery, IndicatorResult, Period
from services.indicators.referrals import VOLUME_KEYS
from tests.factories import World
from tests.services.indicator_year import Year, build_year

YEAR = Period.year(2026)
CHART = ("referrals_sent", "referrals_accepted", "referrals_returned")


@pytest.fixture
async def year(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> Year:
    return await build_year(session, sessionmaker, world)


def kept(result: IndicatorResult, keys: tuple[str, ...]) -> list[Figure]:
    return [figure for figure in result.figures if figure.indicator in keys]


@pytest.mark.parametrize(
    "keys",
    [
        CHART,
        ("referrals_returned", "first_response_median_days", "reminders_sent"),
        ("acceptance_to_start_median_days", "handovers_proposed", "meetings_held"),
    ],
)
@pytest.mark.parametrize("group_by", [None, Dimension.MONTH, Dimension.RECEIVING_ORGANISATION])
async def test_the_indicators_asked_have_the_figures_of_the_whole_computation(
    session: AsyncSession, year: Year, keys: tuple[str, ...], group_by: Dimension | None
) -> None:
    query = IndicatorQuery(YEAR, group_by=group_by)
    whole = await compute_indicators(session, query)
    asked = await compute_indicators(session, query, keys=keys)
    assert asked.figures == kept(whole, keys)
    assert {figure.indicator for figure in asked.figures} <= set(keys)
    assert any(figure.value for figure in asked.figures)
    assert asked.left_out == {key: why for key, why in whole.left_out.items() if key in keys}


async def test_a_chart_of_volumes_by_offer_leaves_out_only_what_it_asked(
    session: AsyncSession, year: Year
) -> None:
    query = IndicatorQuery(YEAR, group_by=Dimension.SUB_AXIS)
    asked = await compute_indicators(session, query, keys=(*CHART, "handovers_proposed"))
    assert set(asked.left_out) == {"handovers_proposed"}
    sent = asked.find("referrals_sent", group="3.3")
    assert sent is not None and (sent.value, sent.basis) == (8, 8)


async def test_the_totals_by_month_are_the_totals_without_grouping(
    session: AsyncSession, year: Year
) -> None:
    period = Period(YEAR.start.replace(year=2025, month=11), YEAR.end)
    alone = await compute_indicators(session, IndicatorQuery(period))
    by_month = await compute_indicators(session, IndicatorQuery(period, group_by=Dimension.MONTH))
    totals = [f for f in by_month.figures if f.group is None and f.indicator in VOLUME_KEYS]
    assert totals == [figure for figure in alone.figures if figure.indicator in VOLUME_KEYS]
    assert {figure.indicator for figure in totals} == VOLUME_KEYS
    months = {figure.group for figure in by_month.figures if figure.group is not None}
    assert "2026-03" in months
    sent = by_month.find("referrals_sent", group="2026-03")
    assert sent is not None and sent.value == 8
