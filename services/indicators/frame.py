"""What the families share to ask the database: the period in UTC, the filters and groupings
of a referral or a person as SQL, the Paris month of an instant, business days and medians.

Every count is aggregated in SQL (one query per question, filters as WHERE, a grouping as
GROUP BY); the delays count cases per pair of Paris days and turn each pair into business
days with a table of day -> business-day ordinal built once per question, not per case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    cast,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import is_business_day, paris_midnight
from core.enums import PlanAxis, Public, Territory
from core.models import Offer, OfferSubAxis, Organisation
from services.indicators.model import Dimension, Period
from states.health import HEALTH_PUBLICS

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
HANDICAP = Public("personnes-en-situation-de-handicap")
UNKNOWN = "inconnu"
"""The group of the cases that have no value for the grouping (an unknown residence)."""
COUNTED_PUBLICS = tuple(
    public for public in Public if public not in HEALTH_PUBLICS and public != HANDICAP
)
"""The publics figures may be filtered or grouped by: never the health ones (AAH, RQTH) nor
the disability public derived from them (DESIGN: health data is in no aggregate)."""


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as [first instant, first instant after it) in UTC."""
    return paris_midnight(period.start), paris_midnight(period.end + timedelta(days=1))


def within(moment: Any, period: Period) -> Any:
    """``moment`` falls in ``period`` (Paris days, both ends included)."""
    first, after = bounds(period)
    return and_(moment >= first, moment < after)


def month_starts(period: Period) -> list[tuple[str, datetime]]:
    """(« 2026-03 », first instant of that Paris month in UTC) for each month of the period."""
    months = []
    year, month = period.start.year, period.start.month
    while date(year, month, 1) <= period.end:
        months.append((f"{year:04d}-{month:02d}", paris_midnight(date(year, month, 1))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_of(moment: Any, period: Period) -> Any:
    """The Paris month (« 2026-03 ») of ``moment``, as a CASE over the period's months: the
    same on SQLite and PostgreSQL, summer time included."""
    months = month_starts(period)
    whens = [(moment >= start, literal(code)) for code, start in reversed(months)]
    return case(*whens, else_=literal(months[0][0]))


def month_label(code: str) -> str:
    """« 2026-03 » -> « mars 2026 »."""
    year, month = code.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def has_public(publics: Any, code: Any) -> Any:
    """Whether the JSON list ``publics`` holds ``code`` (its text holds ``"code"``)."""
    return cast(publics, String).like(literal('%"') + code + literal('"%'))


def publics_table() -> Any:
    """The publics figures may be grouped by, as a table of one ``code`` column (a UNION of
    constants: SQLite has no VALUES with column names); join it with ``has_public``."""
    rows = [
        select(literal_column(f"'{public.value}'", String).label("code"))
        for public in COUNTED_PUBLICS
    ]
    return union_all(*rows).subquery("counted_publics")


def sub_axis_offers(sub_axis: PlanAxis) -> Select[tuple[int]]:
    """The offers serving ``sub_axis``."""
    return select(OfferSubAxis.offer_id).where(OfferSubAxis.sub_axis == sub_axis.value)


async def group_labels(
    session: AsyncSession, dimension: Dimension | None, codes: Iterable[str | None]
) -> dict[str, str]:
    """The French label of each group code of ``dimension``."""
    known = {code for code in codes if code is not None and code != UNKNOWN}
    if dimension is None or not known:
        return {UNKNOWN: "Non renseigné"}
    return {UNKNOWN: "Non renseigné", **await _labels(session, dimension, known)}


async def _labels(session: AsyncSession, dimension: Dimension, codes: set[str]) -> dict[str, str]:
    if dimension in (Dimension.SENDING_ORGANISATION, Dimension.RECEIVING_ORGANISATION):
        rows = await session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([int(code) for code in codes])
            )
        )
        return {str(key): name for key, name in rows.tuples()}
    if dimension is Dimension.OFFER:
        rows = await session.execute(
            select(Offer.id, Offer.title).where(Offer.id.in_([int(code) for code in codes]))
        )
        return {str(key): title for key, title in rows.tuples()}
    if dimension is Dimension.SUB_AXIS:
        return {code: PlanAxis(code).choice_label for code in codes}
    if dimension in (Dimension.OFFER_TERRITORY, Dimension.PERSON_TERRITORY):
        return {code: Territory(code).label for code in codes}
    if dimension is Dimension.PUBLIC:
        return {code: Public(code).label for code in codes}
    return {code: month_label(code) for code in codes}


def median(values: Sequence[float]) -> float | None:
    """The median of ``values`` (the mean of the two middle ones when even); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def day_ordinals(days: Iterable[date]) -> dict[date, int]:
    """Each day from the first of ``days`` to the last -> how many business days lie up to
    it: the business days between two of them is the difference of their ordinals."""
    known = sorted(set(days))
    if not known:
        return {}
    ordinals: dict[date, int] = {}
    count = 0
    day = known[0]
    while day <= known[-1]:
        count += is_business_day(day)
        ordinals[day] = count
        day += timedelta(days=1)
    return ordinals


def ranked(weighted: Sequence[tuple[float, int]], rank: int) -> float:
    """The ``rank``-th (from 1) smallest value of ``weighted`` (value, how many times)."""
    seen = 0
    for value, count in sorted(weighted):
        seen += count
        if seen >= rank:
            return float(value)
    raise ValueError("rank beyond the values")


def weighted_median(weighted: Sequence[tuple[float, int]]) -> float | None:
    """``median`` of values given with their counts."""
    total = sum(count for _, count in weighted)
    if not total:
        return None
    if total % 2:
        return ranked(weighted, total // 2 + 1)
    return (ranked(weighted, total // 2) + ranked(weighted, total // 2 + 1)) / 2


def weighted_percentile(weighted: Sequence[tuple[float, int]], share: float) -> float | None:
    """``percentile`` (nearest rank) of values given with their counts."""
    total = sum(count for _, count in weighted)
    if not total:
        return None
    return ranked(weighted, max(math.ceil(share * total), 1))
