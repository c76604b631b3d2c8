"""Accompaniments (who is a person's référent): started by the coordination, read, taken stock
of (point d'étape) and ended (sortie); and the history of a person."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ActorDep, NowDep, PathId, ReadDep, SessionDep
from api.errors import error_responses
from api.handover_schemas import AccompanimentRead, AccompanimentSummary
from api.triggers import add_trigger_routes, case_read
from core.models import Accompaniment
from services import accompaniment_service, handover_service
from services.handover_service import AccompanimentStart
from states.accompaniment import ACCOMPANIMENT
from states.accompaniment_partners import AddPartnerFields

router = APIRouter(prefix="/api/accompaniments", tags=["accompagnements"])
persons = APIRouter(tags=["accompagnements"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AccompanimentSummary,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def start_accompaniment(
    body: AccompanimentStart, actor: ActorDep, session: SessionDep, now: NowDep
) -> Accompaniment:
    """A coordinator makes an organisation the person's référent, with a written reason.

    Otherwise an accompaniment starts from a referral or a confirmed handover.
    """
    return await handover_service.start_accompaniment(session, actor, body, now)


@router.get(
    "/{accompaniment_id}",
    response_model=AccompanimentRead,
    responses=error_responses(401, 404, 422),
)
async def get_accompaniment(
    accompaniment_id: PathId, actor: ActorDep, session: SessionDep, read: ReadDep
) -> AccompanimentRead:
    """An accompaniment with its timeline and the caller's allowed actions (its référent and
    the coordinators of its territory); the read is logged."""
    view = await accompaniment_service.get_accompaniment(
        session, actor, accompaniment_id, read=read
    )
    return case_read(AccompanimentRead, view)


@router.post(
    "/{accompaniment_id}/partners",
    status_code=status.HTTP_201_CREATED,
    response_model=AccompanimentRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def add_partner(
    accompaniment_id: PathId,
    body: AddPartnerFields,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> AccompanimentRead:
    """The référent associates a co-accompanying organisation (accompagnement global), with
    the person's consent (``consent``: true); it then reads the person's file, read-only."""
    view = await accompaniment_service.add_partner(session, actor, accompaniment_id, body, now)
    return case_read(AccompanimentRead, view)


@router.delete(
    "/{accompaniment_id}/partners/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def remove_partner(
    accompaniment_id: PathId,
    organisation_id: PathId,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
) -> None:
    """The référent, or the co-accompanying organisation itself, ends a co-accompaniment
    (the organisation then no longer reads the person's file: nothing is sent back)."""
    await accompaniment_service.remove_partner(
        session, actor, accompaniment_id, organisation_id, now
    )


add_trigger_routes(
    router,
    ACCOMPANIMENT,
    AccompanimentRead,
    accompaniment_service.DETAILS,
    id_name="accompaniment_id",
    # Co-accompanying organisations have their own routes, above.
    exclude=("add_partner", "remove_partner"),
)


@persons.get(
    "/api/persons/{person_id}/accompaniments",
    response_model=list[AccompanimentSummary],
    responses=error_responses(401, 404, 422),
)
async def person_accompaniments(
    person_id: PathId, actor: ActorDep, session: SessionDep
) -> list[Accompaniment]:
    """Who accompanied the person, and when: readable by every organisation that did."""
    return await handover_service.person_history(session, actor, person_id)
