"""project groups: a lead partner, a mandate and an end date on committees

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 05:10:00

Three nullable columns on ``committees``, filled for the committees of kind « projet »
(required when one is created through the API or the pages; existing ones start without).
The decision kind « closure » (Clôture du groupe projet) needs no change: kinds are stored as
text, and the longest value is unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("committees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mandate", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_committees_lead_organisation_id"), ["lead_organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_committees_lead_organisation_id_organisations"),
            "organisations",
            ["lead_organisation_id"],
            ["id"],
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("committees", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_committees_lead_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_committees_lead_organisation_id"))
        batch_op.drop_column("ends_on")
        batch_op.drop_column("mandate")
        batch_op.drop_column("lead_organisation_id")
