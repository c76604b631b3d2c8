"""One run of each time-keeping service, as the flows and the command line call it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from notifications.transport import transport_factory
from services.retention import RetentionReport, run_retention
from states.registry import LIFECYCLES
from workflows.delivery import DeliveryPolicy, DeliveryReport, deliver_due
from workflows.digest import DigestReport, send_digests
from workflows.governance import GovernanceReport, check_pilotage
from workflows.project_groups import ProjectGroupReport, check_project_groups
from workflows.sweep import SweepReport, sweep_due
from workflows.technique import TechniqueReport, check_technique

T = TypeVar("T")


async def _with_database(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    engine = create_engine(settings.database_url)
    try:
        return await work(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def run_sweep(settings: Settings, now: datetime, *, dry_run: bool = False) -> SweepReport:
    """Act on every timer due at ``now``."""
    return await _with_database(
        settings, lambda sessions: sweep_due(sessions, LIFECYCLES, now, dry_run=dry_run)
    )


async def run_delivery(settings: Settings, now: datetime) -> DeliveryReport:
    """Send every outbox message due at ``now``."""
    policy = DeliveryPolicy(max_attempts=settings.delivery_max_attempts)
    return await _with_database(
        settings,
        lambda sessions: deliver_due(
            sessions,
            transport_factory(settings),
            now,
            base_url=settings.base_url,
            mail_from=settings.mail_from,
            policy=policy,
        ),
    )


async def run_digest(settings: Settings, now: datetime, *, dry_run: bool = False) -> DigestReport:
    """Queue today's digests."""
    return await _with_database(
        settings, lambda sessions: send_digests(sessions, LIFECYCLES, now, dry_run=dry_run)
    )


@dataclass(frozen=True)
class GovernanceChecks:
    """What the daily governance checks found: pilotage, technique, project groups."""

    pilotage: GovernanceReport
    technique: TechniqueReport
    project_groups: ProjectGroupReport

    def summary(self) -> str:
        """Three lines in French, one per check."""
        return "\n".join(
            report.summary() for report in (self.pilotage, self.technique, self.project_groups)
        )


async def governance_checks(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    dry_run: bool = False,
) -> GovernanceChecks:
    """Run the three governance checks on ``sessions`` at ``now``."""
    return GovernanceChecks(
        await check_pilotage(sessions, now, dry_run=dry_run),
        await check_technique(sessions, now, settings.technique_min_meetings, dry_run=dry_run),
        await check_project_groups(
            sessions, now, settings.project_group_escalation_business_days, dry_run=dry_run
        ),
    )


async def run_governance_check(
    settings: Settings, now: datetime, *, dry_run: bool = False
) -> GovernanceChecks:
    """The governance checks: the comité de pilotage met or is planned within twelve months,
    the comité technique's yearly minimum is within reach, ended project groups are closed."""
    return await _with_database(
        settings, lambda sessions: governance_checks(settings, sessions, now, dry_run=dry_run)
    )


async def run_retention_once(
    settings: Settings, now: datetime, *, dry_run: bool = False
) -> RetentionReport:
    """Anonymise the persons past ``settings.retention_months``; purge old sent emails."""
    return await _with_database(
        settings,
        lambda sessions: run_retention(sessions, now, settings.retention_months, dry_run=dry_run),
    )
