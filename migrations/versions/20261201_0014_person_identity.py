"""one person, one record: strong identifiers, the normalised name key, and person events

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:20:00

Persons get their France Travail identifier and CAF allocataire number (optional, unique when
given) and ``name_key``, the normalised « last|first » name that matching looks up with the
birth date (one index on both). The key of every existing person is computed here, by the
rule as written at this revision (``states.identity.name_key``). Existing duplicates are
left as they are: the coordinators merge them. ``person_events`` records merges.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’‘`´]+")
KEY_SEPARATOR = "|"
BATCH = 1000


def normalise_name(name: str) -> str:
    """``states.identity.normalise_name`` at this revision."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = bare.casefold().replace(KEY_SEPARATOR, " ")
    return SEPARATORS.sub(" ", folded).strip()


def name_key(last_name: str, first_name: str) -> str:
    """``states.identity.name_key`` at this revision."""
    return f"{normalise_name(last_name)}{KEY_SEPARATOR}{normalise_name(first_name)}"


def _backfill_name_keys() -> None:
    connection = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id", sa.Integer()),
        sa.column("first_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("name_key", sa.String()),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(persons.c.id, persons.c.first_name, persons.c.last_name)
            .where(persons.c.id > last_id)
            .order_by(persons.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            persons.update()
            .where(persons.c.id == sa.bindparam("person_id"))
            .values(name_key=sa.bindparam("key")),
            [{"person_id": row.id, "key": name_key(row.last_name, row.first_name)} for row in rows],
        )
        last_id = rows[-1].id


def upgrade() -> None:
    """Add the identifiers and the name key (computed for every person), and person events."""
    op.create_table(
        "person_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_person_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_person_events_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_events_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_events")),
    )
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_events_person_id"), ["person_id"], unique=False)

    # No rebuild of ``persons`` on SQLite (other tables' rows refer to it, and SQLite checks
    # them when a rebuilt table's old copy is dropped): the key comes NOT NULL with an empty
    # default, which the backfill replaces, and the identifiers are unique through unique
    # indexes (the model declares them so), which need no rebuild either.
    op.add_column("persons", sa.Column("france_travail_id", sa.String(length=11), nullable=True))
    op.add_column("persons", sa.Column("caf_number", sa.String(length=7), nullable=True))
    op.add_column(
        "persons",
        sa.Column("name_key", sa.String(length=400), nullable=False, server_default=""),
    )
    _backfill_name_keys()
    op.create_index("ix_persons_identity", "persons", ["name_key", "birth_date"], unique=False)
    op.create_index("uq_persons_caf_number", "persons", ["caf_number"], unique=True)
    op.create_index("uq_persons_france_travail_id", "persons", ["france_travail_id"], unique=True)
    if op.get_context().dialect.name != "sqlite":
        op.alter_column("persons", "name_key", server_default=None)


def downgrade() -> None:
    """Drop them (a merge done since stays done: the merged records are gone)."""
    op.drop_index("uq_persons_france_travail_id", table_name="persons")
    op.drop_index("uq_persons_caf_number", table_name="persons")
    op.drop_index("ix_persons_identity", table_name="persons")
    # SQLite drops a column in place (3.35+): no rebuild of the table others refer to.
    for column in ("name_key", "caf_number", "france_travail_id"):
        op.drop_column("persons", column)

    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_events_person_id"))

    op.drop_table("person_events")
