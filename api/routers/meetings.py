"""Meetings of the committees: plan them, write their agenda and minutes, hand them out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep, SettingsDep
from api.errors import error_responses
from api.governance_schemas import AmendmentRead, MeetingDetail, MeetingPage, MeetingRead
from core.db import MAX_ID
from core.errors import UnknownReference
from services import committee_service, governance_reports, meeting_service
from services.calendar import meeting_calendar
from services.documents import minutes_html
from services.governance_inputs import AmendmentCreate, Day, MeetingCreate, MeetingUpdate

router = APIRouter(prefix="/api/meetings", tags=["réunions"])

CommitteeFilter = Annotated[int | None, Query(gt=0, le=MAX_ID, description="Un seul comité.")]


def _document(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}}}}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingRead,
    responses=error_responses(400, 401, 403, 422, refusals=(UnknownReference,)),
)
async def create_meeting(
    body: MeetingCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> MeetingRead:
    """Plan a meeting of a committee (secretariat)."""
    meeting = await committee_service.create_meeting(
        session,
        actor,
        committee_id=body.committee_id,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        place=body.place,
        agenda=body.agenda,
        now=now,
    )
    return MeetingRead.model_validate(meeting)


@router.get("", response_model=MeetingPage, responses=error_responses(401, 403, 404, 422))
async def list_meetings(
    actor: ActorDep,
    session: SessionDep,
    committee_id: CommitteeFilter = None,
    start: Annotated[Day | None, Query(alias="from", description="Premier jour (Paris).")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Dernier jour (Paris).")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> MeetingPage:
    """Meetings in chronological order, of one committee, between two days (``from``, ``to``)."""
    items, next_cursor = await committee_service.list_meetings(
        session,
        actor,
        committee_id=committee_id,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return MeetingPage(
        items=[MeetingRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


async def _detail(session: SessionDep, meeting: Any) -> MeetingDetail:
    amendments = await meeting_service.list_amendments(session, meeting.id)
    detail = MeetingRead.model_validate(meeting).model_dump()
    return MeetingDetail(
        **detail, amendments=[AmendmentRead.model_validate(item) for item in amendments]
    )


@router.get(
    "/{meeting_id}", response_model=MeetingDetail, responses=error_responses(401, 403, 404, 422)
)
async def get_meeting(meeting_id: PathId, actor: ActorDep, session: SessionDep) -> MeetingDetail:
    """One meeting with its agenda, minutes and the amendments to its published minutes."""
    return await _detail(session, await committee_service.get_meeting(session, actor, meeting_id))


@router.patch(
    "/{meeting_id}",
    response_model=MeetingDetail,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_meeting(
    meeting_id: PathId, body: MeetingUpdate, actor: ActorDep, session: SessionDep, now: NowDep
) -> MeetingDetail:
    """Change date, duration, place or agenda before the meeting; the minutes after it starts,
    until they are published (then 409: amend them)."""
    meeting = await meeting_service.update_meeting(
        session, actor, meeting_id, **body.model_dump(), now=now
    )
    return await _detail(session, meeting)


@router.post(
    "/{meeting_id}/minutes/publish",
    response_model=MeetingDetail,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def publish_minutes(
    meeting_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> MeetingDetail:
    """Publish the minutes (secretariat): from then on they are frozen, corrected by
    amendments only. Publishing a decision of the meeting publishes them too."""
    meeting = await meeting_service.publish_minutes(session, actor, meeting_id, now=now)
    return await _detail(session, meeting)


@router.post(
    "/{meeting_id}/amendments",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingDetail,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def amend_minutes(
    meeting_id: PathId, body: AmendmentCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> MeetingDetail:
    """Publish an amendment (rectificatif) to the published minutes, dated, beside the
    unchanged original (secretariat); 409 before the minutes are published."""
    await meeting_service.amend_minutes(session, actor, meeting_id, body.text, now=now)
    return await _detail(session, await committee_service.get_meeting(session, actor, meeting_id))


@router.get(
    "/{meeting_id}/agenda.ics",
    response_class=Response,
    responses={**_document("text/calendar"), **error_responses(401, 403, 404, 422)},
)
async def meeting_ics(
    meeting_id: PathId, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """The meeting as an iCalendar event, to add to a calendar."""
    meeting = await committee_service.get_meeting(session, actor, meeting_id)
    return Response(
        meeting_calendar(meeting, base_url=settings.base_url, now=now).encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reunion-{meeting.id}.ics"'},
    )


@router.get(
    "/{meeting_id}/minutes.html",
    response_class=Response,
    responses={**_document("text/html"), **error_responses(401, 403, 404, 422)},
)
async def meeting_minutes(
    meeting_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> Response:
    """The minutes of the meeting, a printable page the secretariat can send."""
    record = await governance_reports.meeting_record(session, actor, meeting_id, now)
    return Response(
        minutes_html(record).encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="compte-rendu-reunion-{meeting_id}.html"'
        },
    )
