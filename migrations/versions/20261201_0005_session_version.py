"""each account's session version: raising it ends every session of the account

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:18:47

Every token relais signs carries the account's session version; a token whose version is no
longer the account's is refused (``services.auth.end_sessions`` raises it on logout, password
change and deactivation). Existing accounts start at 0, as the tokens they hold have no version
and are refused: everyone signs in again once after this migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``users.session_version``, 0 for every existing account."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    """Drop ``users.session_version``."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
