"""Indicators of the referrals' delays (business days) and chasing (reminders, escalations).

A first response is the receiver's first acceptance or return after the referral's first
transmission. The delays count the period's cases per (Paris day, Paris day) pair in SQL
(``paris_day``), a few thousand rows for 60,000 referrals, and turn each pair into business
days with ``frame.day_ordinals``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.enums import TimerKind, TimerStatus
from core.models import Event, Referral, Timer
from services.indicators.frame import (
    bounds,
    day_ordinals,
    weighted_median,
    weighted_percentile,
    within,
)
from services.indicators.model import Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.paris_day import day_of, paris_day
from services.indicators.referral_frame import counted, group_code, grouped_referrals

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


def _first_dues(period: Any) -> Any:
    """Per transmission of the period (case, instant): the due instants of the reminder and
    the escalation it opened (created at that very instant), in one pass over the timers
    hashed to the transmissions, rather than two index probes per transmission."""
    return (
        select(
            Timer.case_id.label("case_id"),
            Timer.created_at.label("created_at"),
            func.min(Timer.due_at).filter(Timer.kind == TimerKind.REMINDER).label("reminder"),
            func.min(Timer.due_at).filter(Timer.kind == TimerKind.ESCALATION).label("escalation"),
        )
        .where(
            Timer.case_kind == REFERRAL,
            within(Timer.created_at, period),
            Timer.state == SUBMITTED,
            Timer.kind.in_((TimerKind.REMINDER, TimerKind.ESCALATION)),
        )
        .group_by(Timer.case_id, Timer.created_at)
        .subquery()
    )


def _first_events(triggers: Sequence[str], after: datetime, before: datetime | None = None) -> Any:
    """The referral events of ``triggers`` from ``after`` (and before ``before``)."""
    clauses = [Event.case_kind == REFERRAL, Event.trigger.in_(triggers), Event.occurred_at >= after]
    if before is not None:
        clauses.append(Event.occurred_at < before)
    return clauses


async def _first_responses(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    first, _ = bounds(query.period)
    sent = aliased(Event)
    # Only the answers of the period's transmissions are joined: aggregating the others
    # (a year ago, every answer since) is wasted.
    submitted = select(sent.case_id).where(
        sent.case_kind == REFERRAL, sent.trigger == "submit", within(sent.occurred_at, query.period)
    )
    answers = (
        select(Event.case_id.label("case_id"), func.min(Event.occurred_at).label("first"))
        .where(*_first_events(("accept", "return"), first), Event.case_id.in_(submitted))
        .group_by(Event.case_id)
        .subquery()
    )
    submit = aliased(Event)
    dues = _first_dues(query.period)
    on_dues = (dues.c.case_id == submit.case_id) & (dues.c.created_at == submit.occurred_at)
    stmt = (
        select(submit.occurred_at)
        .join(answers, answers.c.case_id == submit.case_id)
        .outerjoin(dues, on_dues)
        .where(
            submit.case_kind == REFERRAL,
            submit.trigger == "submit",
            within(submit.occurred_at, query.period),
        )
    )
    stmt, group = grouped_referrals(
        stmt, query, submit.occurred_at, submit.case_id, grouped=grouped
    )
    stmt = stmt.where(*_receiver_only(query))
    in_time = {
        "reminder": _before(answers.c.first, dues.c.reminder),
        "escalation": _before(answers.c.first, dues.c.escalation),
    }
    columns = {"grp": group, "sent": paris_day(submit.occurred_at)}
    columns |= {"answered": paris_day(answers.c.first), **in_time}
    rows = (await session.execute(counted(stmt, columns))).all()
    by_group: dict[str | None, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    if not grouped:
        by_group[None] = []
    for group_value, sent, answered, reminder, escalation, count in rows:
        by_group[group_code(group_value)].append((sent, answered, reminder, escalation, count))
    ordinals = _ordinals(row[:2] for group_rows in by_group.values() for row in group_rows)
    figures = []
    for key, group_rows in by_group.items():
        days = [(ordinals[day_of(b)] - ordinals[day_of(a)], n) for a, b, _, _, n in group_rows]
        basis = sum(n for *_, n in group_rows)
        figures += [
            Figure(FIRST_RESPONSE_MEDIAN.key, weighted_median(days), basis, group=key),
            Figure(FIRST_RESPONSE_P90.key, weighted_percentile(days, 0.9), basis, group=key),
            Figure(BEFORE_REMINDER.key, _share(group_rows, 2), basis, group=key),
            Figure(BEFORE_ESCALATION.key, _share(group_rows, 3), basis, group=key),
        ]
    return figures


def _before(answered: Any, due: Any) -> Any:
    """1 when the answer came before the timer was due (or no such timer), else 0."""
    return case((due.is_(None), 1), (answered < due, 1), else_=0)


def _ordinals(pairs: Iterable[Sequence[int]]) -> dict[date, int]:
    return day_ordinals(day_of(number) for pair in pairs for number in pair)


def _share(rows: Sequence[tuple[int, int, int, int, int]], flag: int) -> float | None:
    """The share of the cases of ``rows`` answered in time by column ``flag``."""
    total = sum(row[-1] for row in rows)
    if not total:
        return None
    return sum(row[-1] for row in rows if row[flag]) / total


async def _acceptance_to_start(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    _, after = bounds(query.period)
    start = aliased(Event)
    started = select(start.case_id).where(
        start.case_kind == REFERRAL,
        start.trigger == "start",
        within(start.occurred_at, query.period),
    )
    # A referral is started once, after its only acceptance: its last acceptance before the
    # period's end is the one its start follows.
    acceptances = (
        select(Event.case_id.label("case_id"), func.max(Event.occurred_at).label("accepted"))
        .where(Event.case_kind == REFERRAL, Event.trigger == "accept", Event.occurred_at < after)
        .where(Event.case_id.in_(started))
        .group_by(Event.case_id)
        .subquery()
    )
    stmt = (
        select(start.occurred_at)
        .join(acceptances, acceptances.c.case_id == start.case_id)
        .where(
            start.case_kind == REFERRAL,
            start.trigger == "start",
            within(start.occurred_at, query.period),
        )
    )
    stmt, group = grouped_referrals(stmt, query, start.occurred_at, start.case_id, grouped=grouped)
    stmt = stmt.where(*_receiver_only(query))
    columns = {
        "grp": group,
        "accepted": paris_day(acceptances.c.accepted),
        "started": paris_day(start.occurred_at),
    }
    pairs: dict[str | None, list[tuple[int, int, int]]] = defaultdict(list)
    if not grouped:
        pairs[None] = []
    for group_value, accepted, started, count in (
        await session.execute(counted(stmt, columns))
    ).all():
        pairs[group_code(group_value)].append((accepted, started, count))
    ordinals = _ordinals(row[:2] for rows in pairs.values() for row in rows)
    return [
        Figure(
            ACCEPTANCE_TO_START.key,
            weighted_median([(ordinals[day_of(b)] - ordinals[day_of(a)], n) for a, b, n in rows]),
            sum(n for *_, n in rows),
            group=key,
        )
        for key, rows in pairs.items()
    ]


async def _chasing(session: AsyncSession, query: IndicatorQuery, grouped: bool) -> list[Figure]:
    stmt = select(Timer.kind).where(
        Timer.case_kind == REFERRAL,
        Timer.status == TimerStatus.FIRED,
        Timer.kind.in_((TimerKind.REMINDER, TimerKind.ESCALATION)),
        within(Timer.fired_at, query.period),
    )
    stmt, group = grouped_referrals(stmt, query, Timer.fired_at, Timer.case_id, grouped=grouped)
    if query.party_organisation_id is not None:
        organisation = query.party_organisation_id
        stmt = stmt.where(
            (Referral.sender_organisation_id == organisation)
            | (Referral.receiver_organisation_id == organisation)
        )
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


FIRST_RESPONSE_KEYS = frozenset(
    indicator.key
    for indicator in (FIRST_RESPONSE_MEDIAN, FIRST_RESPONSE_P90, BEFORE_REMINDER, BEFORE_ESCALATION)
)
CHASING_KEYS = frozenset({REMINDERS.key, ESCALATIONS.key})


async def compute(
    session: AsyncSession,
    query: IndicatorQuery,
    *,
    grouped: bool,
    keys: Collection[str] | None = None,
) -> list[Figure]:
    """The delays and chasing figures: the totals, or by the query's grouping (only the
    queries ``keys`` need, when given)."""
    figures = []
    if keys is None or not FIRST_RESPONSE_KEYS.isdisjoint(keys):
        figures += await _first_responses(session, query, grouped)
    if keys is None or ACCEPTANCE_TO_START.key in keys:
        figures += await _acceptance_to_start(session, query, grouped)
    if keys is None or not CHASING_KEYS.isdisjoint(keys):
        figures += await _chasing(session, query, grouped)
    return figures
