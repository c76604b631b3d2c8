"""A referral's filters and groupings as SQL, shared by the volumes, delays and chasing."""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal_column, select

from core.models import OfferSubAxis, Person, Referral
from services.indicators.frame import (
    UNKNOWN,
    has_public,
    month_of,
    publics_table,
    sub_axis_offers,
)
from services.indicators.model import Dimension, IndicatorQuery
from states.policy.scope import territory_clause
from states.referral import REFERRAL

NO_GROUP: Any = literal_column("''")


def referral_filters(query: IndicatorQuery) -> list[Any]:
    """The query's filters and coordinator's territory over ``referrals`` and ``persons``."""
    clauses: list[Any] = []
    if query.sub_axis is not None:
        clauses.append(Referral.offer_id.in_(sub_axis_offers(query.sub_axis)))
    if query.sending_organisation_id is not None:
        clauses.append(Referral.sender_organisation_id == query.sending_organisation_id)
    if query.receiving_organisation_id is not None:
        clauses.append(Referral.receiver_organisation_id == query.receiving_organisation_id)
    if query.offer_id is not None:
        clauses.append(Referral.offer_id == query.offer_id)
    if query.offer_territory is not None:
        clauses.append(Referral.territory == query.offer_territory)
    if query.person_territory is not None:
        clauses.append(Person.residence == query.person_territory)
    if query.public is not None:
        clauses.append(has_public(Person.publics, query.public.value))
    if query.territory is not None:
        clauses.append(territory_clause(REFERRAL, query.territory))
    return clauses


PERSON_DIMENSIONS = frozenset({Dimension.PERSON_TERRITORY, Dimension.PUBLIC})


def _joins(query: IndicatorQuery, grouped: bool) -> tuple[bool, bool]:
    """Whether the question needs the referral's row, and its person's: a question of all
    Paris without filters counts the events alone (the page's first, heaviest question)."""
    dimension = query.group_by if grouped else None
    person = (
        query.person_territory is not None
        or query.public is not None
        or dimension in PERSON_DIMENSIONS
    )
    referral = (
        person
        or any(
            value is not None
            for value in (
                query.sub_axis,
                query.sending_organisation_id,
                query.receiving_organisation_id,
                query.offer_id,
                query.offer_territory,
                query.territory,
                query.party_organisation_id,
            )
        )
        or (dimension is not None and dimension is not Dimension.MONTH)
    )
    return referral, person


def grouped_referrals(
    stmt: Select[Any],
    query: IndicatorQuery,
    moment: Any,
    case_id: Any,
    *,
    grouped: bool,
) -> tuple[Select[Any], Any]:
    """``stmt`` (selecting events or timers of referrals, whose case is ``case_id``) joined
    to the referral and its person when the question needs them, with the query's filters,
    and the expression of its group (an empty text for the totals).

    ``moment`` is the instant counted, whose Paris month groups by month.
    """
    referral, _ = _joins(query, grouped)
    if referral:
        stmt = stmt.join(Referral, Referral.id == case_id)
    return grouped_referral_rows(stmt, query, moment, grouped=grouped)


def grouped_referral_rows(
    stmt: Select[Any], query: IndicatorQuery, moment: Any, *, grouped: bool
) -> tuple[Select[Any], Any]:
    """``stmt`` (selecting from ``referrals``) with the query's filters, joined to the
    person when the question needs them, and the expression of its group, as
    ``grouped_referrals``."""
    _, person = _joins(query, grouped)
    if person:
        stmt = stmt.join(Person, Person.id == Referral.person_id)
    stmt = stmt.where(*referral_filters(query))
    dimension = query.group_by if grouped else None
    if dimension is None:
        return stmt, NO_GROUP
    if dimension is Dimension.PUBLIC:
        table = publics_table()
        return stmt.join(table, has_public(Person.publics, table.c.code)), table.c.code
    if dimension is Dimension.SUB_AXIS:
        stmt = stmt.join(OfferSubAxis, OfferSubAxis.offer_id == Referral.offer_id)
        return stmt, OfferSubAxis.sub_axis
    expressions: dict[Dimension, Any] = {
        Dimension.SENDING_ORGANISATION: cast(Referral.sender_organisation_id, String),
        Dimension.RECEIVING_ORGANISATION: cast(Referral.receiver_organisation_id, String),
        Dimension.OFFER: cast(Referral.offer_id, String),
        Dimension.OFFER_TERRITORY: Referral.territory,
        Dimension.PERSON_TERRITORY: Person.residence,
        Dimension.MONTH: month_of(moment, query.period),
    }
    return stmt, expressions[dimension]


def group_code(value: object) -> str | None:
    """A group as the figures spell it: None for the totals, a code or an id as text,
    ``UNKNOWN`` when the case has no value (a person whose residence is not known)."""
    if value == "":
        return None
    if value is None:
        return UNKNOWN
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def party_flags(query: IndicatorQuery) -> tuple[Any, Any]:
    """Whether a referral was sent by, and received by, the query's organisation (both true
    when the query is not about one organisation)."""
    organisation = query.party_organisation_id
    if organisation is None:
        return literal_column("1"), literal_column("1")
    return (
        case((Referral.sender_organisation_id == organisation, 1), else_=0),
        case((Referral.receiver_organisation_id == organisation, 1), else_=0),
    )


def counted(stmt: Select[Any], columns: dict[str, Any]) -> Select[Any]:
    """``stmt``'s rows counted by ``columns``, grouped through a subquery so that PostgreSQL
    matches the grouped expressions (a CASE with parameters is not matched otherwise)."""
    inner = stmt.with_only_columns(*(value.label(name) for name, value in columns.items()))
    rows = inner.subquery()
    keys = [rows.c[name] for name in columns]
    return select(*keys, func.count()).group_by(*keys)
