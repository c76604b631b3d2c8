"""Partner organisations."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ActorDep, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import OrganisationRead
from core.models import Organisation
from services import directory
from services.inputs import OrganisationCreate, OrganisationUpdate

router = APIRouter(prefix="/api/organisations", tags=["organisations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationRead,
    responses=error_responses(400, 401, 403, 409, 422),
)
async def create_organisation(
    body: OrganisationCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> Organisation:
    """Create a partner organisation (platform admins)."""
    return await directory.create_organisation(
        session, actor, name=body.name, kind=body.kind, territory=body.territory, now=now
    )


@router.get("", response_model=list[OrganisationRead], responses=error_responses(401))
async def list_organisations(_actor: ActorDep, session: SessionDep) -> list[Organisation]:
    """Every partner organisation, by name (``is_active`` false: deactivated)."""
    return await directory.list_organisations(session)


@router.get(
    "/{organisation_id}", response_model=OrganisationRead, responses=error_responses(401, 404, 422)
)
async def get_organisation(
    organisation_id: PathId, _actor: ActorDep, session: SessionDep
) -> Organisation:
    """One partner organisation."""
    return await directory.get_organisation(session, organisation_id)


@router.patch(
    "/{organisation_id}",
    response_model=OrganisationRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_organisation(
    organisation_id: PathId,
    body: OrganisationUpdate,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> Organisation:
    """Change an organisation's name, kind or territory (platform admins)."""
    return await directory.update_organisation(session, actor, organisation_id, body, now=now)


@router.post(
    "/{organisation_id}/deactivate",
    response_model=OrganisationRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def deactivate_organisation(
    organisation_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> Organisation:
    """Deactivate an organisation (platform admins): its accounts are deactivated and its
    offers closed; its cases stay its own. Not the caller's own organisation (409)."""
    return await directory.deactivate_organisation(session, actor, organisation_id, now=now)


@router.post(
    "/{organisation_id}/reactivate",
    response_model=OrganisationRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reactivate_organisation(
    organisation_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> Organisation:
    """Reactivate an organisation (platform admins); its accounts are reactivated and its
    offers reopened one by one."""
    return await directory.reactivate_organisation(session, actor, organisation_id, now=now)
