"""Indicators of the referrals' delays (business days) and chasing (reminders, escalations).

A first response is the receiver's first acceptance or return after the referral's first
transmission. The delays read the instants the transitions stamp on the referral's row
(``states.milestones``: no events), count the period's cases per (Paris day, Paris day) pair
in SQL (``paris_day``), a few thousand rows for 60,000 referrals, and turn each pair into
business days with ``frame.day_ordinals``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import TimerKind, TimerStatus
from core.models import Referral, Timer
from services.indicators.frame import (
    day_ordinals,
    weighted_median,
    weighted_percentile,
    within,
)
from services.indicators.model import Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.paris_day import day_of, paris_day
from services.indicators.referral_frame import (
    counted,
    group_code,
    grouped_referral_rows,
    grouped_referrals,
)

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


async def _first_responses(
    session: AsyncSession, query: IndicatorQuery, grouped: bool
) -> list[Figure]:
    """The period's first transmissions that had an answer, per (day sent, day answered,
    answered before the reminder's due, before the alert's), from the referrals' milestones
    (``states.milestones``): one covering index, no events."""
    stmt = select(Referral.first_submitted_at).where(
        within(Referral.first_submitted_at, query.period),
        Referral.first_answered_at.is_not(None),
    )
    stmt, group = grouped_referral_rows(stmt, query, Referral.first_submitted_at, grouped=grouped)
    stmt = stmt.where(*_receiver_only(query))
    answered = Referral.first_answered_at
    in_time = {
        "reminder": _before(answered, Referral.first_reminder_due_at),
        "escalation": _before(answered, Referral.first_escalation_due_at),
    }
    columns = {"grp": group, "sent": paris_day(Referral.first_submitted_at)}
    columns |= {"answered": paris_day(answered), **in_time}
    rows = (await session.execute(counted(stmt, columns))).all()
    by_group: dict[str | None, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    if not grouped:
        by_group[None] = []
    for group_value, sent, answered_day, reminder, escalation, count in rows:
        by_group[group_code(group_value)].append((sent, answered_day, reminder, escalation, count))
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
    """The period's starts per (day accepted, day started), from the referrals' milestones:
    a referral starts once, after its last acceptance."""
    stmt = select(Referral.started_at).where(
        within(Referral.started_at, query.period), Referral.accepted_at.is_not(None)
    )
    stmt, group = grouped_referral_rows(stmt, query, Referral.started_at, grouped=grouped)
    stmt = stmt.where(*_receiver_only(query))
    columns = {
        "grp": group,
        "accepted": paris_day(Referral.accepted_at),
        "started": paris_day(Referral.started_at),
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
