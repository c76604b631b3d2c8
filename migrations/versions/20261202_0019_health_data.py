"""health data kept apart: when the referrer attested the explicit consent to share it

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 00:40:00

``referrals.health_data_attested_at``: when the referrer attested, separately from the
general consent, that the person explicitly agreed to share their health data (the health
barrier, AAH, RQTH) with the receiving organisation. Null for a referral carrying none, and for
the referrals written before this revision (no such attestation was asked then: nothing is
invented). A plain ADD COLUMN (no table rebuild on SQLite: other tables refer to referrals).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``referrals.health_data_attested_at``."""
    op.add_column("referrals", sa.Column("health_data_attested_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop ``referrals.health_data_attested_at``."""
    # A plain drop (SQLite 3.35+): a batch rebuild of referrals would break what refers to it.
    op.drop_column("referrals", "health_data_attested_at")
