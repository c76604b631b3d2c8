"""an accompaniment is a lifecycle: a progress check every 90 business days without news of
the person, and an end (sortie) with an outcome

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:30:00

Each accompaniment gets what every case has: a reference (``AP-<year>-<number>``, numbered in
the order they started and continuing the counter of ``reference_sequences``, so that the
next one relais hands out follows), a state (``active`` until it ended, ``ended`` after), a
version, a territory (that of the referral or handover it came from, else its organisation's)
and the moment it entered its state. Its history gets the events it would have had: its
beginning, and for those that ended (a handover then, the only way) ``hand_over``. An active
one gets its progress-check timers, counted from the person's latest news: the later of its
start and the last event someone recorded on the person's referrals and handovers. The
delays, states and prefix are written here as they were declared at this revision.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.business_days import PARIS, add_business_days
from core.db import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "accompaniment"
PREFIX = "AP"
PROGRESS_TIMERS = (("reminder", 90, "referent"), ("escalation", 100, "coordinators"))
STATES = ("active", "ended")
# Constraint name -> condition, as migration 0003 writes them for the other lifecycles.
CHECKS = {
    "state": f"state IN ({', '.join(repr(state) for state in STATES)})",
    "ended_at_follows_state": (
        "(state = 'ended' AND ended_at IS NOT NULL) OR (state = 'active' AND ended_at IS NULL)"
    ),
}
TERRITORY = sa.Enum(
    "paris", "75001", "75002", "75003", "75004", "75005", "75006", "75007", "75008", "75009",
    "75010", "75011", "75012", "75013", "75014", "75015", "75016", "75017", "75018", "75019",
    "75020", name="territory", native_enum=False,
)  # fmt: skip
OUTCOME = sa.Enum(
    "employment", "training", "other_offer", "person_left", "did_not_attend", "other",
    name="outcome", native_enum=False,
)  # fmt: skip
REQUIRED: dict[str, sa.types.TypeEngine[Any]] = {
    "reference": sa.String(length=20),
    "state": sa.String(length=32),
    "version": sa.Integer(),
    "territory": TERRITORY,
    "state_entered_at": sa.DateTime(timezone=True),
}

ACCOMPANIMENTS = sa.table(
    "accompaniments",
    *(sa.column(name, sa.Integer) for name in ("id", "person_id", "organisation_id")),
    *(sa.column(name, sa.Integer) for name in ("source_id", "started_by_id", "version")),
    *(sa.column(name, sa.String) for name in ("source", "reference", "state", "territory")),
    *(sa.column(name, UTCDateTime()) for name in ("started_at", "ended_at", "state_entered_at")),
)
REFERRALS = sa.table(
    "referrals", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer),
    sa.column("territory", sa.String),
)  # fmt: skip
HANDOVERS = sa.table(
    "handovers", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer),
    sa.column("territory", sa.String),
)  # fmt: skip
ORGANISATIONS = sa.table(
    "organisations", sa.column("id", sa.Integer), sa.column("territory", sa.String)
)
USERS = sa.table("users", sa.column("id", sa.Integer), sa.column("organisation_id", sa.Integer))
EVENTS = sa.table(
    "events",
    *(sa.column(name, sa.String) for name in ("case_kind", "trigger", "from_state", "to_state")),
    *(sa.column(name, sa.Integer) for name in ("case_id", "actor_id", "organisation_id")),
    sa.column("payload", sa.JSON),
    sa.column("occurred_at", UTCDateTime()),
)
TIMERS = sa.table(
    "timers",
    *(sa.column(name, sa.String) for name in ("case_kind", "state", "kind", "target", "status")),
    sa.column("case_id", sa.Integer),
    sa.column("due_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
)
SEQUENCES = sa.table(
    "reference_sequences",
    sa.column("prefix", sa.String),
    sa.column("year", sa.Integer),
    sa.column("last_value", sa.Integer),
)


def _latest_news() -> Any:
    """Person -> the last event someone (not relais) recorded on their referrals and handovers."""
    news = sa.union_all(
        *(
            sa.select(cases.c.person_id, EVENTS.c.occurred_at)
            .join(cases, sa.and_(EVENTS.c.case_kind == kind, EVENTS.c.case_id == cases.c.id))
            .where(EVENTS.c.organisation_id.is_not(None))
            for cases, kind in ((REFERRALS, "referral"), (HANDOVERS, "handover"))
        )
    ).subquery()
    return (
        sa.select(news.c.person_id, sa.func.max(news.c.occurred_at).label("at"))
        .group_by(news.c.person_id)
        .subquery()
    )


def _accompaniments(connection: sa.Connection) -> list[sa.Row[Any]]:
    """Every accompaniment in the order it started, with what its backfill needs."""
    referral = REFERRALS.alias("source_referral")
    handover = HANDOVERS.alias("source_handover")
    latest = _latest_news()
    source_is = ACCOMPANIMENTS.c.source
    return list(
        connection.execute(
            sa.select(
                ACCOMPANIMENTS.c.id,
                ACCOMPANIMENTS.c.organisation_id,
                ACCOMPANIMENTS.c.started_at,
                ACCOMPANIMENTS.c.ended_at,
                ACCOMPANIMENTS.c.started_by_id,
                USERS.c.organisation_id.label("starter_organisation_id"),
                sa.func.coalesce(
                    referral.c.territory, handover.c.territory, ORGANISATIONS.c.territory
                ).label("territory"),
                latest.c.at.label("latest_news_at"),
            )
            .join(ORGANISATIONS, ORGANISATIONS.c.id == ACCOMPANIMENTS.c.organisation_id)
            .outerjoin(USERS, USERS.c.id == ACCOMPANIMENTS.c.started_by_id)
            .outerjoin(
                referral,
                sa.and_(source_is == "referral", referral.c.id == ACCOMPANIMENTS.c.source_id),
            )
            .outerjoin(
                handover,
                sa.and_(source_is == "handover", handover.c.id == ACCOMPANIMENTS.c.source_id),
            )
            .outerjoin(latest, latest.c.person_id == ACCOMPANIMENTS.c.person_id)
            .order_by(ACCOMPANIMENTS.c.started_at, ACCOMPANIMENTS.c.id)
        )
    )


def _references(connection: sa.Connection, rows: Sequence[sa.Row[Any]]) -> dict[int, str]:
    """Accompaniment id -> its reference, each year's counter moved past the numbers used."""
    counters: dict[int, int] = {
        year: last
        for year, last in connection.execute(
            sa.select(SEQUENCES.c.year, SEQUENCES.c.last_value).where(SEQUENCES.c.prefix == PREFIX)
        ).tuples()
    }
    known = set(counters)
    references = {}
    for row in rows:
        year = row.started_at.astimezone(PARIS).year
        counters[year] = counters.get(year, 0) + 1
        references[row.id] = f"{PREFIX}-{year}-{counters[year]:06d}"
    for year, last in counters.items():
        if year in known:
            connection.execute(
                sa.update(SEQUENCES)
                .where(SEQUENCES.c.prefix == PREFIX, SEQUENCES.c.year == year)
                .values(last_value=last)
            )
        else:
            connection.execute(
                sa.insert(SEQUENCES).values(prefix=PREFIX, year=year, last_value=last)
            )
    return references


