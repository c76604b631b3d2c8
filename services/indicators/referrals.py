"""Indicators of the referrals: volumes, delays and chasing (issue 16).

Each figure counts events of the referral lifecycle (``events``) whose instant falls in the
period, Paris days; a referral's offer, organisations and territory are its current ones
(a reassignment moves every count to the new receiver). An organisation's own figures are
what it sent for « envoyées » and « annulées », what it received for the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Outcome, ReturnReason
from core.models import Event
from services.indicators import referral_delays
from services.indicators.frame import group_labels, within
from services.indicators.model import Dimension, Family, Figure, Indicator, IndicatorQuery, Unit
from services.indicators.referral_frame import (
    counted,
    group_code,
    grouped_referrals,
    party_flags,
)

SENDER, RECEIVER = "sender", "receiver"


def _volume(key: str, name: str, definition: str, **extra: Any) -> Indicator:
    return Indicator(key, name, definition, Family.VOLUMES, Unit.PEOPLE, **extra)


VOLUMES: tuple[tuple[Indicator, tuple[str, ...], str], ...] = (
    (
        _volume(
            "referrals_sent",
            "Orientations envoyées",
            "Orientations transmises pour la première fois pendant la période (date de la "
            "première transmission), comptées pour la structure qui oriente.",
        ),
        ("submit",),
        SENDER,
    ),
    (
        _volume(
            "referrals_received",
            "Orientations reçues",
            "Arrivées d'une orientation chez une structure pendant la période : première "
            "transmission et réorientation par la coordination vers l'une de ses offres.",
        ),
        ("submit", "reassign"),
        RECEIVER,
    ),
    (
        _volume(
            "referrals_accepted",
            "Orientations acceptées",
            "Orientations acceptées par la structure qui les reçoit pendant la période "
            "(date de l'acceptation).",
        ),
        ("accept",),
        RECEIVER,
    ),
    (
        _volume(
            "referrals_returned",
            "Orientations retournées",
            "Orientations retournées au prescripteur pendant la période (date du retour), "
            "par motif de retour ; une orientation retournée deux fois compte deux fois.",
            breakdown=ReturnReason,
        ),
        ("return",),
        RECEIVER,
    ),
    (
        _volume(
            "referrals_expired",
            "Orientations expirées sans réponse",
            "Orientations restées sans réponse jusqu'à leur échéance et expirées par relais "
            "pendant la période (date de l'expiration).",
        ),
        ("expire",),
        RECEIVER,
    ),
    (
        _volume(
            "referrals_cancelled",
            "Orientations annulées",
            "Orientations annulées par la structure qui oriente pendant la période (date "
            "de l'annulation).",
        ),
        ("cancel",),
        SENDER,
    ),
    (
        _volume(
            "referrals_completed",
            "Orientations terminées",
            "Orientations terminées par la structure qui reçoit pendant la période (date "
            "de la fin), par issue.",
            breakdown=Outcome,
        ),
        ("complete",),
        RECEIVER,
    ),
)

DEFINITIONS: tuple[Indicator, ...] = (
    *(indicator for indicator, _, _ in VOLUMES),
    *referral_delays.DEFINITIONS,
)


VOLUME_KEYS = frozenset(indicator.key for indicator, _, _ in VOLUMES)


async def compute(
    session: AsyncSession, query: IndicatorQuery, *, keys: Collection[str] | None = None
) -> list[Figure]:
    """Every figure of the referral indicators for ``query``: totals, then its groups (only
    the queries ``keys`` need, when given: the volumes and the delays are apart)."""
    triggers = _triggers(keys)
    delays = None if keys is None else frozenset(keys) - VOLUME_KEYS
    by_group = query.group_by is not None and query.group_by in DEFINITIONS[0].dimensions
    totals: list[Figure] = []
    volumes: list[Figure] = []
    if triggers and by_group and query.group_by is Dimension.MONTH:
        # An event falls in one month only: the months add up to the period's totals.
        counts, groups = await _volume_counts(session, query, triggers, grouped=True)
        totals, volumes = _volume_figures(_summed(counts), {None}), _volume_figures(counts, groups)
    elif triggers:
        totals = _volume_figures(*await _volume_counts(session, query, triggers, grouped=False))
    figures = totals + await referral_delays.compute(session, query, grouped=False, keys=delays)
    if by_group:
        if triggers and query.group_by is not Dimension.MONTH:
            counts, groups = await _volume_counts(session, query, triggers, grouped=True)
            volumes = _volume_figures(counts, groups)
        grouped = volumes + await referral_delays.compute(session, query, grouped=True, keys=delays)
        labels = await group_labels(session, query.group_by, [f.group for f in grouped])
        figures += [_labelled(figure, labels) for figure in grouped]
    return figures


def _triggers(keys: Collection[str] | None) -> list[str]:
    """The triggers the volumes ``keys`` count (all of them when ``keys`` is None)."""
    return sorted(
        {
            trigger
            for indicator, triggers, _ in VOLUMES
            if keys is None or indicator.key in keys
            for trigger in triggers
        }
    )


def _labelled(figure: Figure, labels: dict[str, str]) -> Figure:
    label = labels.get(figure.group or "", figure.group)
    return Figure(**{**figure.__dict__, "group_label": label})


Counts = dict[tuple[str, str | None, str | None, str], int]


def _summed(counts: Counts) -> Counts:
    """``counts`` of every group added up (the totals)."""
    totals: Counts = defaultdict(int)
    for (trigger, code, _group, side), count in counts.items():
        totals[(trigger, code, None, side)] += count
    return totals


async def _volume_counts(
    session: AsyncSession, query: IndicatorQuery, triggers: list[str], *, grouped: bool
) -> tuple[Counts, set[str | None]]:
    """The volumes in one query: events of ``triggers`` by trigger, detail, group and side
    (a volume whose triggers are not among them reads 0: ask for it or leave it out)."""
    detail = case(
        (Event.trigger == "return", Event.payload["reason"].as_string()),
        (Event.trigger == "complete", Event.payload["outcome"].as_string()),
        else_=None,
    )
    sent, received = party_flags(query)
    stmt = select(Event.trigger).where(
        Event.case_kind == "referral",
        Event.trigger.in_(triggers),
        within(Event.occurred_at, query.period),
    )
    stmt, group = grouped_referrals(stmt, query, Event.occurred_at, Event.case_id, grouped=grouped)
    columns = {"trigger": Event.trigger, "detail": detail, "grp": group}
    stmt = counted(stmt, {**columns, "sent": sent, "received": received})
    counts: Counts = defaultdict(int)
    groups: set[str | None] = set() if grouped else {None}
    rows = (await session.execute(stmt)).all()
    for trigger, code, group_value, by_sender, by_receiver, count in rows:
        group_key = group_code(group_value)
        groups.add(group_key)
        if by_sender:
            counts[(trigger, code, group_key, SENDER)] += count
        if by_receiver:
            counts[(trigger, code, group_key, RECEIVER)] += count
    return counts, groups


def _volume_figures(counts: Counts, groups: set[str | None]) -> list[Figure]:
    figures = []
    for indicator, triggers, side in VOLUMES:
        for group in sorted(groups, key=lambda value: value or ""):
            details: dict[str | None, int] = defaultdict(int)
            for (trigger, code, group_key, counted_side), count in counts.items():
                if trigger in triggers and group_key == group and counted_side == side:
                    details[code] += count
            total = sum(details.values())
            figures.append(Figure(indicator.key, total, total, group=group))
            if indicator.breakdown is None:
                continue
            for code, count in sorted(details.items(), key=lambda item: item[0] or ""):
                if code is None:
                    continue
                figures.append(
                    Figure(
                        indicator.key,
                        count,
                        count,
                        group=group,
                        detail=code,
                        detail_label=indicator.breakdown(code).label,
                    )
                )
    return figures
