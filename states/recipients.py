"""Who receives a case's notifications: users of an organisation, coordinators in scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import EmailPreference, Role
from core.models import User
from core.prepared import Prepared
from states.lifecycle import COORDINATORS, Lifecycle, Recipient
from states.residence import residence_of

USERS = User.__table__
ORGANISATION_STAFF = frozenset({Role.MEMBER, Role.ORG_ADMIN})
"""The people who work a case for their organisation (``organisation_staff`` says which of
them its emails go to)."""

_MEMO = "relais.recipients"
_MEMO_PREFERENCES = "relais.recipients.preferences"

# Prepared once: every notification asks one of these, with other parameters.
STAFF_OF = Prepared(
    select(USERS.c.email, USERS.c.id, USERS.c.role)
    .where(
        USERS.c.organisation_id == bindparam("organisation_id"),
        USERS.c.is_active.is_(True),
        # One comparison per role rather than IN, whose list is rendered at each execution.
        or_(*(USERS.c.role == role for role in sorted(ORGANISATION_STAFF))),
    )
    .order_by(USERS.c.id)
)
"""An organisation's active staff, each with their role: one read for its members and its
admins."""
COORDINATORS_OF = Prepared(
    select(USERS.c.email, USERS.c.id)
    .where(
        USERS.c.role == Role.COORDINATOR,
        USERS.c.is_active.is_(True),
        (USERS.c.scope_territory.is_(None))
        | (USERS.c.scope_territory == bindparam("territory"))
        | (USERS.c.scope_territory == bindparam("residence")),
    )
    .order_by(USERS.c.id)
)


@contextmanager
def recipients_remembered(session: AsyncSession) -> Iterator[None]:
    """Read each audience (and each offer's reachability: ``states.reachability``) once
    within the block, a part of one transaction: a sweep batch, a case created and sent at
    once. Inside another such block, that one's memory goes on.

    A batch writes hundreds of reminders to the same few organisations and coordinators;
    within its transaction their accounts are read once, not once per case.
    """
    if _MEMO in session.info:
        yield
        return
    session.info[_MEMO] = {}
    session.info[_MEMO_PREFERENCES] = {}
    try:
        yield
    finally:
        session.info.pop(_MEMO, None)
        session.info.pop(_MEMO_PREFERENCES, None)


async def remembered(
    session: AsyncSession, key: tuple[object, ...], statement: Prepared, parameters: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` with ``parameters``, read once per ``key`` while
    ``recipients_remembered`` is in force (every time otherwise)."""
    memo: dict[tuple[object, ...], list[tuple[Any, ...]]] | None = session.info.get(_MEMO)
    if memo is not None and key in memo:
        return memo[key]
    found = [tuple(row) for row in await statement.fetch(session, parameters)]
    if memo is not None:
        memo[key] = found
    return found


async def organisation_recipients(
    session: AsyncSession, organisation_id: int, roles: frozenset[Role]
) -> list[Recipient]:
    """Active users of an organisation with one of ``roles`` (among ``ORGANISATION_STAFF``),
    oldest account first."""
    if not roles <= ORGANISATION_STAFF:
        raise ValueError(f"not an organisation's staff: {sorted(roles)}")
    staff = await remembered(
        session, ("organisation", organisation_id), STAFF_OF, {"organisation_id": organisation_id}
    )
    return [(email, user_id) for email, user_id, role in staff if role in roles]


async def organisation_staff(session: AsyncSession, organisation_id: int) -> list[Recipient]:
    """Who receives a case's emails on behalf of an organisation: its active members.

    Its admins only when it has no active member (they then work its cases themselves): an
    admin no longer gets a copy of every email their members get; they follow their
    organisation's delays in its daily digest.
    """
    members = await organisation_recipients(session, organisation_id, frozenset({Role.MEMBER}))
    if members:
        return members
    return await organisation_recipients(session, organisation_id, frozenset({Role.ORG_ADMIN}))


async def digest_only(session: AsyncSession, recipients: list[Recipient]) -> set[int]:
    """The accounts among ``recipients`` that chose the daily digest over each escalation."""
    user_ids = sorted({user_id for _, user_id in recipients if user_id is not None})
    if not user_ids:
        return set()
    key = ("digest_only", *user_ids)
    memo: dict[tuple[object, ...], set[int]] | None = session.info.get(_MEMO_PREFERENCES)
    if memo is not None and key in memo:
        return memo[key]
    rows = await session.execute(
        select(USERS.c.id).where(
            USERS.c.id.in_(user_ids),
            USERS.c.email_preference == EmailPreference.DAILY_DIGEST_ONLY,
        )
    )
    found = set(rows.scalars())
    if memo is not None:
        memo[key] = found
    return found


async def coordinator_recipients(
    session: AsyncSession, territory: str, residence: str | None = None
) -> list[Recipient]:
    """Active coordinators whose scope covers ``territory``, or ``residence`` (where the
    case's person lives: ``policy.territory_clause``)."""
    found = await remembered(
        session,
        ("coordinators", territory, residence),
        COORDINATORS_OF,
        {"territory": territory, "residence": residence},
    )
    return [(email, user_id) for email, user_id in found]


async def case_coordinators(
    session: AsyncSession, lifecycle: Lifecycle, case: Any
) -> list[Recipient]:
    """The active coordinators in whose scope ``case`` is: its territory's, its person's
    residence's, and those of all Paris."""
    residence = await residence_of(session, lifecycle, case)
    return await coordinator_recipients(session, getattr(case, lifecycle.territory.key), residence)


async def role_recipients(session: AsyncSession, role: Role) -> list[Recipient]:
    """Every active user with ``role`` (e.g. the committees' secretariat)."""
    rows = await session.execute(
        select(USERS.c.email, USERS.c.id)
        .where(USERS.c.role == role, USERS.c.is_active.is_(True))
        .order_by(USERS.c.id)
    )
    return [(email, user_id) for email, user_id in rows.tuples()]


async def recipients_for(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, audience: str
) -> list[Recipient]:
    """Who receives the emails meant for ``audience`` of a case.

    The lifecycle's own hook answers first when it has one (a referral's receiving side is
    its offer's contact address). Otherwise: a party side is its organisation's members
    (``organisation_staff``), a role
    side every active user with that role, and the coordinators those whose scope covers the
    case.
    """
    if lifecycle.side_recipients is not None:
        return await lifecycle.side_recipients(session, case, audience)
    if audience in lifecycle.parties:
        organisation_id = getattr(case, lifecycle.parties[audience].key)
        return await organisation_staff(session, organisation_id)
    roles = [role for role, side in lifecycle.role_sides.items() if side == audience]
    if roles:
        return await role_recipients(session, roles[0])
    if audience == COORDINATORS:
        return await case_coordinators(session, lifecycle, case)
    raise ValueError(f"{lifecycle.name}: unknown audience {audience}")
