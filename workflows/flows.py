"""The Prefect flows and their schedules. Thin: each calls one service run.

Each flow run handles every due item in bounded batches; there is never a flow run per case,
and none sleeps waiting for a deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from prefect import flow, get_run_logger, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from core.business_days import assume_paris
from core.clock import SystemClock, as_utc
from core.settings import get_settings
from workflows.runs import (
    run_delivery,
    run_digest,
    run_governance_check,
    run_retention_once,
    run_sweep,
)

SWEEP_EVERY = timedelta(minutes=5)
DELIVERY_EVERY = timedelta(minutes=1)
DIGEST_CRON = "0 8 * * 1-5"
GOVERNANCE_CRON = "30 8 * * *"
RETENTION_CRON = "0 3 * * *"
PARIS = "Europe/Paris"


def _moment(now: datetime | None) -> datetime:
    # As on the command line, a time without an offset is Paris time.
    if now is None:
        return SystemClock().now()
    return as_utc(assume_paris(now))


@flow(name="relais-sweep", retries=0)
async def sweep_flow(now: datetime | None = None) -> str:
    """Reminders, escalations and automatic transitions for every timer due at ``now``."""
    report = await run_sweep(get_settings(), _moment(now))
    get_run_logger().info(report.summary())
    return report.summary()


@flow(name="relais-deliver", retries=0)
async def deliver_flow(now: datetime | None = None) -> str:
    """Send the outbox over SMTP (or into ./var/mail), with retries and backoff."""
    report = await run_delivery(get_settings(), _moment(now))
    get_run_logger().info(report.summary())
    return report.summary()


@flow(name="relais-digest", retries=0)
async def digest_flow(now: datetime | None = None) -> str:
    """The coordinators' and organisation admins' daily digest of overdue cases."""
    report = await run_digest(get_settings(), _moment(now))
    get_run_logger().info(report.summary())
    return report.summary()


@flow(name="relais-governance", retries=0)
async def governance_flow(now: datetime | None = None) -> str:
    """The governance checks: comité de pilotage, comité technique, project groups."""
    report = await run_governance_check(get_settings(), _moment(now))
    get_run_logger().info(report.summary())
    return report.summary()


@flow(name="relais-retention", retries=0)
async def retention_flow(now: datetime | None = None) -> str:
    """Anonymise the persons whose cases all ended more than the retention period ago, and
    purge the sent emails older than three months (nightly)."""
    report = await run_retention_once(get_settings(), _moment(now))
    summary = " ".join(report.lines())
    get_run_logger().info(summary)
    return summary


def deployments() -> list[RunnerDeployment]:
    """The deployments and their schedules (Paris time)."""
    planned = [
        (sweep_flow, "sweep", Interval(SWEEP_EVERY, timezone=PARIS)),
        (deliver_flow, "deliver", Interval(DELIVERY_EVERY, timezone=PARIS)),
        (digest_flow, "digest", Cron(DIGEST_CRON, timezone=PARIS)),
        (governance_flow, "governance", Cron(GOVERNANCE_CRON, timezone=PARIS)),
        (retention_flow, "retention", Cron(RETENTION_CRON, timezone=PARIS)),
    ]
    return [
        cast(RunnerDeployment, work.to_deployment(name, schedule=schedule, concurrency_limit=1))
        for work, name, schedule in planned
    ]


def serve_flows() -> None:
    """Register the deployments with their schedules and run them (``relais worker``)."""
    serve(*deployments())
