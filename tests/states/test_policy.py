"""The listing rule and the visibility clause are one rule: a role that may list no case of a
lifecycle gets a clause that selects nothing, and the others a clause that may select some."""

from __future__ import annotations

import pytest
from sqlalchemy import false

from core.enums import Role
from states.actor import Actor
from states.policy import may_list_cases, visible_clause
from states.registry import LIFECYCLES


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(LIFECYCLES))
def test_visible_clause_selects_nothing_exactly_when_the_role_may_list_nothing(
    role: Role, name: str
) -> None:
    lifecycle = LIFECYCLES[name]
    actor = Actor(user_id=1, organisation_id=1, role=role)
    nothing = visible_clause(actor, lifecycle).compare(false())
    assert nothing is not may_list_cases(actor, lifecycle), (role, name)


def test_relais_itself_lists_every_lifecycle() -> None:
    assert all(may_list_cases(Actor.system(), lifecycle) for lifecycle in LIFECYCLES.values())
