"""an accompaniment started by the coordination records why, and by whom

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:00:00

Outside a referral to an accompaniment offer and a confirmed handover, only a coordinator
starts an accompaniment, with a written reason. The reason is free text about the person: it
lives on the accompaniment row, where anonymisation can erase it, never in an event payload.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("accompaniments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("started_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_accompaniments_started_by_id_users"), "users", ["started_by_id"], ["id"]
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("accompaniments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_accompaniments_started_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("started_by_id")
        batch_op.drop_column("reason")
