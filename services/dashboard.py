"""The coordinators' dashboard: overdue cases filtered by territory and lifecycle, and the
weekly trend of cases becoming overdue.

Both are scoped like ``services.overdue.overdue_cases`` (``policy.responsibility_clause``),
through ``policy.oversight_actor`` so that a platform admin watches all of Paris.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, null, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.enums import Territory, TimerKind
from core.errors import Forbidden
from core.models import Offer, Organisation, Timer
from services.overdue import OverdueCase, overdue_cases, overdue_selects
from services.overdue_export import overdue_export
from services.overdue_pages import overdue_page
from services.parallel import Sessions, alone, runs_side_by_side
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import (
    follows_territory,
    may_view_dashboard,
    oversight_actor,
    responsibility_clause,
    territory_clause,
)
from states.reachability import UnreachableOffer, unreachable_offers
from states.registry import LIFECYCLES

TREND_WEEKS = 12
"""How many weeks the trend covers, the current one included."""


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard is narrowed to; ``None`` keeps everything in scope."""

    territory: Territory | None = None
    lifecycle: str | None = None

    def lifecycles(self) -> list[Lifecycle]:
        """The lifecycles selected (all of them when none, or an unknown one, is named)."""
        if self.lifecycle in LIFECYCLES:
            return [LIFECYCLES[self.lifecycle]]
        return list(LIFECYCLES.values())

    def territory_clause(
        self, lifecycle: Lifecycle, *, case_by_case: bool = False
    ) -> ColumnElement[bool]:
        """The SQL condition of the territory filter on ``lifecycle``'s cases: the
        coordination's own scope rule (``policy.territory_clause``, shaped for a read of a
        few cases when ``case_by_case``)."""
        if self.territory is None:
            return true()
        return territory_clause(lifecycle, self.territory, case_by_case=case_by_case)


@dataclass(frozen=True)
class WeekCount:
    """How many cases became overdue in the Paris week starting on ``week_start`` (Monday)."""

    week_start: date
    count: int


def _check(actor: Actor) -> Actor:
    if not may_view_dashboard(actor):
        raise Forbidden(
            "Le tableau de bord est réservé à la coordination et aux responsables de structure."
        )
    return oversight_actor(actor)


async def dashboard_cases(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    filters: DashboardFilters,
    *,
    limit: int | None = None,
) -> list[OverdueCase]:
    """The overdue cases ``actor`` follows, narrowed by ``filters``, oldest first (the
    ``limit`` oldest, when given: found by their keys alone, only those described)."""
    watcher = _check(actor)
    where = filters.territory_clause
    if limit is None:
        return await overdue_cases(session, filters.lifecycles(), watcher, now, where=where)
    cases, _ = await overdue_page(
        session, filters.lifecycles(), watcher, now, where=where, limit=limit
    )
    return cases


def dashboard_export(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    now: datetime,
    filters: DashboardFilters,
) -> AsyncIterator[str]:
    """Every overdue case ``actor`` follows, narrowed by ``filters``, oldest first, as the
    CSV export's lines, a batch at a time, each batch's reads ended before it is handed over
    (``overdue_export.overdue_export``; the export streams them).

    The permission is checked at once, before any batch is asked for.
    """
    watcher = _check(actor)
    where = filters.territory_clause if filters.territory is not None else None
    return overdue_export(sessions, filters.lifecycles(), watcher, now, where=where)


@dataclass(frozen=True)
class DashboardReads:
    """What the dashboard page reads of the overdue cases: its figures, its oldest cases and
    its weekly trend."""

    counts: OverdueCounts
    cases: list[OverdueCase]
    trend: list[WeekCount]


async def dashboard_reads(
    session: AsyncSession,
    sessions: Sessions | None,
    actor: Actor,
    now: datetime,
    filters: DashboardFilters,
    *,
    limit: int,
) -> DashboardReads:
    """``overdue_counts``, ``dashboard_cases`` (the ``limit`` oldest) and ``overdue_trend``,
    read side by side on PostgreSQL, each on its own connection (``parallel``): the page
    waits for the longest of the three, not their sum. One after another on SQLite.

    The permission is checked first, before any read.
    """
    _check(actor)

    async def counted(own: AsyncSession) -> OverdueCounts:
        return await overdue_counts(own, actor, now, filters)

    async def listed(own: AsyncSession) -> list[OverdueCase]:
        return await dashboard_cases(own, actor, now, filters, limit=limit)

    async def trended(own: AsyncSession) -> list[WeekCount]:
        return await overdue_trend(own, actor, now, filters)

    if not runs_side_by_side(session, sessions):
        return DashboardReads(await counted(session), await listed(session), await trended(session))
    assert sessions is not None
    counts, cases, trend = await asyncio.gather(
        alone(sessions, counted), alone(sessions, listed), alone(sessions, trended)
    )
    return DashboardReads(counts, cases, trend)


@dataclass(frozen=True)
class OverdueCounts:
    """How many overdue cases the dashboard's scope holds: in all, per lifecycle (each one
    named, zero included) and per organisation expected to act (most first)."""

    total: int
    by_lifecycle: dict[str, int]
    by_organisation: list[tuple[str, int]]


