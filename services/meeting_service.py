"""A meeting's changes: its planning until it starts, its minutes until they are published,
then amendments (rectificatifs) published beside the unchanged original.

Every change is written in the trail of administrative changes, in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.errors import Conflict, Forbidden, InvalidInput
from core.models import Decision, Meeting, MeetingAmendment, User
from services.audit import MEETING_FIELDS, record_change, snapshot
from services.committee_service import NOT_SECRETARIAT_MEETINGS, get_meeting
from states import timers
from states.actor import Actor
from states.decision import DECISION
from states.policy import may_manage_meetings

FROZEN = (
    "Le compte rendu est publié : il ne se modifie plus. Publiez un rectificatif, qui "
    "paraîtra daté à côté du compte rendu d'origine."
)


@dataclass(frozen=True)
class Amendment:
    """An amendment as read: its text, date and author's name."""

    id: int
    text: str
    published_at: datetime
    author: str | None


async def update_meeting(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    *,
    starts_at: datetime | None = None,
    duration_minutes: int | None = None,
    place: str | None = None,
    agenda: str | None = None,
    minutes: str | None = None,
    now: datetime,
) -> Meeting:
    """Change a meeting: its date, duration, place and agenda until it starts, then its minutes
    until they are published (afterwards: 409, amend them).

    Moving a meeting moves the deadlines of the items scheduled on it.
    """
    meeting = await get_meeting(session, actor, meeting_id)
    if not may_manage_meetings(actor):
        raise Forbidden(NOT_SECRETARIAT_MEETINGS)
    started = meeting.starts_at <= now
    planning = {
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "place": place,
        "agenda": agenda,
    }
    changes = {key: value for key, value in planning.items() if value is not None}
    if changes and started:
        raise Conflict(
            "La réunion a commencé : sa date, son lieu et son ordre du jour ne changent plus ; "
            "seul le compte rendu peut encore être écrit."
        )
    if minutes is not None and not started:
        raise Conflict("Le compte rendu s'écrit une fois la réunion commencée.")
    if minutes is not None and meeting.minutes_published_at is not None:
        raise Conflict(FROZEN, allowed_actions=["amend"])
    if starts_at is not None and starts_at <= now:
        raise InvalidInput(
            "Une réunion ne se déplace que vers une date à venir.", field="starts_at"
        )
    moved = starts_at is not None and starts_at != meeting.starts_at
    async with transaction(session):
        before = snapshot(meeting, MEETING_FIELDS)
        for key, value in changes.items():
            setattr(meeting, key, value)
        if minutes is not None:
            meeting.minutes = minutes
        if moved:
            await _move_scheduled_items(session, meeting, now)
        after = snapshot(meeting, MEETING_FIELDS)
        await record_change(session, actor, "meeting", meeting.id, "updated", before, after, now)
    return await get_meeting(session, actor, meeting.id)


async def _move_scheduled_items(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """The items scheduled on a moved meeting follow it, and so do their deadlines.

    A decision's ``scheduled`` timers count from its meeting: they are closed and opened
    again from the new date, as the engine would on entering the state.
    """
    decisions = (
        await session.execute(
            select(Decision)
            .where(Decision.meeting_id == meeting.id, Decision.state == "scheduled")
            .with_for_update()
        )
    ).scalars()
    for decision in decisions:
        decision.meeting_at = meeting.starts_at
        await timers.reset_timers(session, DECISION, decision, now)
    await session.flush()


async def publish_minutes(
    session: AsyncSession, actor: Actor, meeting_id: int, *, now: datetime
) -> Meeting:
    """Publish the minutes of a meeting (secretariat): from now on they are frozen. Refused
    (409) before they are written, and once published (amend them instead)."""
    meeting = await get_meeting(session, actor, meeting_id)
    if not may_manage_meetings(actor):
        raise Forbidden(NOT_SECRETARIAT_MEETINGS)
    if meeting.minutes_published_at is not None:
        raise Conflict("Le compte rendu est déjà publié.", allowed_actions=["amend"])
    if not (meeting.minutes or "").strip():
        raise Conflict(
            "Écrivez d'abord le compte rendu de la réunion, puis publiez-le.",
            allowed_actions=["edit"],
        )
    async with transaction(session):
        meeting.minutes_published_at = now
        await record_change(
            session, actor, "meeting", meeting.id, "minutes_published",
            {"minutes_published_at": None}, {"minutes_published_at": now}, now,
        )  # fmt: skip
    return await get_meeting(session, actor, meeting.id)


async def amend_minutes(
    session: AsyncSession, actor: Actor, meeting_id: int, text: str, *, now: datetime
) -> MeetingAmendment:
    """Publish an amendment to the published minutes (secretariat), dated ``now``; the
    original minutes stay as they were. Refused (409) before the minutes are published."""
    meeting = await get_meeting(session, actor, meeting_id)
    if not may_manage_meetings(actor):
        raise Forbidden(NOT_SECRETARIAT_MEETINGS)
    if meeting.minutes_published_at is None:
        raise Conflict(
            "Le compte rendu n'est pas encore publié : corrigez-le directement.",
            allowed_actions=["edit", "publish"],
        )
    if not text.strip():
        raise InvalidInput("Écrivez le texte du rectificatif.", field="text")
    amendment = MeetingAmendment(
        meeting_id=meeting.id, text=text, author_id=actor.user_id, published_at=now
    )
    async with transaction(session):
        session.add(amendment)
        await session.flush()
        await record_change(
            session, actor, "meeting", meeting.id, "amended", {}, {"amendment": text}, now
        )
    return amendment


async def list_amendments(session: AsyncSession, meeting_id: int) -> list[Amendment]:
    """The amendments of a meeting's minutes, oldest first, with their author's name."""
    rows = await session.execute(
        select(MeetingAmendment, User.full_name, User.__table__.c.email)
        .outerjoin(User, User.id == MeetingAmendment.author_id)
        .where(MeetingAmendment.meeting_id == meeting_id)
        .order_by(MeetingAmendment.published_at, MeetingAmendment.id)
    )
    return [
        Amendment(row.id, row.text, row.published_at, name or email)
        for row, name, email in rows.tuples()
    ]
