"""The daily digest of overdue cases: one email per coordinator and organisation admin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, is_business_day
from core.db import transaction
from core.enums import MessageKey, Role
from core.errors import AlreadyExists
from core.models import User
from core.outbox import enqueue, is_queued
from services.overdue import OverdueGroup, group_by_organisation, overdue_cases
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import DIGEST_ROLES


def digest_context(
    groups: Sequence[OverdueGroup], now: datetime, scope_label: str
) -> dict[str, Any]:
    """The JSON context of a digest email."""
    return {
        "day": now.astimezone(PARIS).date().isoformat(),
        "total": sum(group.count for group in groups),
        "scope_label": scope_label,
        "groups": [
            {
                "organisation": group.organisation,
                "count": group.count,
                "cases": [
                    {
                        "reference": case.reference,
                        "case_label": case.case_label,
                        "state_label": case.state_label,
                        "subject_line": case.subject_line,
                        "path": case.path,
                        "days_overdue": case.days_overdue,
                    }
                    for case in group.cases
                ],
            }
            for group in groups
        ],
    }


@dataclass
class DigestReport:
    """What one digest run did."""

    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    nothing_overdue: list[str] = field(default_factory=list)
    holiday: bool = False

    def summary(self) -> str:
        """One line in French."""
        if self.holiday:
            return "Jour non ouvré : pas de digest aujourd'hui."
        return (
            f"{len(self.sent)} digest(s) mis en file, {len(self.already_sent)} déjà envoyé(s), "
            f"{len(self.nothing_overdue)} destinataire(s) sans retard"
        )


def _scope_label(user: User) -> str:
    if user.role is Role.COORDINATOR:
        return f" ({user.scope_territory.label})" if user.scope_territory else ""
    return " pour votre organisation"


def _scope(user: User) -> tuple[str, int, str]:
    """What a digest's list depends on: users with the same scope read the same cases."""
    return (user.role.value, user.organisation_id or 0, user.scope_territory or "")


async def _recipients(sessionmaker: async_sessionmaker[AsyncSession]) -> list[User]:
    """Every active coordinator and organisation admin, those sharing a scope together."""
    async with sessionmaker() as session:
        users = (
            await session.execute(
                select(User)
                .where(User.role.in_(sorted(DIGEST_ROLES)), User.__table__.c.is_active.is_(True))
                .order_by(User.id)
            )
        ).scalars()
        return sorted(users, key=lambda user: (_scope(user), user.id))


async def _queue(
    session: AsyncSession,
    user: User,
    groups: Sequence[OverdueGroup],
    key_prefix: str,
    now: datetime,
    dry_run: bool,
) -> bool:
    """Queue one digest in its own transaction; False when another run queued it first."""
    queued = AlreadyExists(f"Résumé du jour déjà en file pour {user.email}.")
    try:
        async with transaction(session, conflict=queued, dry_run=dry_run):
            await enqueue(
                session,
                MessageKey.DIGEST,
                key_prefix=key_prefix,
                case_kind=None,
                case_id=None,
                recipients=[(user.email, user.id)],
                context=digest_context(groups, now, _scope_label(user)),
                now=now,
            )
    except AlreadyExists:
        # Another digest run queued it a moment ago: the key is unique.
        return False
    return True


async def send_digests(
    sessionmaker: async_sessionmaker[AsyncSession],
    lifecycles: Mapping[str, Lifecycle],
    now: datetime,
    *,
    dry_run: bool = False,
) -> DigestReport:
    """Queue today's digest for every coordinator and organisation admin with overdue cases.

    At most one digest per person per Paris day (key ``digest:<user>:<date>``); nothing on
    weekends and public holidays; nothing to whoever has nothing overdue. The overdue list is
    read once per scope (users sharing a territory or an organisation share it), and each
    digest is its own transaction, so memory holds one scope's cases at a time.
    """
    report = DigestReport()
    day = now.astimezone(PARIS).date()
    if not is_business_day(day):
        report.holiday = True
        return report
    scope: tuple[str, int, str] | None = None
    groups: list[OverdueGroup] = []
    total = 0
    for user in await _recipients(sessionmaker):
        key_prefix = f"digest:{user.id}:{day.isoformat()}"
        async with sessionmaker() as session:
            # Had the person's address changed since today's digest was queued, the new one gets
            # one too.
            if await is_queued(session, key_prefix, MessageKey.DIGEST, user.email):
                report.already_sent.append(user.email)
                continue
            if _scope(user) != scope:
                scope = _scope(user)
                cases = await overdue_cases(session, list(lifecycles.values()), Actor.of(user), now)
                total, groups = len(cases), group_by_organisation(cases)
                del cases
            if not groups:
                report.nothing_overdue.append(user.email)
            elif await _queue(session, user, groups, key_prefix, now, dry_run):
                report.sent.append(f"{user.email} : {total} dossier(s) en retard")
            else:
                report.already_sent.append(user.email)
    return report
