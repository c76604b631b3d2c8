"""what the dashboard counts, from indexes: its trend, its overdue referrals, its menu

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 16:00:00

Measured with EXPLAIN (ANALYZE, BUFFERS) on 180,000 referrals (``benchmarks/paris_years``),
the dashboard of all Paris at 238 ms:

- ``ix_timers_went_overdue``: the weekly trend read the 1.2 million timers by a parallel
  sequential scan to keep the 11,000 escalations of twelve weeks that went overdue (72 ms);
  this index holds the escalations that went overdue (170,000, a third of them) by due time,
  an index-only range scan (2 ms).
- ``ix_referrals_overdue_parties``: the grouped count of overdue referrals joined the 34,600
  open escalations to a sequential scan of the referrals' rows (62 ms); it reads the state
  and the parties from this index instead (27 ms).
- ``ix_timers_open_reminder``: « À traiter »'s count in the menu read every timer of the
  accompaniments to know which are due for a reminder (18 ms); the open reminders only (2 ms).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WENT_OVERDUE = sa.text(
    "kind = 'escalation' AND message IS NULL AND (closed_at IS NULL OR closed_at > due_at)"
)
OPEN_REMINDER = sa.text("kind = 'reminder' AND closed_at IS NULL AND message IS NULL")


def upgrade() -> None:
    """Add the indexes."""
    op.create_index(
        "ix_timers_went_overdue",
        "timers",
        ["case_kind", "due_at", "case_id"],
        unique=False,
        postgresql_where=WENT_OVERDUE,
        sqlite_where=WENT_OVERDUE,
    )
    op.create_index(
        "ix_timers_open_reminder",
        "timers",
        ["case_kind", "case_id", "due_at"],
        unique=False,
        postgresql_where=OPEN_REMINDER,
        sqlite_where=OPEN_REMINDER,
    )
    op.create_index(
        "ix_referrals_overdue_parties",
        "referrals",
        ["id", "state", "sender_organisation_id", "receiver_organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the indexes."""
    op.drop_index("ix_referrals_overdue_parties", table_name="referrals")
    op.drop_index("ix_timers_open_reminder", table_name="timers")
    op.drop_index("ix_timers_went_overdue", table_name="timers")
