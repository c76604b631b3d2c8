"""the indexes the indicators read at Paris scale: a period's transitions, its fired timers

Revision ID: indicator_indexes
Revises: action_plans
Create Date: 2026-12-02 05:10:29

Measured with EXPLAIN (ANALYZE, BUFFERS) on 180,000 referrals over three years
(``benchmarks/paris_years``): counting a year's submissions, acceptances, returns... read
every event (sequential scan of 820,000 rows for 60,000 kept), and counting a year's fired
reminders and escalations read every timer. ``ix_events_trigger_time`` makes the first an
index-only range scan; ``ix_timers_fired`` (fired timers only, so the sweep's pending ones
do not weigh on it) the second. The events' index keeps ``case_id`` as its last column:
the indicators join the referral from it without reading the row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "indicator_indexes"
down_revision: str | Sequence[str] | None = "action_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRED = sa.text("status = 'fired'")


def upgrade() -> None:
    """Add the two indexes."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_trigger_time",
            ["case_kind", "trigger", "occurred_at", "case_id"],
            unique=False,
        )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timers_fired",
            ["case_kind", "kind", "fired_at", "case_id"],
            unique=False,
            postgresql_where=FIRED,
            sqlite_where=FIRED,
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_fired", postgresql_where=FIRED, sqlite_where=FIRED)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_trigger_time")