def _fill_rows(connection: sa.Connection, rows: Sequence[sa.Row[Any]]) -> None:
    """Each accompaniment's reference, state, version, territory and state's start."""
    references = _references(connection, rows)
    connection.execute(
        sa.update(ACCOMPANIMENTS)
        .where(ACCOMPANIMENTS.c.id == sa.bindparam("row_id"))
        .values(
            reference=sa.bindparam("row_reference"),
            state=sa.bindparam("row_state"),
            version=1,
            territory=sa.bindparam("row_territory"),
            state_entered_at=sa.bindparam("row_entered_at"),
        ),
        [
            {
                "row_id": row.id,
                "row_reference": references[row.id],
                "row_state": "active" if row.ended_at is None else "ended",
                "row_territory": row.territory,
                "row_entered_at": row.ended_at or row.started_at,
            }
            for row in rows
        ],
    )


def _event(row: sa.Row[Any], trigger: str, to_state: str, **values: Any) -> dict[str, Any]:
    return {
        "case_kind": KIND,
        "case_id": row.id,
        "trigger": trigger,
        "to_state": to_state,
        "payload": {},
        **values,
    }


def _history(rows: Sequence[sa.Row[Any]]) -> None:
    """Each accompaniment's beginning, by the coordinator who decided it or else by the
    organisation that took the person on; then ``hand_over`` by relais for those that ended."""
    begun = [
        _event(
            row,
            "begin",
            "active",
            from_state=None,
            occurred_at=row.started_at,
            actor_id=row.started_by_id,
            organisation_id=row.starter_organisation_id or row.organisation_id,
        )
        for row in rows
    ]
    handed_over = [
        _event(
            row,
            "hand_over",
            "ended",
            from_state="active",
            occurred_at=row.ended_at,
            actor_id=None,
            organisation_id=None,
        )
        for row in rows
        if row.ended_at is not None
    ]
    for events in (begun, handed_over):
        if events:
            op.bulk_insert(EVENTS, events)


