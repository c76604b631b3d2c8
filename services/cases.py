"""Use cases common to every lifecycle: open, read, list and act on a case.

Each lifecycle's service adds only what is its own (the fields of a new case, its checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from core.db import transaction
from core.errors import ConcurrentChange, InvalidInput, NotFound
from core.models import Event
from core.pagination import Page, keyset_page
from services.access_log import Reading, record_access, record_case_reads
from services.persons import current_referent
from services.redaction import (
    events_without_health_data,
    holds_health_data,
    listed,
    names_person,
    without_health_data,
)
from states import engine, timers
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import (
    allowed_triggers,
    case_sides,
    may_see_health_data,
    offered_triggers,
    visible_clause,
)
from states.texts import resolve_payloads

Box = Literal["sent", "received"]
"""A party's list: the cases its organisation sent, or received."""


@dataclass(frozen=True)
class CaseView:
    """A case as one caller may see it: the row, its timeline and what they may do next."""

    case: Any
    events: list[Event]
    allowed_actions: list[str]
    # Read beside the case: ``person_referent``, the organisation that is the person's
    # current référent (``{"organisation": name}``), or None; ``health_data``, whether this
    # read shows the person's health data (else ``case`` and ``events`` come without it).
    extras: Mapping[str, Any] = field(default_factory=dict)
    # The allowed actions that may not fire yet at the read's time (a decision before its
    # meeting), each with why, in French (``policy.offered_triggers``); empty without a read.
    refusals: Mapping[str, str] = field(default_factory=dict)


CasePage = Page[Any]
"""One page of a listing of cases, newest first."""


RECORDED_CONCURRENTLY = "Enregistrement concurrent ; réessayez."
"""A new case clashing with a concurrent write (its reference, a unique row)."""


async def open_case(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    actor: Actor,
    now: datetime,
    *,
    then: str | None = None,
) -> int:
    """Insert ``case`` with its reference, record its creation, optionally fire ``then``.

    All in one transaction, committed here; returns the new case's id.
    """
    async with transaction(session, conflict=ConcurrentChange(RECORDED_CONCURRENTLY)):
        case_id = await insert_case(session, lifecycle, case, actor, now, then=then)
    return case_id


async def insert_case(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    actor: Actor,
    now: datetime,
    *,
    then: str | None = None,
    payload: BaseModel | None = None,
) -> int:
    """``open_case``'s writes, in the caller's unit of work (no commit); the new case's id.

    ``then`` is a trigger fired at once, with ``payload`` (``engine.create_and_fire``)."""
    if then is None:
        await engine.create_case(session, lifecycle, case, actor, now)
    else:
        await engine.create_and_fire(session, lifecycle, case, then, actor, payload, now)
    case_id: int = case.id
    return case_id


