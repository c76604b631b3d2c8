"""the database refuses a state its lifecycle does not declare, and a state without its fields

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00

The state lists below were generated from the lifecycle declarations at this revision
(``LIFECYCLES[name].states``); ``tests/core/test_state_checks.py`` fails when a declaration
and the database's constraint part ways, so that a new state comes with a new migration.
Only codes and dates are required, never free text: anonymisation may erase a reason.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = {
    "referrals": (
        "draft",
        "submitted",
        "accepted",
        "returned",
        "in_progress",
        "completed",
        "cancelled",
        "closed",
        "expired",
    ),
    "handovers": ("proposed", "accepted", "declined", "withdrawn", "completed"),
    "decisions": ("proposed", "scheduled", "adjourned", "approved", "rejected", "published"),
    "action_items": ("open", "done"),
}

# Table -> constraint name -> (the states that need it, the condition they need).
REQUIRED: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "referrals": {
        "completed_has_outcome": (("completed",), "outcome IS NOT NULL"),
        "returned_has_reason": (("returned",), "return_reason IS NOT NULL"),
    },
    "handovers": {
        "accepted_has_meeting_date": (("accepted", "completed"), "first_meeting_at IS NOT NULL"),
    },
    "decisions": {
        "scheduled_has_meeting": (
            ("scheduled", "approved", "rejected", "published"),
            "meeting_id IS NOT NULL AND meeting_at IS NOT NULL",
        ),
        "decided_has_outcome": (
            ("approved", "rejected", "published"),
            "outcome IS NOT NULL AND decided_at IS NOT NULL",
        ),
    },
}


def _listed(states: Sequence[str]) -> str:
    return ", ".join(f"'{state}'" for state in states)


def upgrade() -> None:
    """Apply this migration."""
    for table, states in STATES.items():
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint("state", f"state IN ({_listed(states)})")
            for name, (needing, condition) in REQUIRED.get(table, {}).items():
                batch.create_check_constraint(
                    name, f"state NOT IN ({_listed(needing)}) OR ({condition})"
                )


def downgrade() -> None:
    """Revert this migration."""
    for table in STATES:
        with op.batch_alter_table(table) as batch:
            for name in REQUIRED.get(table, {}):
                batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
