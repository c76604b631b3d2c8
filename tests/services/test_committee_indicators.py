"""The committees' indicators over a known year built through the engine, exactly, with
their boundaries: the first and last instants of the year, the due date, the escalation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.enums import DecisionKind, PlanAxis, Role
from core.models import User
from services import decision_service
from services.indicators import committees
from services.indicators.model import Dimension, IndicatorQuery, IndicatorResult, Period
from states import engine
from states.action import ACTION
from states.decision import DECISION
from tests.factories import World, actor_of, make_committee, make_meeting, make_user

Sessions = async_sessionmaker[AsyncSession]


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Paris wall-clock instant: ``paris(2026, 3, 31, 23, 30)``."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


class Year:
    """The known year 2026 (and a little of 2025 and 2027) of the committees."""

    def __init__(self, world: World, secretary: User) -> None:
        self.world = world
        self.secretary = secretary
        self.meetings: dict[str, Any] = {}


async def _decide(
    sessionmaker: Sessions,
    year: Year,
    committee_id: int,
    axis: PlanAxis,
    proposed: datetime,
    path: tuple[tuple[str, datetime, dict[str, Any]], ...],
) -> int:
    async with sessionmaker() as session:
        view = await decision_service.propose_decision(
            session,
            actor_of(year.world.referrer),
            committee_id=committee_id,
            title="Forum de l'emploi",
            description="Organiser un forum commun.",
            kind=DecisionKind.ACTION_PLAN,
            axis=axis,
            now=proposed,
        )
    decision_id = int(view.case.id)
    for trigger, at, payload in path:
        async with sessionmaker() as session:
            await engine.fire(
                session, DECISION, decision_id, trigger, actor_of(year.secretary), payload, at
            )
    return decision_id


async def _action(
    sessionmaker: Sessions,
    year: Year,
    decision_id: int,
    assigned: datetime,
    due_on: date,
    done: datetime | None,
) -> None:
    async with sessionmaker() as session:
        view = await decision_service.assign_action(
            session,
            actor_of(year.secretary),
            decision_id,
            owner_organisation_id=year.world.receiver.id,
            title="Réserver la salle",
            due_on=due_on,
            now=assigned,
        )
    if done is not None:
        async with sessionmaker() as session:
            await engine.fire(
                session,
                ACTION,
                view.case.id,
                "done",
                actor_of(year.world.receiver_member),
                {},
                done,
            )


@pytest.fixture
async def year(world: World, session: AsyncSession, sessionmaker: Sessions) -> Year:
    t0 = paris(2025, 10, 1, 9)
    known = Year(world, await make_user(session, world.coordination, t0, role=Role.SECRETARY))
    technique = await make_committee(session, t0, name="Comité technique")
    pilotage = await make_committee(session, t0, name="Comité de pilotage", kind="pilotage")
    projet = await make_committee(session, t0, name="Groupe emploi des jeunes", kind="projet")
    for name, committee, starts_at in (
        ("ct_2025", technique, paris(2025, 12, 15, 14)),
        ("ct_feb", technique, paris(2026, 2, 10, 14)),
        ("ct_may", technique, paris(2026, 5, 12, 14)),
        ("ct_sep", technique, paris(2026, 9, 15, 14)),
        ("cp_jun", pilotage, paris(2026, 6, 20, 10)),
        # The boundaries of the year: its first and last minutes are in, the next one out.
        ("pj_first", projet, paris(2026, 1, 1, 0, 0)),
        ("pj_last", projet, paris(2026, 12, 31, 23, 59)),
        ("pj_next", projet, paris(2027, 1, 1, 0, 0)),
    ):
        known.meetings[name] = await make_meeting(session, committee, starts_at, minutes="CR")
    meeting = {name: {"meeting_id": row.id} for name, row in known.meetings.items()}
    # Proposed in 2025 (not counted), approved in 2025: its actions run through 2026.
    d2025 = await _decide(
        sessionmaker,
        known,
        technique.id,
        PlanAxis.A2_1,
        paris(2025, 11, 20, 9),
        (
            ("schedule", paris(2025, 11, 21, 9), meeting["ct_2025"]),
            ("approve", paris(2025, 12, 16, 9), {}),
        ),
    )
    approved = await _decide(
        sessionmaker,
        known,
        technique.id,
        PlanAxis.A3_1,
        paris(2026, 1, 5, 9),
        (
            ("schedule", paris(2026, 1, 6, 9), meeting["ct_feb"]),
            ("approve", paris(2026, 2, 11, 9), {}),
        ),
    )
    await _decide(sessionmaker, known, technique.id, PlanAxis.A1_1, paris(2026, 1, 20, 9), ())
    await _decide(
        sessionmaker,
        known,
        technique.id,
        PlanAxis.A2_1,
        paris(2026, 4, 1, 9),
        (
            ("schedule", paris(2026, 4, 2, 9), meeting["ct_may"]),
            ("reject", paris(2026, 5, 13, 9), {}),
        ),
    )
    # Done in 2025: nowhere in 2026.
    await _action(
        sessionmaker, known, d2025, paris(2025, 12, 22, 9), date(2026, 1, 9), paris(2025, 12, 30, 9)
    )
    # Done on its due day, just before midnight: on time; just after midnight: late.
    await _action(
        sessionmaker,
        known,
        d2025,
        paris(2026, 1, 15, 9),
        date(2026, 3, 31),
        paris(2026, 3, 31, 23, 30),
    )
    await _action(
        sessionmaker,
        known,
        d2025,
        paris(2026, 1, 15, 9),
        date(2026, 3, 31),
        paris(2026, 4, 1, 0, 30),
    )
    # Due Tuesday 30 June, never done: its escalation falls on Tuesday 7 July at 00:00.
    await _action(sessionmaker, known, d2025, paris(2026, 1, 15, 9), date(2026, 6, 30), None)
    # Due the last day of the year, done in 2027: open at the end of 2026, not overdue.
    await _action(
        sessionmaker,
        known,
        approved,
        paris(2026, 3, 1, 9),
        date(2026, 12, 31),
        paris(2027, 1, 5, 9),
    )
    return known


async def _ask(session: AsyncSession, period: Period, **query: Any) -> IndicatorResult:
    asked = IndicatorQuery(period=period, **query)
    return IndicatorResult(asked, await committees.compute(session, asked))


def _value(
    result: IndicatorResult, key: str, group: str | None = None, detail: str | None = None
) -> float | None:
    figure = result.find(key, group=group, detail=detail)
    assert figure is not None, (key, group, detail)
    return figure.value


async def test_the_year_s_committee_figures_exactly(year: Year, session: AsyncSession) -> None:
    result = await _ask(session, Period.year(2026))
    assert _value(result, "meetings_held") == 6
    assert {
        kind: _value(result, "meetings_held", detail=kind)
        for kind in ("pilotage", "technique", "projet", "territorial")
    } == {"pilotage": 1, "technique": 3, "projet": 2, "territorial": 0}
    assert _value(result, "decisions_by_state") == 3
    assert {
        state: _value(result, "decisions_by_state", detail=state)
        for state in ("proposed", "approved", "rejected", "published")
    } == {"proposed": 1, "approved": 1, "rejected": 1, "published": 0}
    assert _value(result, "action_items_done_on_time") == 1
    assert _value(result, "action_items_done_late") == 1
    assert _value(result, "action_items_open") == 2
    assert _value(result, "action_items_open", detail="overdue") == 1
    assert {figure.basis == figure.value for figure in result.figures} == {True}


async def test_a_sub_axis_filters_decisions_and_actions_not_meetings(
    year: Year, session: AsyncSession
) -> None:
    result = await _ask(session, Period.year(2026), sub_axis=PlanAxis.A2_1)
    assert result.find("meetings_held") is None
    assert _value(result, "decisions_by_state") == 1
    assert _value(result, "decisions_by_state", detail="rejected") == 1
    assert (
        _value(result, "action_items_done_on_time"),
        _value(result, "action_items_done_late"),
        _value(result, "action_items_open"),
        _value(result, "action_items_open", detail="overdue"),
    ) == (1, 1, 1, 1)
    grouped = await _ask(session, Period.year(2026), group_by=Dimension.SUB_AXIS)
    assert _value(grouped, "action_items_open", group="3.1") == 1
    assert _value(grouped, "action_items_open", group="2.1") == 1
    assert _value(grouped, "decisions_by_state", group="1.1", detail="proposed") == 1


async def test_by_month(year: Year, session: AsyncSession) -> None:
    result = await _ask(session, Period.year(2026), group_by=Dimension.MONTH)
    months = [
        figure.group
        for figure in result.figures
        if figure.indicator == "meetings_held" and figure.detail is None
    ]
    assert months == [f"2026-{month:02d}" for month in range(1, 13)]
    assert _value(result, "meetings_held", "2026-01") == 1
    assert _value(result, "meetings_held", "2026-12", "projet") == 1
    assert _value(result, "decisions_by_state", "2026-01") == 2
    assert _value(result, "action_items_done_on_time", "2026-03") == 1
    assert _value(result, "action_items_done_late", "2026-04") == 1
    # Open at the end of each month: three in March (one done on time), one overdue in July.
    assert _value(result, "action_items_open", "2026-03") == 3
    assert _value(result, "action_items_open", "2026-06", "overdue") == 0
    assert _value(result, "action_items_open", "2026-07", "overdue") == 1
    assert _value(result, "action_items_open", "2026-12") == 2


@pytest.mark.parametrize(("last_day", "overdue"), [(5, 0), (6, 1), (7, 1)])
async def test_overdue_at_the_escalation_boundary(
    last_day: int, overdue: int, year: Year, session: AsyncSession
) -> None:
    result = await _ask(session, Period(date(2026, 1, 1), date(2026, 7, last_day)))
    assert _value(result, "action_items_open", detail="overdue") == overdue


@pytest.mark.parametrize(
    "query",
    [{"offer_id": 1}, {"public": "jeunes"}, {"group_by": Dimension.RECEIVING_ORGANISATION}],
)
async def test_what_committees_do_not_have_leaves_them_out(
    query: dict[str, Any], year: Year, session: AsyncSession
) -> None:
    assert (await _ask(session, Period.year(2026), **query)).figures == []


def test_every_figure_is_declared_once() -> None:
    assert [indicator.key for indicator in committees.DEFINITIONS] == [
        "meetings_held",
        "decisions_by_state",
        "action_items_done_on_time",
        "action_items_done_late",
        "action_items_open",
    ]
    assert {indicator.unit.value for indicator in committees.DEFINITIONS} == {"count"}
