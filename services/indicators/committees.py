"""Indicators of the committees family: meetings held, decisions by state, action items.

None of them is about a person (unit ``COUNT``: never masked). The committees are Paris-wide
governance: a coordinator's territory or an organisation's own figures do not narrow them.
Of the dimensions, only the sub-axis applies (to decisions, by ``Decision.axis``, and to
action items, by their decision's) and months; any other filter or grouping leaves this
family out of the answer rather than showing figures it does not filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import add_business_days, paris_date, paris_midnight
from core.enums import CommitteeKind, PlanAxis
from core.models import ActionItem, Committee, Decision, Meeting
from services.indicators.frame import month_label
from services.indicators.model import Dimension, Family, Figure, Indicator, IndicatorQuery, Unit
from states.action import ACTION, ActionState
from states.decision import DecisionState

OVERDUE = "overdue"
"""The detail of the open action items past their escalation time at the end of the period."""
ESCALATION_DAYS = max(spec.business_days for spec in ACTION.timers[ActionState.OPEN])

MEETINGS_HELD = Indicator(
    key="meetings_held",
    name="Réunions tenues",
    definition=(
        "Nombre de réunions des instances du plan dont la date tombe dans la période, "
        "par type d'instance (comité de pilotage, comité technique, comités de projet, "
        "comités territoriaux)."
    ),
    family=Family.COMMITTEES,
    unit=Unit.COUNT,
    breakdown=CommitteeKind,
)
DECISIONS_BY_STATE = Indicator(
    key="decisions_by_state",
    name="Propositions aux instances, par état",
    definition=(
        "Nombre de propositions (décisions) déposées auprès d'une instance pendant la "
        "période, selon leur état actuel : proposée, inscrite à l'ordre du jour, ajournée, "
        "adoptée, rejetée, publiée."
    ),
    family=Family.COMMITTEES,
    unit=Unit.COUNT,
    breakdown=DecisionState,
)
ACTIONS_ON_TIME = Indicator(
    key="action_items_done_on_time",
    name="Actions réalisées dans les délais",
    definition=(
        "Nombre d'actions des décisions marquées comme faites pendant la période, au plus "
        "tard le jour de leur échéance (heure de Paris)."
    ),
    family=Family.COMMITTEES,
    unit=Unit.COUNT,
)
ACTIONS_LATE = Indicator(
    key="action_items_done_late",
    name="Actions réalisées en retard",
    definition=(
        "Nombre d'actions des décisions marquées comme faites pendant la période, après le "
        "jour de leur échéance (heure de Paris)."
    ),
    family=Family.COMMITTEES,
    unit=Unit.COUNT,
)
ACTIONS_OPEN = Indicator(
    key="action_items_open",
    name="Actions en cours en fin de période",
    definition=(
        "Nombre d'actions attribuées avant la fin de la période et pas encore faites à sa "
        "fin ; dont « en retard » : celles dont l'échéance était dépassée de plus de "
        f"{ESCALATION_DAYS} jours ouvrés à la fin de la période (le moment où relais alerte "
        "la coordination)."
    ),
    family=Family.COMMITTEES,
    unit=Unit.COUNT,
)

DEFINITIONS: tuple[Indicator, ...] = (
    MEETINGS_HELD,
    DECISIONS_BY_STATE,
    ACTIONS_ON_TIME,
    ACTIONS_LATE,
    ACTIONS_OPEN,
)

UNFILTERED = (
    "sending_organisation_id",
    "receiving_organisation_id",
    "offer_id",
    "offer_territory",
    "person_territory",
    "public",
)
"""The query's filters this family cannot apply."""

Group = tuple[str | None, str | None]
"""A group's code and label; (None, None) for the whole."""


def _months(query: IndicatorQuery) -> list[tuple[date, date]]:
    """The months the period touches, each cut to the period: (first day, last day)."""
    months = []
    first = query.period.start
    while first <= query.period.end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        months.append((first, min(following - timedelta(days=1), query.period.end)))
        first = following
    return months


def _month_group(day: date) -> Group:
    code = f"{day:%Y-%m}"
    return code, month_label(code)


def _axis_group(axis: PlanAxis) -> Group:
    return axis.value, f"{axis.value} {axis.label}"


def _counted(
    indicator: Indicator,
    groups: Sequence[Group],
    counts: Counter[tuple[str | None, str | None]],
    details: Iterable[tuple[str, str]] = (),
) -> list[Figure]:
    """One figure per group (every group, zeros included), then per group and detail."""
    figures = []
    for code, label in groups:
        total = counts[(code, None)]
        figures.append(Figure(indicator.key, total, total, code, label))
        for detail, detail_label in details:
            value = counts[(code, detail)]
            figures.append(Figure(indicator.key, value, value, code, label, detail, detail_label))
    return figures


def _groups(query: IndicatorQuery) -> list[Group]:
    if query.group_by is Dimension.MONTH:
        return [_month_group(first) for first, _ in _months(query)]
    if query.group_by is Dimension.SUB_AXIS:
        return [_axis_group(axis) for axis in PlanAxis]
    return [(None, None)]


