"""referral milestones: the instants the indicators' delays read, kept on the referral's row

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 08:30:00

The first transmission (with the dues of the reminder and alert it opened), the receiver's
first answer, the last acceptance and the start, stamped from now on by the transitions
(``states.milestones``) and filled here from the events and timers for the existing
referrals. The delays then read one covering index of ``referrals`` instead of a year of
events joined to its timers: ``ix_timers_submitted`` and ``ix_timers_created``, which only
that join used, are dropped (two index writes fewer per timer opened).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBMITTED = sa.text("state = 'submitted'")
MILESTONES = (
    ("first_submitted_at", "min", "'submit'"),
    ("first_answered_at", "min", "'accept', 'return'"),
    ("accepted_at", "max", "'accept'"),
    ("started_at", "max", "'start'"),
)
DUES = (("first_reminder_due_at", "reminder"), ("first_escalation_due_at", "escalation"))


def upgrade() -> None:
    """Add the columns and their indexes, fill them, drop the timers' indexes."""
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for name in ("first_submitted_at", "first_reminder_due_at", "first_escalation_due_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        for name in ("first_answered_at", "accepted_at", "started_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    instants = ", ".join(
        f"{column} = (SELECT {aggregate}(e.occurred_at) FROM events e "
        f"WHERE e.case_kind = 'referral' AND e.case_id = referrals.id "
        f"AND e.trigger IN ({triggers}))"
        for column, aggregate, triggers in MILESTONES
    )
    op.execute(f"UPDATE referrals SET {instants}")
    dues = ", ".join(
        f"{column} = (SELECT min(t.due_at) FROM timers t WHERE t.case_kind = 'referral' "
        f"AND t.case_id = referrals.id AND t.state = 'submitted' AND t.kind = '{kind}' "
        f"AND t.created_at = referrals.first_submitted_at)"
        for column, kind in DUES
    )
    op.execute(f"UPDATE referrals SET {dues} WHERE first_submitted_at IS NOT NULL")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_first_submitted",
            [
                "first_submitted_at",
                "first_answered_at",
                "first_reminder_due_at",
                "first_escalation_due_at",
            ],
            unique=False,
        )
        batch_op.create_index("ix_referrals_started", ["started_at", "accepted_at"], unique=False)
    op.drop_index("ix_timers_created", table_name="timers")
    op.drop_index("ix_timers_submitted", table_name="timers")


def downgrade() -> None:
    """Put the timers' indexes back and drop the milestones."""
    op.create_index(
        "ix_timers_submitted",
        "timers",
        ["case_kind", "created_at", "case_id", "kind", "due_at"],
        unique=False,
        postgresql_where=SUBMITTED,
        sqlite_where=SUBMITTED,
    )
    op.create_index("ix_timers_created", "timers", ["case_kind", "created_at"], unique=False)
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_started")
        batch_op.drop_index("ix_referrals_first_submitted")
        for name in (
            "started_at",
            "accepted_at",
            "first_answered_at",
            "first_escalation_due_at",
            "first_reminder_due_at",
            "first_submitted_at",
        ):
            batch_op.drop_column(name)
