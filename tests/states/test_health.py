"""Which data is health data, how it is taken out, and who may see it (pure rules)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.enums import Barrier, Public, Role, Territory
from core.errors import HealthDataNotAttested
from states.actor import Actor
from states.health import (
    health_data_of,
    require_health_attestation,
    strip_health_data,
    strip_health_payload,
)
from states.lifecycle import COORDINATORS
from states.policy import may_see_health_data, may_see_identity_in_lists
from states.referral import RECEIVER, REFERRAL, REFERRER


def _actor(role: Role, organisation_id: int | None = 7) -> Actor:
    return Actor(user_id=1, organisation_id=organisation_id, role=role)


def test_the_health_barrier_aah_and_rqth_are_health_data_and_nothing_else() -> None:
    everything = health_data_of([*Barrier], [*Public], "rqth")
    assert everything == {"sante", "aah", "rqth"}
    assert health_data_of(["logement"], ["rsa", "personnes-en-situation-de-handicap"]) == set()
    assert health_data_of((), (), "aah") == {"aah"}


def test_stripping_keeps_the_rest_in_order() -> None:
    barriers, publics = strip_health_data(["logement", "sante", "mobilite"], ["rqth", "rsa", "aah"])
    assert barriers == [Barrier.LOGEMENT, Barrier.MOBILITE]
    assert publics == [Public("rsa")]
    payload = {"barriers": ["sante"], "publics": ["aah", "femmes"], "situation": "rqth", "x": 1}
    assert strip_health_payload(payload) == {
        "barriers": [], "publics": ["femmes"], "situation": None, "x": 1,
    }  # fmt: skip
    assert strip_health_payload({"situation": "rsa"}) == {"situation": "rsa"}


def test_health_data_needs_its_attestation() -> None:
    require_health_attestation(set(), attested=False)
    require_health_attestation({"aah"}, attested=True)
    with pytest.raises(HealthDataNotAttested) as refused:
        require_health_attestation({"sante"}, attested=False)
    assert refused.value.code == "health_data_not_attested"
    assert refused.value.field == "health_data_attested"


def test_the_receiver_and_the_referent_see_health_data_no_one_else() -> None:
    member = _actor(Role.MEMBER)
    assert may_see_health_data(member, frozenset({RECEIVER}), None)
    assert may_see_health_data(member, frozenset({REFERRER}), 7)  # the référent sent it
    assert not may_see_health_data(member, frozenset({REFERRER}), 8)
    assert not may_see_health_data(member, frozenset({REFERRER}), None)
    coordinator = _actor(Role.COORDINATOR)
    assert not may_see_health_data(coordinator, frozenset({COORDINATORS}), 8)
    # Whoever has no organisation is nobody's référent.
    assert not may_see_health_data(_actor(Role.DPO, None), frozenset(), None)


def test_a_supervisor_s_list_names_only_the_persons_of_cases_their_organisation_works() -> None:
    case = SimpleNamespace(
        sender_organisation_id=7, receiver_organisation_id=8, territory=Territory.PARIS
    )
    assert may_see_identity_in_lists(_actor(Role.MEMBER), REFERRAL, case)
    for role in (Role.COORDINATOR, Role.DPO, Role.ADMIN):
        assert not may_see_identity_in_lists(_actor(role, 9), REFERRAL, case), role
    # A coordinator whose own organisation sent the case works it.
    assert may_see_identity_in_lists(_actor(Role.COORDINATOR, 7), REFERRAL, case)
