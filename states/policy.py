"""Who may see and do what: the one place where permission rules live."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.enums import Role, Territory
from core.models import (
    Accompaniment,
    AccompanimentPartner,
    ActionItem,
    CommitteeMember,
    Decision,
    OutboxMessage,
    Person,
)
from states.accompaniment import ACCOMPANIMENT, REFERENT
from states.accompaniment_partners import PARTNER
from states.action import ACTION
from states.actor import Actor
from states.decision import DECISION
from states.lifecycle import COORDINATORS, SYSTEM, Lifecycle, TransitionSpec
from states.referral import REFERRER
from states.residence import residence_of

CASE_ROLES = frozenset({Role.MEMBER, Role.ORG_ADMIN, Role.COORDINATOR})
"""Roles that act on cases on behalf of their organisation."""


def territory_clause(lifecycle: Lifecycle, territory: Territory) -> ColumnElement[bool]:
    """The cases of ``lifecycle`` in ``territory``: sent to an offer there (the case's own
    territory), or about a person who lives there. The one scope rule of the coordination,
    in SQL; ``covers_case`` is the same rule for a case at hand."""
    in_territory = lifecycle.territory == territory
    if lifecycle.person is None:
        return in_territory
    residents = select(Person.id).where(Person.residence == territory)
    return or_(in_territory, lifecycle.person.in_(residents))


def scope_clause(actor: Actor, lifecycle: Lifecycle) -> ColumnElement[bool]:
    """The cases of ``lifecycle`` in a coordinator's scope: all of them without a territory,
    else those of ``territory_clause``."""
    if actor.scope_territory is None:
        return true()
    return territory_clause(lifecycle, actor.scope_territory)


def covers_case(actor: Actor, territory: Territory | str, residence: Territory | None) -> bool:
    """Whether a coordinator's scope covers a case of ``territory`` about a person living in
    ``residence`` (``territory_clause``, for one case)."""
    return actor.covers(territory) or (residence is not None and actor.covers(residence))


def sides_of(
    actor: Actor, lifecycle: Lifecycle, case: Any, residence: Territory | None = None
) -> frozenset[str]:
    """The sides of ``case`` that ``actor`` stands on (organisation, role, coordination).

    ``residence`` is where the case's person lives (``case_sides`` reads it): a coordinator
    of that territory stands on the coordination's side too.
    """
    if actor.is_system:
        return frozenset({SYSTEM})
    sides: set[str] = set()
    if actor.role in CASE_ROLES:
        sides.update(
            side
            for side, column in lifecycle.parties.items()
            if getattr(case, column.key) == actor.organisation_id
        )
        if actor.role is Role.COORDINATOR and covers_case(
            actor, getattr(case, lifecycle.territory.key), residence
        ):
            sides.add(COORDINATORS)
    role_side = lifecycle.role_sides.get(actor.role) if actor.role is not None else None
    if role_side is not None:
        sides.add(role_side)
    return frozenset(sides)


async def case_sides(
    session: AsyncSession, actor: Actor, lifecycle: Lifecycle, case: Any
) -> frozenset[str]:
    """``sides_of``, completed from the database where it matters: the person's residence,
    for a coordinator of a territory the case itself is not in; and the side of a
    co-accompanying organisation of an accompaniment (``PARTNER``: it may withdraw itself,
    nothing else)."""
    sides = sides_of(actor, lifecycle, case)
    if (
        COORDINATORS not in sides
        and actor.role is Role.COORDINATOR
        and actor.scope_territory is not None
        and lifecycle.person is not None
    ):
        residence = await residence_of(session, lifecycle, case)
        sides = sides_of(actor, lifecycle, case, residence)
    if (
        lifecycle.name == ACCOMPANIMENT.name
        and actor.role in CASE_ROLES
        and actor.organisation_id is not None
        and await _co_accompanies(session, actor.organisation_id, case.id)
    ):
        sides |= {PARTNER}
    return sides


async def _co_accompanies(
    session: AsyncSession, organisation_id: int, accompaniment_id: int
) -> bool:
    """Whether ``organisation_id`` co-accompanies the person of ``accompaniment_id`` today."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    AccompanimentPartner.accompaniment_id == accompaniment_id,
                    AccompanimentPartner.organisation_id == organisation_id,
                    AccompanimentPartner.removed_at.is_(None),
                )
            )
        )
    )


async def can_see(session: AsyncSession, actor: Actor, lifecycle: Lifecycle, case: Any) -> bool:
    """Whether ``actor`` stands on a side of ``case`` (its organisations, a role's side, a
    coordinator's scope). A committee's items have more readers: ``may_see``."""
    return bool(await case_sides(session, actor, lifecycle, case))


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


def may_list_cases(actor: Actor, lifecycle: Lifecycle) -> bool:
    """Whether some case of ``lifecycle`` may ever be visible to ``actor``.

    A case is seen through an organisation that works cases, a role that has its own side,
    or a coordinator's scope (and, for a committee's items, ``governance_readers``). A
    listing of ``lifecycle`` for anyone else is empty (``visible_clause``), and the menu
    leaves it out.
    """
    if actor.is_system:
        return True
    return actor.role in CASE_ROLES or actor.role in lifecycle.role_sides


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


