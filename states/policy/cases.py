"""Who may see, list and act on the cases of a lifecycle, and who must act next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.enums import Role
from core.models import (
    Accompaniment,
    AccompanimentPartner,
    ActionItem,
    CommitteeMember,
    Decision,
)
from states.accompaniment import REFERENT
from states.accompaniment_partners import PARTNER
from states.action import ACTION
from states.actor import Actor
from states.decision import DECISION
from states.lifecycle import COORDINATORS, SYSTEM, Lifecycle, TransitionSpec
from states.policy.scope import CASE_ROLES, can_see, scope_clause
from states.referral import REFERRER


def _sits_on(organisation_id: int, committee_id: Any) -> ColumnElement[bool]:
    """Whether ``organisation_id`` is a member organisation of the committee ``committee_id``."""
    return exists().where(
        CommitteeMember.committee_id == committee_id,
        CommitteeMember.organisation_id == organisation_id,
    )


def governance_readers(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool] | None:
    """The committee items ``actor`` reads beyond their own sides; None for other lifecycles.

    A decision, and each of its action items, may carry what a partner typed: they are read
    by the secretariat (a side), the coordinators, the committee's member organisations, the
    organisation that proposed the decision and those that own one of its action items; by
    nobody else (404). The one rule of listings (``visible_clause``) and of a case's own
    check (``may_see``).
    """
    if lifecycle.name not in (DECISION.name, ACTION.name) or actor.role not in CASE_ROLES:
        return None
    if actor.role is Role.COORDINATOR:
        return true()
    if actor.organisation_id is None:
        return None
    organisation = actor.organisation_id
    if lifecycle.name == DECISION.name:
        return or_(
            _sits_on(organisation, Decision.committee_id),
            exists().where(
                ActionItem.decision_id == Decision.id,
                ActionItem.owner_organisation_id == organisation,
            ),
        )
    return exists().where(
        Decision.id == ActionItem.decision_id,
        or_(
            Decision.proposer_organisation_id == organisation,
            _sits_on(organisation, Decision.committee_id),
        ),
    )


def partner_readers(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool] | None:
    """The cases about a person that ``actor`` reads as a co-accompanying organisation of
    that person's current accompaniment (accompagnement global): their accompaniments,
    referrals and handovers, read-only. None for a lifecycle about no person.
    """
    if lifecycle.person is None or actor.role not in CASE_ROLES or actor.organisation_id is None:
        return None
    partnered = aliased(Accompaniment)
    return exists().where(
        AccompanimentPartner.organisation_id == actor.organisation_id,
        AccompanimentPartner.removed_at.is_(None),
        partnered.id == AccompanimentPartner.accompaniment_id,
        partnered.person_id == lifecycle.person,
    )


def readers_clause(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool] | None:
    """Who reads a case beyond its sides: a committee's readers (``governance_readers``) and
    the co-accompanying organisations of its person (``partner_readers``)."""
    clauses = [
        clause
        for clause in (governance_readers(actor, lifecycle), partner_readers(actor, lifecycle))
        if clause is not None
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def may_remove_partner(actor: Actor, sides: frozenset[str], organisation_id: int) -> bool:
    """Whether ``actor`` may end the co-accompaniment of ``organisation_id``: the référent
    (and coordinators in scope) any, a co-accompanying organisation only its own."""
    if REFERENT in sides or COORDINATORS in sides:
        return True
    return PARTNER in sides and organisation_id == actor.organisation_id


async def may_see(session: AsyncSession, actor: Actor, lifecycle: Lifecycle, case: Any) -> bool:
    """Whether ``actor`` may know that ``case`` exists (otherwise: 404).

    A side of the case, or else the lifecycle's readers (``readers_clause``), asked of the
    database with the very clause the listings use.
    """
    if await can_see(session, actor, lifecycle, case):
        return True
    readers = readers_clause(actor, lifecycle)
    if readers is None:
        return False
    model = lifecycle.model
    return bool(await session.scalar(select(exists().where(model.id == case.id, readers))))


def may_fire(lifecycle: Lifecycle, sides: frozenset[str], spec: TransitionSpec) -> bool:
    """Whether someone on ``sides`` may fire ``spec``.

    Coordinators may fire every human trigger of a case in their scope, where the lifecycle
    allows it (referrals and handovers do; committee decisions are the secretariat's).
    relais itself fires the timers' triggers and the cascades of another transition (a
    completed handover withdraws the person's other open ones).
    """
    if SYSTEM in sides:
        return True
    if spec.is_system:
        return False
    if lifecycle.coordinator_override and COORDINATORS in sides:
        return True
    return bool(sides & spec.sides)


def allowed_triggers(lifecycle: Lifecycle, sides: frozenset[str], state: str) -> list[str]:
    """Human triggers that a person on ``sides`` may fire in ``state`` (none for relais)."""
    if SYSTEM in sides:
        return []
    return [
        trigger
        for trigger in lifecycle.triggers_from(state)
        if not lifecycle.transition(trigger).is_system
        and may_fire(lifecycle, sides, lifecycle.transition(trigger))
    ]


@dataclass(frozen=True)
class Offered:
    """A human trigger offered to someone on a case: ``refusal`` says, in French, why it may
    not fire yet (its guard's reason, « possible à partir du … »), None when it may now."""

    trigger: str
    refusal: str | None


def guard_refusal(spec: TransitionSpec, case: Any, now: datetime) -> str | None:
    """Why ``spec``'s guard refuses it on ``case`` at ``now``; None when it has none or lets
    it through."""
    return spec.guard(case, now) if spec.guard is not None else None


def offered_triggers(
    lifecycle: Lifecycle, sides: frozenset[str], case: Any, now: datetime
) -> list[Offered]:
    """What someone on ``sides`` may fire on ``case`` and, for each, why not now if so.

    The triggers are ``allowed_triggers`` (the lifecycle's table for the case's state and
    the sides); each carries its guard's refusal at ``now``. The engine refuses a trigger by
    the same ``guard_refusal``; a page shows a refused one disabled, with its reason.
    """
    return [
        Offered(trigger, guard_refusal(lifecycle.transition(trigger), case, now))
        for trigger in allowed_triggers(lifecycle, sides, case.state)
    ]


def may_list_cases(actor: Actor, lifecycle: Lifecycle) -> bool:
    """Whether some case of ``lifecycle`` may ever be visible to ``actor``.

    A case is seen through an organisation that works cases of a lifecycle with
    organisations as parties, a role that has its own side, or a coordinator's scope (and,
    for a committee's items, ``governance_readers``). A listing of ``lifecycle`` for anyone
    else is empty (``visible_clause``), and the menu leaves it out: the year's action plan,
    worked by the coordination and the secretariat only, is read on its own page.
    """
    if actor.is_system or actor.role in lifecycle.role_sides:
        return True
    return actor.role in CASE_ROLES and bool(lifecycle.parties)


def visible_clause(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool]:
    """A SQL condition selecting the cases of ``lifecycle`` that ``actor`` may see."""
    if not may_list_cases(actor, lifecycle):
        return false()
    sides = responsibility_clause(actor, lifecycle)
    readers = readers_clause(actor, lifecycle)
    return sides if readers is None else or_(sides, readers)


def responsibility_clause(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool]:
    """The cases whose delays ``actor`` follows: their organisation's, their role's, or, for
    a coordinator, their territory's (what ``/api/overdue`` and the digest list).

    Unlike visibility, a committee's items its member organisations read are not their
    concern.
    """
    if actor.is_system:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if actor.role in lifecycle.role_sides:
        conditions.append(true())
    if actor.role in CASE_ROLES:
        conditions.extend(column == actor.organisation_id for column in lifecycle.parties.values())
    if actor.role is Role.COORDINATOR:
        conditions.append(scope_clause(actor, lifecycle))
    return or_(*conditions) if conditions else false()


def may_create_case(actor: Actor) -> bool:
    """Whether ``actor`` may open a case on behalf of their organisation."""
    return actor.role in CASE_ROLES


def may_work_cases(actor: Actor) -> bool:
    """Whether ``actor`` works cases for their organisation: what awaits it (the inbox).

    A secretary or an admin belongs to an organisation too, but acts on none of its cases.
    """
    return actor.role in CASE_ROLES and actor.organisation_id is not None


def follows_territory(actor: Actor) -> bool:
    """Whether ``actor`` follows the cases of a territory (the coordination), beyond those
    of their own organisation."""
    return actor.role is Role.COORDINATOR


def may_propose_handover(actor: Actor) -> bool:
    """Whether ``actor``'s role may propose handovers, for the persons their organisation
    accompanies (coordinators included: they act for their organisation like a member).
    """
    return may_create_case(actor) and actor.organisation_id is not None


def may_hand_over_from(actor: Actor, referent_organisation_id: int | None) -> bool:
    """Whether ``actor`` may propose to hand over a person whose current référent is
    ``referent_organisation_id`` (``None``: nobody accompanies them).

    Only the current référent (organisation A) proposes a handover.
    """
    return (
        may_propose_handover(actor)
        and referent_organisation_id is not None
        and referent_organisation_id == actor.organisation_id
    )


def may_start_accompaniment(actor: Actor) -> bool:
    """Whether ``actor`` may make an organisation a person's référent directly, with a
    written reason: coordinators only.

    Otherwise an accompaniment starts only when the receiving partner starts a referral to
    an accompaniment offer, or by a confirmed handover; a referrer never makes itself
    référent.
    """
    return actor.role is Role.COORDINATOR and actor.organisation_id is not None


def may_merge_persons(actor: Actor) -> bool:
    """Whether ``actor`` may merge two records of one person, and see the possible
    duplicates of a person: coordinators, for the persons of their scope (the service
    answers 404 for a person out of it)."""
    return actor.role is Role.COORDINATOR and actor.organisation_id is not None


def may_redirect_referral(sides: frozenset[str]) -> bool:
    """Whether someone on ``sides`` of a referral may send it on to another offer: the
    referring organisation only (closing it is not enough: a coordinator may close it)."""
    return REFERRER in sides


def awaits_clause(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool] | None:
    """The cases of ``lifecycle`` waiting on ``actor`` (their to-do list, ``GET /api/todo``).

    A case waits on the side its state names (``Lifecycle.waiting_on``): it awaits the
    organisation holding that side, when the actor works its cases, or everyone with the
    role holding it (the committees' secretariat). A coordinator's list is everything waiting
    on anyone in their territory. None: nothing of ``lifecycle`` can wait on ``actor``.
    """
    model = lifecycle.model
    conditions: list[ColumnElement[bool]] = []
    for state, wait in lifecycle.waiting_on.items():
        in_state = model.state == state
        if actor.role is Role.COORDINATOR:
            conditions.append(and_(in_state, scope_clause(actor, lifecycle)))
        elif wait.side in lifecycle.parties and may_work_cases(actor):
            conditions.append(and_(in_state, lifecycle.parties[wait.side] == actor.organisation_id))
        elif actor.role is not None and lifecycle.role_sides.get(actor.role) == wait.side:
            conditions.append(in_state)
    return or_(*conditions) if conditions else None
