"""every waiting state is chased: an offer's progress-check delay, and the timers of the
states that had none

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:27:12

A referral under way (``in_progress``) gets a progress check every 60 business days (an offer
may set its own: ``offers.progress_check_days``), an expired referral is chased with its
referrer, and a decision taken but not published with the secretariat. Cases already in those
states get the timers they would have had, counted from when they entered the state: the
delays are written here as they were declared at this revision, not read from the code.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from core.business_days import add_business_days
from core.db import UTCDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (case table, case kind, state) -> ((kind, business days, target), ...)
NEW_TIMERS = {
    ("referrals", "referral", "in_progress"): (
        ("reminder", 60, "receiver"),
        ("escalation", 70, "coordinators"),
    ),
    ("referrals", "referral", "expired"): (
        ("reminder", 5, "referrer"),
        ("escalation", 10, "coordinators"),
    ),
    ("decisions", "decision", "approved"): (
        ("reminder", 5, "secretariat"),
        ("escalation", 10, "coordinators"),
    ),
    ("decisions", "decision", "rejected"): (
        ("reminder", 5, "secretariat"),
        ("escalation", 10, "coordinators"),
    ),
}

TIMERS = sa.table(
    "timers",
    sa.column("case_kind", sa.String),
    sa.column("case_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("kind", sa.String),
    sa.column("target", sa.String),
    sa.column("due_at", UTCDateTime()),
    sa.column("status", sa.String),
    sa.column("created_at", UTCDateTime()),
)


def _open_missing_timers() -> None:
    connection = op.get_bind()
    for (table, case_kind, state), specs in NEW_TIMERS.items():
        cases = sa.table(
            table, sa.column("id", sa.Integer), sa.column("state", sa.String),
            sa.column("state_entered_at", UTCDateTime()),
        )  # fmt: skip
        rows = connection.execute(
            sa.select(cases.c.id, cases.c.state_entered_at).where(cases.c.state == state)
        ).all()
        timers = [
            {
                "case_kind": case_kind,
                "case_id": case_id,
                "state": state,
                "kind": kind,
                "target": target,
                "due_at": add_business_days(entered_at, days),
                "status": "pending",
                "created_at": entered_at,
            }
            for case_id, entered_at in rows
            for kind, days, target in specs
            if isinstance(entered_at, datetime)
        ]
        if timers:
            op.bulk_insert(TIMERS, timers)


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_check_days", sa.Integer(), nullable=True))
    _open_missing_timers()


def downgrade() -> None:
    """Revert this migration (the timers it opened stay: they are ordinary timers)."""
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("progress_check_days")
