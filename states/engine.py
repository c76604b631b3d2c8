"""The engine: fire a trigger on a case of any lifecycle, all or nothing.

Nothing here knows a particular lifecycle; each one is a ``Lifecycle`` declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from core.business_days import PARIS
from core.db import transaction
from core.errors import (
    ConcurrentChange,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from core.models import Event
from core.prepared import Prepared, adopt, insert_row
from core.references import next_reference
from states.actor import Actor
from states.follow_up import pending_clause, remember_quiet, restart_follow_up
from states.lifecycle import Lifecycle, TransitionSpec, move
from states.milestones import stamp_milestones
from states.notices import notices_to_queue, queue_notices
from states.one_statement import (
    creates_at_once,
    insert_created,
    write_transition,
    writes_at_once,
)
from states.policy import allowed_triggers, case_sides, guard_refusal, may_fire, may_see
from states.recipients import recipients_for, recipients_remembered
from states.texts import stored_payload
from states.timers import first_dues, open_timers, plan_timers, replace_timers

EVENTS = cast(Table, Event.__table__)

# The statements every transition runs, built once: only their parameters change.
APPEND_EVENT = Prepared(
    insert(EVENTS)
    .values(
        {
            column.key: bindparam(column.key, type_=column.type)
            for column in EVENTS.columns
            if column is not EVENTS.c.id
        }
    )
    .returning(EVENTS.c.id)
)


async def load_case(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case_id: int,
    *,
    lock: bool,
    now: datetime | None = None,
) -> Any:
    """The case row, locked ``FOR UPDATE`` on PostgreSQL when ``lock``; NotFound if absent.

    Given ``now`` (a transition about to be applied), the same statement asks whether the
    case's person has a follow-up to restart, so that the transition sends nothing more when
    there is none (``states.follow_up``).
    """
    asks = now is not None and lifecycle.follow_up is not None and lifecycle.person is not None
    statement = _case_query(lifecycle, lock, asks)
    rows = await statement.fetch(session, {"case_id": case_id, "now": now})
    if not rows:
        raise NotFound(f"{lifecycle.case_label.capitalize()} {case_id} introuvable.")
    columns = len(lifecycle.model.__table__.columns)
    case = adopt(session, lifecycle.model, rows[0][:columns])
    if asks and not rows[0][columns]:
        assert lifecycle.follow_up is not None and lifecycle.person is not None and now
        remember_quiet(session, lifecycle.follow_up, getattr(case, lifecycle.person.key), now)
    return case


_CASE_QUERIES: dict[tuple[str, bool, bool], Prepared] = {}


def _case_query(lifecycle: Lifecycle, lock: bool, asks: bool) -> Prepared:
    """The query of one case's columns by id, prepared once per lifecycle, lock and question
    (whether its person has a follow-up to restart: one more column)."""
    key = (lifecycle.name, lock, asks)
    if key not in _CASE_QUERIES:
        table = cast(Table, lifecycle.model.__table__)
        statement = select(*table.columns)
        if asks:
            assert lifecycle.follow_up is not None and lifecycle.person is not None
            pending = pending_clause(lifecycle.follow_up, lifecycle.person, bindparam("now"))
            statement = statement.add_columns(pending.label("follow_up_pending"))
        statement = statement.where(table.c.id == bindparam("case_id"))
        _CASE_QUERIES[key] = Prepared(statement.with_for_update(of=table) if lock else statement)
    return _CASE_QUERIES[key]


async def fire(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case_id: int,
    trigger: str,
    actor: Actor,
    payload: BaseModel | Mapping[str, Any] | None,
    now: datetime,
) -> Any:
    """Fire ``trigger`` on a case in one transaction and return the updated case.

    Takes the lifecycle's ``lock_first`` locks, loads and locks the row, checks visibility
    (NotFound), the actor's side (Forbidden),
    the machine (TransitionNotAllowed) and the payload (InvalidInput); applies the
    transition, appends its event, replaces its timers and writes its outbox rows; commits.
    On any error the transaction is rolled back and nothing has changed; a concurrent write
    that got in the way is a ConcurrentChange.
    """
    async with transaction(session):
        if lifecycle.lock_first is not None:
            await lifecycle.lock_first(session, case_id)
        case = await load_case(session, lifecycle, case_id, lock=True, now=now)
        await apply_transition(session, lifecycle, case, trigger, actor, payload, now)
    return case


def check_may_fire(
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    now: datetime,
    *,
    visible: bool,
    sides: frozenset[str],
) -> TransitionSpec:
    """The declaration of ``trigger`` once an actor standing on ``sides`` is known to may
    fire it on ``case`` now.

    Checks, in this order: visibility (``visible``, from ``policy.may_see``: NotFound), the
    actor's side (Forbidden), the state machine, then the transition's guard
    (TransitionNotAllowed). ``sides``: the actor's sides (``policy.case_sides``).
    """
    if not visible:
        raise NotFound(f"{lifecycle.case_label.capitalize()} {case.id} introuvable.")
    try:
        spec = lifecycle.transition(trigger)
    except KeyError:
        raise NotFound(f"Action « {trigger} » inconnue.") from None
    allowed = allowed_triggers(lifecycle, sides, case.state)
    if not may_fire(lifecycle, sides, spec):
        raise Forbidden(
            f"Vous ne pouvez pas effectuer l'action « {trigger} » sur ce dossier.",
            allowed_actions=allowed,
        )
    if trigger not in lifecycle.triggers_from(case.state):
        raise TransitionNotAllowed(
            f"L'action « {trigger} » n'est pas possible quand le dossier est "
            f"« {lifecycle.state_labels.get(case.state, case.state)} ».",
            allowed_actions=allowed,
            state=case.state,
        )
    refusal = guard_refusal(spec, case, now)
    if refusal is not None:
        raise TransitionNotAllowed(refusal, allowed_actions=allowed, state=case.state)
    return spec


async def apply_transition(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    actor: Actor,
    payload: BaseModel | Mapping[str, Any] | None,
    now: datetime,
) -> int:
    """Everything a transition writes, in the caller's transaction (no commit); the event's id.

    On PostgreSQL the case's row, its event, timers and emails are one statement
    (``states.one_statement``) when nothing else is pending. Otherwise the event, the timers
    and the outbox rows are plain inserts, one statement each, and the case row is flushed
    with the transaction; its version column guards it either way.
    """
    sides = await case_sides(session, actor, lifecycle, case)
    visible = bool(sides) or await may_see(session, actor, lifecycle, case)
    spec = check_may_fire(lifecycle, case, trigger, now, visible=visible, sides=sides)
    fields = _validated(spec, payload)
    from_state = case.state
    for name, attribute in spec.copies.items():
        setattr(case, attribute, getattr(fields, name))
    if spec.effect is not None or spec.actor_effect is not None:
        await _run_effect(spec, session, lifecycle, case, actor, sides, fields, now)
    move(lifecycle, case, trigger)
    if not spec.keeps_timers:
        case.state_entered_at = now
    # A transition that stays in its state (a progress note) still writes the row, so that
    # its version moves on and a concurrent transition on the old version is refused.
    flag_modified(case, "state")
    planned: list[dict[str, Any]] = []
    if not spec.keeps_timers:
        # Planned before the case's row is flushed (the event's insert flushes it), so that
        # the milestones stamped from their dues go in the same, single, versioned UPDATE.
        with session.no_autoflush:
            planned = await plan_timers(session, lifecycle, case, now, now)
    stamp_milestones(lifecycle.milestones, case, trigger, now, first_dues(planned))
    timers = None if spec.keeps_timers else planned
    written = await _write_at_once(
        session, lifecycle, case, trigger, from_state, actor, fields, timers, now
    )
    if written is not None:
        return written
    event_id = await _record(session, lifecycle, case, trigger, from_state, actor, fields, now)
    if not spec.keeps_timers:
        await replace_timers(session, lifecycle, case, from_state, planned, now)
    await queue_notices(session, lifecycle, case, trigger, event_id, now)
    return event_id


async def _write_at_once(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    from_state: str,
    actor: Actor,
    fields: BaseModel,
    timers: list[dict[str, Any]] | None,
    now: datetime,
) -> int | None:
    """The transition's writes in one statement, when they can be (``writes_at_once``, and
    no email carries an invitation); the event's id, or None when nothing was written."""
    if not writes_at_once(session, case):
        return None
    # Read with the case's row not flushed: the one statement writes it.
    with session.no_autoflush:
        context, queued = await notices_to_queue(session, lifecycle, case, trigger)
        if queued is None:
            return None
        event = await _event_values(
            session, lifecycle, case, trigger, from_state, actor, fields, now
        )
    event_id = await write_transition(
        session, lifecycle.name, case, event, timers, queued, context, now
    )
    await restart_follow_up(session, lifecycle, case, actor, now)
    return event_id


