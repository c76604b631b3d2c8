"""Indicators of the referrals' delays (business days) and chasing (reminders, escalations).

A first response is the receiver's first acceptance or return after the referral's first
transmission; the delays fetch only the instants of the period's referrals and count
business days with ``frame.BusinessCalendar``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.enums import TimerKind, TimerStatus
from core.models import Event, Referral, Timer
from services.indicators.frame import calendar_for, median, percentile, within
from services.indicators.model import Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.referral_frame import counted, group_code, grouped_referrals, join_person

REFERRAL = "referral"
SUBMITTED = "submitted"

FIRST_RESPONSE_MEDIAN = Indicator(
    "first_response_median_days",
    "Délai médian de première réponse",
    "Médiane, en jours ouvrés, entre la première transmission d'une orientation (pendant la "
    "période) et la première acceptation ou le premier retour de la structure qui la reçoit ; "
    "sur les orientations qui ont reçu une réponse.",
    Family.DELAYS,
    Unit.DAYS,
)
FIRST_RESPONSE_P90 = Indicator(
    "first_response_p90_days",
    "Délai de première réponse (9 orientations sur 10)",
    "90e centile (rang le plus proche), en jours ouvrés, du même délai de première réponse : "
    "neuf orientations sur dix ont reçu leur réponse dans ce délai ou moins.",
    Family.DELAYS,
    Unit.DAYS,
)
BEFORE_REMINDER = Indicator(
    "answered_before_reminder",
    "Réponses avant la relance",
    "Part des premières réponses données avant l'échéance de la relance de la première "
    "transmission (orientations transmises pendant la période et qui ont reçu une réponse).",
    Family.DELAYS,
    Unit.SHARE,
)
BEFORE_ESCALATION = Indicator(
    "answered_before_escalation",
    "Réponses avant l'alerte à la coordination",
    "Part des premières réponses données avant l'échéance de l'alerte à la coordination de la "
    "première transmission (mêmes orientations).",
    Family.DELAYS,
    Unit.SHARE,
)
ACCEPTANCE_TO_START = Indicator(
    "acceptance_to_start_median_days",
    "Délai médian entre acceptation et démarrage",
    "Médiane, en jours ouvrés, entre l'acceptation d'une orientation et le démarrage de "
    "l'accompagnement, pour les démarrages de la période.",
    Family.DELAYS,
    Unit.DAYS,
)
REMINDERS = Indicator(
    "reminders_sent",
    "Relances envoyées",
    "Relances automatiques d'orientations parties pendant la période (date d'envoi), vers "
    "la structure qui reçoit ou celle qui oriente.",
    Family.CHASING,
    Unit.PEOPLE,
)
ESCALATIONS = Indicator(
    "escalations_sent",
    "Alertes à la coordination",
    "Alertes automatiques à la coordination sur des orientations, parties pendant la période "
    "(date d'envoi).",
    Family.CHASING,
    Unit.PEOPLE,
)
DEFINITIONS: tuple[Indicator, ...] = (
    FIRST_RESPONSE_MEDIAN,
    FIRST_RESPONSE_P90,
    BEFORE_REMINDER,
    BEFORE_ESCALATION,
    ACCEPTANCE_TO_START,
    REMINDERS,
    ESCALATIONS,
)


def _receiver_only(query: IndicatorQuery) -> list[Any]:
    if query.party_organisation_id is None:
        return []
    return [Referral.receiver_organisation_id == query.party_organisation_id]


def _first_timer_due(submit: Any, kind: TimerKind) -> Any:
    return (
        select(func.min(Timer.due_at))
        .where(
            Timer.case_kind == REFERRAL,
            Timer.case_id == submit.case_id,
            Timer.state == SUBMITTED,
            Timer.kind == kind,
        )
        .scalar_subquery()
    )


async def _first_responses(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    submit, response = aliased(Event), aliased(Event)
    answered = (
        select(func.min(response.occurred_at))
        .where(
            response.case_kind == REFERRAL,
            response.case_id == submit.case_id,
            response.trigger.in_(("accept", "return")),
        )
        .scalar_subquery()
    )
    stmt = join_person(
        select(submit.occurred_at).join(
            Referral, and_(submit.case_kind == REFERRAL, submit.case_id == Referral.id)
        )
    ).where(submit.trigger == "submit", within(submit.occurred_at, query.period))
    stmt = stmt.where(*_receiver_only(query))
    stmt, group = grouped_referrals(stmt, query, submit.occurred_at, grouped=grouped)
    stmt = stmt.with_only_columns(
        group,
        submit.occurred_at,
        answered,
        _first_timer_due(submit, TimerKind.REMINDER),
        _first_timer_due(submit, TimerKind.ESCALATION),
    )
    by_group: dict[str | None, list[tuple[datetime, datetime, Any, Any]]] = defaultdict(list)
    for group_value, sent, first, reminder, escalation in (await session.execute(stmt)).all():
        if first is not None:
            by_group[group_code(group_value)].append((sent, first, reminder, escalation))
    if not grouped:
        by_group.setdefault(None, [])
    calendar = calendar_for([(row[0], row[1]) for rows in by_group.values() for row in rows])
    figures = []
    for key, rows in by_group.items():
        days = [calendar.between(sent, first) for sent, first, _, _ in rows]
        basis = len(rows)
        figures += [
            Figure(FIRST_RESPONSE_MEDIAN.key, median(days), basis, group=key),
            Figure(FIRST_RESPONSE_P90.key, percentile(days, 0.9), basis, group=key),
            Figure(BEFORE_REMINDER.key, _share(rows, 2), basis, group=key),
            Figure(BEFORE_ESCALATION.key, _share(rows, 3), basis, group=key),
        ]
    return figures


def _share(rows: Sequence[tuple[datetime, datetime, Any, Any]], due_index: int) -> float | None:
    """The share of ``rows`` answered before their timer was due (no timer: in time)."""
    if not rows:
        return None
    in_time = sum(1 for row in rows if row[due_index] is None or row[1] < row[due_index])
    return in_time / len(rows)


async def _acceptance_to_start(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    start, accept = aliased(Event), aliased(Event)
    accepted = (
        select(func.max(accept.occurred_at))
        .where(
            accept.case_kind == REFERRAL,
            accept.case_id == start.case_id,
            accept.trigger == "accept",
            accept.occurred_at <= start.occurred_at,
        )
        .scalar_subquery()
    )
    stmt = join_person(
        select(start.occurred_at).join(
            Referral, and_(start.case_kind == REFERRAL, start.case_id == Referral.id)
        )
    ).where(start.trigger == "start", within(start.occurred_at, query.period))
    stmt = stmt.where(*_receiver_only(query))
    stmt, group = grouped_referrals(stmt, query, start.occurred_at, grouped=grouped)
    stmt = stmt.with_only_columns(group, accepted, start.occurred_at)
    pairs: dict[str | None, list[tuple[datetime, datetime]]] = defaultdict(list)
    for group_value, first, last in (await session.execute(stmt)).all():
        if first is not None:
            pairs[group_code(group_value)].append((first, last))
    if not grouped:
        pairs.setdefault(None, [])
    calendar = calendar_for([pair for rows in pairs.values() for pair in rows])
    return [
        Figure(
            ACCEPTANCE_TO_START.key,
            median([calendar.between(first, last) for first, last in rows]),
            len(rows),
            group=group,
        )
        for group, rows in pairs.items()
    ]


async def _chasing(session: AsyncSession, query: IndicatorQuery, grouped: bool) -> list[Figure]:
    stmt = join_person(
        select(Timer.kind).join(
            Referral, and_(Timer.case_kind == REFERRAL, Timer.case_id == Referral.id)
        )
    ).where(
        Timer.status == TimerStatus.FIRED,
        Timer.kind.in_((TimerKind.REMINDER, TimerKind.ESCALATION)),
        within(Timer.fired_at, query.period),
    )
    if query.party_organisation_id is not None:
        organisation = query.party_organisation_id
        stmt = stmt.where(
            (Referral.sender_organisation_id == organisation)
            | (Referral.receiver_organisation_id == organisation)
        )
    stmt, group = grouped_referrals(stmt, query, Timer.fired_at, grouped=grouped)
    counts: dict[tuple[str | None, str], int] = {}
    groups: set[str | None] = set() if grouped else {None}
    for kind, group_value, count in (
        await session.execute(counted(stmt, {"kind": Timer.kind, "grp": group}))
    ).all():
        groups.add(group_code(group_value))
        counts[(group_code(group_value), TimerKind(kind).value)] = count
    figures = []
    for key in groups:
        for indicator, kind in (
            (REMINDERS, TimerKind.REMINDER),
            (ESCALATIONS, TimerKind.ESCALATION),
        ):
            value = counts.get((key, kind.value), 0)
            figures.append(Figure(indicator.key, value, value, group=key))
    return figures


async def compute(session: AsyncSession, query: IndicatorQuery, *, grouped: bool) -> list[Figure]:
    """The delays and chasing figures: the totals, or by the query's grouping."""
    figures = await _first_responses(session, query, grouped)
    figures += await _acceptance_to_start(session, query, grouped)
    figures += await _chasing(session, query, grouped)
    return figures
