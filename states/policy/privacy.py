"""Who answers for the person's data: the data protection officer (DPO) and the coordination.

The DPO (one per deployment, created by an administrator) reads the access log and exercises
the person's rights for every person; a coordinator does so for the persons of their scope
(``services.persons.known_persons_clause`` draws it).
"""

from __future__ import annotations

from core.enums import Role
from states.actor import Actor
from states.lifecycle import COORDINATORS


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


def may_ask_case_accesses(actor: Actor) -> bool:
    """Whether ``actor``'s role may ask who consulted a case: the DPO, or a coordinator
    (for a case of their scope: ``may_see_case_accesses``)."""
    return actor.role in {Role.DPO, Role.COORDINATOR}


def may_see_case_accesses(actor: Actor, sides: frozenset[str]) -> bool:
    """Whether ``actor``, standing on ``sides`` of a case (``case_sides``), may see who
    consulted it: the DPO for every case, a coordinator who supervises it."""
    return actor.role is Role.DPO or (actor.role is Role.COORDINATOR and COORDINATORS in sides)
