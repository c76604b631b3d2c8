"""What a reminder, an escalation or a digest says of a case, and who it waits on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.db import get_kept
from core.enums import TimerKind
from core.models import Organisation, Timer
from states.lifecycle import Lifecycle

UNKNOWN: Any = object()
"""Stands for an escalation time the caller has not read."""


def waits_on(lifecycle: Lifecycle, state: str) -> InstrumentedAttribute[int] | str:
    """Who a case of ``lifecycle`` in ``state`` waits on: the column holding the party's
    organisation, the label of a side that is no organisation (the plan's coordination), or
    "" when it waits on no one."""
    waiting = lifecycle.waiting_on.get(state)
    if waiting is None:
        return ""
    if waiting.side in lifecycle.parties:
        return lifecycle.parties[waiting.side]
    return lifecycle.side_labels.get(waiting.side, waiting.side)


def waiting_party(lifecycle: Lifecycle, case: Any) -> int | str:
    """Who ``case`` (an entity or a row with its party columns) waits on in its state: the id
    of the party's organisation, or ``waits_on``'s label."""
    party = waits_on(lifecycle, case.state)
    if isinstance(party, str):
        return party
    organisation_id: int = getattr(case, party.key)
    return organisation_id


async def case_context(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, escalation: Any = UNKNOWN
) -> dict[str, Any]:
    """What reminders and escalations say of a case: its description and who it waits on.

    ``escalation`` is the case's open escalation time when the caller already read it (the
    overdue list does, for every case at once); otherwise it is looked up.
    """
    assert lifecycle.describe is not None
    context = await lifecycle.describe(session, case)
    waiting = lifecycle.waiting_on.get(case.state)
    if escalation is UNKNOWN:
        escalation = (
            await session.execute(
                select(Timer.due_at).where(
                    Timer.case_kind == lifecycle.name,
                    Timer.case_id == case.id,
                    Timer.kind == TimerKind.ESCALATION,
                    Timer.closed_at.is_(None),
                    Timer.message.is_(None),
                )
            )
        ).scalar_one_or_none()
    waiting_organisation = waiting_party(lifecycle, case)
    if isinstance(waiting_organisation, int):
        waiting_organisation = (await get_kept(session, Organisation, waiting_organisation)).name
    return {
        **context,
        "case_label": lifecycle.case_label,
        "expected_action": waiting.action if waiting else "",
        "waiting_organisation": waiting_organisation,
        "state_entered_at": case.state_entered_at.isoformat(),
        "escalation_at": escalation.isoformat() if escalation else None,
    }
