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
    # Plain ALTERs and a unique index: on SQLite a batch rebuild of ``offers`` would fail on
    # the referrals that refer to it.
    op.add_column(
        "offers", sa.Column("modes_accueil", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("offers", sa.Column("frais", sa.JSON(), server_default="[]", nullable=False))
    op.add_column(
        "offers", sa.Column("thematiques", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("offers", sa.Column("source", sa.String(length=100), nullable=True))
    op.add_column("offers", sa.Column("source_id", sa.String(length=200), nullable=True))
    op.create_index("uq_offers_source_id", "offers", ["source", "source_id"], unique=True)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("uq_offers_source_id", table_name="offers")
    for column in ("source_id", "source", "thematiques", "frais", "modes_accueil"):
        op.drop_column("offers", column)
