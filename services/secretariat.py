"""The secretariat's to-do (« À faire »): what the committees' secretariat has to do now.

Three lists, each one query: the committees with no meeting to come (meetings to plan), the
meetings held whose minutes are not written yet, and the items scheduled on a meeting that
has been held, whose decision is still to record. A meeting counts as held from its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from core.business_days import PARIS
from core.enums import CommitteeKind
from core.errors import Forbidden
from core.models import Committee, Decision, Meeting
from states.actor import Actor
from states.decision import DecisionState
from states.policy import may_manage_meetings

WAITING_STATES = (DecisionState.PROPOSED.value, DecisionState.ADJOURNED.value)
"""An item in these states waits for a meeting to be put on."""

NOT_SECRETARIAT = "Seul le secrétariat des comités a cette liste."


@dataclass(frozen=True)
class CommitteeToPlan:
    """A committee with no meeting to come: its last meeting, and the items waiting for one."""

    committee: Committee
    last_meeting_at: datetime | None
    waiting_items: int


@dataclass(frozen=True)
class SecretariatTodo:
    """The secretariat's three lists, each in the order to deal with them."""

    meetings_to_plan: list[CommitteeToPlan]
    minutes_to_write: list[Meeting]
    decisions_to_record: list[Decision]

    @property
    def count(self) -> int:
        """How many things there are to do, all lists together (the menu shows it)."""
        return (
            len(self.meetings_to_plan) + len(self.minutes_to_write) + len(self.decisions_to_record)
        )


def _check(actor: Actor) -> None:
    if not may_manage_meetings(actor):
        raise Forbidden(NOT_SECRETARIAT)


def _needs_a_meeting(now: datetime) -> ColumnElement[bool]:
    """A committee with no meeting starting after ``now``, unless a project group whose
    mandate has ended (its closure is chased elsewhere: ``workflows.project_groups``)."""
    coming = exists().where(Meeting.committee_id == Committee.id, Meeting.starts_at > now)
    ended = and_(
        Committee.kind == CommitteeKind.PROJET,
        Committee.ends_on.is_not(None),
        Committee.ends_on < now.astimezone(PARIS).date(),
    )
    return and_(~coming, ~ended)


def _minutes_missing(now: datetime) -> ColumnElement[bool]:
    """A meeting held (started at or before ``now``) with no minutes written (minutes are
    stored stripped: blank ones are empty)."""
    return and_(Meeting.starts_at <= now, or_(Meeting.minutes.is_(None), Meeting.minutes == ""))


def _decision_due(now: datetime) -> ColumnElement[bool]:
    """An item scheduled on a meeting that has started: the engine lets it be decided."""
    return and_(
        Decision.state == DecisionState.SCHEDULED.value,
        Decision.meeting_at.is_not(None),
        Decision.meeting_at <= now,
    )


async def secretariat_todo(session: AsyncSession, actor: Actor, now: datetime) -> SecretariatTodo:
    """What the secretariat has to do at ``now``: meetings to plan, minutes to write,
    decisions to record."""
    _check(actor)
    past = aliased(Meeting)
    last_meeting = (
        select(func.max(past.starts_at)).where(past.committee_id == Committee.id)
    ).scalar_subquery()
    waiting = (
        select(func.count(Decision.id))
        .where(Decision.committee_id == Committee.id, Decision.state.in_(WAITING_STATES))
        .scalar_subquery()
    )
    committees = (
        await session.execute(
            select(Committee, last_meeting, waiting)
            .where(_needs_a_meeting(now))
            .order_by(waiting.desc(), Committee.name)
        )
    ).all()
    minutes = (
        await session.execute(
            select(Meeting)
            .where(_minutes_missing(now))
            .options(selectinload(Meeting.committee))
            .order_by(Meeting.starts_at, Meeting.id)
        )
    ).scalars()
    decisions = (
        await session.execute(
            select(Decision)
            .where(_decision_due(now))
            .options(selectinload(Decision.committee))
            .order_by(Decision.meeting_at, Decision.id)
        )
    ).scalars()
    return SecretariatTodo(
        [CommitteeToPlan(row[0], row[1], row[2]) for row in committees],
        list(minutes),
        list(decisions),
    )


async def secretariat_count(session: AsyncSession, actor: Actor, now: datetime) -> int:
    """How many things ``secretariat_todo`` lists, in one query (the menu's count)."""
    _check(actor)
    counts = select(
        select(func.count(Committee.id)).where(_needs_a_meeting(now)).scalar_subquery(),
        select(func.count(Meeting.id)).where(_minutes_missing(now)).scalar_subquery(),
        select(func.count(Decision.id)).where(_decision_due(now)).scalar_subquery(),
    )
    row = (await session.execute(counts)).one()
    return int(sum(row))
