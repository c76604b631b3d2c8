"""The annual report: its figures are the indicators' own, always masked below five."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.errors import Forbidden
from core.models import OfferSubAxis
from services import referral_service
from services.annual_report import AnnualReport, build_annual_report, read_annual_report
from services.annual_report_tables import ReportTable
from services.indicators import catalogue
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.model import (
    Dimension,
    Family,
    Figure,
    Indicator,
    IndicatorQuery,
    Period,
    Unit,
)
from services.indicators.presentation import shown
from states.actor import Actor
from tests.factories import (
    World,
    actor_of,
    make_committee,
    make_meeting,
    make_offer,
    referral_create,
)
from tests.services.indicator_year import build_year

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
SENT = Indicator(
    "test_sent", "Orientations envoyées (essai)", "Essai.", Family.VOLUMES, Unit.PEOPLE
)
RETURNED = Indicator(
    "test_returned", "Orientations retournées (essai)", "Essai.", Family.VOLUMES, Unit.PEOPLE,
    breakdown=Role,
)  # fmt: skip
DELAY = Indicator("test_delay", "Délai de réponse (essai)", "Essai.", Family.DELAYS, Unit.DAYS)
MEETINGS = Indicator("test_meetings", "Réunions (essai)", "Essai.", Family.COMMITTEES, Unit.COUNT)


async def _known_figures(_session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    """A year 2026 whose figures are known: 12 sent (9 under 2.1, 3 under 3.3), 3 in 2025."""
    if query.period.start.year == 2025:
        return [Figure("test_sent", 3, 3), Figure("test_delay", 2.0, 2)]
    if query.group_by is Dimension.SUB_AXIS:
        return [
            Figure("test_sent", 9, 9, group="2.1", group_label="2.1"),
            Figure("test_sent", 3, 3, group="3.3", group_label="3.3"),
        ]
    if query.group_by is Dimension.RECEIVING_ORGANISATION:
        return [
            Figure("test_sent", 8, 8, group="1", group_label="EPI Paris Centre"),
            Figure("test_sent", 4, 4, group="2", group_label="Association Paris 19"),
        ]
    if query.group_by is not None:
        return []
    return [
        Figure("test_sent", 12, 12),
        Figure("test_returned", 7, 7),
        Figure("test_returned", 3, 3, detail="full", detail_label="Offre complète"),
        Figure("test_returned", 4, 4, detail="other", detail_label="Autre motif"),
        Figure("test_delay", 4.5, 12),
        Figure("test_meetings", 2, 2),
    ]


@pytest.fixture
def known_year(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A catalogue of one family only: the known figures above."""
    family = SimpleNamespace(DEFINITIONS=(SENT, RETURNED, DELAY, MEETINGS), compute=_known_figures)
    monkeypatch.setattr(catalogue, "FAMILIES", (family,))
    for key in list(INDICATORS):
        monkeypatch.delitem(INDICATORS, key)
    for indicator in family.DEFINITIONS:
        monkeypatch.setitem(INDICATORS, indicator.key, indicator)
    yield


def _table(report: AnnualReport, title: str) -> ReportTable:
    return next(
        table for section in report.sections for table in section.tables if table.title == title
    )


def _row(table: ReportTable, first: str) -> list[str]:
    return next(row for row in table.rows if row[0] == first)


@pytest.mark.usefixtures("known_year")
async def test_the_report_prints_the_known_year_masked_below_five(session: AsyncSession) -> None:
    report = await build_annual_report(session, 2026, now=NOW)

    assert report.title == "Plan parisien de l'insertion par l'emploi — Rapport annuel 2026"
    assert report.has_data
    # The year beside the previous one: 3 people in 2025 read « < 5 ».
    assert _row(_table(report, "Volumes"), SENT.name) == [SENT.name, "12", "< 5"]
    assert _row(_table(report, "Délais"), DELAY.name) == [DELAY.name, "4,5 j ouvrés", "< 5"]
    # By sub-axis: 9 under 2.1, 3 under 3.3 masked, nobody under 1.1 masked too.
    axis_two = _table(report, "Axe 2 — Mobiliser le tissu économique local pour l'insertion des "
                              "Parisien·nes")  # fmt: skip
    assert axis_two.rows[0][0].startswith("2.1 — ") and axis_two.rows[0][1:] == ["9"]
    axis_three = _table(report, "Tous les sous-axes")
    assert _row(axis_three, "3.3") == ["3.3", "< 5"] and _row(axis_three, "1.1") == ["1.1", "< 5"]
    chart = {bar.label: (bar.value, bar.text) for bar in axis_three.chart}
    assert chart["2.1"] == (9.0, "9") and chart["3.3"] == (0.0, "< 5")
    # By partner, by name; a count below five is never drawn at its length.
    receiving = _table(report, "Structures qui reçoivent")
    assert receiving.rows == [["Association Paris 19", "< 5"], ["EPI Paris Centre", "8"]]
    # Breakdowns: both reasons below five.
    assert _table(report, RETURNED.name).rows == [["Offre complète", "< 5"], ["Autre motif", "< 5"]]
    # Meetings are not people: two is two.
    assert _row(_table(report, "Instances"), MEETINGS.name) == [MEETINGS.name, "2", "0"]


