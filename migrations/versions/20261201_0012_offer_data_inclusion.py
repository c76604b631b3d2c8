"""an offer speaks data·inclusion: its modes d'accueil, frais and sub-thématiques, and
where an imported offer comes from

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:17:48

Existing offers get empty lists (nothing known yet) and no source (they were written in
relais). ``(source, source_id)`` is unique: a second import of a data·inclusion service
updates its offer. The offers' catégories keep their values (the vocabulary is now built from
the data-inclusion-schema package, with the same values).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("modes_accueil", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("frais", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("thematiques", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("source", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_offers_source_id", ["source", "source_id"])


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_offers_source_id", type_="unique")
        batch_op.drop_column("source_id")
        batch_op.drop_column("source")
        batch_op.drop_column("thematiques")
        batch_op.drop_column("frais")
        batch_op.drop_column("modes_accueil")
