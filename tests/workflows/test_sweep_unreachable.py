"""Nobody is reminded into the void (issue 13): a reminder that resolves to nobody becomes,
in the same sweep, an alert to the coordinators saying why; an alert that reaches nobody
either is counted as silent.

The referral waits on EPI Paris Centre, whose only member is deactivated after it was sent;
its offer has no contact address.
"""

from __future__ import annotations

from sqlalchemy import select, update

from core.clock import FixedClock
from core.enums import MessageKey
from core.models import OutboxMessage, User
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.workflows.case_builders import Cast, Sessions, build_referral, keep_only
from tests.workflows.test_sweep_boundaries import SECOND, cast, timer_due
from workflows.sweep import SweepReport, sweep_due

__all__ = ["cast"]  # the fixture, shared with the boundary tests

REMINDER = 0
"""The index of the submitted state's reminder in its declaration."""


async def _deactivate(sessionmaker: Sessions, *users: User) -> None:
    async with sessionmaker() as session:
        await session.execute(
            update(User).where(User.id.in_([user.id for user in users])).values(is_active=False)
        )
        await session.commit()


async def _messages(sessionmaker: Sessions, case_id: int) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.case_kind == "referral", OutboxMessage.case_id == case_id)
            .order_by(OutboxMessage.id)
        )
        return list(rows.scalars())


async def _sweep_the_reminder(
    cast: Cast, sessionmaker: Sessions, clock: FixedClock
) -> tuple[int, SweepReport]:
    world = cast.world
    assert REFERRAL.timers["submitted"][REMINDER].target == "receiver"
    case_id = await build_referral(sessionmaker, cast, clock.now())
    timer_id = await keep_only(sessionmaker, REFERRAL, case_id, "submitted", REMINDER)
    await _deactivate(sessionmaker, world.receiver_member)
    due = await timer_due(sessionmaker, timer_id)
    assert (await sweep_due(sessionmaker, LIFECYCLES, due - SECOND)).summary().startswith("0 ")
    return case_id, await sweep_due(sessionmaker, LIFECYCLES, due)


async def test_a_reminder_to_nobody_alerts_the_coordinators_at_once_with_the_reason(
    cast: Cast, sessionmaker: Sessions, clock: FixedClock
) -> None:
    case_id, report = await _sweep_the_reminder(cast, sessionmaker, clock)
    assert report.reminders == []
    assert len(report.escalations) == 1
    assert "rappel sans destinataire, alerte à 1 destinataire(s)" in report.escalations[0]
    assert report.silent == []
    written = (await _messages(sessionmaker, case_id))[1:]  # after the submission notice
    assert [(row.message, row.recipient_email) for row in written] == [
        (MessageKey.ESCALATION, cast.world.coordinator.email)
    ]
    assert written[0].context["unreachable"] == (
        "ni compte actif ni adresse de contact chez EPI Paris Centre"
    )


async def test_an_alert_nobody_can_read_is_counted_silent(
    cast: Cast, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await _deactivate(sessionmaker, cast.world.coordinator)
    case_id, report = await _sweep_the_reminder(cast, sessionmaker, clock)
    assert len(report.silent) == 1
    assert report.summary().endswith(", 1 sans aucun destinataire")
    assert (await _messages(sessionmaker, case_id))[1:] == []
