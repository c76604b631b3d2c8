"""the year's action plan: a lifecycle validated by the comité de pilotage, and its items

Revision ID: action_plans
Revises: 0021
Create Date: 2026-12-02 06:00:00

``action_plans`` holds a year's plan (lifecycle ``states.action_plan``), ``action_plan_items``
its items, each drafted from an approved decision of a comité technique or project group.
Two partial unique indexes keep one plan of the year (validated, or validated and being
revised) and one plan in preparation (draft or submitted) per year. As for every lifecycle
(migration 0003), the database refuses an undeclared state and a validated plan without its
meeting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "action_plans"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("draft", "submitted", "validated", "under_revision", "superseded")
THE_PLAN_OF_THE_YEAR = "state IN ('validated', 'under_revision')"
IN_PREPARATION = "state IN ('draft', 'submitted')"
TERRITORIES = (
    "paris",
    "paris_centre",
    *(f"750{number:02d}" for number in range(5, 21)),
)
"""``core.enums.Territory`` at this revision."""


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "territory",
            sa.Enum(*TERRITORIES, name="territory", native_enum=False),
            nullable=False,
        ),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("validated_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("validation_meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("state_entered_at", core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{state}'" for state in STATES) + ")", name="state"
        ),
        sa.CheckConstraint(
            "state NOT IN ('validated', 'under_revision', 'superseded') OR "
            "(validated_at IS NOT NULL AND validation_meeting_id IS NOT NULL)",
            name="validated_has_meeting",
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["revises_id"], ["action_plans.id"]),
        sa.ForeignKeyConstraint(["validation_meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_action_plans_state", "action_plans", ["state"])
    op.create_index("ix_action_plans_year", "action_plans", ["year"])
    op.create_index(
        "uq_action_plans_plan_of_the_year",
        "action_plans",
        ["year"],
        unique=True,
        postgresql_where=sa.text(THE_PLAN_OF_THE_YEAR),
        sqlite_where=sa.text(THE_PLAN_OF_THE_YEAR),
    )
    op.create_index(
        "uq_action_plans_in_preparation",
        "action_plans",
        ["year"],
        unique=True,
        postgresql_where=sa.text(IN_PREPARATION),
        sqlite_where=sa.text(IN_PREPARATION),
    )
    op.create_table(
        "action_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sub_axis", sa.String(length=4), nullable=False),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("target_indicator", sa.String(length=64), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["action_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sub_axis"], ["plan_sub_axes.code"]),
        sa.ForeignKeyConstraint(["lead_organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_action_plan_items_plan_id", "action_plan_items", ["plan_id"])
    op.create_index("ix_action_plan_items_decision_id", "action_plan_items", ["decision_id"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("action_plan_items")
    op.drop_table("action_plans")
