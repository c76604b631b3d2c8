"""What coordinators watch: overdue cases across lifecycles, and undelivered emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import OutboxMessageRead, OutboxPage, OverdueRead
from core.enums import OutboxStatus
from core.models import OutboxMessage
from services import outbox_service, overdue, overdue_pages
from services.overdue_pages import CURSOR_EXAMPLE, CURSOR_PATTERN

router = APIRouter(tags=["supervision"])


OverdueCursor = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=CURSOR_PATTERN,
        description="Le « next_cursor » de la page précédente.",
        examples=[CURSOR_EXAMPLE],
    ),
]


@router.get("/api/overdue", response_model=OverdueRead, responses=error_responses(401, 403, 422))
async def list_overdue(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    cursor: OverdueCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> OverdueRead:
    """A page of the overdue cases in the caller's scope, oldest first, grouped by the
    organisation expected to act (the dashboard counts them all)."""
    page = await overdue_pages.list_overdue_page(session, actor, now, cursor, limit)
    return OverdueRead.model_validate(
        {
            "total": len(page.cases),
            "groups": overdue.group_by_organisation(page.cases),
            "next_cursor": page.next_cursor,
        },
        from_attributes=True,
    )


@router.get("/api/outbox", response_model=OutboxPage, responses=error_responses(401, 403, 422))
async def list_outbox(
    actor: ActorDep,
    session: SessionDep,
    status: OutboxStatus = OutboxStatus.DEAD,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> OutboxPage:
    """Emails by delivery status; by default the dead letters that need a look."""
    items, next_cursor = await outbox_service.list_messages(
        session, actor, status=status, cursor=cursor, limit=limit
    )
    return OutboxPage(
        items=[OutboxMessageRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.post(
    "/api/outbox/{message_id}/retry",
    response_model=OutboxMessageRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def retry_outbox_message(
    message_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> OutboxMessage:
    """Send a dead email again at the next delivery."""
    return await outbox_service.retry_message(session, actor, message_id, now)
