"""the access log; at most one active data protection officer

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 00:45:00

A new table ``access_log``: one row per read of a person's data (who, which organisation and
role, when, which person, through which case and channel, whether health data was shown),
searched by person and by reader over time, purged after 12 months. A partial unique index
on ``users`` keeps at most one active account with the role ``dpo``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("member", "org_admin", "coordinator", "secretary", "admin", "dpo")
CHANNELS = ("page", "api", "export", "csv")
ONE_ACTIVE_DPO = "role = 'dpo' AND is_active"


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.Enum(*ROLES, name="role", native_enum=False), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_kind", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel", sa.Enum(*CHANNELS, name="accesschannel", native_enum=False), nullable=False
        ),
        sa.Column("health_data", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_access_log_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_access_log_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_case", "access_log", ["case_kind", "case_id"])
    op.create_index("ix_access_log_occurred_at", "access_log", ["occurred_at"])
    op.create_index("ix_access_log_person_time", "access_log", ["person_id", "occurred_at"])
    op.create_index("ix_access_log_user_time", "access_log", ["user_id", "occurred_at"])
    op.create_index(
        "uq_users_one_active_dpo",
        "users",
        ["role"],
        unique=True,
        postgresql_where=sa.text(ONE_ACTIVE_DPO),
        sqlite_where=sa.text(ONE_ACTIVE_DPO),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("uq_users_one_active_dpo", table_name="users")
    op.drop_table("access_log")