def _progress_timers(rows: Sequence[sa.Row[Any]]) -> None:
    """The timers of the active ones, counted from the person's latest news."""
    timers: list[dict[str, Any]] = []
    for row in rows:
        if row.ended_at is not None:
            continue
        news: datetime | None = row.latest_news_at
        since = row.started_at if news is None else max(row.started_at, news)
        timers.extend(
            {
                "case_kind": KIND,
                "case_id": row.id,
                "state": "active",
                "kind": kind,
                "target": target,
                "due_at": add_business_days(since, days),
                "status": "pending",
                "created_at": since,
            }
            for kind, days, target in PROGRESS_TIMERS
        )
    if timers:
        op.bulk_insert(TIMERS, timers)


@contextmanager
def _handovers_set_aside() -> Iterator[None]:
    """On SQLite, keep the handovers aside while the accompaniments' table is rebuilt.

    SQLite alters a table by copying it and dropping the old one; with foreign keys enforced
    (relais always enforces them), dropping it fails while a handover refers to one of its
    rows, and the pragma that would suspend them has no effect inside the migration's
    transaction. Nothing refers to a handover: they are copied out and back in.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE handovers_set_aside AS SELECT * FROM handovers")
    op.execute("DELETE FROM handovers")
    yield
    op.execute("INSERT INTO handovers SELECT * FROM handovers_set_aside")
    op.execute("DROP TABLE handovers_set_aside")


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("accompaniments", schema=None) as batch_op:
        for name, column_type in REQUIRED.items():
            batch_op.add_column(sa.Column(name, column_type, nullable=True))
        batch_op.add_column(sa.Column("exit_outcome", OUTCOME, nullable=True))
        batch_op.add_column(sa.Column("exit_comment", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = _accompaniments(connection)
    if rows:
        _fill_rows(connection, rows)
        _history(rows)
        _progress_timers(rows)
    with _handovers_set_aside(), op.batch_alter_table("accompaniments", schema=None) as batch_op:
        for name, column_type in REQUIRED.items():
            batch_op.alter_column(name, existing_type=column_type, nullable=False)
        batch_op.create_index(batch_op.f("ix_accompaniments_state"), ["state"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_accompaniments_reference"), ["reference"])
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    """Revert this migration: the accompaniments' events and timers go with it. The counter
    stays, so that upgrading again hands out none of the references already given."""
    with _handovers_set_aside(), op.batch_alter_table("accompaniments", schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(op.f(f"ck_accompaniments_{name}"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_accompaniments_reference"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_accompaniments_state"))
        for name in ("exit_comment", "exit_outcome", *reversed(REQUIRED)):
            batch_op.drop_column(name)
    op.execute(sa.delete(EVENTS).where(EVENTS.c.case_kind == KIND))
    op.execute(sa.delete(TIMERS).where(TIMERS.c.case_kind == KIND))
