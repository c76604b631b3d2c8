"""Issue 4, acceptance 2: whatever happens, an accompanied person has exactly one référent.

Hypothesis draws sequences of 20 operations on 3 people and 4 organisations: direct
accompaniment starts (by a coordinator, for an organisation), handover proposals (by the
current référent or by anyone), accept (with a meeting date before or after now), decline,
withdraw and confirm (by the right side or by anyone), and waits that move the clock on.
Each operation runs through the real services on the real database, in its own session, as
the API would run it; each example starts from empty tables.
``--hypothesis-show-statistics`` shows how often each outcome came.

A small model predicts the outcome of every operation (done, or which refusal); after every
step the accompaniments table must show, for each person ever accompanied, exactly one
current référent, the one the model expects, and a history without gap or overlap.

The operations, the model and its predictions: ``referent_model.py``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import create_sessionmaker
from core.enums import Role, Territory
from core.errors import DomainError
from core.models import Accompaniment, User
from services import cases
from services.handover_service import (
    AccompanimentStart,
    HandoverCreate,
    propose_handover,
    start_accompaniment,
)
from states.actor import Actor
from states.handover import HANDOVER
from tests.database import empty_tables
from tests.factories import actor_of, make_organisation, make_user, person_fields
from tests.states.referent_model import (
    OK,
    ORGANISATIONS,
    STEPS,
    T0,
    Act,
    Choice,
    Model,
    ModelHandover,
    Operation,
    Propose,
    Start,
    Wait,
    predict,
)


async def new_model(sessionmaker: async_sessionmaker[AsyncSession]) -> Model:
    """Four organisations with one member each, and nobody accompanied yet."""
    async with sessionmaker() as session:
        users = []
        for number in range(ORGANISATIONS):
            organisation = await make_organisation(session, T0, name=f"Structure {number}")
            users.append(await make_user(session, organisation, T0))
    return Model(users, FixedClock(T0))


def coordination_at(user: User) -> Actor:
    """A coordinator of ``user``'s organisation, who alone starts accompaniments directly.

    Scoped to an arrondissement where no case of the model lies, they know the persons that
    organisation knows, no more: the model's predictions of a start hold unchanged.
    """
    return Actor(
        user_id=user.id,
        organisation_id=user.organisation_id,
        role=Role.COORDINATOR,
        scope_territory=Territory.ARR_20,
    )


async def perform(
    sessionmaker: async_sessionmaker[AsyncSession], model: Model, op: Operation
) -> str:
    """Run ``op`` through the services; on success, bring the model up to date."""
    now = model.clock.now()
    if isinstance(op, Wait):
        model.clock.advance(timedelta(hours=op.hours))
        return OK
    try:
        async with sessionmaker() as session:
            if isinstance(op, Start):
                known = op.slot in model.person_ids
                start = AccompanimentStart(
                    person_id=model.person_ids[op.slot] if known else None,
                    person=None if known else person_fields(last_name=f"Personne {op.slot}"),
                    reason="Prise en charge décidée par la coordination",
                    consent=True,
                )
                started = await start_accompaniment(
                    session, coordination_at(model.users[op.org]), start, now
                )
                if not known:
                    model.person_ids[op.slot] = started.person_id
                    model.referent[op.slot] = op.org
                    model.known[op.slot] = {op.org}
            elif isinstance(op, Propose):
                by = model.referent[op.slot] if op.by is None else op.by
                proposal = HandoverCreate(
                    person_id=model.person_ids[op.slot],
                    to_organisation_id=model.org_id(op.to),
                    reason="Passage de relais",
                    consent=True,
                )
                view = await propose_handover(session, actor_of(model.users[by]), proposal, now)
                model.handovers.append(
                    ModelHandover(view.case.id, op.slot, by, op.to, model.generation[op.slot])
                )
                model.known[op.slot].add(op.to)
            else:
                await fire(session, model, op, now)
    except DomainError as refusal:
        return refusal.code
    return OK


async def fire(session: AsyncSession, model: Model, op: Act, now: datetime) -> None:
    """Fire a handover trigger as the API does, then record its effect in the model."""
    handover = model.handovers[-1 - op.handover]
    side = handover.giver if op.trigger == "withdraw" else handover.taker
    by = side if op.by is None else op.by
    meeting = now + timedelta(hours=op.meeting_in_hours)
    body = {"accept": {"first_meeting_at": meeting}, "decline": {"reason": "Pas de place"}}
    fields = HANDOVER.transition(op.trigger).payload.model_validate(body.get(op.trigger, {}))
    view = await cases.fire_case(
        session, HANDOVER, actor_of(model.users[by]), handover.id, op.trigger, fields, now
    )
    handover.state = view.case.state
    if op.trigger == "accept":
        handover.meeting = meeting
    if op.trigger == "confirm":
        model.referent[handover.slot] = handover.taker
        model.generation[handover.slot] += 1
        for other in model.handovers:  # relais withdraws the person's other open handovers
            if other.slot == handover.slot and other.state in ("proposed", "accepted"):
                other.state = "withdrawn"


async def check_referents(sessionmaker: async_sessionmaker[AsyncSession], model: Model) -> None:
    """One current référent per accompanied person, the expected one, and no gap in between."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    Accompaniment.person_id,
                    Accompaniment.organisation_id,
                    Accompaniment.started_at,
                    Accompaniment.ended_at,
                ).order_by(Accompaniment.person_id, Accompaniment.started_at, Accompaniment.id)
            )
        ).all()
    current = Counter(row.person_id for row in rows if row.ended_at is None)
    assert [count for count in current.values() if count != 1] == [], "two référents"
    assert set(current) == {row.person_id for row in rows}, "someone left without a référent"
    assert set(current) == set(model.person_ids.values())
    assert {row.person_id: row.organisation_id for row in rows if row.ended_at is None} == {
        person_id: model.org_id(model.referent[slot])
        for slot, person_id in model.person_ids.items()
    }
    for person_id in current:
        history = [row for row in rows if row.person_id == person_id]
        assert [row.ended_at for row in history[:-1]] == [row.started_at for row in history[1:]]


