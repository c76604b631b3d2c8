"""Committees of the plan's governance and the organisations sitting on them."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ActorDep, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.governance_schemas import CommitteeRead
from core.enums import CommitteeKind
from services import committee_service
from services.governance_inputs import CommitteeCreate, CommitteeMemberAdd, ProjectGroupUpdate
from services.project_groups import ProjectGroupFields

router = APIRouter(prefix="/api/committees", tags=["comités"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CommitteeRead,
    responses=error_responses(400, 401, 403, 409, 422),
)
async def create_committee(
    body: CommitteeCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> CommitteeRead:
    """Create a committee with its member organisations (secretariat, platform admins)."""
    view = await committee_service.create_committee(
        session,
        actor,
        name=body.name,
        kind=body.kind,
        territory=body.territory,
        member_organisation_ids=body.member_organisation_ids,
        now=now,
        project=ProjectGroupFields(body.lead_organisation_id, body.mandate, body.ends_on),
    )
    return CommitteeRead.model_validate(view)


@router.put(
    "/{committee_id}/project",
    response_model=CommitteeRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_project_group(
    committee_id: PathId,
    body: ProjectGroupUpdate,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> CommitteeRead:
    """Change a project group's lead partner, mandate or end date (moves its deadlines)."""
    view = await committee_service.update_project_group(
        session,
        actor,
        committee_id,
        ProjectGroupFields(body.lead_organisation_id, body.mandate, body.ends_on),
        now=now,
    )
    return CommitteeRead.model_validate(view)


@router.get("", response_model=list[CommitteeRead], responses=error_responses(401, 403, 422))
async def list_committees(
    actor: ActorDep, session: SessionDep, kind: CommitteeKind | None = None
) -> list[CommitteeRead]:
    """Every committee, by name, with its members (readable by every partner)."""
    views = await committee_service.list_committees(session, actor, kind=kind)
    return [CommitteeRead.model_validate(view) for view in views]


@router.get(
    "/{committee_id}", response_model=CommitteeRead, responses=error_responses(401, 403, 404, 422)
)
async def get_committee(
    committee_id: PathId, actor: ActorDep, session: SessionDep
) -> CommitteeRead:
    """One committee with its members."""
    return CommitteeRead.model_validate(
        await committee_service.get_committee(session, actor, committee_id)
    )


@router.post(
    "/{committee_id}/members",
    response_model=CommitteeRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def add_member(
    committee_id: PathId,
    body: CommitteeMemberAdd,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> CommitteeRead:
    """Seat an organisation on the committee."""
    view = await committee_service.add_member(
        session, actor, committee_id, body.organisation_id, now=now
    )
    return CommitteeRead.model_validate(view)


@router.delete(
    "/{committee_id}/members/{organisation_id}",
    response_model=CommitteeRead,
    responses=error_responses(401, 403, 404, 422),
)
async def remove_member(
    committee_id: PathId,
    organisation_id: PathId,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> CommitteeRead:
    """An organisation leaves the committee."""
    view = await committee_service.remove_member(
        session, actor, committee_id, organisation_id, now=now
    )
    return CommitteeRead.model_validate(view)
