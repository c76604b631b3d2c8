"""the index of the open escalations, for the overdue cases and the deadlines of the lists

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 09:30:00

Measured with EXPLAIN (ANALYZE, BUFFERS) on 180,000 referrals (``benchmarks/paris_years``):
the dashboard's count of overdue referrals read the 1.2 million timers by a parallel
sequential scan (190 ms of its 510 ms) to keep the 35,000 open escalations; this partial
index holds only those and answers by an index-only scan (9 ms).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ESCALATION = sa.text("kind = 'escalation' AND closed_at IS NULL AND message IS NULL")


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_timers_open_escalation",
        "timers",
        ["case_kind", "case_id", "due_at"],
        unique=False,
        postgresql_where=OPEN_ESCALATION,
        sqlite_where=OPEN_ESCALATION,
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_timers_open_escalation", table_name="timers")
