"""The access log: the DPO's search, and who consulted a case (coordination in scope, DPO)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from api.access_log_schemas import AccessLineRead, AccessPageRead
from api.deps import ActorDep, PathId, SessionDep
from api.errors import error_responses
from core.db import MAX_ID
from services import access_log
from states.accompaniment import ACCOMPANIMENT
from states.fields import Moment
from states.handover import HANDOVER
from states.lifecycle import Lifecycle
from states.referral import REFERRAL

router = APIRouter(tags=["journal des accès"])

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    # pydantic reads "0.5" as a Unix timestamp; the schema promises ISO 8601 text.
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("date et heure attendues (ISO 8601)")
    return value


MomentQuery = Annotated[Moment | None, BeforeValidator(_iso_text), Query()]
OptionalId = Annotated[int | None, Query(gt=0, le=MAX_ID)]


@router.get(
    "/api/access-log", response_model=AccessPageRead, responses=error_responses(401, 403, 422)
)
async def search_access_log(
    actor: ActorDep,
    session: SessionDep,
    person_id: OptionalId = None,
    user_id: OptionalId = None,
    since: MomentQuery = None,
    until: MomentQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> AccessPageRead:
    """Who read which person's data, newest first, by person, reader and period (``until``
    excluded), 50 a page: the DPO only (403 otherwise)."""
    found = await access_log.search_access_log(
        session, actor, person_id=person_id, user_id=user_id, since=since, until=until, page=page
    )
    return AccessPageRead(
        items=[AccessLineRead.model_validate(line) for line in found.lines],
        page=found.page,
        has_next=found.has_next,
    )


def _add_case_accesses(lifecycle: Lifecycle) -> None:
    async def case_accesses(
        case_id: PathId, actor: ActorDep, session: SessionDep
    ) -> list[AccessLineRead]:
        lines = await access_log.case_accesses(session, actor, lifecycle.name, case_id)
        return [AccessLineRead.model_validate(line) for line in lines]

    case_accesses.__doc__ = (
        f"Who consulted this {lifecycle.name}, newest first: for a coordinator who supervises "
        "it and for the DPO (403 otherwise)."
    )
    router.add_api_route(
        f"/api{lifecycle.path}/{{case_id}}/accesses",
        case_accesses,
        methods=["GET"],
        response_model=list[AccessLineRead],
        responses=error_responses(401, 403, 404, 422),
        name=f"{lifecycle.name}_accesses",
    )


for _lifecycle in (REFERRAL, ACCOMPANIMENT, HANDOVER):
    _add_case_accesses(_lifecycle)