def _group_of(query: IndicatorQuery, day: date, axis: PlanAxis | None) -> str | None:
    """The code of the group a row falls in: its month, its sub-axis or None."""
    if query.group_by is Dimension.MONTH:
        return f"{day:%Y-%m}"
    if query.group_by is Dimension.SUB_AXIS:
        return None if axis is None else axis.value
    return None


def _count(
    counts: Counter[tuple[str | None, str | None]], group: str | None, detail: str | None
) -> None:
    counts[(group, None)] += 1
    if detail is not None:
        counts[(group, detail)] += 1


async def _meetings(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    if query.sub_axis is not None or query.group_by is Dimension.SUB_AXIS:
        return []  # a meeting has no sub-axis
    start, end = (
        paris_midnight(query.period.start),
        paris_midnight(query.period.end + timedelta(days=1)),
    )
    rows = await session.execute(
        select(Meeting.starts_at, Committee.kind)
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Meeting.starts_at >= start, Meeting.starts_at < end)
    )
    counts: Counter[tuple[str | None, str | None]] = Counter()
    for starts_at, kind in rows.tuples():
        _count(counts, _group_of(query, paris_date(starts_at), None), kind.value)
    details = [(kind.value, kind.label) for kind in CommitteeKind]
    return _counted(MEETINGS_HELD, _groups(query), counts, details)


async def _decisions(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    start, end = (
        paris_midnight(query.period.start),
        paris_midnight(query.period.end + timedelta(days=1)),
    )
    statement = select(Decision.created_at, Decision.axis, Decision.state).where(
        Decision.created_at >= start, Decision.created_at < end
    )
    if query.sub_axis is not None:
        statement = statement.where(Decision.axis == query.sub_axis)
    counts: Counter[tuple[str | None, str | None]] = Counter()
    for created_at, axis, state in (await session.execute(statement)).tuples():
        _count(counts, _group_of(query, paris_date(created_at), axis), state)
    details = [(state.value, state.label) for state in DecisionState]
    return _counted(DECISIONS_BY_STATE, _groups(query), counts, details)


async def _action_rows(
    session: AsyncSession, query: IndicatorQuery
) -> list[tuple[datetime, datetime, str, date, datetime, PlanAxis]]:
    """Every action item assigned before the period's end: created, state entered, state,
    due date, due instant, its decision's axis."""
    end = paris_midnight(query.period.end + timedelta(days=1))
    statement = (
        select(
            ActionItem.created_at,
            ActionItem.state_entered_at,
            ActionItem.state,
            ActionItem.due_on,
            ActionItem.due_at,
            Decision.axis,
        )
        .join(Decision, Decision.id == ActionItem.decision_id)
        .where(ActionItem.created_at < end)
    )
    if query.sub_axis is not None:
        statement = statement.where(Decision.axis == query.sub_axis)
    return list((await session.execute(statement)).tuples())


def _open_at(
    rows: Sequence[tuple[datetime, datetime, str, date, datetime, PlanAxis]],
    last_day: date,
    counts: Counter[tuple[str | None, str | None]],
    query: IndicatorQuery,
) -> None:
    """Count the items open at the end of ``last_day``, and those overdue then (by month:
    the month of ``last_day``)."""
    moment = paris_midnight(last_day + timedelta(days=1))
    for created_at, entered_at, state, _due_on, due_at, axis in rows:
        done = state == ActionState.DONE and entered_at < moment
        if created_at >= moment or done:
            continue
        overdue = add_business_days(due_at, ESCALATION_DAYS) <= moment
        _count(counts, _group_of(query, last_day, axis), OVERDUE if overdue else None)


async def _actions(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    rows = await _action_rows(session, query)
    start, end = (
        paris_midnight(query.period.start),
        paris_midnight(query.period.end + timedelta(days=1)),
    )
    done: dict[bool, Counter[tuple[str | None, str | None]]] = {True: Counter(), False: Counter()}
    for _created, entered_at, state, due_on, _due_at, axis in rows:
        if state != ActionState.DONE or not start <= entered_at < end:
            continue
        day = paris_date(entered_at)
        _count(done[day <= due_on], _group_of(query, day, axis), None)
    groups = _groups(query)
    opened: Counter[tuple[str | None, str | None]] = Counter()
    if query.group_by is Dimension.MONTH:
        for _first, last in _months(query):
            _open_at(rows, last, opened, query)
    else:
        _open_at(rows, query.period.end, opened, query)
    return [
        *_counted(ACTIONS_ON_TIME, groups, done[True]),
        *_counted(ACTIONS_LATE, groups, done[False]),
        *_counted(ACTIONS_OPEN, groups, opened, [(OVERDUE, "dont en retard")]),
    ]


async def compute(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    """Every figure of this module's indicators for ``query``; none when it filters or
    groups by what committees do not have (an organisation, an offer, a public...)."""
    if any(getattr(query, name) is not None for name in UNFILTERED):
        return []
    if query.group_by not in (None, Dimension.MONTH, Dimension.SUB_AXIS):
        return []
    return [
        *await _meetings(session, query),
        *await _decisions(session, query),
        *await _actions(session, query),
    ]
