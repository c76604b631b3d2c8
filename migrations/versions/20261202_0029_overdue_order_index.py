"""the open escalations in overdue order, for a page of overdue cases

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 12:20:00

``GET /api/overdue`` and the CSV export read the overdue cases a page at a time, oldest first
(``services.overdue_pages``). ``ix_timers_open_escalation`` (case_kind, case_id, due_at) finds
a case's escalation but not the oldest: on 180,000 referrals (``benchmarks/paris_years``) a
page sorted the 34,000 open escalations of the referrals (31 ms, ``EXPLAIN (ANALYZE,
BUFFERS)``); in this order it reads the page's rows only (0.4 ms).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ESCALATION = sa.text("kind = 'escalation' AND closed_at IS NULL AND message IS NULL")


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_timers_overdue_order",
        "timers",
        ["case_kind", "due_at", "case_id"],
        unique=False,
        postgresql_where=OPEN_ESCALATION,
        sqlite_where=OPEN_ESCALATION,
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_timers_overdue_order", table_name="timers")