@pytest.mark.usefixtures("known_year")
async def test_a_coordinator_reads_the_same_masked_figures(
    session: AsyncSession, world: World
) -> None:
    report = await read_annual_report(session, actor_of(world.coordinator), 2026, now=NOW)
    assert _row(_table(report, "Tous les sous-axes"), "3.3") == ["3.3", "< 5"]
    assert "3" not in [cell for table in [_table(report, "Structures qui reçoivent")]
                       for row in table.rows for cell in row]  # fmt: skip


async def test_the_report_equals_the_indicators_of_a_year_sent_through_the_engine(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    session.add(OfferSubAxis(offer_id=world.offer.id, sub_axis="2.1"))
    other = await make_offer(session, world.outsider, clock.now())
    for offer in [world.offer] * 6 + [other] * 2:
        await referral_service.create_referral(
            session, actor_of(world.referrer), referral_create(offer), clock.now()
        )
    await session.commit()
    committee = await make_committee(session, clock.now(), name="Comité technique 2026")
    await make_meeting(session, committee, datetime(2026, 6, 9, 8, 0, tzinfo=UTC))
    await make_meeting(session, committee, datetime(2027, 3, 9, 8, 0, tzinfo=UTC))

    report = await build_annual_report(session, 2026, now=NOW)

    expected = await compute_indicators(session, IndicatorQuery(Period.year(2026)))
    assert _row(_table(report, "Volumes"), "Orientations envoyées")[1:] == ["8", "< 5"]
    # Every total of every family, as the indicators compute it, masked.
    totals = [
        figure for figure in expected.figures if (figure.group, figure.detail) == (None, None)
    ]
    assert {figure.indicator for figure in totals} == set(INDICATORS)
    for figure in totals:
        indicator = INDICATORS[figure.indicator]
        table = _table(report, indicator.family.label)
        assert _row(table, indicator.name)[1] == shown(indicator, figure, exact=False)
    # Six under 2.1 (the offer's sub-axis), two nowhere: an offer without a sub-axis.
    overview = _table(report, "Tous les sous-axes")
    assert _row(overview, "2.1")[1] == "6" and _row(overview, "2.2")[1] == "< 5"
    # By receiving partner: the outsider's two referrals read « < 5 ».
    receiving = _table(report, "Structures qui reçoivent")
    assert _row(receiving, world.receiver.name)[1] == "6"
    assert _row(receiving, world.outsider.name)[1] == "< 5"
    assert _row(_table(report, "Structures qui orientent"), world.sender.name)[1] == "8"
    # The meetings held in the year, not those of the next one.
    assert _table(report, "Liste des réunions tenues").rows == [
        ["09/06/2026", "Comité technique 2026", "Comité technique", "non publié"]
    ]
    assert _table(report, "Actions des décisions « plan d'action » adoptées").rows == []


async def test_an_empty_year_still_makes_a_report(session: AsyncSession) -> None:
    report = await build_annual_report(session, 2031, now=NOW)
    assert not report.has_data
    assert [section.title for section in report.sections][:3] == [
        "Chiffres clés", "Par axe du plan", "Par partenaire",
    ]  # fmt: skip


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ORG_ADMIN])
async def test_members_and_organisation_admins_may_not_read_the_report(
    session: AsyncSession, role: Role
) -> None:
    with pytest.raises(Forbidden):
        await read_annual_report(session, Actor(1, 1, role), 2026, now=NOW)


async def test_the_known_year_of_the_indicators_reads_the_same_in_the_report(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    year = await build_year(session, sessionmaker, world)

    report = await read_annual_report(session, actor_of(world.coordinator), 2026, now=NOW)

    volumes = _table(report, "Volumes")
    assert _row(volumes, "Orientations envoyées")[1] == "8"
    # Three returned, one expired: below five, masked even for a coordinator.
    assert _row(volumes, "Orientations retournées")[1] == "< 5"
    assert _row(volumes, "Orientations expirées sans réponse")[1] == "< 5"
    # Offer A counts under 2.1 and 3.3, offer B under 3.3.
    overview = _table(report, "Tous les sous-axes")
    assert _row(overview, "2.1")[1] == "5" and _row(overview, "3.3")[1] == "8"
    receiving = _table(report, "Structures qui reçoivent")
    assert _row(receiving, world.receiver.name)[1] == "5"
    assert _row(receiving, year.plie.name)[1] == "< 5"
    assert all(row[1] == "< 5" for row in _table(report, "Orientations retournées").rows)
