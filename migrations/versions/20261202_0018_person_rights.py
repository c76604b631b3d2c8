"""the person's rights: when the person withdrew consent

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 01:00:00

``persons.consent_withdrawn_at``: set when the person withdraws their consent to the sharing
(their open cases are closed in the same transaction), cleared by a renewed attestation on
the next referral. A plain ``ADD COLUMN`` (no table rebuilt on SQLite); no data moves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``persons.consent_withdrawn_at``."""
    op.add_column(
        "persons", sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    """Drop ``persons.consent_withdrawn_at``."""
    # A plain DROP COLUMN (SQLite 3.35+): no rebuild of a table other tables refer to.
    op.drop_column("persons", "consent_withdrawn_at")
