"""co-accompanying organisations of an accompaniment; the Mission locale's age limit (26)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:20:00

A new table ``accompaniment_partners`` (the organisations co-accompanying a person beside
the référent, one open row per accompaniment and organisation); ``accompaniments.turns_26_at``
(the person's 26th birthday, midnight Paris, while a Mission locale is the référent) and
``timers.message`` (the message a milestone timer sends).

Every active accompaniment of a Mission locale whose person's birth date is known gets its
``turns_26_at`` and its two « 26 ans » timers: the reminder to the référent three calendar
months before, and the alert to the coordinators on the birthday. Those whose dates have
already passed fall due at the next sweep (which says nothing when a handover was proposed):
nobody already 26 under a Mission locale is forgotten. The delays and states are written here
as they were declared at this revision.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.business_days import birthday_at, months_before
from core.db import UTCDateTime

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGE_LIMIT = 26
NOTICE_MONTHS = 3
REMINDER = ("reminder", "referent", "accompaniment.turning_26")
ESCALATION = ("escalation", "coordinators", "accompaniment.turned_26")

ACCOMPANIMENTS = sa.table(
    "accompaniments",
    sa.column("id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("turns_26_at", UTCDateTime()),
)
PERSONS = sa.table("persons", sa.column("id", sa.Integer), sa.column("birth_date", sa.Date))
ORGANISATIONS = sa.table("organisations", sa.column("id", sa.Integer), sa.column("kind", sa.String))
TIMERS = sa.table(
    "timers",
    *(sa.column(name, sa.String) for name in ("case_kind", "state", "kind", "target")),
    *(sa.column(name, sa.String) for name in ("status", "message")),
    sa.column("case_id", sa.Integer),
    *(sa.column(name, UTCDateTime()) for name in ("due_at", "created_at")),
)


def _schema() -> None:
    op.create_table(
        "accompaniment_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("accompaniment_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["accompaniment_id"],
            ["accompaniments.id"],
            name=op.f("fk_accompaniment_partners_accompaniment_id_accompaniments"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_accompaniment_partners_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_accompaniment_partners_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["users.id"],
            name=op.f("fk_accompaniment_partners_removed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accompaniment_partners")),
    )
    with op.batch_alter_table("accompaniment_partners", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accompaniment_partners_accompaniment_id"), ["accompaniment_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_accompaniment_partners_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(
            "uq_accompaniment_partners_current",
            ["accompaniment_id", "organisation_id"],
            unique=True,
            postgresql_where=sa.text("removed_at IS NULL"),
            sqlite_where=sa.text("removed_at IS NULL"),
        )
    with op.batch_alter_table("accompaniments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turns_26_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.String(length=64), nullable=True))


def _age_limits(connection: sa.Connection) -> None:
    """``turns_26_at`` and the « 26 ans » timers of the Mission locales' active accompaniments."""
    rows = connection.execute(
        sa.select(ACCOMPANIMENTS.c.id, PERSONS.c.birth_date)
        .join(PERSONS, PERSONS.c.id == ACCOMPANIMENTS.c.person_id)
        .join(ORGANISATIONS, ORGANISATIONS.c.id == ACCOMPANIMENTS.c.organisation_id)
        .where(
            ACCOMPANIMENTS.c.state == "active",
            ORGANISATIONS.c.kind == "mission_locale",
            PERSONS.c.birth_date.is_not(None),
        )
        .order_by(ACCOMPANIMENTS.c.id)
    ).all()
    migrated_at = datetime.now(UTC)
    timers = []
    for accompaniment_id, birth_date in rows:
        turns_26_at = birthday_at(birth_date, AGE_LIMIT)
        connection.execute(
            sa.update(ACCOMPANIMENTS)
            .where(ACCOMPANIMENTS.c.id == accompaniment_id)
            .values(turns_26_at=turns_26_at)
        )
        for (kind, target, message), due_at in (
            (REMINDER, months_before(turns_26_at, NOTICE_MONTHS)),
            (ESCALATION, turns_26_at),
        ):
            timers.append(
                {
                    "case_kind": "accompaniment",
                    "case_id": accompaniment_id,
                    "state": "active",
                    "kind": kind,
                    "target": target,
                    "status": "pending",
                    "message": message,
                    "due_at": due_at,
                    "created_at": migrated_at,
                }
            )
    if timers:
        connection.execute(sa.insert(TIMERS), timers)


def upgrade() -> None:
    """Create the table and columns, then the Mission locales' « 26 ans » timers."""
    _schema()
    _age_limits(op.get_bind())


def downgrade() -> None:
    """Drop the « 26 ans » timers, the columns and the table (co-accompaniments are lost)."""
    op.execute(sa.delete(TIMERS).where(TIMERS.c.message.is_not(None)))
    # Plain drops (SQLite 3.35+ drops a column in place): a batch rebuild of
    # ``accompaniments`` would fail on the handovers and partners that refer to it.
    op.drop_column("timers", "message")
    op.drop_column("accompaniments", "turns_26_at")
    with op.batch_alter_table("accompaniment_partners", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_accompaniment_partners_current",
            postgresql_where=sa.text("removed_at IS NULL"),
            sqlite_where=sa.text("removed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_accompaniment_partners_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_accompaniment_partners_accompaniment_id"))
    op.drop_table("accompaniment_partners")
