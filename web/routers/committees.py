"""Committees and their meetings: lists, a committee's page, a meeting's page with its
agenda, minutes and calendar file; the secretariat plans and edits meetings there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.models import Meeting
from services import (
    case_story,
    committee_service,
    decision_service,
    governance_reports,
    meeting_service,
)
from services.calendar import meeting_calendar
from services.documents import minutes_html
from services.governance_inputs import AmendmentCreate, MeetingCreate, MeetingUpdate
from states.decision import DECISION
from states.policy import may_manage_committees, may_manage_meetings, may_propose_decision
from web.deps import FileUserDep, NowDep, PathId, SessionDep, SettingsDep, WebUserDep
from web.downloads import attachment, printable_page
from web.forms import FormField, form_fields, local_input
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit

router = page_router()

PAST_MEETINGS = timedelta(days=366)
"""How far back a committee's page lists its meetings."""
PLANNING_FIELDS = ("starts_at", "duration_minutes", "place", "agenda")


@router.get("/committees")
async def committee_list(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Every committee of the plan's governance, with its next meeting."""
    committees = await committee_service.list_committees(session, user.actor)
    upcoming, _next = await committee_service.list_meetings(
        session, user.actor, start=now.astimezone(PARIS).date(), limit=100
    )
    next_meeting: dict[int, Meeting] = {}
    for meeting in upcoming:
        if meeting.starts_at > now:
            next_meeting.setdefault(meeting.committee_id, meeting)
    return render(
        request,
        "committees.html",
        {
            "title": "Comités",
            "committees": committees,
            "next_meeting": next_meeting,
            "may_propose": may_propose_decision(user.actor),
            "manages_committees": may_manage_committees(user.actor),
        },
    )


def _planning_form(form: FormState | None) -> list[FormField]:
    fields = form_fields(
        MeetingCreate,
        values=form.values if form else {"duration_minutes": 120},
        errors=form.errors if form else None,
    )
    return [item for item in fields if item.name != "committee_id"]


async def _committee_page(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    committee_id: int,
    now: datetime,
    form: FormState | None = None,
) -> Response:
    view = await committee_service.get_committee(session, user.actor, committee_id)
    today = now.astimezone(PARIS).date()
    meetings, _next = await committee_service.list_meetings(
        session, user.actor, committee_id=committee_id, start=today - PAST_MEETINGS, limit=100
    )
    decisions = await decision_service.list_decisions(
        session, user.actor, now, committee_id=committee_id
    )
    manages = may_manage_meetings(user.actor)
    return render(
        request,
        "committee.html",
        {
            "title": view.name,
            "committee": view,
            "upcoming": [item for item in meetings if item.starts_at > now],
            "past": [item for item in reversed(meetings) if item.starts_at <= now],
            "decisions": decisions.items,
            "decision_states": DECISION.state_labels,
            "planning": _planning_form(form) if manages else None,
            "planning_open": form is not None,
            "may_propose": may_propose_decision(user.actor),
            "manages_committees": may_manage_committees(user.actor),
            "error": form.message if form else None,
        },
        status_code=form.status_code if form else 200,
    )


@router.get("/committees/{committee_id}")
async def committee_page(
    request: Request, committee_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """A committee: members, meetings to come and of the past year, its decision items."""
    return await _committee_page(request, session, user, committee_id, now)


@router.post("/committees/{committee_id}/meetings")
async def plan_meeting(
    request: Request, committee_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Plan a meeting of the committee (secretariat); the form comes back with what to fix."""
    await committee_service.get_committee(session, user.actor, committee_id)

    async def plan(data: MeetingCreate) -> str:
        meeting = await committee_service.create_meeting(
            session, user.actor, **data.model_dump(), now=now
        )
        return f"/meetings/{meeting.id}?fait=planned"

    outcome = await submit(
        session, MeetingCreate, await request.form(), plan, prefix="planning-",
        committee_id=committee_id,
    )  # fmt: skip
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _committee_page(request, session, user, committee_id, now, outcome)


def _editing_form(meeting: Meeting, now: datetime, form: FormState | None) -> list[FormField]:
    if meeting.minutes_published_at is not None:
        values = form.values if form else {}
        return form_fields(AmendmentCreate, values=values, errors=form.errors if form else None)
    if meeting.starts_at > now:
        names: tuple[str, ...] = PLANNING_FIELDS
        current: dict[str, Any] = {
            "starts_at": local_input(meeting.starts_at),
            "duration_minutes": meeting.duration_minutes,
            "place": meeting.place,
            "agenda": meeting.agenda,
        }
    else:
        names, current = ("minutes",), {"minutes": meeting.minutes}
    fields = form_fields(
        MeetingUpdate,
        values=form.values if form else current,
        errors=form.errors if form else None,
    )
    return [item for item in fields if item.name in names]


async def _meeting_page(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    meeting_id: int,
    now: datetime,
    form: FormState | None = None,
) -> Response:
    record = await governance_reports.meeting_record(session, user.actor, meeting_id, now)
    meeting = record.meeting
    editing = _editing_form(meeting, now, form) if may_manage_meetings(user.actor) else []
    done = request.query_params.get("fait")
    return render(
        request,
        "meeting.html",
        {
            "title": f"Réunion du {record.committee.name}",
            "record": record,
            "meeting": meeting,
            "started": meeting.starts_at <= now,
            "published": meeting.minutes_published_at is not None,
            "ends_at": meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
            "editing": editing,
            "editing_open": form is not None,
            "error": form.message if form else None,
            "notice": case_story.meeting_notice(done, meeting.starts_at),
        },
        status_code=form.status_code if form else 200,
    )


@router.get("/meetings/{meeting_id}")
async def meeting_page(
    request: Request, meeting_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """A meeting: date, place, agenda, items and their outcome, minutes."""
    return await _meeting_page(request, session, user, meeting_id, now)


@router.post("/meetings/{meeting_id}")
async def edit_meeting(
    request: Request, meeting_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Change the meeting (secretariat): its planning before it starts, its minutes after."""

    async def change(data: MeetingUpdate) -> str:
        meeting = await meeting_service.update_meeting(
            session, user.actor, meeting_id, **data.model_dump(), now=now
        )
        return f"/meetings/{meeting_id}?fait={'changed' if meeting.starts_at > now else 'minutes'}"

    outcome = await submit(session, MeetingUpdate, await request.form(), change, prefix="edit-")
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _meeting_page(request, session, user, meeting_id, now, outcome)


@router.post("/meetings/{meeting_id}/minutes/publish")
async def publish_minutes(
    meeting_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Publish the minutes (secretariat): frozen from then on, amended only."""
    await meeting_service.publish_minutes(session, user.actor, meeting_id, now=now)
    return RedirectResponse(f"/meetings/{meeting_id}?fait=published", status_code=303)


@router.post("/meetings/{meeting_id}/amendments")
async def amend_minutes(
    request: Request, meeting_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Publish an amendment to the published minutes, beside the unchanged original."""

    async def amend(data: AmendmentCreate) -> str:
        await meeting_service.amend_minutes(session, user.actor, meeting_id, data.text, now=now)
        return f"/meetings/{meeting_id}?fait=amended"

    outcome = await submit(session, AmendmentCreate, await request.form(), amend, prefix="edit-")
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _meeting_page(request, session, user, meeting_id, now, outcome)


@router.get("/meetings/{meeting_id}/agenda.ics")
async def meeting_ics(
    meeting_id: PathId, user: FileUserDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """The meeting as an iCalendar file, to add to a calendar."""
    meeting = await committee_service.get_meeting(session, user.actor, meeting_id)
    return attachment(
        meeting_calendar(meeting, base_url=settings.base_url, now=now).encode("utf-8"),
        "text/calendar; charset=utf-8",
        f"reunion-{meeting.id}.ics",
    )


@router.get("/meetings/{meeting_id}/minutes.html")
async def meeting_minutes(
    meeting_id: PathId, user: FileUserDep, session: SessionDep, now: NowDep
) -> Response:
    """The minutes of the meeting, a printable page."""
    record = await governance_reports.meeting_record(session, user.actor, meeting_id, now)
    return printable_page(minutes_html(record))