async def _run_effect(
    spec: TransitionSpec,
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    actor: Actor,
    sides: frozenset[str],
    fields: BaseModel,
    now: datetime,
) -> None:
    """The transition's effect (and its actor's: ``actor_effect``); a conflict it raises on
    the data (an offer nobody can receive) says what the actor may do in the case's state,
    as the machine's refusals do (a concurrent change says nothing: the state it read is
    gone)."""
    state = case.state
    try:
        if spec.effect is not None:
            await spec.effect(session, case, fields, now)
        if spec.actor_effect is not None:
            await spec.actor_effect(session, case, fields, actor, now)
    except Conflict as refused:
        if not refused.allowed_actions and not isinstance(refused, ConcurrentChange):
            refused.allowed_actions = sorted(allowed_triggers(lifecycle, sides, state))
        raise


async def create_case(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, actor: Actor, now: datetime
) -> int:
    """Insert ``case``, new, in its lifecycle's initial state with its reference, and record
    its creation (its event, the initial state's timers and emails); the event's id.

    On PostgreSQL the reference's number, the row and the event are one statement when the
    creation opens no timer and sends no email (``states.one_statement``).
    """
    case.state = lifecycle.initial
    case.created_at = now
    case.state_entered_at = now
    year = now.astimezone(PARIS).year
    if not creates_at_once(session, lifecycle, case):
        case.reference = await next_reference(session, lifecycle.reference_prefix, year)
        await insert_row(session, case)
        return await record_creation(session, lifecycle, case, actor, now)
    trigger = lifecycle.creation.trigger
    stamp_milestones(lifecycle.milestones, case, trigger, now, {})
    event = await _event_values(session, lifecycle, case, trigger, None, actor, None, now)
    event_id = await insert_created(
        session, lifecycle.name, case, lifecycle.reference_prefix, year, event, now
    )
    await restart_follow_up(session, lifecycle, case, actor, now)
    return event_id


