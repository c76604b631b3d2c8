"""Milestones (``states.milestones``): the instants a referral's transitions stamp on its row,
which the indicators' delays read instead of the events."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import TimerKind
from core.errors import TransitionNotAllowed
from core.models import Referral, Timer
from states.lifecycle import Lifecycle
from states.milestones import Milestone, stamp_milestones
from states.referral import REFERRAL
from tests.factories import World, actor_of
from tests.states.engine_helpers import fire, new_referral

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
FIRST = Milestone(
    attribute="sent",
    triggers=frozenset({"submit"}),
    first=True,
    dues={TimerKind.REMINDER: "reminder_due"},
)
LAST = Milestone(attribute="accepted", triggers=frozenset({"accept"}))


def _case() -> SimpleNamespace:
    return SimpleNamespace(sent=None, reminder_due=None, accepted=None)


def test_a_first_milestone_keeps_its_first_instant_and_its_dues() -> None:
    case = _case()
    due = T0 + timedelta(days=3)
    stamp_milestones((FIRST, LAST), case, "submit", T0, {TimerKind.REMINDER: due})
    assert (case.sent, case.reminder_due, case.accepted) == (T0, due, None)
    later = T0 + timedelta(days=9)
    stamp_milestones((FIRST, LAST), case, "submit", later, {TimerKind.REMINDER: later})
    assert (case.sent, case.reminder_due) == (T0, due)


def test_a_milestone_without_first_takes_the_latest_instant() -> None:
    case = _case()
    stamp_milestones((FIRST, LAST), case, "accept", T0, {})
    stamp_milestones((FIRST, LAST), case, "accept", T0 + timedelta(hours=1), {})
    assert (case.sent, case.accepted) == (None, T0 + timedelta(hours=1))


def test_a_due_the_transition_did_not_open_is_empty() -> None:
    case = _case()
    stamp_milestones((FIRST,), case, "submit", T0, {TimerKind.ESCALATION: T0})
    assert (case.sent, case.reminder_due) == (T0, None)


@pytest.mark.parametrize(
    ("milestone", "message"),
    [
        (Milestone(attribute="first_submitted_at", triggers=frozenset({"fly"})), "triggers"),
        (Milestone(attribute="flown_at", triggers=frozenset({"submit"})), "columns"),
        (
            Milestone(
                attribute="first_submitted_at",
                triggers=frozenset({"submit"}),
                dues={TimerKind.REMINDER: "nowhere_at"},
            ),
            "columns",
        ),
        (
            Milestone(
                attribute="first_submitted_at",
                triggers=frozenset({"create"}),
                dues={TimerKind.REMINDER: "first_reminder_due_at"},
            ),
            "creation",
        ),
    ],
)
def test_a_declaration_naming_an_unknown_trigger_or_column_is_refused(
    milestone: Milestone, message: str
) -> None:
    fields: dict[str, Any] = {
        name: getattr(REFERRAL, name)
        for name in REFERRAL.__dataclass_fields__
        if REFERRAL.__dataclass_fields__[name].init
    }
    fields.update(name="test_milestones", milestones=(milestone,))
    with pytest.raises(ValueError, match=message):
        Lifecycle(**fields)


async def _milestones(sessionmaker: Sessions, referral_id: int) -> dict[str, datetime | None]:
    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        return {
            name: getattr(referral, name)
            for milestone in REFERRAL.milestones
            for name in milestone.attributes
        }


async def _submitted_dues(sessionmaker: Sessions, referral_id: int) -> dict[TimerKind, datetime]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Timer.kind, Timer.due_at).where(
                Timer.case_kind == "referral",
                Timer.case_id == referral_id,
                Timer.state == "submitted",
            )
        )
        return {TimerKind(kind): due for kind, due in rows.all()}


async def test_the_engine_stamps_a_referrals_path(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referrer, receiver = actor_of(world.referrer), actor_of(world.receiver_member)
    referral_id = await new_referral(sessionmaker, world, clock.now(), submit=False)
    assert set((await _milestones(sessionmaker, referral_id)).values()) == {None}

    sent = clock.now()
    await fire(sessionmaker, referral_id, "submit", referrer, now=sent)
    dues = await _submitted_dues(sessionmaker, referral_id)
    returned = sent + timedelta(days=1)
    reason = {"reason": "no_capacity", "comment": "Plus de place ce trimestre."}
    await fire(sessionmaker, referral_id, "return", receiver, reason, now=returned)
    resent = sent + timedelta(days=2)
    motive = {"motive": "Demande précisée après échange avec la personne."}
    await fire(sessionmaker, referral_id, "resubmit", referrer, motive, now=resent)
    accepted = sent + timedelta(days=3)
    appointment = {"first_appointment_at": (sent + timedelta(days=10)).isoformat()}
    await fire(sessionmaker, referral_id, "accept", receiver, appointment, now=accepted)
    started = sent + timedelta(days=4)
    await fire(sessionmaker, referral_id, "start", receiver, now=started)

    # The second transmission and the acceptance leave the first transmission and answer.
    assert await _milestones(sessionmaker, referral_id) == {
        "first_submitted_at": sent,
        "first_reminder_due_at": dues[TimerKind.REMINDER],
        "first_escalation_due_at": dues[TimerKind.ESCALATION],
        "first_answered_at": returned,
        "accepted_at": accepted,
        "started_at": started,
    }


async def test_a_refused_transition_stamps_nothing(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await _milestones(sessionmaker, referral_id)
    with pytest.raises(TransitionNotAllowed):
        await fire(sessionmaker, referral_id, "start", actor_of(world.receiver_member), now=T0)
    assert await _milestones(sessionmaker, referral_id) == before
    assert before["first_answered_at"] is None
    assert before["first_submitted_at"] is not None
