"""The annual report's action plan: the validated plan's items against their targets, and
the approved decisions' action items when no plan was validated."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from services.annual_report import AnnualReport, build_annual_report
from services.annual_report_tables import ReportTable
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.model import IndicatorQuery, Period
from services.indicators.presentation import shown
from tests.states.test_action_plan_transitions import (  # noqa: F401 - the fixture
    PlanCast,
    cast,
    drive_plan,
)

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


def _plan_section(report: AnnualReport) -> tuple[str, list[ReportTable]]:
    section = next(section for section in report.sections if section.title == "Plan d'action")
    return section.intro, section.tables


async def test_the_validated_plan_shows_each_target_against_the_year(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    cast: PlanCast,  # noqa: F811 - the fixture imported above
    clock: FixedClock,
) -> None:
    await drive_plan(sessionmaker, cast, "validated", clock.now())

    report = await build_annual_report(session, 2026, now=NOW)

    intro, (items, actions) = _plan_section(report)
    assert intro.startswith("Le plan d'action 2026 validé par le comité de pilotage le 28/02/2026")
    held = (await compute_indicators(session, IndicatorQuery(Period.year(2026)))).find(
        "meetings_held"
    )
    assert held is not None and held.value is not None and held.value < 4
    assert items.rows == [
        [
            "2.1",
            "Forum de l'emploi des jeunes",
            cast.world.receiver.name,
            "30/11/2026",
            "Réunions tenues",
            "4",
            shown(INDICATORS["meetings_held"], held, exact=False),
            "non",
        ]
    ]
    # The decision the item came from, with no action item of its own.
    assert actions.rows == []


async def test_without_a_validated_plan_the_report_says_so(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    cast: PlanCast,  # noqa: F811 - the fixture imported above
    clock: FixedClock,
) -> None:
    await drive_plan(sessionmaker, cast, "submitted", clock.now())

    report = await build_annual_report(session, 2026, now=NOW)

    intro, tables = _plan_section(report)
    assert intro.startswith("Aucun plan d'action n'a été validé par le comité de pilotage")
    assert [table.title for table in tables] == ["Actions des décisions « plan d'action » adoptées"]
