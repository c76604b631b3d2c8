"""the field's vocabulary of returns and outcomes; a work phone for every account

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:30:00

Return reasons gain ``out_of_area``, ``already_accompanied`` and ``administrative_conditions``;
outcomes and exit reasons gain the finer codes the comité de pilotage counts by (lasting or
transitional employment, IAE, business creation, qualifying or other training, moved away,
end of rights). The columns store values as text: only their width changes.

**No stored value is moved.** ``employment`` said nothing of the contract: rewriting it as
``lasting_employment`` would make the indicators claim jobs of six months or more nobody
recorded, and ``transitional_employment`` would claim the opposite. ``training`` said nothing
of a qualification either: ``other_training`` would claim it did not qualify. Both stay as
they were, as retired codes that read « Emploi (durée non précisée) » and « Formation (type
non précisé) », counted apart, and that nobody may choose again (``core.enums.Outcome``).
Events keep their payloads as written (they are append-only).

Downgrading folds the new codes back into the old vocabulary, losing the precision: the
employment ones (lasting, transitional, IAE, business creation) into ``employment``, the
trainings into ``training``, moved away and end of rights into ``other``, and the three new
return reasons into ``other`` (a return always carries its comment, which says the rest).
Work phones are dropped.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOME_WIDTH, OLD_OUTCOME_WIDTH = 23, 14
REASON_WIDTH, OLD_REASON_WIDTH = 25, 19

FOLDED_OUTCOMES = {
    "lasting_employment": "employment",
    "transitional_employment": "employment",
    "iae": "employment",
    "business_creation": "employment",
    "qualifying_training": "training",
    "other_training": "training",
    "moved_away": "other",
    "end_of_rights": "other",
}
"""What a downgrade writes for each new outcome: the old code that includes it."""
FOLDED_REASONS = {
    "out_of_area": "other",
    "already_accompanied": "other",
    "administrative_conditions": "other",
}
"""What a downgrade writes for each new return reason."""


@contextmanager
def _handovers_set_aside(table: str) -> Iterator[None]:
    """On SQLite, keep the handovers aside while the accompaniments' table is rebuilt (as
    migration 0010 does): SQLite alters a table by copying it and dropping the old one, which
    fails while a handover refers to one of its rows. Nothing refers to a handover."""
    if table != "accompaniments" or op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE handovers_set_aside AS SELECT * FROM handovers")
    op.execute("DELETE FROM handovers")
    yield
    op.execute("INSERT INTO handovers SELECT * FROM handovers_set_aside")
    op.execute("DROP TABLE handovers_set_aside")


def _widen(table: str, column: str, old: int, new: int) -> None:
    with _handovers_set_aside(table), op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column,
            existing_type=sa.String(length=old),
            type_=sa.String(length=new),
            existing_nullable=True,
        )


def upgrade() -> None:
    """Apply this migration."""
    _widen("accompaniments", "exit_outcome", OLD_OUTCOME_WIDTH, OUTCOME_WIDTH)
    _widen("referrals", "outcome", OLD_OUTCOME_WIDTH, OUTCOME_WIDTH)
    _widen("referrals", "return_reason", OLD_REASON_WIDTH, REASON_WIDTH)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_phone", sa.String(length=20), nullable=True))


def _fold(table: str, column: str, folded: dict[str, str]) -> None:
    rows = sa.table(table, sa.column(column, sa.String()))
    for new, old in folded.items():
        op.execute(rows.update().where(rows.c[column] == new).values({column: old}))


def downgrade() -> None:
    """Revert this migration."""
    # Not in batch mode: on SQLite (3.35 and later) the column is dropped in place, where a
    # rebuild of the accounts' table would fail on every row that refers to an account.
    op.drop_column("users", "work_phone")
    _fold("accompaniments", "exit_outcome", FOLDED_OUTCOMES)
    _fold("referrals", "outcome", FOLDED_OUTCOMES)
    _fold("referrals", "return_reason", FOLDED_REASONS)
    _widen("referrals", "return_reason", REASON_WIDTH, OLD_REASON_WIDTH)
    _widen("referrals", "outcome", OUTCOME_WIDTH, OLD_OUTCOME_WIDTH)
    _widen("accompaniments", "exit_outcome", OUTCOME_WIDTH, OLD_OUTCOME_WIDTH)