async def play(db_engine: AsyncEngine, next_operation: Choice) -> list[str]:
    """Play operations from empty tables until there are none, checking after each one."""
    await empty_tables(db_engine)
    sessionmaker = create_sessionmaker(db_engine)
    model = await new_model(sessionmaker)
    outcomes: list[str] = []
    while (op := next_operation(model)) is not None:
        expected = predict(model, op)
        outcome = await perform(sessionmaker, model, op)
        assert outcome == expected, (op, outcomes)
        outcomes.append(outcome)
        await check_referents(sessionmaker, model)
    return outcomes


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # Function-scoped fixtures (the per-test table reset) run once for all examples: each
    # example empties the tables itself, in ``play``.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_exactly_one_referent_after_every_step(
    db_engine: AsyncEngine, data: st.DataObject
) -> None:
    drawn: list[Operation] = []

    def draw(model: Model) -> Operation | None:
        if len(drawn) == STEPS:
            return None
        drawn.append(model.operation(data, f"step {len(drawn) + 1}"))
        return drawn[-1]

    outcomes = await play(db_engine, draw)
    assert len(outcomes) == STEPS
    for op, outcome in zip(drawn, outcomes, strict=True):  # --hypothesis-show-statistics
        event(f"{type(op).__name__.lower()} {getattr(op, 'trigger', '')}: {outcome}")


async def test_a_written_sequence(db_engine: AsyncEngine) -> None:
    """Every outcome the model knows, in one hand-written sequence (handover 0: the latest)."""
    operations: list[Operation] = [
        Start(0, 0),  # organisation 0 takes person 0 on
        Start(0, 1),  # 1 does not know them
        Propose(0, None, 1),  # h0: 0 -> 1
        Propose(0, None, 2),  # h1: 0 -> 2
        Start(0, 1),  # 1 knows them now, but 0 accompanies them
        Propose(0, 1, 3),  # only the référent proposes
        Propose(0, None, 0),  # not to itself
        Act("accept", 1, None, 48),  # h0 accepted, meeting in two days
        Act("accept", 0, None, 0),  # h1 accepted, meeting now
        Act("confirm", 1, None),  # h0: the meeting has not taken place
        Act("confirm", 0, 1),  # 1 is no party to h1
        Act("confirm", 0, 0),  # the giver does not confirm
        Act("confirm", 0, None),  # h1 done: 2 accompanies person 0
        Wait(72),
        Act("confirm", 1, None),  # h0 came too late: relais withdrew it at h1's confirm
        Act("withdraw", 1, None),  # already withdrawn
        Act("decline", 1, None),  # nothing left to decline
        Propose(0, None, 0),  # h2: 2 -> 0
        Act("decline", 0, None),
        Start(1, 3),
        Start(1, 3),  # already theirs: nothing changes
        Act("confirm", 0, 3),
    ]
    remaining = iter(operations)
    assert await play(db_engine, lambda _model: next(remaining, None)) == [
        "ok",
        "not_found",
        "ok",
        "ok",
        "concurrent_change",
        "forbidden",
        "invalid_input",
        "ok",
        "ok",
        "transition_not_allowed",
        "not_found",
        "forbidden",
        "ok",
        "ok",
        "transition_not_allowed",
        "transition_not_allowed",
        "transition_not_allowed",
        "ok",
        "ok",
        "ok",
        "ok",
        "not_found",
    ]
