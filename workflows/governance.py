"""The plan's governance rule: a comité de pilotage meets at least once a year.

When no pilotage meeting was held or planned in the last twelve months, every coordinator is
alerted once for that gap (the key names the last meeting, so a new gap alerts again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.db import transaction
from core.enums import CommitteeKind, MessageKey, Role
from core.models import Committee, Meeting
from core.outbox import enqueue, is_queued
from states.recipients import role_recipients

MESSAGE = MessageKey.GOVERNANCE_PILOTAGE


@dataclass
class GovernanceReport:
    """What one check found and did."""

    gap: bool = False
    alerted: list[str] = field(default_factory=list)
    already_alerted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line in French."""
        if not self.gap:
            return "Comité de pilotage : une réunion a eu lieu ou est prévue dans les douze mois."
        return (
            f"Aucun comité de pilotage depuis douze mois : {len(self.alerted)} coordinateur(s) "
            f"alerté(s), {len(self.already_alerted)} déjà prévenu(s)."
        )


def twelve_months_before(now: datetime) -> datetime:
    """The same Paris wall-clock moment one year earlier (29 February falls back to the 28th)."""
    local = now.astimezone(PARIS)
    try:
        earlier = local.replace(year=local.year - 1)
    except ValueError:
        earlier = local.replace(year=local.year - 1, day=28)
    return earlier


async def _last_pilotage_meeting(session: AsyncSession) -> datetime | None:
    last: datetime | None = await session.scalar(
        select(func.max(Meeting.starts_at))
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Committee.kind == CommitteeKind.PILOTAGE)
    )
    return last


async def alert_once(
    session: AsyncSession,
    message: MessageKey,
    key_prefix: str,
    recipients: list[tuple[str, int | None]],
    context: dict[str, object],
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Queue ``message`` once per recipient for the cause ``key_prefix``: (alerted, already)."""
    alerted: list[str] = []
    already: list[str] = []
    for email, user_id in recipients:
        if await is_queued(session, key_prefix, message, email):
            already.append(email)
            continue
        try:
            async with session.begin_nested():
                await enqueue(
                    session,
                    message,
                    key_prefix=key_prefix,
                    case_kind=None,
                    case_id=None,
                    recipients=[(email, user_id)],
                    context=context,
                    now=now,
                )
        except IntegrityError:
            already.append(email)
            continue
        alerted.append(email)
    return alerted, already


async def check_pilotage(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, dry_run: bool = False
) -> GovernanceReport:
    """Alert coordinators when no pilotage meeting was held or planned in twelve months."""
    report = GovernanceReport()
    since = twelve_months_before(now)
    async with sessionmaker() as session:
        last = await _last_pilotage_meeting(session)
        if last is not None and last >= since:
            return report
        report.gap = True
        occurrence = last.astimezone(PARIS).date().isoformat() if last else "aucune"
        context: dict[str, object] = {
            "since": since.date().isoformat(),
            "last_meeting_on": last.astimezone(PARIS).date().isoformat() if last else None,
        }
        async with transaction(session, dry_run=dry_run):
            recipients = await role_recipients(session, Role.COORDINATOR)
            report.alerted, report.already_alerted = await alert_once(
                session, MESSAGE, f"governance:pilotage:{occurrence}", recipients, context, now
            )
    return report
