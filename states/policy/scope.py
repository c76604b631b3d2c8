"""Where an actor stands on a case: its sides (organisations, role, coordination scope,
co-accompaniment), in Python for a case at hand and in SQL for the coordination's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role, Territory
from core.models import (
    AccompanimentPartner,
    Person,
)
from states.accompaniment import ACCOMPANIMENT
from states.accompaniment_partners import PARTNER
from states.actor import Actor
from states.lifecycle import COORDINATORS, SYSTEM, Lifecycle
from states.residence import residence_of

CASE_ROLES = frozenset({Role.MEMBER, Role.ORG_ADMIN, Role.COORDINATOR})
"""Roles that act on cases on behalf of their organisation."""


def territory_clause(
    lifecycle: Lifecycle, territory: Territory, *, case_by_case: bool = False
) -> ColumnElement[bool]:
    """The cases of ``lifecycle`` in ``territory``: sent to an offer there (the case's own
    territory), or about a person who lives there. The one scope rule of the coordination,
    in SQL; ``covers_case`` is the same rule for a case at hand.

    Two shapes of the same rule, for the planner: a read that goes through all the cases it
    keeps reads the territory's residents once (a hashed list); one that walks the cases in
    order and stops after a few (``case_by_case``: a page, an export's first lines) checks
    each case's person by its key, and so stops early (PostgreSQL reads the residents whole
    first otherwise: 66 ms for the first hundred of a territory at 180,000 referrals, 11 ms
    case by case).
    """
    in_territory = lifecycle.territory == territory
    if lifecycle.person is None:
        return in_territory
    if case_by_case:
        lives_there = exists().where(Person.id == lifecycle.person, Person.residence == territory)
        return or_(in_territory, lives_there)
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
