"""Paris Centre; where the person lives (arrondissement, QPV) and their publics as a set

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 21:30:00

1. Paris Centre. The 1st to 4th arrondissements are one sector since 2020: every territory
   column (organisations, users' scope, offers, referrals, handovers, accompaniments,
   committees, decisions, action items) holding 75001..75004 now holds ``paris_centre``, and
   is widened to its 12 characters. On SQLite the declared type is changed in the schema
   itself, as SQLite documents for a change that leaves the stored data as it is (both types
   are text): rebuilding those tables is impossible inside the migration's transaction while
   foreign keys refer to them. Downgraded, Paris Centre becomes 75001.
2. The person gets ``residence`` (a territory, never all Paris; indexed), ``lives_in_qpv`` and
   ``publics`` (a JSON list of publics, sorted).
3. ``referrals.situation`` moves into the person's publics (union over the person's
   referrals): rsa, ass, aah and rqth as they are, demandeur_emploi as demandeurs-emploi;
   jeune (now derived from the birth date) and autre add nothing. The column is dropped;
   downgraded, it comes back from the person's publics (rsa, ass, aah, rqth, then
   demandeurs-emploi), best effort.
4. Offers' ``eligible_publics`` become publics with the same mapping, jeune as jeunes
   (autre is dropped: it named nobody). Downgraded, the other way round.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CODES = ("75001", "75002", "75003", "75004")
CENTRE = "paris_centre"
ARRONDISSEMENTS = tuple(f"750{number:02d}" for number in range(5, 21))
TERRITORY = sa.Enum("paris", CENTRE, *ARRONDISSEMENTS, name="territory", native_enum=False)
OLD_TERRITORY = sa.Enum("paris", *OLD_CODES, *ARRONDISSEMENTS, name="territory", native_enum=False)
SITUATION = sa.Enum(
    "rsa", "ass", "aah", "jeune", "rqth", "demandeur_emploi", "autre",
    name="situation", native_enum=False,
)  # fmt: skip
# Table -> its territory column and whether it may be empty.
TERRITORY_COLUMNS = {
    "organisations": ("territory", False),
    "users": ("scope_territory", True),
    "offers": ("territory", False),
    "referrals": ("territory", False),
    "handovers": ("territory", False),
    "accompaniments": ("territory", False),
    "committees": ("territory", False),
    "decisions": ("territory", False),
    "action_items": ("territory", False),
}
PERSON_PUBLIC = {
    "rsa": "rsa",
    "ass": "ass",
    "aah": "aah",
    "rqth": "rqth",
    "demandeur_emploi": "demandeurs-emploi",
}
"""Old situation -> the public a person types for it (jeune is derived, autre says nothing)."""
OFFER_PUBLIC = {**PERSON_PUBLIC, "jeune": "jeunes"}
"""Old situation -> the public an offer names for it."""

PERSONS = sa.table("persons", sa.column("id", sa.Integer), sa.column("publics", sa.JSON))
REFERRALS = sa.table(
    "referrals",
    sa.column("id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("situation", sa.String),
)
OFFERS = sa.table("offers", sa.column("id", sa.Integer), sa.column("eligible_publics", sa.JSON))


def _declare_type(table: str, column: str, old: str, new: str) -> None:
    """Change a text column's declared type: on PostgreSQL by ALTER, on SQLite in its schema
    (https://sqlite.org/lang_altertable.html, "otherwise" procedure: the data is unchanged)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(table, column, type_=sa.String(int(new[8:-1])), existing_type=sa.String())
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    changed = bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
            "WHERE type = 'table' AND name = :table AND instr(sql, :old) > 0"
        ),
        {"old": f"\t{column} {old}", "new": f"\t{column} {new}", "table": table},
    ).rowcount
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    if changed != 1:
        raise RuntimeError(f"{table}.{column}: declared as {old} expected")


def _retype_territories(old: str, new: str) -> None:
    for table, (column, _nullable) in TERRITORY_COLUMNS.items():
        _declare_type(table, column, old, new)


def _map_territories(values: Sequence[str], to: str) -> None:
    for table, (column, _nullable) in TERRITORY_COLUMNS.items():
        target = sa.table(table, sa.column(column, sa.String))
        op.execute(sa.update(target).where(target.c[column].in_(values)).values({column: to}))


def _person_publics(connection: sa.Connection) -> dict[int, list[str]]:
    """Person -> the publics their referrals' situations say, sorted."""
    found: dict[int, set[str]] = {}
    rows = connection.execute(
        sa.select(REFERRALS.c.person_id, REFERRALS.c.situation).where(
            REFERRALS.c.situation.is_not(None)
        )
    )
    for person_id, situation in rows:
        public = PERSON_PUBLIC.get(situation)
        if public is not None:
            found.setdefault(person_id, set()).add(public)
    return {person_id: sorted(publics) for person_id, publics in found.items()}


def _rewrite_eligible(connection: sa.Connection, mapping: dict[str, str]) -> None:
    """Each offer's eligible publics through ``mapping`` (values it lacks are dropped)."""
    for offer_id, eligible in connection.execute(sa.select(OFFERS.c.id, OFFERS.c.eligible_publics)):
        new = sorted({mapping[value] for value in eligible or () if value in mapping})
        if new != list(eligible or ()):
            connection.execute(
                sa.update(OFFERS).where(OFFERS.c.id == offer_id).values(eligible_publics=new)
            )


def upgrade() -> None:
    """Apply this migration."""
    _retype_territories("VARCHAR(5)", "VARCHAR(12)")
    _map_territories(OLD_CODES, CENTRE)
    op.add_column("persons", sa.Column("residence", TERRITORY, nullable=True))
    op.create_index(op.f("ix_persons_residence"), "persons", ["residence"], unique=False)
    op.add_column(
        "persons",
        sa.Column("lives_in_qpv", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "persons",
        sa.Column("publics", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    connection = op.get_bind()
    for person_id, publics in _person_publics(connection).items():
        connection.execute(
            sa.update(PERSONS).where(PERSONS.c.id == person_id).values(publics=publics)
        )
    op.drop_column("referrals", "situation")
    _rewrite_eligible(connection, OFFER_PUBLIC)


def _situation_of(publics: Sequence[str]) -> str | None:
    for situation, public in PERSON_PUBLIC.items():
        if public in publics:
            return situation
    return None


def downgrade() -> None:
    """Revert this migration (Paris Centre becomes 75001; situations come back best effort)."""
    connection = op.get_bind()
    _rewrite_eligible(connection, {public: old for old, public in OFFER_PUBLIC.items()})
    op.add_column("referrals", sa.Column("situation", SITUATION, nullable=True))
    people: dict[int, Any] = dict(
        connection.execute(sa.select(PERSONS.c.id, PERSONS.c.publics)).tuples().all()
    )
    for person_id, publics in people.items():
        situation = _situation_of(publics or ())
        if situation is not None:
            connection.execute(
                sa.update(REFERRALS)
                .where(REFERRALS.c.person_id == person_id)
                .values(situation=situation)
            )
    op.drop_index(op.f("ix_persons_residence"), table_name="persons")
    for column in ("publics", "lives_in_qpv", "residence"):
        op.drop_column("persons", column)
    _map_territories((CENTRE,), OLD_CODES[0])
    _retype_territories("VARCHAR(12)", "VARCHAR(5)")
