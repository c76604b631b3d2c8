"""Who acts: a user seen through their organisation, role and territory, or relais itself.

The rules about what an actor may do live in ``states/policy/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.enums import Role, Territory


class AccountHolder(Protocol):
    """What an actor is built from: a user row, or a copy of one."""

    @property
    def id(self) -> int: ...
    @property
    def organisation_id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def scope_territory(self) -> Territory | None: ...


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user seen through their organisation and role, or relais itself."""

    user_id: int | None
    organisation_id: int | None
    role: Role | None
    scope_territory: Territory | None = None

    @classmethod
    def of(cls, user: AccountHolder) -> Actor:
        """``user`` as the domain sees them: their organisation, role and territory.

        The data protection officer acts for no organisation: their account row names the
        organisation that employs them, but they never see or do anything on its behalf.
        """
        return cls(
            user_id=user.id,
            organisation_id=None if user.role is Role.DPO else user.organisation_id,
            role=user.role,
            scope_territory=user.scope_territory,
        )

    @classmethod
    def system(cls) -> Actor:
        """relais acting on its own (timers, sweeps)."""
        return cls(user_id=None, organisation_id=None, role=None)

    @classmethod
    def operator(cls) -> Actor:
        """The platform operator at the command line, with an admin's rights."""
        return cls(user_id=None, organisation_id=None, role=Role.ADMIN)

    @property
    def is_system(self) -> bool:
        """Whether this is relais itself rather than a person."""
        return self.role is None

    def covers(self, territory: Territory | str) -> bool:
        """Whether a coordinator's scope includes ``territory`` (no scope: all of Paris)."""
        return self.scope_territory is None or self.scope_territory == territory
