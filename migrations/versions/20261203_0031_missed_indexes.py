"""indexes a simulated year on SQLite missed: the pending timers alone, a case's timers by
kind, the handovers of an accompaniment, the cases of a person

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 10:00:00

Found by the query plans of a simulated year on SQLite (``EXPLAIN QUERY PLAN`` of every
statement it sends, ``tests/relais/simulation/test_query_plans.py``), where each month took
longer than the last:

- ``ix_timers_due`` (status, due_at) served the sweep, but SQLite, which keeps no statistics
  unless asked, preferred it to ``ix_timers_case`` for any query naming a case and
  ``status = 'pending'`` (a case page's next deadline, the cancelling of a milestone's
  timers): it read every pending timer for each. ``ix_timers_pending`` holds the pending
  timers only, by due time, which is all the sweep reads; the years of fired and cancelled
  timers leave the index.
- ``ix_timers_case`` (case_kind, case_id) lost to ``ix_timers_fired`` (case_kind, kind, …)
  for a query naming a case, a kind and ``status = 'fired'`` (whether a milestone already
  fell due): it read every fired timer of that kind. It now holds the kind too.
- ``handovers.accompaniment_id`` had no index: ending an accompaniment looked for its handover
  under way through the handovers' state.
- ``referrals.person_id`` had no index, nor an accompaniment's source: whether an organisation
  may see a person (``may_see_person``, at each person page) read every referral, and for
  each of them every accompaniment, on both databases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    """Replace the timers' due index by the pending timers' one, add the kind to a case's
    timers; index the handovers, the referrals by person, the accompaniments by source."""
    op.create_index(
        "ix_timers_pending",
        "timers",
        ["due_at"],
        unique=False,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_index("ix_timers_case", table_name="timers")
    op.create_index("ix_timers_case", "timers", ["case_kind", "case_id", "kind"], unique=False)
    op.create_index(
        "ix_handovers_accompaniment_id", "handovers", ["accompaniment_id"], unique=False
    )
    op.create_index("ix_referrals_person_id", "referrals", ["person_id"], unique=False)
    op.create_index(
        "ix_accompaniments_source", "accompaniments", ["source_id", "source"], unique=False
    )


def downgrade() -> None:
    """Put the timers' indexes back as they were; drop the others."""
    op.drop_index("ix_accompaniments_source", table_name="accompaniments")
    op.drop_index("ix_referrals_person_id", table_name="referrals")
    op.drop_index("ix_handovers_accompaniment_id", table_name="handovers")
    op.drop_index("ix_timers_case", table_name="timers")
    op.create_index("ix_timers_case", "timers", ["case_kind", "case_id"], unique=False)
    op.create_index("ix_timers_due", "timers", ["status", "due_at"], unique=False)
    op.drop_index("ix_timers_pending", table_name="timers")
