"""The caller's to-do list: every case of every lifecycle that waits on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, NowDep, SessionDep
from api.errors import error_responses
from api.schemas import TodoRead
from services import inbox

router = APIRouter(tags=["à traiter"])


@router.get("/api/todo", response_model=TodoRead, responses=error_responses(401, 422))
async def list_todo(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=inbox.INBOX_LIMIT)] = 100,
) -> TodoRead:
    """What waits on the caller's organisation (a coordinator: on anyone in their territory),
    soonest deadline first, with what is expected, the deadline and whether it has passed.

    Expired referrals and progress checks are in it; ``truncated`` says more cases wait than
    ``limit`` shows (the most urgent are shown).
    """
    found = await inbox.list_todo(session, actor, now, limit)
    return TodoRead.model_validate(found, from_attributes=True)
