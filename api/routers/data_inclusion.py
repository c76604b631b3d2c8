"""The catalogue in data·inclusion's format (schema v1), for DORA and data·inclusion.

Behind sign-in like the rest of the API, for any account: the catalogue is shared by every
partner, and relais has no public route yet; publishing it openly is a decision of the plan
(``services.data_inclusion`` says how relais's data becomes data·inclusion's).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep, NowDep, SessionDep
from api.errors import error_responses
from services import data_inclusion

router = APIRouter(prefix="/api/data-inclusion", tags=["data·inclusion"])


@router.get("/services", responses=error_responses(401))
async def services(_actor: ActorDep, session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    """Every open offer as a data·inclusion v1 ``Service`` (ids ``relais--<id>``)."""
    return await data_inclusion.export_services(session, now)


@router.get("/structures", responses=error_responses(401))
async def structures(_actor: ActorDep, session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    """Every organisation with an open offer as a data·inclusion v1 ``Structure``."""
    return await data_inclusion.export_structures(session, now)
