"""the plan's axes and sub-axes as reference data, and the sub-axes each offer serves

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 05:00:00

Two reference tables, ``plan_axes`` (the four axes) and ``plan_sub_axes`` (1.1 to 4.2), filled
here with the titles of the Plan parisien de l'insertion par l'emploi 2021-2025, word for word
(its sommaire, pages 8 to 16). The plan has ten sub-axes: two under axes 1 and 4, three under
axes 2 and 3. A new table ``offer_sub_axes`` attaches offers to sub-axes; existing offers start
with none until their organisation admin chooses.

The rows are a frozen copy: ``core.enums.PlanMainAxis`` and ``PlanAxis`` are the code's names
for the same rows, and a test keeps them identical.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AXES = (
    ("1", "Développer une connaissance partagée des besoins et des politiques d'insertion"),
    ("2", "Mobiliser le tissu économique local pour l'insertion des Parisien·nes"),
    ("3", "Mobiliser les offres de formation et d'accompagnement à l'emploi"),
    ("4", "Être acteur de son parcours d'insertion"),
)

SUB_AXES = (
    (
        "1.1",
        "Mieux connaître le profil et les besoins des personnes en insertion pour mieux "
        "adapter nos actions",
    ),
    ("1.2", "Élaborer une vision partagée des politiques d'insertion entre les partenaires"),
    ("2.1", "Rapprocher l'offre et la demande d'emploi"),
    ("2.2", "Associer les entreprises pour lever les freins à l'emploi"),
    ("2.3", "Mobiliser toutes les opportunités d'accès à l'emploi"),
    ("3.1", "Améliorer la connaissance de l'offre d'insertion pour en faciliter l'accès"),
    (
        "3.2",
        "Améliorer les complémentarités des offres de formation en vue de répondre aux besoins "
        "en compétences et qualifications des employeur·euse·s",
    ),
    ("3.3", "Articuler les accompagnements pour un parcours vers l'emploi sans rupture"),
    ("4.1", "Améliorer l'appropriation de l'offre d'insertion par les Parisien·nes"),
    ("4.2", "Renforcer l'autonomie par l'inclusion numérique"),
)


def upgrade() -> None:
    """Create and fill the reference tables, and the offers' sub-axes."""
    axes = op.create_table(
        "plan_axes",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_plan_axes")),
    )
    sub_axes = op.create_table(
        "plan_sub_axes",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("axis_code", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["axis_code"], ["plan_axes.code"], name=op.f("fk_plan_sub_axes_axis_code_plan_axes")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_plan_sub_axes")),
    )
    op.create_table(
        "offer_sub_axes",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("sub_axis", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_offer_sub_axes_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_axis"],
            ["plan_sub_axes.code"],
            name=op.f("fk_offer_sub_axes_sub_axis_plan_sub_axes"),
        ),
        sa.PrimaryKeyConstraint("offer_id", "sub_axis", name=op.f("pk_offer_sub_axes")),
    )
    op.create_index(
        op.f("ix_offer_sub_axes_sub_axis"), "offer_sub_axes", ["sub_axis"], unique=False
    )
    op.bulk_insert(axes, [{"code": code, "title": title} for code, title in AXES])
    op.bulk_insert(
        sub_axes,
        [
            {"code": code, "axis_code": code.split(".")[0], "title": title, "position": index}
            for index, (code, title) in enumerate(SUB_AXES, start=1)
        ],
    )


def downgrade() -> None:
    """Drop the offers' sub-axes and the reference tables."""
    op.drop_index(op.f("ix_offer_sub_axes_sub_axis"), table_name="offer_sub_axes")
    op.drop_table("offer_sub_axes")
    op.drop_table("plan_sub_axes")
    op.drop_table("plan_axes")