async def create_and_fire(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    actor: Actor,
    payload: BaseModel | Mapping[str, Any] | None,
    now: datetime,
) -> int:
    """Insert the new ``case`` (``create_case``) and fire ``trigger`` on it at once (a
    referral created and sent), in the caller's transaction; the transition's event id.

    The reference's number comes from the year's counter row, locked from then to the commit:
    every creation of that kind in Paris waits on it meanwhile. So what the transition reads
    about the case's parties (its ``reads_ahead``, whom its emails go to) is read before the
    number is taken and remembered for the transaction; only the case's own writes stand
    between the number and the commit.
    """
    spec = lifecycle.transition(trigger)
    with recipients_remembered(session):
        with session.no_autoflush:
            if spec.reads_ahead is not None:
                await spec.reads_ahead(session, case)
            for notice in spec.notices:
                await recipients_for(session, lifecycle, case, notice.to)
        await create_case(session, lifecycle, case, actor, now)
        return await apply_transition(session, lifecycle, case, trigger, actor, payload, now)


async def record_creation(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, actor: Actor, now: datetime
) -> int:
    """Append the event of a new case entering its initial state and open that state's timers.

    Returns the event's id.
    """
    case.state_entered_at = now
    trigger = lifecycle.creation.trigger
    # The creation's timers need the case's id, which its first flush gives: its milestones
    # take no dues (Lifecycle refuses them).
    stamp_milestones(lifecycle.milestones, case, trigger, now, {})
    event_id = await _record(session, lifecycle, case, trigger, None, actor, None, now)
    await _open_timers(session, lifecycle, case, now)
    await queue_notices(session, lifecycle, case, trigger, event_id, now)
    return event_id


def _validated(spec: TransitionSpec, payload: BaseModel | Mapping[str, Any] | None) -> BaseModel:
    if isinstance(payload, spec.payload):
        return payload
    raw = payload.model_dump() if isinstance(payload, BaseModel) else dict(payload or {})
    try:
        return spec.payload.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            f"Champ « {field} » invalide pour l'action « {spec.trigger} ».", field=field
        ) from error


async def _event_values(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    from_state: str | None,
    actor: Actor,
    fields: BaseModel | None,
    now: datetime,
) -> dict[str, Any]:
    """The event's values but its case and instant; its personal texts stored apart."""
    return {
        "trigger": trigger,
        "from_state": from_state,
        "to_state": case.state,
        "actor_id": actor.user_id,
        "organisation_id": actor.organisation_id,
        "payload": await stored_payload(session, lifecycle.name, case.id, fields, now),
    }


async def _record(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    from_state: str | None,
    actor: Actor,
    fields: BaseModel | None,
    now: datetime,
) -> int:
    event = await _event_values(session, lifecycle, case, trigger, from_state, actor, fields, now)
    ((event_id,),) = await APPEND_EVENT.fetch(
        session, {"case_kind": lifecycle.name, "case_id": case.id, "occurred_at": now, **event}
    )
    await restart_follow_up(session, lifecycle, case, actor, now)
    return int(event_id)


async def _open_timers(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, now: datetime
) -> None:
    await open_timers(session, lifecycle, case, case.state_entered_at, now)
