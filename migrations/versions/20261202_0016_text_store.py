"""the erasable text store; events and person events append-only on PostgreSQL

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:00:00

A new table ``case_texts`` holds every free text typed about a person's case (comments,
reasons, progress notes, justifications); an event's payload keeps only ``{"text_id": n}``.
The texts already in event payloads move there: this migration is the one place allowed to
rewrite payloads, before the triggers exist. Anonymisation then erases a text (``body``
NULL) without touching the event.

On PostgreSQL, triggers refuse ``UPDATE`` and ``DELETE`` on ``events``, and ``DELETE`` and
any ``UPDATE`` but of ``person_id`` (a merge moves a record's history) on ``person_events``.
The personal fields are written here as they were declared at this revision.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSONAL_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("referral", "submit"): ("eligibility_justification",),
    ("referral", "accept"): ("capacity_comment",),
    ("referral", "return"): ("comment",),
    ("referral", "resubmit"): ("motive", "eligibility_justification"),
    ("referral", "complete"): ("comment",),
    ("referral", "note"): ("note",),
    ("referral", "cancel"): ("reason",),
    ("referral", "close"): ("comment",),
    ("referral", "reassign"): ("comment", "eligibility_justification"),
    ("handover", "decline"): ("reason",),
    ("handover", "withdraw"): ("reason",),
    ("accompaniment", "note"): ("note",),
    ("accompaniment", "end"): ("comment",),
}
"""(case kind, trigger) -> the payload fields that were personal free text at this revision."""

BATCH = 500

APPEND_ONLY = """
CREATE FUNCTION relais_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'relais: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
TRIGGERS = (
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION relais_refuse_change()",
    "CREATE TRIGGER person_events_append_only "
    "BEFORE DELETE OR UPDATE OF id, kind, actor_id, organisation_id, payload, occurred_at "
    "ON person_events FOR EACH ROW EXECUTE FUNCTION relais_refuse_change()",
)


def _events() -> sa.TableClause:
    return sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("case_kind", sa.String),
        sa.column("case_id", sa.Integer),
        sa.column("trigger", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("occurred_at", UTCDateTime()),
    )


def _texts() -> sa.TableClause:
    return sa.table(
        "case_texts",
        sa.column("id", sa.Integer),
        sa.column("case_kind", sa.String),
        sa.column("case_id", sa.Integer),
        sa.column("field", sa.String),
        sa.column("body", sa.Text),
        sa.column("created_at", UTCDateTime()),
    )


def _move_texts_out() -> None:
    """Every personal text of an event payload into ``case_texts``, by batches of events."""
    connection = op.get_bind()
    events, texts = _events(), _texts()
    kinds = sorted({kind for kind, _ in PERSONAL_FIELDS})
    last = 0
    while True:
        rows = connection.execute(
            sa.select(events)
            .where(events.c.id > last, events.c.case_kind.in_(kinds))
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            names = PERSONAL_FIELDS.get((row.case_kind, row.trigger), ())
            payload: dict[str, Any] = dict(row.payload or {})
            moved = [name for name in names if isinstance(payload.get(name), str)]
            for name in moved:
                text_id = connection.execute(
                    sa.insert(texts)
                    .values(
                        case_kind=row.case_kind,
                        case_id=row.case_id,
                        field=name,
                        body=payload[name],
                        created_at=row.occurred_at or datetime.now(UTC),
                    )
                    .returning(texts.c.id)
                ).scalar_one()
                payload[name] = {"text_id": text_id}
            if moved:
                connection.execute(
                    sa.update(events).where(events.c.id == row.id).values(payload=payload)
                )
        last = rows[-1].id


def _move_texts_back() -> None:
    """The texts back into the payloads (an erased one is left out), before the table goes."""
    connection = op.get_bind()
    events, texts = _events(), _texts()
    bodies = dict(connection.execute(sa.select(texts.c.id, texts.c.body)).tuples().all())
    if not bodies:
        return
    for row in connection.execute(sa.select(events.c.id, events.c.payload)).all():
        payload: dict[str, Any] = dict(row.payload or {})
        references = {
            name: value["text_id"]
            for name, value in payload.items()
            if isinstance(value, dict) and set(value) == {"text_id"}
        }
        if not references:
            continue
        for name, text_id in references.items():
            if bodies.get(text_id) is None:
                del payload[name]
            else:
                payload[name] = bodies[text_id]
        connection.execute(sa.update(events).where(events.c.id == row.id).values(payload=payload))


def upgrade() -> None:
    """Create the text store, move the texts out of the payloads, then forbid rewrites."""
    op.create_table(
        "case_texts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_texts")),
    )
    op.create_index("ix_case_texts_case", "case_texts", ["case_kind", "case_id"], unique=False)
    _move_texts_out()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
        for statement in TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    """Drop the triggers, put the texts back into the payloads, drop the store."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER person_events_append_only ON person_events")
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION relais_refuse_change()")
    _move_texts_back()
    op.drop_index("ix_case_texts_case", table_name="case_texts")
    op.drop_table("case_texts")
