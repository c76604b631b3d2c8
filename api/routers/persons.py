"""A person's record for the coordination: read it with its possible duplicates, merge one."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ActorDep, NowDep, PathId, ReadDep, SessionDep
from api.errors import error_responses
from api.person_schemas import PersonCardRead, PersonRef
from services import erasure, person_merge
from services.erasure import ErasureRequest
from services.person_merge import PersonCard, PersonMerge

router = APIRouter(prefix="/api/persons", tags=["personnes"])


def _read(card: PersonCard) -> PersonCardRead:
    person = card.person
    return PersonCardRead(
        id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        email=person.email,
        phone=person.phone,
        france_travail_id=person.france_travail_id,
        caf_number=person.caf_number,
        referent=card.referent,
        cases=card.cases,
        merge_candidates=[PersonRef.model_validate(item) for item in card.candidates],
    )


@router.get(
    "/{person_id}", response_model=PersonCardRead, responses=error_responses(401, 403, 404, 422)
)
async def get_person(
    person_id: PathId, actor: ActorDep, session: SessionDep, read: ReadDep
) -> PersonCardRead:
    """A person's record and the records that may be the same human (coordinators, for the
    persons of their scope); the read is logged."""
    return _read(await person_merge.person_card(session, actor, person_id, read=read))


@router.post(
    "/{person_id}/merge",
    response_model=PersonCardRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def merge_person(
    person_id: PathId, body: PersonMerge, actor: ActorDep, session: SessionDep, now: NowDep
) -> PersonCardRead:
    """Merge the record ``other_id`` into this one: its referrals, accompaniments and
    handovers move here, it is deleted, and the merge is recorded. 409 when both records
    have a current référent, or different identifiers of one kind."""
    card = await person_merge.merge_and_read(session, actor, person_id, body.other_id, now)
    return _read(card)


@router.post(
    "/{person_id}/erase",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def erase_person(
    person_id: PathId, body: ErasureRequest, actor: ActorDep, session: SessionDep, now: NowDep
) -> Response:
    """Erase the person's data now (right to erasure, or objection): names, birth date,
    identifiers, contact details and every text typed about them; codes, dates and
    organisations stay. The DPO, or a coordinator for the persons of their scope; 409
    (``open_cases``) while any of their cases is under way."""
    await erasure.erase_person(session, actor, person_id, body.reason, now)
    return Response(status_code=204)
