"""indexes for the plan's indicators

Revision ID: indicator_indexes
Revises: 0021
Create Date: 2026-12-02 05:30:00

The indicators (``services.indicators``) count a period's events of one trigger and the
timers fired or created in it: on 900,000 events (three years of 60,000 referrals) a scan of
``events`` by ``(case_kind, trigger, occurred_at)`` reads a year's submissions alone rather
than the whole table; the same for ``timers`` by kind and firing, and by creation.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "indicator_indexes"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_index(
        "ix_events_trigger_time", "events", ["case_kind", "trigger", "occurred_at"], unique=False
    )
    op.create_index("ix_timers_created", "timers", ["case_kind", "created_at"], unique=False)
    op.create_index("ix_timers_fired", "timers", ["case_kind", "kind", "fired_at"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_timers_fired", table_name="timers")
    op.drop_index("ix_timers_created", table_name="timers")
    op.drop_index("ix_events_trigger_time", table_name="events")
