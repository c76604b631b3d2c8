"""Who receives a case's notifications: users of an organisation, coordinators in scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role
from core.models import User
from states.lifecycle import Recipient

USERS = User.__table__
ORGANISATION_STAFF = frozenset({Role.MEMBER, Role.ORG_ADMIN})
"""The people who work a case for their organisation."""


async def organisation_recipients(
    session: AsyncSession, organisation_id: int, roles: frozenset[Role]
) -> list[Recipient]:
    """Active users of an organisation with one of ``roles``, oldest account first."""
    rows = await session.execute(
        select(USERS.c.email, USERS.c.id)
        .where(
            USERS.c.organisation_id == organisation_id,
            USERS.c.is_active.is_(True),
            USERS.c.role.in_(roles),
        )
        .order_by(USERS.c.id)
    )
    return [(email, user_id) for email, user_id in rows.tuples()]


async def coordinator_recipients(session: AsyncSession, territory: str) -> list[Recipient]:
    """Active coordinators whose scope covers ``territory``."""
    rows = await session.execute(
        select(USERS.c.email, USERS.c.id)
        .where(
            USERS.c.role == Role.COORDINATOR,
            USERS.c.is_active.is_(True),
            (USERS.c.scope_territory.is_(None)) | (USERS.c.scope_territory == territory),
        )
        .order_by(USERS.c.id)
    )
    return [(email, user_id) for email, user_id in rows.tuples()]


async def role_recipients(session: AsyncSession, role: Role) -> list[Recipient]:
    """Every active user with ``role`` (e.g. the committees' secretariat)."""
    rows = await session.execute(
        select(USERS.c.email, USERS.c.id)
        .where(USERS.c.role == role, USERS.c.is_active.is_(True))
        .order_by(USERS.c.id)
    )
    return [(email, user_id) for email, user_id in rows.tuples()]