def may_manage_organisations(actor: Actor) -> bool:
    """Whether ``actor`` may create, change, deactivate and reactivate organisations."""
    return actor.role is Role.ADMIN


def may_manage_users_of(actor: Actor, organisation_id: int, role: Role) -> bool:
    """Whether ``actor`` may create, change, deactivate or reactivate a user with ``role`` in
    ``organisation_id`` (a change of role asks it for the current role and the new one).

    Admins manage anyone; an organisation admin manages members and organisation admins
    of their own organisation only.
    """
    if actor.role is Role.ADMIN:
        return True
    return (
        actor.role is Role.ORG_ADMIN
        and actor.organisation_id == organisation_id
        and role in {Role.MEMBER, Role.ORG_ADMIN}
    )


def may_manage_accounts(actor: Actor) -> bool:
    """Whether ``actor`` manages accounts at all: every one (admins), or their organisation's
    (organisation admins)."""
    return actor.role is Role.ADMIN or (
        actor.role is Role.ORG_ADMIN and actor.organisation_id is not None
    )


def may_see_accounts_of(actor: Actor, organisation_id: int) -> bool:
    """Whether ``actor`` may list and read the accounts of ``organisation_id``: admins every
    organisation's, organisation admins their own's."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.ORG_ADMIN and actor.organisation_id == organisation_id


def may_see_account(actor: Actor, organisation_id: int, user_id: int) -> bool:
    """Whether ``actor`` may read the account ``user_id`` of ``organisation_id``: their own,
    or one of the accounts they may list."""
    return actor.user_id == user_id or may_see_accounts_of(actor, organisation_id)


def may_manage_every_offer(actor: Actor) -> bool:
    """Whether ``actor`` manages the offers of every organisation (platform admins)."""
    return actor.role is Role.ADMIN


def may_manage_offers_of(actor: Actor, organisation_id: int) -> bool:
    """Whether ``actor`` may create or change the offers of ``organisation_id``."""
    if may_manage_every_offer(actor):
        return True
    return actor.role is Role.ORG_ADMIN and actor.organisation_id == organisation_id


def may_manage_offers(actor: Actor) -> bool:
    """Whether ``actor`` manages offers at all: their organisation's, or every one."""
    return actor.organisation_id is not None and may_manage_offers_of(actor, actor.organisation_id)


def may_supervise_delivery(actor: Actor) -> bool:
    """Whether ``actor`` may list undelivered emails and send them again."""
    return actor.role in {Role.COORDINATOR, Role.ADMIN}


def supervised_messages_clause(
    actor: Actor, lifecycles: Iterable[Lifecycle]
) -> ColumnElement[bool]:
    """The outbox messages ``actor`` supervises: all of them for an admin or a coordinator of
    all Paris; for a coordinator of one territory, only the emails about that territory's
    cases (not the digests nor governance alerts, which concern all of Paris)."""
    if not may_supervise_delivery(actor):
        return false()
    if actor.role is Role.ADMIN or actor.scope_territory is None:
        return true()
    return or_(
        *(
            and_(
                OutboxMessage.case_kind == lifecycle.name,
                OutboxMessage.case_id.in_(
                    select(lifecycle.model.id).where(scope_clause(actor, lifecycle))
                ),
            )
            for lifecycle in lifecycles
        )
    )


def may_list_overdue(actor: Actor) -> bool:
    """Whether ``actor`` has cases whose delays they follow."""
    return actor.role in CASE_ROLES


DASHBOARD_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN, Role.ADMIN})
"""Roles that watch delays on a dashboard rather than act on cases one by one."""


def may_view_dashboard(actor: Actor) -> bool:
    """Whether ``actor`` may open the dashboard of overdue cases."""
    return actor.role in DASHBOARD_ROLES


def oversight_actor(actor: Actor) -> Actor:
    """Whose delays a dashboard shows for ``actor``.

    A coordinator follows their territory and an organisation admin their organisation, as
    the digest does; a platform admin oversees all of Paris, as a coordinator without a
    territory would. Overdue listings carry no personal data, only references.
    """
    if actor.role is Role.ADMIN:
        return Actor(user_id=actor.user_id, organisation_id=None, role=Role.COORDINATOR)
    return actor


def may_manage_committees(actor: Actor) -> bool:
    """Whether ``actor`` may create committees and change their member organisations."""
    return actor.role in {Role.SECRETARY, Role.ADMIN}


def may_manage_meetings(actor: Actor) -> bool:
    """Whether ``actor`` may plan meetings and write their agendas and minutes."""
    return actor.role is Role.SECRETARY


def may_read_governance(actor: Actor) -> bool:
    """Whether ``actor`` may read committees and meetings (no personal data in them).

    The items put to a committee are another matter: ``governance_readers``.
    """
    return actor.role is not None


def may_propose_decision(actor: Actor) -> bool:
    """Whether ``actor`` may put an item forward to a committee for their organisation."""
    return actor.role in CASE_ROLES


def may_bring_case_to_committee(actor: Actor) -> bool:
    """Whether ``actor`` may bring a case of their scope to the comité technique."""
    return actor.role is Role.COORDINATOR


def may_assign_actions(actor: Actor) -> bool:
    """Whether ``actor`` may give an approved decision its action items."""
    return actor.role is Role.SECRETARY


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
