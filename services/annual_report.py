"""The comité de pilotage's annual report: one read model, printed as HTML and as PDF.

Every figure comes from ``compute_indicators`` (the same computations as the « Indicateurs »
page, ``GET /api/indicators`` and their CSV), over the calendar year and, beside it, the year
before. The report leaves relais, so every count below five people reads « < 5 »
(``exact=False``) whoever produces it. Health-related data never appears: the indicators
never group by it, and neither does the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.business_days import PARIS
from core.enums import PlanAxis, PlanMainAxis
from core.errors import Forbidden
from core.models import Committee, Meeting
from services.annual_report_plan import action_plan_tables
from services.annual_report_tables import (
    ReportTable,
    breakdown_table,
    grouped_table,
    groups_of,
    totals_table,
)
from services.decision_service import year_bounds
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.model import Dimension, Family, IndicatorQuery, IndicatorResult, Period
from services.indicators.model import Unit as IndicatorUnit
from states.actor import Actor
from states.policy import may_read_annual_report

LEAD_COLUMNS = 4
"""How many volume indicators the tables by axis and by partner show (a printed page's width)."""


@dataclass(frozen=True)
class ReportSection:
    """A chapter of the report: a title, a sentence saying what it shows, its tables."""

    title: str
    intro: str
    tables: list[ReportTable] = field(default_factory=list)


@dataclass(frozen=True)
class AnnualReport:
    """Everything the annual report prints, already written for a person (and masked)."""

    year: int
    generated_at: datetime
    period_label: str
    has_data: bool
    sections: list[ReportSection]

    @property
    def title(self) -> str:
        """« Plan parisien de l'insertion par l'emploi — Rapport annuel 2026 »."""
        return f"Plan parisien de l'insertion par l'emploi — Rapport annuel {self.year}"


def _keys(family: Family, *, breakdown: bool | None = None) -> list[str]:
    """The indicators of ``family`` in catalogue order (only those with or without a
    breakdown when ``breakdown`` says so)."""
    return [
        key
        for key, indicator in INDICATORS.items()
        if indicator.family is family
        and (breakdown is None or (indicator.breakdown is not None) == breakdown)
    ]


BY_AXIS = ("referrals_sent", "referrals_accepted", "referrals_returned", "referrals_completed")
BY_RECEIVER = (
    "referrals_received",
    "referrals_accepted",
    "referrals_returned",
    "referrals_expired",
)
BY_SENDER = ("referrals_sent", "referrals_accepted", "referrals_returned", "referrals_completed")
"""The columns of the tables by axis and by partner: what the comité de pilotage asks first."""


def _lead_keys(preferred: tuple[str, ...] = ()) -> list[str]:
    """The indicators the tables by axis and partner show: ``preferred`` as far as the
    catalogue has them, else its first volume indicators counting people."""
    known = [key for key in preferred if key in INDICATORS]
    if known:
        return known
    volumes = [
        key
        for key in _keys(Family.VOLUMES, breakdown=False)
        if INDICATORS[key].unit is IndicatorUnit.PEOPLE
    ]
    return volumes[:LEAD_COLUMNS]


def _has_data(result: IndicatorResult) -> bool:
    return any(figure.value for figure in result.figures)


def _by_axis(result: IndicatorResult) -> ReportSection:
    """One table per main axis of the plan, one row per sub-axis, and one chart of them all."""
    keys = _lead_keys(BY_AXIS)
    tables = []
    for main in PlanMainAxis:
        subs = [(axis.value, axis.choice_label) for axis in PlanAxis if axis.value[0] == main.value]
        tables.append(grouped_table(main.choice_label, "Sous-axe", keys, result, subs))
    if keys:
        every = [(axis.value, axis.value) for axis in PlanAxis]
        overview = grouped_table(
            "Tous les sous-axes", "Sous-axe", keys[:1], result, every, chart_key=keys[0]
        )
        tables.insert(0, overview)
    return ReportSection(
        "Par axe du plan",
        "Une orientation compte sous chacun des sous-axes de son offre.",
        tables,
    )


def _by_partner(receiving: IndicatorResult, sending: IndicatorResult) -> ReportSection:
    keys = _lead_keys(BY_RECEIVER)
    chart = keys[0] if keys else None
    return ReportSection(
        "Par partenaire",
        "Les structures qui reçoivent les orientations, puis celles qui orientent.",
        [
            grouped_table(
                "Structures qui reçoivent",
                "Structure",
                keys,
                receiving,
                groups_of(receiving),
                chart_key=chart,
            ),
            grouped_table(
                "Structures qui orientent",
                "Structure",
                _lead_keys(BY_SENDER),
                sending,
                groups_of(sending),
            ),
        ],
    )


async def _meetings_held(session: AsyncSession, year: int, now: datetime) -> ReportTable:
    """The meetings of the year that took place by ``now``, by date, with their body."""
    start, end = year_bounds(year)
    meetings = (
        await session.execute(
            select(Meeting)
            .where(Meeting.starts_at >= start, Meeting.starts_at < min(end, now))
            .options(selectinload(Meeting.committee))
            .order_by(Meeting.starts_at, Meeting.id)
        )
    ).scalars()
    rows = [
        [
            f"{meeting.starts_at.astimezone(PARIS):%d/%m/%Y}",
            meeting.committee.name,
            _committee_kind(meeting.committee),
            "publié" if meeting.minutes_published_at else "non publié",
        ]
        for meeting in meetings
    ]
    return ReportTable(
        "Liste des réunions tenues", ["Date", "Instance", "Type d'instance", "Compte rendu"], rows
    )


def _committee_kind(committee: Committee) -> str:
    return committee.kind.label


async def _grouped(
    session: AsyncSession, period: Period, dimension: Dimension, preferred: tuple[str, ...]
) -> IndicatorResult:
    """The figures by ``dimension`` of the indicators the table shows, and only those: the
    delays, parcours and committees of a year at Paris scale are not computed for them."""
    query = IndicatorQuery(period, group_by=dimension)
    result = await compute_indicators(session, query, keys=_lead_keys(preferred))
    return IndicatorResult(query=query, figures=result.figures)


async def build_annual_report(session: AsyncSession, year: int, *, now: datetime) -> AnnualReport:
    """The annual report of ``year`` as of ``now``: figures by axis and partner, delays,
    outcomes, the committees' activity and the action plan's progress, always masked."""
    period = Period.year(year)
    query = IndicatorQuery(period=period)
    current = await compute_indicators(session, query)
    previous = await compute_indicators(session, query.for_period(period.previous_year()))
    by_axis = await _grouped(session, period, Dimension.SUB_AXIS, BY_AXIS)
    receiving = await _grouped(session, period, Dimension.RECEIVING_ORGANISATION, BY_RECEIVER)
    sending = await _grouped(session, period, Dimension.SENDING_ORGANISATION, BY_SENDER)
    sections = [
        _totals_section(Family.VOLUMES, current, previous, year, "Chiffres clés"),
        _by_axis(by_axis),
        _by_partner(receiving, sending),
        _totals_section(Family.DELAYS, current, previous, year, "Délais"),
        _totals_section(Family.CHASING, current, previous, year, "Relances et alertes"),
        ReportSection(
            "Issues et motifs",
            "Les orientations et accompagnements terminés, par issue et par motif.",
            [breakdown_table(key, current) for key in _breakdown_keys()],
        ),
        ReportSection(
            "Activité des instances",
            "Les réunions, les décisions et les actions des comités du plan.",
            [
                *_totals_section(Family.COMMITTEES, current, previous, year, "").tables,
                *(
                    breakdown_table(key, current)
                    for key in _keys(Family.COMMITTEES, breakdown=True)
                ),
                await _meetings_held(session, year, now),
            ],
        ),
        ReportSection("Plan d'action", *await action_plan_tables(session, year, now, current)),
    ]
    return AnnualReport(
        year=year,
        generated_at=now,
        period_label=period.label,
        has_data=_has_data(current),
        sections=sections,
    )


def _breakdown_keys() -> list[str]:
    return [
        key for family in (Family.VOLUMES, Family.CHASING) for key in _keys(family, breakdown=True)
    ]


def _totals_section(
    family: Family,
    current: IndicatorResult,
    previous: IndicatorResult,
    year: int,
    title: str,
) -> ReportSection:
    keys = _keys(family)
    table = totals_table(
        family.label,
        keys,
        current,
        previous,
        year=year,
        chart_title=f"{family.label} {year}" if family is Family.VOLUMES else "",
    )
    return ReportSection(title, f"L'année {year} et, à côté, l'année {year - 1}.", [table])


async def read_annual_report(
    session: AsyncSession, actor: Actor, year: int, *, now: datetime
) -> AnnualReport:
    """The annual report of ``year`` for ``actor``, if the policy lets them read it."""
    if not may_read_annual_report(actor):
        raise Forbidden(
            "Le rapport annuel est réservé à la coordination du plan, au secrétariat des "
            "comités, à l'administration et au délégué à la protection des données."
        )
    return await build_annual_report(session, year, now=now)
