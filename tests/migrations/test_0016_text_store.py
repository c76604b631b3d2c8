"""Migration 0016 ``text_store`` (issue 15): the personal texts of event payloads move to the
erasable ``case_texts``, the payloads keep references; nothing else changes. On PostgreSQL the
events are append-only from then on. Downgraded, the texts are back in the payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_text_store"
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EVENTS = sa.table(
    "events", *(sa.column(c) for c in ("id", "case_kind", "case_id", "trigger", "to_state")),
    sa.column("payload", sa.JSON), sa.column("occurred_at", UTCDateTime()),
)  # fmt: skip
TEXTS = sa.table(
    "case_texts", *(sa.column(c) for c in ("id", "case_kind", "case_id", "field", "body")),
    sa.column("created_at", UTCDateTime()),
)  # fmt: skip
PAYLOADS: dict[int, tuple[str, str, dict[str, Any]]] = {
    1: ("referral", "return", {"reason": "missing_information", "comment": "Il manque le CV."}),
    2: ("referral", "note", {"note": "Premier entretien fait."}),
    3: ("accompaniment", "end", {"outcome": "training", "comment": "Entrée en formation."}),
    4: ("referral", "accept", {"first_appointment_at": "2026-01-12T09:00:00+00:00"}),
    5: ("decision", "approve", {"decision_text": "Adopté à l'unanimité."}),
}
"""Event id -> (case kind, trigger, payload) at revision 0015."""


def _insert(connection: sa.Connection) -> None:
    connection.execute(
        sa.insert(EVENTS),
        [
            {"id": event_id, "case_kind": kind, "case_id": 7, "trigger": trigger,
             "to_state": "x", "payload": payload, "occurred_at": AT}
            for event_id, (kind, trigger, payload) in PAYLOADS.items()
        ],
    )  # fmt: skip


def _payloads(connection: sa.Connection) -> dict[int, Any]:
    rows = connection.execute(sa.select(EVENTS.c.id, EVENTS.c.payload).order_by(EVENTS.c.id))
    return {row.id: row.payload for row in rows}


def _texts(connection: sa.Connection) -> list[tuple[Any, ...]]:
    rows = connection.execute(
        sa.select(TEXTS.c.id, TEXTS.c.case_kind, TEXTS.c.case_id, TEXTS.c.field, TEXTS.c.body,
                  TEXTS.c.created_at).order_by(TEXTS.c.id)
    )  # fmt: skip
    return [tuple(row) for row in rows]


def _rewrite(connection: sa.Connection) -> None:
    connection.execute(sa.text("UPDATE events SET payload = '{}' WHERE id = 5"))


async def test_texts_move_to_the_store_and_back(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0015")
    await run_in(engine, SCHEMA, _insert)
    await migrate_to(engine, SCHEMA, "0016")

    payloads = await run_in(engine, SCHEMA, _payloads)
    texts = await run_in(engine, SCHEMA, _texts)
    assert [row[1:] for row in texts] == [
        ("referral", 7, "comment", "Il manque le CV.", AT),
        ("referral", 7, "note", "Premier entretien fait.", AT),
        ("accompaniment", 7, "comment", "Entrée en formation.", AT),
    ]
    ids = [row[0] for row in texts]
    assert payloads == {
        1: {"reason": "missing_information", "comment": {"text_id": ids[0]}},
        2: {"note": {"text_id": ids[1]}},
        3: {"outcome": "training", "comment": {"text_id": ids[2]}},
        4: PAYLOADS[4][2],
        5: PAYLOADS[5][2],  # a committee's decision is governance, not a person's text
    }
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            await run_in(engine, SCHEMA, _rewrite)

    await migrate_to(engine, SCHEMA, "0015", down=True)
    assert await run_in(engine, SCHEMA, _payloads) == {
        event_id: payload for event_id, (_, _, payload) in PAYLOADS.items()
    }
    await _rewrite_allowed_after_downgrade(engine)


async def _rewrite_allowed_after_downgrade(engine: AsyncEngine) -> None:
    """Downgraded, the trigger is gone: the same rewrite goes through."""
    await run_in(engine, SCHEMA, _rewrite)
    assert (await run_in(engine, SCHEMA, _payloads))[5] == {}
