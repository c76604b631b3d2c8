"""The person's rights, from the person's page: the printable export (access), the
rectification form, and the recording of a withdrawn consent (DPO, coordination in scope)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from core.enums import Territory
from core.errors import Conflict, InvalidInput
from services import consent_withdrawal, person_export, person_rectification
from services.consent_withdrawal import ConsentWithdrawal
from services.person_rectification import PersonRectification
from services.person_rights import person_for_rights
from web.deps import FileUserDep, NowDep, PathId, SessionDep, WebUserDep
from web.downloads import attachment
from web.forms import FormErrors, form_fields, form_values, french_errors, posted_values, refusal_of
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit
from web.summaries import person_name

router = page_router()

PAYLOAD_LABELS = {
    "reason": "Motif",
    "comment": "Commentaire",
    "note": "Point d'étape",
    "motive": "Motif de l'orientation",
    "outcome": "Issue ou motif de sortie",
    "first_appointment_at": "Premier rendez-vous",
    "first_meeting_at": "Première rencontre",
    "eligibility_justification": "Justification hors publics",
    "capacity_justification": "Justification au-delà des places",
    "offer_id": "Offre (n°)",
    "organisation_id": "Structure (n°)",
    "partner_organisation_id": "Structure co-accompagnante (n°)",
    "fields": "Champs rectifiés",
    "closed": "Dossiers clos",
    "merged_person_id": "Fiche fusionnée (n°)",
    "moved": "Dossiers déplacés",
    "fields_taken": "Champs repris",
}
"""What a person reads for the fields written with a step of a case or of the record."""
RECTIFIED_NOTICE = "rectification"
WITHDRAWN_NOTICE = "retrait"


@router.get("/persons/{person_id}/export")
async def export_page(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Everything relais holds about the person, as a document to read, print or save."""
    export = await person_export.export_person(session, user.actor, person_id, now)
    title = f"Données de {export.person.first_name} {export.person.last_name.upper()}"
    return render(
        request,
        "person_export.html",
        {"title": title, "export": export, "payload_labels": PAYLOAD_LABELS},
    )


@router.get("/persons/{person_id}/export.json")
async def export_file(
    person_id: PathId, user: FileUserDep, session: SessionDep, now: NowDep
) -> Response:
    """The same export, as the JSON file the API answers, to hand to the person."""
    export = await person_export.export_person(session, user.actor, person_id, now)
    content = export.model_dump_json(indent=2).encode("utf-8")
    return attachment(content, "application/json", f"relais-personne-{person_id}.json")


def _rectification_fields(values: dict[str, Any], errors: dict[str, str]) -> list[Any]:
    fields = form_fields(PersonRectification, values=values, errors=errors)
    for field in fields:
        if field.name == "residence":
            field.choices = [choice for choice in field.choices if choice[0] != Territory.PARIS]
    return fields


async def _rectification_page(
    request: Request, session: SessionDep, user: WebUser, person_id: int, state: FormState
) -> Response:
    person = await person_for_rights(session, user.actor, person_id)
    record = person_export.person_record(person)
    current = {
        name: getattr(record, name)
        for name in PersonRectification.model_fields
        if name != "residence"
    }
    current["residence"] = record.residence.code if record.residence else ""
    values = state.values or {k: "" if v is None else v for k, v in current.items()}
    return render(
        request,
        "person_rectification.html",
        {
            "title": f"Rectifier la fiche de {person_name(person)}",
            "person": person,
            "fields": _rectification_fields(values, state.errors),
            "error": state.message,
        },
        status_code=state.status_code,
    )


@router.get("/persons/{person_id}/rectification")
async def rectification_page(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """The person's identity and contact, to correct."""
    return await _rectification_page(request, session, user, person_id, FormState())


@router.post("/persons/{person_id}/rectification")
async def rectify(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Correct the record; a field left blank is emptied (a name cannot be)."""
    form = await request.form()
    values = form_values(form)
    # The form shows every field: a blank one is removed, not left as it was.
    data = {name: None for name in PersonRectification.model_fields}
    data.update(posted_values(PersonRectification, form))
    try:
        body = PersonRectification.model_validate(data)
        await person_rectification.rectify_person(session, user.actor, person_id, body, now)
    except ValidationError as error:
        titles = {n: i.title or n for n, i in PersonRectification.model_fields.items()}
        errors, message = refusal_of(FormErrors(french_errors(error, PersonRectification), titles))
        state = FormState(values, errors, message, 422)
    except InvalidInput as error:
        errors, message = refusal_of(error)
        state = FormState(values, errors, message, 422)
    except Conflict as error:
        field = error.details.get("field")
        state = FormState(values, {field: error.message} if field else {}, error.message, 409)
    else:
        return RedirectResponse(f"/persons/{person_id}?fait={RECTIFIED_NOTICE}", status_code=303)
    return await _rectification_page(request, session, user, person_id, state)


async def _withdrawal_page(
    request: Request, session: SessionDep, user: WebUser, person_id: int, state: FormState
) -> Response:
    person = await person_for_rights(session, user.actor, person_id)
    return render(
        request,
        "person_consent_withdrawal.html",
        {
            "title": f"Retrait du consentement de {person_name(person)}",
            "person": person,
            "fields": form_fields(ConsentWithdrawal, values=state.values, errors=state.errors),
            "error": state.message,
        },
        status_code=state.status_code,
    )


@router.get("/persons/{person_id}/consent-withdrawal")
async def withdrawal_page(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """What a withdrawal of consent does, and the button that records it."""
    return await _withdrawal_page(request, session, user, person_id, FormState())


@router.post("/persons/{person_id}/consent-withdrawal")
async def withdraw(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Record the withdrawal; the person's open cases are closed."""

    async def act(data: ConsentWithdrawal) -> str:
        await consent_withdrawal.withdraw_consent(session, user.actor, person_id, now)
        return f"/persons/{person_id}?fait={WITHDRAWN_NOTICE}"

    outcome = await submit(session, ConsentWithdrawal, await request.form(), act)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _withdrawal_page(request, session, user, person_id, outcome)
