"""the referrals that can be overdue, indexed with what the dashboard and the export read

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 18:55:00

The dashboard counts the referrals past their open escalation by state and by the
organisation each waits on, joining the open escalations to ``ix_referrals_overdue_parties``
by id. That index held every referral: with three years of Paris the join walked 175,000
entries for 31,000 overdue referrals (38-57 ms). A referral can be past an open escalation
only in a state that has one; the completed, cancelled and closed ones, three quarters of the
table, never are, and the expired ones are read apart. Holding only the others, the index has
43,000 entries and the count takes 28-31 ms (``EXPLAIN ANALYZE``).

On PostgreSQL the index also carries each referral's reference, territory and person, so that
the CSV export reads its referrals past their escalation from the index alone: a read of
10,000 of them took 52-60 ms through the table (all Paris) and 43-48 ms for the 75018, and
takes 22-24 and 18-25 ms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAST_ESCALATION_STATES = "state IN ('accepted', 'in_progress', 'returned', 'submitted')"
COLUMNS = ["id", "state", "sender_organisation_id", "receiver_organisation_id"]
CARRIED = ["territory", "person_id", "reference"]
"""What the export reads besides (PostgreSQL only): its lines' reference, a territory's filter."""


def upgrade() -> None:
    """Rebuild the index for the referrals that can be past an open escalation."""
    op.drop_index("ix_referrals_overdue_parties", table_name="referrals")
    op.create_index(
        "ix_referrals_overdue_parties",
        "referrals",
        COLUMNS,
        unique=False,
        postgresql_include=CARRIED,
        postgresql_where=sa.text(PAST_ESCALATION_STATES),
        sqlite_where=sa.text(PAST_ESCALATION_STATES),
    )


def downgrade() -> None:
    """Back to every referral."""
    op.drop_index("ix_referrals_overdue_parties", table_name="referrals")
    op.create_index("ix_referrals_overdue_parties", "referrals", COLUMNS, unique=False)
