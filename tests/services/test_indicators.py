"""Every indicator's exact value over a known March 2026 (``indicator_year``), a grouping by
sub-axis and by month, filters, an organisation's scope, and the period's Paris boundaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import PlanAxis, Public, Territory
from services import referral_service
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.model import Dimension, IndicatorQuery, IndicatorResult, Period
from tests.factories import World, actor_of, person_fields, referral_create
from tests.services.indicator_year import PARIS, Year, build_year

YEAR = Period.year(2026)

EXPECTED: dict[str, tuple[float, int]] = {
    "referrals_sent": (8, 8),
    "referrals_received": (8, 8),
    "referrals_accepted": (3, 3),
    "referrals_returned": (3, 3),
    "referrals_expired": (1, 1),
    "referrals_cancelled": (1, 1),
    "referrals_completed": (2, 2),
    "first_response_median_days": (2.0, 6),
    "first_response_p90_days": (5.0, 6),
    "answered_before_reminder": (4 / 6, 6),
    "answered_before_escalation": (5 / 6, 6),
    "acceptance_to_start_median_days": (3.5, 2),
    "reminders_sent": (4, 4),
    "escalations_sent": (4, 4),
    "cases_reaching_coordinator": (4, 4),
    "handovers_proposed": (2, 2),
    "handovers_confirmed": (1, 1),
    "handovers_declined": (1, 1),
    "accompaniments_started": (4, 4),
    "accompaniments_ended": (2, 2),
    "referent_gap_days": (5.0, 2),
}
"""(value, basis) of every indicator over 2026, all Paris: see ``indicator_year``."""


@pytest.fixture
async def year(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> Year:
    return await build_year(session, sessionmaker, world)


def value(result: IndicatorResult, key: str, **where: str | None) -> tuple[float | None, int]:
    figure = result.find(key, **where)
    assert figure is not None, (key, where)
    return figure.value, figure.basis


async def test_every_indicator_has_its_exact_value_over_the_known_year(
    session: AsyncSession, year: Year
) -> None:
    result = await compute_indicators(session, IndicatorQuery(YEAR))
    referral_keys = {key for key in INDICATORS if INDICATORS[key].family.value != "committees"}
    assert referral_keys == set(EXPECTED)
    for key, (expected, basis) in EXPECTED.items():
        found, found_basis = value(result, key)
        assert found == pytest.approx(expected), key
        assert found_basis == basis, key
    assert value(result, "referrals_returned", detail="not_eligible") == (2, 2)
    assert value(result, "referrals_returned", detail="missing_information") == (1, 1)
    assert value(result, "referrals_completed", detail="iae") == (1, 1)
    assert value(result, "referrals_completed", detail="lasting_employment") == (1, 1)
    assert value(result, "accompaniments_ended", detail="moved_away") == (1, 1)
    assert result.left_out == {}


async def test_a_referral_counts_under_each_sub_axis_of_its_offer(
    session: AsyncSession, year: Year
) -> None:
    query = IndicatorQuery(YEAR, group_by=Dimension.SUB_AXIS)
    result = await compute_indicators(session, query)
    assert value(result, "referrals_sent", group="2.1") == (5, 5)
    assert value(result, "referrals_sent", group="3.3") == (8, 8)
    assert value(result, "referrals_accepted", group="2.1") == (2, 2)
    assert value(result, "referrals_accepted", group="3.3") == (3, 3)
    assert value(result, "first_response_median_days", group="2.1") == (2.5, 4)
    assert value(result, "referrals_sent") == (8, 8)  # the total, once per referral
    figure = result.find("referrals_sent", group="2.1")
    assert figure is not None and figure.group_label == PlanAxis("2.1").choice_label
    assert "handovers_proposed" in result.left_out
    assert "accompaniments_started" in result.left_out
    assert "sous-axe" in result.left_out["referent_gap_days"]
    assert result.find("handovers_proposed") is None


async def test_figures_group_by_paris_month(session: AsyncSession, year: Year) -> None:
    result = await compute_indicators(session, IndicatorQuery(YEAR, group_by=Dimension.MONTH))
    assert value(result, "referrals_sent", group="2026-03") == (8, 8)
    assert value(result, "referrals_expired", group="2026-03") == (1, 1)
    assert value(result, "cases_reaching_coordinator", group="2026-03") == (4, 4)
    assert value(result, "accompaniments_started", group="2026-03") == (4, 4)
    assert value(result, "handovers_declined", group="2026-03") == (1, 1)
    figure = result.find("referrals_sent", group="2026-03")
    assert figure is not None and figure.group_label == "mars 2026"
    assert result.left_out == {}


async def test_filters_combine_and_an_organisation_sees_its_own_side(
    session: AsyncSession, year: Year
) -> None:
    plie = await compute_indicators(
        session, IndicatorQuery(YEAR, receiving_organisation_id=year.plie.id)
    )
    assert value(plie, "referrals_sent") == (3, 3)
    assert value(plie, "referrals_accepted") == (1, 1)
    assert value(plie, "referrals_returned", detail="missing_information") == (1, 1)
    assert value(plie, "first_response_median_days") == (1.5, 2)
    both = await compute_indicators(
        session,
        IndicatorQuery(YEAR, person_territory=Territory.ARR_18, public=Public("rsa")),
    )
    assert value(both, "referrals_sent") == (1, 1)
    north = await compute_indicators(
        session, IndicatorQuery(YEAR, person_territory=Territory.ARR_18)
    )
    assert value(north, "referrals_sent") == (3, 3)
    epi = await compute_indicators(
        session, IndicatorQuery(YEAR, party_organisation_id=year.world.receiver.id)
    )
    assert value(epi, "referrals_sent") == (0, 0)  # EPI sent nothing: it received
    assert value(epi, "referrals_received") == (5, 5)
    assert value(epi, "referrals_accepted") == (2, 2)
    assert value(epi, "handovers_proposed") == (1, 1)
    assert value(epi, "accompaniments_started") == (3, 3)


PERIOD_START = datetime(2026, 1, 1, tzinfo=PARIS)
PERIOD_END = datetime(2027, 1, 1, tzinfo=PARIS)
ONE_SECOND = timedelta(seconds=1)


async def test_the_periods_first_and_last_instants_count_and_not_a_second_outside(
    session: AsyncSession, world: World
) -> None:
    moments = [
        PERIOD_START - ONE_SECOND,
        PERIOD_START,
        PERIOD_END - ONE_SECOND,
        PERIOD_END,
    ]
    for index, moment in enumerate(moments):
        data = referral_create(world.offer, person=person_fields(first_name=f"Borne{index}"))
        await referral_service.create_referral(session, actor_of(world.referrer), data, moment)
        await session.commit()
    result = await compute_indicators(session, IndicatorQuery(YEAR, group_by=Dimension.MONTH))
    assert value(result, "referrals_sent") == (2, 2)
    assert value(result, "referrals_sent", group="2026-01") == (1, 1)
    assert value(result, "referrals_sent", group="2026-12") == (1, 1)
    next_day = await compute_indicators(
        session, IndicatorQuery(Period(date(2027, 1, 1), date(2027, 1, 1)))
    )
    assert value(next_day, "referrals_sent") == (1, 1)