async def overdue_counts(
    session: AsyncSession, actor: Actor, now: datetime, filters: DashboardFilters
) -> OverdueCounts:
    """The dashboard's figures, counted in the database: one grouped count per way of being
    overdue of each lifecycle, whatever the number of cases (``dashboard_cases`` lists them).

    The organisation expected to act is the party the case's state waits on
    (``Lifecycle.waiting_on``), as ``services.case_context`` names it.
    """
    watcher = _check(actor)
    by_lifecycle = dict.fromkeys(LIFECYCLES, 0)
    waiting: dict[tuple[str, str, int | None], int] = {}
    for lifecycle in filters.lifecycles():
        model = lifecycle.model
        party = {
            state: lifecycle.parties[wait.side]
            for state, wait in lifecycle.waiting_on.items()
            if wait.side in lifecycle.parties
        }
        organisation = case(party, value=model.state) if party else null()
        for statement, _ in overdue_selects(
            lifecycle,
            watcher,
            now,
            model.state.label("state"),
            organisation.label("organisation_id"),
            where=filters.territory_clause,
        ):
            found = statement.subquery()
            rows = await session.execute(
                select(found.c.state, found.c.organisation_id, func.count()).group_by(
                    found.c.state, found.c.organisation_id
                )
            )
            for state, organisation_id, count in rows.tuples():
                by_lifecycle[lifecycle.name] += count
                key = (lifecycle.name, state, organisation_id)
                waiting[key] = waiting.get(key, 0) + count
    names = await _organisation_names(session, {key[2] for key in waiting if key[2]})
    by_organisation: dict[str, int] = {}
    for (name, state, organisation_id), count in waiting.items():
        label = _waiting_label(LIFECYCLES[name], state, organisation_id, names)
        by_organisation[label] = by_organisation.get(label, 0) + count
    ranked = sorted(by_organisation.items(), key=lambda item: (-item[1], item[0]))
    return OverdueCounts(sum(by_lifecycle.values()), by_lifecycle, ranked)


async def _organisation_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(rows.tuples().all())


def _waiting_label(
    lifecycle: Lifecycle, state: str, organisation_id: int | None, names: dict[int, str]
) -> str:
    """Who a case in ``state`` waits on, as ``services.case_context`` says it."""
    wait = lifecycle.waiting_on.get(state)
    if wait is None:
        return ""
    if wait.side in lifecycle.parties:
        return names[organisation_id] if organisation_id is not None else ""
    return lifecycle.side_labels.get(wait.side, wait.side)


async def dashboard_unreachable_offers(
    session: AsyncSession, actor: Actor, filters: DashboardFilters
) -> list[UnreachableOffer] | None:
    """The open offers nobody can receive in the scope of a coordinator (their territory, or
    all of Paris), narrowed by the territory filter, by organisation: one query.

    None for an organisation admin: their own organisation's offers always reach them.
    """
    watcher = _check(actor)
    if not follows_territory(watcher):
        return None
    conditions = [
        Offer.territory == territory
        for territory in (watcher.scope_territory, filters.territory)
        if territory is not None
    ]
    return await unreachable_offers(session, conditions)


def week_starts(now: datetime, weeks: int = TREND_WEEKS) -> list[date]:
    """The Mondays (Paris) of the last ``weeks`` weeks, oldest first, this week's last."""
    today = now.astimezone(PARIS).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


async def overdue_trend(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    filters: DashboardFilters,
    weeks: int = TREND_WEEKS,
) -> list[WeekCount]:
    """How many cases became overdue in each of the last ``weeks`` Paris weeks.

    A case becomes overdue when its escalation time passes while it still waits in the
    state that set it: its escalation timer counts in the week of its ``due_at`` if that
    moment is past and the timer was not closed before it (the case had not moved). A case
    that went overdue twice (returned, then late again once resubmitted) counts twice.
    One grouped count per lifecycle, in the database; weeks with none count zero.
    """
    watcher = _check(actor)
    starts = week_starts(now, weeks)
    bounds = [datetime.combine(start, time(), tzinfo=PARIS) for start in starts]
    week = case(
        *((Timer.due_at < bounds[index + 1], index) for index in range(weeks - 1)),
        else_=weeks - 1,
    ).label("week")
    counts = [0] * weeks
    for lifecycle in filters.lifecycles():
        model = lifecycle.model
        became_overdue = (
            select(week)
            .select_from(model)
            .join(Timer, and_(Timer.case_kind == lifecycle.name, Timer.case_id == model.id))
            .where(
                Timer.kind == TimerKind.ESCALATION,
                Timer.message.is_(None),
                Timer.due_at >= bounds[0],
                Timer.due_at <= now,
                or_(Timer.closed_at.is_(None), Timer.closed_at > Timer.due_at),
                responsibility_clause(watcher, lifecycle),
                filters.territory_clause(lifecycle),
            )
            .subquery()
        )
        rows = await session.execute(
            select(became_overdue.c.week, func.count()).group_by(became_overdue.c.week)
        )
        for index, count in rows.tuples():
            counts[index] += count
    return [WeekCount(start, count) for start, count in zip(starts, counts, strict=True)]


def weeks_to_draw(trend: Sequence[WeekCount]) -> list[WeekCount]:
    """The weeks of ``trend`` (oldest first) a chart draws: from the first one in which a
    case became overdue to the latest. The empty weeks before the first case say nothing
    and would push the weeks that matter off a phone's screen; none at all when no case
    became overdue in the whole trend."""
    first = next((index for index, week in enumerate(trend) if week.count), len(trend))
    return list(trend[first:])


def count_by_lifecycle(cases: Sequence[OverdueCase]) -> dict[str, int]:
    """How many overdue cases each lifecycle has, every lifecycle named (zero included)."""
    counts = dict.fromkeys(LIFECYCLES, 0)
    for item in cases:
        counts[item.lifecycle] = counts.get(item.lifecycle, 0) + 1
    return counts


def expected_action(item: OverdueCase) -> str:
    """What the case waits for in its state ("répondre à l'orientation"...), or ""."""
    lifecycle = LIFECYCLES.get(item.lifecycle)
    waiting = lifecycle.waiting_on.get(item.state) if lifecycle else None
    return waiting.action if waiting else ""
