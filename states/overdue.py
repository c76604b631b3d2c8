"""Overdue cases across every lifecycle, and the daily digest that lists them.

A case is overdue once its escalation time has passed and it has not moved since. The digest
goes each business day to every coordinator (their scope) and organisation admin (their
organisation's cases), grouped by the organisation that is expected to act, oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, business_days_between, is_business_day
from core.enums import Role, TimerKind, territory_label
from core.models import OutboxMessage, Timer, User
from notifications.outbox import enqueue
from states.lifecycle import Lifecycle
from states.policy import Actor, responsibility_clause
from states.sweep import case_context

DIGEST_ROLES = (Role.COORDINATOR, Role.ORG_ADMIN)


@dataclass(frozen=True)
class OverdueCase:
    """One overdue case as the digest and ``/api/overdue`` show it: no personal data."""

    lifecycle: str
    case_id: int
    reference: str
    case_label: str
    state: str
    state_label: str
    subject_line: str
    path: str
    waiting_organisation: str
    escalation_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class OverdueGroup:
    """The overdue cases waiting on one organisation, oldest first."""

    organisation: str
    cases: list[OverdueCase]

    @property
    def count(self) -> int:
        """How many cases wait on this organisation."""
        return len(self.cases)


OVERDUE_PAGE = 1000
"""How many overdue cases are read at once: memory follows one page, not the whole table."""


async def overdue_cases(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
) -> list[OverdueCase]:
    """Every case ``actor`` may see whose escalation time has passed, oldest first.

    Set-based: one query per page of cases (with their escalation time), and the few
    organisations and offers they name are read once per session; each case row is released
    once described, so only the list itself stays in memory.
    """
    found: list[OverdueCase] = []
    for lifecycle in lifecycles:
        model = lifecycle.model
        statement = (
            select(model, Timer.due_at)
            .join(
                Timer,
                (Timer.case_kind == lifecycle.name) & (Timer.case_id == model.id),
            )
            .where(
                Timer.kind == TimerKind.ESCALATION,
                Timer.closed_at.is_(None),
                Timer.due_at <= now,
                responsibility_clause(actor, lifecycle),
            )
            .order_by(Timer.due_at, model.id)
            .limit(OVERDUE_PAGE)
        )
        after: tuple[datetime, int] | None = None
        while True:
            page = statement
            if after is not None:
                page = page.where(tuple_(Timer.due_at, model.id) > after)
            rows = (await session.execute(page)).tuples().all()
            for case, escalation_at in rows:
                found.append(await _overdue_case(session, lifecycle, case, escalation_at, now))
                session.expunge(case)
            if len(rows) < OVERDUE_PAGE:
                break
            after = (rows[-1][1], rows[-1][0].id)
    found.sort(key=lambda item: (item.escalation_at, item.lifecycle, item.case_id))
    return found


async def _overdue_case(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, escalation_at: datetime, now: datetime
) -> OverdueCase:
    context = await case_context(session, lifecycle, case, escalation_at)
    return OverdueCase(
        lifecycle=lifecycle.name,
        case_id=case.id,
        reference=context["reference"],
        case_label=lifecycle.case_label,
        state=case.state,
        state_label=context["state_label"],
        subject_line=context["subject_line"],
        path=context["path"],
        waiting_organisation=context["waiting_organisation"],
        escalation_at=escalation_at,
        days_overdue=max(business_days_between(escalation_at, now), 1),
    )


def group_by_organisation(cases: Sequence[OverdueCase]) -> list[OverdueGroup]:
    """Cases grouped by the organisation expected to act; the group with the oldest first."""
    ordered = sorted(cases, key=lambda item: (item.waiting_organisation, item.escalation_at))
    groups = [
        OverdueGroup(organisation, list(items))
        for organisation, items in groupby(ordered, key=lambda item: item.waiting_organisation)
    ]
    groups.sort(key=lambda group: (group.cases[0].escalation_at, group.organisation))
    return groups


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
        return f" ({territory_label(user.scope_territory)})" if user.scope_territory else ""
    return " pour votre organisation"


def _scope(user: User) -> tuple[str, int, str]:
    """What a digest's list depends on: users with the same scope read the same cases."""
    return (user.role.value, user.organisation_id or 0, user.scope_territory or "")


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
    async with sessionmaker() as session:
        users = (
            (
                await session.execute(
                    select(User)
                    .where(User.role.in_(DIGEST_ROLES), User.__table__.c.is_active.is_(True))
                    .order_by(User.id)
                )
            )
            .scalars()
            .all()
        )
    scope: tuple[str, int, str] | None = None
    groups: list[OverdueGroup] = []
    total = 0
    for user in sorted(users, key=lambda user: (_scope(user), user.id)):
        key_prefix = f"digest:{user.id}:{day.isoformat()}"
        async with sessionmaker() as session:
            exists = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key.startswith(key_prefix + ":")
                )
            )
            if exists is not None:
                report.already_sent.append(user.email)
                continue
            if _scope(user) != scope:
                scope, groups = _scope(user), []
                actor = Actor(user.id, user.organisation_id, user.role, user.scope_territory)
                cases = await overdue_cases(session, list(lifecycles.values()), actor, now)
                total, groups = len(cases), group_by_organisation(cases)
                del cases
            if not groups:
                report.nothing_overdue.append(user.email)
                continue
            try:
                await enqueue(
                    session,
                    "digest",
                    key_prefix=key_prefix,
                    case_kind=None,
                    case_id=None,
                    recipients=[(user.email, user.id)],
                    context=digest_context(groups, now, _scope_label(user)),
                    now=now,
                )
                if dry_run:
                    await session.rollback()
                else:
                    await session.commit()
            except IntegrityError:
                # Another digest run queued it a moment ago: the key is unique.
                await session.rollback()
                report.already_sent.append(user.email)
                continue
        report.sent.append(f"{user.email} : {total} dossier(s) en retard")
    return report
