"""The person's rights, for the data protection officer and the coordination in scope:
access (export), rectification, withdrawal of consent. Erasure is ``persons``' own."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ActorDep, NowDep, PathId, SessionDep
from api.errors import error_responses
from services import consent_withdrawal, person_export, person_rectification
from services.consent_withdrawal import ConsentWithdrawal
from services.person_export_schema import ExportPerson, PersonExport
from services.person_rectification import PersonRectification

router = APIRouter(prefix="/api/persons", tags=["droits de la personne"])


class ConsentWithdrawalRead(BaseModel):
    """A recorded withdrawal of consent and the cases it closed."""

    person_id: int
    consent_withdrawn_at: datetime
    closed: list[str] = Field(description="References of the open cases it closed.")


@router.get(
    "/{person_id}/export",
    response_model=PersonExport,
    responses=error_responses(401, 403, 404, 422),
)
async def export_person(
    person_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> PersonExport:
    """Everything relais holds about the person (right of access, GDPR article 15): the
    record, every referral, accompaniment and handover with its whole history, the record's
    own changes and the organisations the data was shared with. The read is logged."""
    return await person_export.export_person(session, actor, person_id, now)


@router.patch(
    "/{person_id}",
    response_model=ExportPerson,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def rectify_person(
    person_id: PathId, body: PersonRectification, actor: ActorDep, session: SessionDep, now: NowDep
) -> ExportPerson:
    """Correct the person's identity or contact (right to rectification): only the fields
    sent change. 409 for an identifier another record holds; the change is recorded (which
    fields, by whom), never the old or new values. No version check: the record has none."""
    person = await person_rectification.rectify_person(session, actor, person_id, body, now)
    return person_export.person_record(person)


@router.post(
    "/{person_id}/consent-withdrawal",
    response_model=ConsentWithdrawalRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def withdraw_consent(
    person_id: PathId, body: ConsentWithdrawal, actor: ActorDep, session: SessionDep, now: NowDep
) -> ConsentWithdrawalRead:
    """Record that the person withdrew consent: every open case of theirs is closed with that
    reason, and no new referral is accepted without a renewed attestation
    (``person.consent_renewed``). 409 when already recorded."""
    done = await consent_withdrawal.withdraw_consent(session, actor, person_id, now)
    return ConsentWithdrawalRead(
        person_id=done.person_id,
        consent_withdrawn_at=done.consent_withdrawn_at,
        closed=done.closed,
    )
