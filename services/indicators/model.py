"""What every indicator shares: its definition, the question asked of it, and its figures.

An indicator is declared once (``Indicator``: key, French name, French definition shown as
help, family, unit, optional breakdown) in the module that computes it; ``catalogue`` gathers
them. A question (``IndicatorQuery``) is a period, filters and at most one grouping; the
answer is a flat list of ``Figure`` rows that the page, ``GET /api/indicators``, the CSV and
the annual report all read, so that they can never disagree.

Small counts: a figure about fewer than ``SMALL_COUNT`` people (a count, or a delay or share
computed over them) is shown as « < 5 » (``MASK``) wherever ``exact`` is false: in every
output that leaves relais (CSV, report) and to every role but coordinators and the DPO.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from core.enums import LabelledEnum, PlanAxis, Public, Territory

SMALL_COUNT = 5
MASK = "< 5"


class Unit(StrEnum):
    """What a figure measures, which says whether it may point at a person."""

    PEOPLE = "people"  # a number of cases, each about one person: masked below 5
    DAYS = "days"  # business days (a median, a percentile) over ``basis`` cases
    SHARE = "share"  # a ratio in [0, 1] over ``basis`` cases
    COUNT = "count"  # meetings, decisions, action items: no person behind it, never masked


class Family(LabelledEnum):
    """The sections the indicators are shown in."""

    VOLUMES = "volumes", "Volumes"
    DELAYS = "delays", "Délais"
    CHASING = "chasing", "Relances et alertes"
    COMMITTEES = "committees", "Instances"


class Dimension(LabelledEnum):
    """What figures can be filtered or grouped by."""

    SUB_AXIS = "sub_axis", "Sous-axe du plan"
    SENDING_ORGANISATION = "sending_organisation", "Structure qui oriente"
    RECEIVING_ORGANISATION = "receiving_organisation", "Structure qui reçoit"
    OFFER = "offer", "Offre"
    OFFER_TERRITORY = "offer_territory", "Territoire de l'offre"
    PERSON_TERRITORY = "person_territory", "Arrondissement de la personne"
    PUBLIC = "public", "Public"
    MONTH = "month", "Mois"


@dataclass(frozen=True)
class Indicator:
    """One indicator, declared once: the page shows ``name`` and ``definition`` as help."""

    key: str
    name: str
    definition: str
    family: Family
    unit: Unit
    # One figure per value (return reasons, outcomes, exit reasons) besides the total.
    breakdown: type[LabelledEnum] | None = None
    # What it can be filtered or grouped by: a query using another dimension leaves it out.
    dimensions: frozenset[Dimension] = frozenset(Dimension)

    def applies_to(self, query: IndicatorQuery) -> Dimension | None:
        """The first dimension ``query`` filters or groups by that this indicator lacks."""
        for dimension in query.dimensions_used():
            if dimension not in self.dimensions:
                return dimension
        return None

    @property
    def may_point_at_people(self) -> bool:
        """Whether a small value of this indicator could point at a person."""
        return self.unit is not Unit.COUNT


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (Paris calendar days)."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        return cls(date(year, 1, 1), date(year, 12, 31))

    def previous_year(self) -> Period:
        """The same days one year earlier (29 February becomes the 28th)."""

        def back(day: date) -> date:
            try:
                return day.replace(year=day.year - 1)
            except ValueError:
                return day.replace(year=day.year - 1, day=28)

        return Period(back(self.start), back(self.end))

    @property
    def label(self) -> str:
        """« du 01/01/2026 au 31/12/2026 »."""
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


@dataclass(frozen=True)
class IndicatorQuery:
    """A period, filters (None: every value) and at most one grouping.

    ``territory`` is a coordinator's scope (cases whose offer or person is in it, as
    ``states.policy.territory_clause`` says); ``party_organisation_id`` restricts to one
    organisation's own figures: what it sent for the sending indicators, what it received for
    the receiving ones, the handovers it gave or took, the accompaniments it held.
    """

    period: Period
    sub_axis: PlanAxis | None = None
    sending_organisation_id: int | None = None
    receiving_organisation_id: int | None = None
    offer_id: int | None = None
    offer_territory: Territory | None = None
    person_territory: Territory | None = None
    public: Public | None = None
    territory: Territory | None = None
    party_organisation_id: int | None = None
    group_by: Dimension | None = None

    def dimensions_used(self) -> list[Dimension]:
        """The dimensions this query filters or groups by."""
        filters = {
            Dimension.SUB_AXIS: self.sub_axis,
            Dimension.SENDING_ORGANISATION: self.sending_organisation_id,
            Dimension.RECEIVING_ORGANISATION: self.receiving_organisation_id,
            Dimension.OFFER: self.offer_id,
            Dimension.OFFER_TERRITORY: self.offer_territory,
            Dimension.PERSON_TERRITORY: self.person_territory,
            Dimension.PUBLIC: self.public,
        }
        used = [dimension for dimension, value in filters.items() if value is not None]
        if self.group_by is not None and self.group_by not in used:
            used.append(self.group_by)
        return used

    def for_period(self, period: Period) -> IndicatorQuery:
        """The same question over another period (the comparison with last year)."""
        return replace(self, period=period)


@dataclass(frozen=True)
class Figure:
    """One value of one indicator, for one group (None: all) and one breakdown value."""

    indicator: str
    value: float | None  # None: nothing to measure (the median of no case)
    basis: int  # how many cases (people) the value rests on; the count itself for PEOPLE
    group: str | None = None  # a code, an id as text, « 2026-03 »
    group_label: str | None = None
    detail: str | None = None  # the breakdown's value: a return reason, an outcome
    detail_label: str | None = None


@dataclass(frozen=True)
class IndicatorResult:
    """The answer to a query: every figure of every indicator asked."""

    query: IndicatorQuery
    figures: list[Figure] = field(default_factory=list)
    # Indicators the query's filters or grouping do not apply to: key -> why, in French.
    left_out: dict[str, str] = field(default_factory=dict)

    def find(
        self, indicator: str, *, group: str | None = None, detail: str | None = None
    ) -> Figure | None:
        """The figure of ``indicator`` for ``group`` and ``detail``, if any."""
        for figure in self.figures:
            if (figure.indicator, figure.group, figure.detail) == (indicator, group, detail):
                return figure
        return None