async def get_case(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    case_id: int,
    options: Sequence[ORMOption] = (),
    *,
    read: Reading | None = None,
) -> CaseView:
    """The case with its events and the actor's allowed actions; NotFound if not theirs.

    ``read`` says the case is read to be shown (a page, the API): the read of its person's
    data is then logged (``services.access_log``), and committed with the reads made here.
    """
    model = lifecycle.model
    case = (
        await session.execute(
            select(model)
            .where(model.id == case_id, visible_clause(actor, lifecycle))
            .options(*options)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"{lifecycle.case_label.capitalize()} {case_id} introuvable.")
    events = (await events_of(session, lifecycle, [case.id])).get(case.id, [])
    sides = await case_sides(session, actor, lifecycle, case)
    extras: dict[str, Any] = {}
    may_see_health = False
    if lifecycle.person is not None:
        referent = await current_referent(session, getattr(case, lifecycle.person.key))
        extras["person_referent"] = None if referent is None else {"organisation": referent.name}
        may_see_health = may_see_health_data(
            actor, sides, None if referent is None else referent.organisation_id
        )
    # Whether this read shows health data (the access log marks it): allowed, and present.
    health_data = may_see_health and holds_health_data(case, events)
    extras["health_data"] = health_data
    allowed = allowed_triggers(lifecycle, sides, case.state)
    refusals = {} if read is None else _refusals(lifecycle, sides, case, read.now)
    if read is not None and lifecycle.person is not None:
        await record_access(
            session,
            actor,
            person_id=getattr(case, lifecycle.person.key),
            case_kind=lifecycle.name,
            case_id=case.id,
            channel=read.channel,
            health_data=health_data,
            now=read.now,
        )
    if may_see_health or lifecycle.person is None:
        return CaseView(case, events, allowed, extras, refusals)
    return CaseView(
        without_health_data(case), events_without_health_data(events), allowed, extras, refusals
    )


def _refusals(
    lifecycle: Lifecycle, sides: frozenset[str], case: Any, now: datetime
) -> dict[str, str]:
    """The actions ``sides`` are offered on ``case`` that may not fire at ``now``, with why."""
    return {
        offered.trigger: offered.refusal
        for offered in offered_triggers(lifecycle, sides, case, now)
        if offered.refusal is not None
    }


async def events_of(
    session: AsyncSession, lifecycle: Lifecycle, case_ids: Sequence[int]
) -> dict[int, list[Event]]:
    """The history of each case of ``case_ids`` (oldest event first), their text references
    resolved (``states.texts``), as a case's page and the person's export read it; a case
    with no event is absent.

    The events returned are copies outside the session: what a reader sees of an erased
    text is never written back to the append-only rows.
    """
    history: dict[int, list[Event]] = {}
    if not case_ids:
        return history
    rows = list(
        (
            await session.execute(
                select(Event)
                .where(Event.case_kind == lifecycle.name, Event.case_id.in_(case_ids))
                .order_by(Event.id)
            )
        ).scalars()
    )
    payloads = await resolve_payloads(session, [row.payload for row in rows])
    for row, payload in zip(rows, payloads, strict=True):
        history.setdefault(row.case_id, []).append(
            Event(
                id=row.id,
                case_kind=row.case_kind,
                case_id=row.case_id,
                trigger=row.trigger,
                from_state=row.from_state,
                to_state=row.to_state,
                actor_id=row.actor_id,
                organisation_id=row.organisation_id,
                payload=payload,
                occurred_at=row.occurred_at,
            )
        )
    return history


async def list_cases(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    now: datetime,
    *,
    box: Box | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
    filters: Sequence[ColumnElement[bool]] = (),
    options: Sequence[ORMOption] = (),
    read: Reading | None = None,
) -> CasePage:
    """Cases the actor may see, newest first, filtered and paginated by id cursor.

    ``box`` keeps the cases the actor's organisation ``sent`` or ``received`` (the sides
    the lifecycle declares as its ``boxes``). ``read``: the listing shows each case's person
    data (the API's), so one access is logged per case of the page.
    """
    if state is not None and state not in lifecycle.states:
        raise InvalidInput(
            f"État « {state} » inconnu ; états possibles : {', '.join(lifecycle.states)}.",
            field="state",
        )
    model = lifecycle.model
    statement = select(model).where(visible_clause(actor, lifecycle), *filters)
    if box is not None:
        side = lifecycle.boxes[box]
        statement = statement.where(lifecycle.parties[side] == actor.organisation_id)
    if state is not None:
        statement = statement.where(model.state == state)
    if overdue is not None:
        clause = timers.overdue_clause(lifecycle, now)
        statement = statement.where(clause if overdue else ~clause)
    statement = statement.options(*options)
    page = await keyset_page(session, statement, model.id, cursor, limit, descending=True)
    items = listed(actor, lifecycle, page.items)
    if read is not None:
        # A line that names nobody (a supervisor's) shows no one's data: not a read.
        named = [item for item in items if names_person(item)]
        await record_case_reads(
            session, actor, lifecycle, named, channel=read.channel, now=read.now
        )
    return page._replace(items=items)


async def fire_only(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    case_id: int,
    trigger: str,
    fields: BaseModel | None,
    now: datetime,
) -> None:
    """Fire a human trigger, without reading the case back: after it the actor may no longer
    see the case (a co-accompanying organisation that withdrew itself)."""
    await engine.fire(session, lifecycle, case_id, trigger, actor, fields, now)


async def fire_case(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    case_id: int,
    trigger: str,
    fields: BaseModel | None,
    now: datetime,
    options: Sequence[ORMOption] = (),
) -> CaseView:
    """Fire a human trigger and return the case as the actor now sees it."""
    await engine.fire(session, lifecycle, case_id, trigger, actor, fields, now)
    return await get_case(session, lifecycle, actor, case_id, options)
