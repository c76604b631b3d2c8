"""Who answers for the person's data: the data protection officer (DPO) and the coordination.

Health data (``states.health``) is seen by the receiving organisation and the person's
référent only; coordinators see what they supervise, not who: no identity in their lists.

The DPO (one per deployment, created by an administrator) reads the access log and exercises
the person's rights for every person; a coordinator does so for the persons of their scope
(``services.persons.known_persons_clause`` draws it).
"""

from __future__ import annotations

from typing import Any

from core.enums import Role
from states.actor import Actor
from states.lifecycle import COORDINATORS, Lifecycle
from states.policy.scope import CASE_ROLES, sides_of
from states.referral import RECEIVER

LIST_SUPERVISORS = frozenset({Role.COORDINATOR, Role.DPO, Role.ADMIN})
"""Roles that read cases they do not work: their lists show no one's identity."""


def is_data_protection_officer(actor: Actor) -> bool:
    """Whether ``actor`` is the deployment's data protection officer."""
    return actor.role is Role.DPO


def may_exercise_rights(actor: Actor) -> bool:
    """Whether ``actor`` may answer a person's rights (access, rectification, erasure,
    withdrawn consent): the DPO for everyone, a coordinator for the persons of their scope."""
    return actor.role is Role.DPO or (
        actor.role is Role.COORDINATOR and actor.organisation_id is not None
    )


def may_read_access_log(actor: Actor) -> bool:
    """Whether ``actor`` may search the whole access log: the DPO only (a coordinator sees
    who consulted a case they supervise, on that case)."""
    return actor.role is Role.DPO


def may_see_health_data(
    actor: Actor, sides: frozenset[str], referent_organisation_id: int | None
) -> bool:
    """Whether ``actor``, standing on ``sides`` of a case, may see the person's health data
    (``states.health``): the organisation that receives the referral, or the person's
    référent (``referent_organisation_id``: the organisation of their current
    accompaniment). Anyone else (the sender once it sent, a coordinator, the DPO) reads the
    case without them, and their read does not show health data."""
    if RECEIVER in sides:
        return True
    return (
        actor.role in CASE_ROLES
        and actor.organisation_id is not None
        and actor.organisation_id == referent_organisation_id
    )


def may_see_identity_in_lists(actor: Actor, lifecycle: Lifecycle, case: Any) -> bool:
    """Whether a list (page, API, CSV) may name the person of ``case`` to ``actor``: yes for
    the organisations working the case; a coordinator (or the DPO, an administrator) sees
    the reference, the offer, the organisations, the dates and codes, and the identity only
    on the case's own page (a read the access log records)."""
    if actor.role not in LIST_SUPERVISORS:
        return True
    return bool(sides_of(actor, lifecycle, case) & set(lifecycle.parties))


def may_ask_case_accesses(actor: Actor) -> bool:
    """Whether ``actor``'s role may ask who consulted a case: the DPO, or a coordinator
    (for a case of their scope: ``may_see_case_accesses``)."""
    return actor.role in {Role.DPO, Role.COORDINATOR}


def may_see_case_accesses(actor: Actor, sides: frozenset[str]) -> bool:
    """Whether ``actor``, standing on ``sides`` of a case (``case_sides``), may see who
    consulted it: the DPO for every case, a coordinator who supervises it."""
    return actor.role is Role.DPO or (actor.role is Role.COORDINATOR and COORDINATORS in sides)
