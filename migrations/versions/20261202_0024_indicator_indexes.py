"""the indexes the indicators read at Paris scale: a period's transitions and timers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 05:50:00

Measured with EXPLAIN (ANALYZE, BUFFERS) on 180,000 referrals over three years
(``benchmarks/paris_years``): counting a year's submissions, acceptances, returns... read
every event (sequential scan of 820,000 rows for 60,000 kept), and counting a year's fired
reminders and escalations read every timer. ``ix_events_trigger_time`` makes the first an
index-only range scan (``case_id`` last: the indicators join the referral from it without
reading the row); ``ix_timers_fired`` (fired timers only, so the sweep's pending ones do not
weigh on it) the second; ``ix_timers_created`` finds the timers a period's submissions
created (answered before the reminder, before the escalation).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRED = sa.text("status = 'fired'")


def upgrade() -> None:
    """Add the three indexes."""
    op.create_index(
        "ix_events_trigger_time",
        "events",
        ["case_kind", "trigger", "occurred_at", "case_id"],
        unique=False,
    )
    op.create_index(
        "ix_timers_fired",
        "timers",
        ["case_kind", "kind", "fired_at", "case_id"],
        unique=False,
        postgresql_where=FIRED,
        sqlite_where=FIRED,
    )
    op.create_index("ix_timers_created", "timers", ["case_kind", "created_at"], unique=False)


def downgrade() -> None:
    """Drop the three indexes."""
    op.drop_index("ix_timers_created", table_name="timers")
    op.drop_index("ix_timers_fired", table_name="timers")
    op.drop_index("ix_events_trigger_time", table_name="events")
