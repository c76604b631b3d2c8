"""Indicators of the parcours: handovers (passages de relais) and accompaniments (issue 16).

Neither has an offer: they are not filtered nor grouped by sub-axis, offer or offer
territory. A handover's sending organisation is the référent handing over, its receiving one
the successor; an accompaniment's receiving organisation is the référent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.business_days import paris_date
from core.enums import Outcome
from core.models import Accompaniment, Event, Handover, Person
from services.indicators import escalations
from services.indicators.frame import (
    group_labels,
    has_public,
    median,
    month_of,
    publics_table,
    within,
)
from services.indicators.model import Dimension, Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.referral_frame import NO_GROUP, counted, group_code
from states.accompaniment import ACCOMPANIMENT
from states.handover import HANDOVER
from states.policy.scope import territory_clause

PERSON_DIMENSIONS = frozenset(
    {
        Dimension.PERSON_TERRITORY,
        Dimension.PUBLIC,
        Dimension.MONTH,
        Dimension.RECEIVING_ORGANISATION,
    }
)
HANDOVER_DIMENSIONS = PERSON_DIMENSIONS | {Dimension.SENDING_ORGANISATION}


def _handover(key: str, name: str, definition: str) -> Indicator:
    return Indicator(
        key, name, definition, Family.VOLUMES, Unit.PEOPLE, dimensions=HANDOVER_DIMENSIONS
    )


HANDOVERS = (
    (
        _handover(
            "handovers_proposed",
            "Passages de relais proposés",
            "Passages de relais proposés par un référent pendant la période (date de la "
            "proposition).",
        ),
        "propose",
    ),
    (
        _handover(
            "handovers_confirmed",
            "Passages de relais confirmés",
            "Passages de relais confirmés pendant la période (date de la confirmation, qui "
            "ouvre l'accompagnement du nouveau référent).",
        ),
        "confirm",
    ),
    (
        _handover(
            "handovers_declined",
            "Passages de relais déclinés",
            "Passages de relais déclinés par la structure sollicitée pendant la période (date "
            "du refus).",
        ),
        "decline",
    ),
)
STARTED = Indicator(
    "accompaniments_started",
    "Accompagnements démarrés",
    "Accompagnements dont le début (démarrage d'une orientation, passage de relais ou début "
    "direct) tombe dans la période.",
    Family.VOLUMES,
    Unit.PEOPLE,
    dimensions=PERSON_DIMENSIONS,
)
ENDED = Indicator(
    "accompaniments_ended",
    "Accompagnements terminés",
    "Accompagnements terminés pendant la période (date de fin), par motif de sortie ; un "
    "passage de relais termine l'accompagnement sans motif de sortie.",
    Family.VOLUMES,
    Unit.PEOPLE,
    breakdown=Outcome,
    dimensions=PERSON_DIMENSIONS,
)
GAP = Indicator(
    "referent_gap_days",
    "Jours sans référent entre deux accompagnements",
    "Médiane, en jours calendaires, entre la fin de l'accompagnement précédent d'une personne "
    "et le début du suivant, pour les accompagnements démarrés pendant la période qui en "
    "suivent un autre (0 pour un passage de relais confirmé).",
    Family.DELAYS,
    Unit.DAYS,
    dimensions=PERSON_DIMENSIONS,
)
DEFINITIONS: tuple[Indicator, ...] = (
    *(indicator for indicator, _ in HANDOVERS),
    STARTED,
    ENDED,
    GAP,
    *escalations.DEFINITIONS,
)


def _scoped(
    stmt: Any,
    query: IndicatorQuery,
    moment: Any,
    organisations: dict[Dimension, Any],
    lifecycle: Any,
    grouped: bool,
) -> tuple[Any, Any]:
    """``stmt`` (joined to ``persons``) filtered by the query, and its group expression."""
    stmt = stmt.where(within(moment, query.period))
    for dimension, value in (
        (Dimension.SENDING_ORGANISATION, query.sending_organisation_id),
        (Dimension.RECEIVING_ORGANISATION, query.receiving_organisation_id),
    ):
        if value is not None:
            stmt = stmt.where(organisations[dimension] == value)
    if query.person_territory is not None:
        stmt = stmt.where(Person.residence == query.person_territory)
    if query.public is not None:
        stmt = stmt.where(has_public(Person.publics, query.public.value))
    if query.territory is not None:
        stmt = stmt.where(territory_clause(lifecycle, query.territory))
    if query.party_organisation_id is not None:
        party = [column == query.party_organisation_id for column in organisations.values()]
        stmt = stmt.where(party[0] if len(party) == 1 else party[0] | party[1])
    grouping = query.group_by
    if not grouped or grouping is None:
        return stmt, NO_GROUP
    if grouping is Dimension.PUBLIC:
        table = publics_table()
        return stmt.join(table, has_public(Person.publics, table.c.code)), table.c.code
    if grouping is Dimension.MONTH:
        return stmt, month_of(moment, query.period)
    if grouping is Dimension.PERSON_TERRITORY:
        return stmt, Person.residence
    return stmt, cast(organisations[grouping], String)


async def _handovers(session: AsyncSession, query: IndicatorQuery, grouped: bool) -> list[Figure]:
    organisations = {
        Dimension.SENDING_ORGANISATION: Handover.from_organisation_id,
        Dimension.RECEIVING_ORGANISATION: Handover.to_organisation_id,
    }
    stmt = (
        select(Event.trigger)
        .join(Handover, and_(Event.case_kind == HANDOVER.name, Event.case_id == Handover.id))
        .join(Person, Person.id == Handover.person_id)
        .where(Event.trigger.in_([trigger for _, trigger in HANDOVERS]))
    )
    stmt, group = _scoped(stmt, query, Event.occurred_at, organisations, HANDOVER, grouped)
    counts: dict[tuple[str | None, str], int] = {}
    groups: set[str | None] = set() if grouped else {None}
    for trigger, group_value, count in (
        await session.execute(counted(stmt, {"trigger": Event.trigger, "grp": group}))
    ).all():
        groups.add(group_code(group_value))
        counts[(group_code(group_value), trigger)] = count
    return [
        Figure(indicator.key, counts.get((g, trigger), 0), counts.get((g, trigger), 0), group=g)
        for g in groups
        for indicator, trigger in HANDOVERS
    ]


async def _accompaniments(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    organisations = {Dimension.RECEIVING_ORGANISATION: Accompaniment.organisation_id}
    figures: list[Figure] = []
    for indicator, moment in ((STARTED, Accompaniment.started_at), (ENDED, Accompaniment.ended_at)):
        stmt = select(Accompaniment.id).join(Person, Person.id == Accompaniment.person_id)
        stmt, group = _scoped(stmt, query, moment, organisations, ACCOMPANIMENT, grouped)
        columns = {"grp": group, "detail": Accompaniment.exit_outcome}
        totals: dict[str | None, int] = defaultdict(int) if grouped else defaultdict(int, {None: 0})
        details = []
        for group_value, outcome, count in (await session.execute(counted(stmt, columns))).all():
            key = group_code(group_value)
            totals[key] += count
            if indicator.breakdown is not None and outcome is not None:
                code = Outcome(outcome)
                details.append(
                    Figure(
                        indicator.key, count, count, key, detail=code.value, detail_label=code.label
                    )
                )
        figures += [Figure(indicator.key, total, total, group=key) for key, total in totals.items()]
        figures += details
    return figures + await _gaps(session, query, grouped)


async def _gaps(session: AsyncSession, query: IndicatorQuery, grouped: bool) -> list[Figure]:
    previous = aliased(Accompaniment)
    ended = (
        select(func.max(previous.ended_at))
        .where(
            previous.person_id == Accompaniment.person_id,
            previous.id != Accompaniment.id,
            previous.ended_at <= Accompaniment.started_at,
        )
        .scalar_subquery()
    )
    organisations = {Dimension.RECEIVING_ORGANISATION: Accompaniment.organisation_id}
    stmt = select(Accompaniment.id).join(Person, Person.id == Accompaniment.person_id)
    stmt, group = _scoped(
        stmt, query, Accompaniment.started_at, organisations, ACCOMPANIMENT, grouped
    )
    gaps: dict[str | None, list[int]] = (
        defaultdict(list) if grouped else defaultdict(list, {None: []})
    )
    rows = await session.execute(stmt.with_only_columns(group, ended, Accompaniment.started_at))
    for group_value, end, start in rows.all():
        if end is not None:
            gaps[group_code(group_value)].append((paris_date(start) - paris_date(end)).days)
    return [Figure(GAP.key, median(days), len(days), group=key) for key, days in gaps.items()]


async def compute(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    """Every figure of the parcours indicators that apply to ``query``."""
    if STARTED.applies_to(query) is not None and HANDOVERS[0][0].applies_to(query) is not None:
        return await escalations.compute(session, query)
    figures: list[Figure] = []
    groupings = [False] + ([True] if query.group_by is not None else [])
    for grouped in groupings:
        batch = []
        if HANDOVERS[0][0].applies_to(query) is None:
            batch += await _handovers(session, query, grouped)
        if STARTED.applies_to(query) is None:
            batch += await _accompaniments(session, query, grouped)
        if grouped:
            labels = await group_labels(session, query.group_by, [f.group for f in batch])
            batch = [
                Figure(**{**f.__dict__, "group_label": labels.get(f.group or "")}) for f in batch
            ]
        figures += batch
    return figures + await escalations.compute(session, query)
