"""Who may read the plan's indicators, at what scope, and who sees small counts exactly."""

from __future__ import annotations

from dataclasses import dataclass

from core.enums import Role, Territory
from states.actor import Actor

READERS = frozenset({Role.COORDINATOR, Role.DPO, Role.ORG_ADMIN, Role.MEMBER})
"""Roles that read indicators. The committees' secretariat and the platform's admins do not:
neither steers the plan nor accounts for an organisation's work (the secretariat prepares
meetings, the admins run the platform); the annual report reaches the committee anyway."""


@dataclass(frozen=True)
class IndicatorScope:
    """What an actor's figures cover: a territory, one organisation, or all Paris."""

    territory: Territory | None = None
    organisation_id: int | None = None

    @property
    def is_organisation(self) -> bool:
        """Whether the figures are one organisation's own (Paris-wide figures go beside)."""
        return self.organisation_id is not None


def may_read_indicators(actor: Actor) -> bool:
    """Whether ``actor`` may read indicators: coordinators and the DPO (their scope, all Paris
    for the DPO), organisation admins and members (their organisation's, Paris beside)."""
    if actor.role not in READERS:
        return False
    if actor.role in (Role.ORG_ADMIN, Role.MEMBER):
        return actor.organisation_id is not None
    return True


def may_see_small_counts(actor: Actor) -> bool:
    """Whether ``actor`` sees counts below five exactly on relais's own page and API: the
    coordinators, who follow cases by name anyway, and the DPO. Never in an export."""
    return actor.role in (Role.COORDINATOR, Role.DPO)


def indicator_scope(actor: Actor) -> IndicatorScope:
    """The figures ``actor`` reads: a coordinator's territory (all Paris without one), the
    DPO all Paris, an organisation's people their organisation's own figures."""
    if actor.role is Role.COORDINATOR:
        return IndicatorScope(territory=actor.scope_territory)
    if actor.role in (Role.ORG_ADMIN, Role.MEMBER):
        return IndicatorScope(organisation_id=actor.organisation_id)
    return IndicatorScope()
