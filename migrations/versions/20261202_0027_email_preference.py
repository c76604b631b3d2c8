"""each user's choice of overdue alerts by email: every escalation, or the daily digest only

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 08:30:00

Existing coordinators get the digest only, the default of their role
(``EmailPreference.default_for``); everyone else keeps receiving each escalation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFERENCES = ("every_escalation", "daily_digest_only")


def upgrade() -> None:
    """Add the column, every account receiving each escalation, then coordinators the digest."""
    # Plain ALTER TABLE, no batch copy of ``users``: on SQLite, rebuilding a table that the
    # cases' foreign keys point to fails once it holds rows (the column has no constraint).
    op.add_column(
        "users",
        sa.Column(
            "email_preference",
            sa.Enum(
                *PREFERENCES,
                name="emailpreference",
                native_enum=False,
                length=17,
                create_constraint=False,
            ),
            nullable=False,
            server_default="every_escalation",
        ),
    )
    op.execute("UPDATE users SET email_preference = 'daily_digest_only' WHERE role = 'coordinator'")


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("users", "email_preference")
