"""the trail of administrative changes; minutes frozen at publication, and their amendments

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:45:54

A new table ``audit_entries`` (who changed an organisation, an account, an offer, a
committee's membership or a meeting, when, and each changed field from and to), append-only:
on PostgreSQL a trigger refuses any UPDATE or DELETE of it. ``meetings.minutes_published_at``
(the minutes' publication, after which they are frozen) and a new table
``meeting_amendments`` (the rectificatifs published beside them). Nothing is moved: meetings
whose minutes were already written stay unpublished until the secretariat publishes them
(or publishes one of their decisions).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = (
    """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP;
END;
$$
""",
    """
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
""",
)


def upgrade() -> None:
    """Create the trail and the amendments; add the minutes' publication date."""
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_organisation_id", sa.Integer(), nullable=True),
        sa.Column("entity_kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "entity_kind IN ('organisation', 'user', 'offer', 'committee_membership', 'meeting')",
            name=op.f("ck_audit_entries_entity_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["actor_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_audit_entries_actor_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_entity", "audit_entries", ["entity_kind", "entity_id", "id"])
    op.create_index(op.f("ix_audit_entries_occurred_at"), "audit_entries", ["occurred_at"])
    op.create_table(
        "meeting_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_meeting_amendments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_amendments_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_amendments")),
    )
    op.create_index(op.f("ix_meeting_amendments_meeting_id"), "meeting_amendments", ["meeting_id"])
    op.add_column(
        "meetings", sa.Column("minutes_published_at", sa.DateTime(timezone=True), nullable=True)
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    """Drop the trail, the amendments and the minutes' publication date."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    op.drop_column("meetings", "minutes_published_at")
    op.drop_index(op.f("ix_meeting_amendments_meeting_id"), table_name="meeting_amendments")
    op.drop_table("meeting_amendments")
    op.drop_index(op.f("ix_audit_entries_occurred_at"), table_name="audit_entries")
    op.drop_index("ix_audit_entries_entity", table_name="audit_entries")
    op.drop_table("audit_entries")
