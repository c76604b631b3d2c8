"""Organisations: platform admins list, create, edit, deactivate and reactivate them.

Deactivating an organisation deactivates its accounts and closes its offers in the same
transaction (``services.directory``); each button is a form posted with its CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from core.errors import Forbidden
from core.models import Organisation
from services import directory
from services.inputs import OrganisationCreate, OrganisationUpdate
from states.policy import may_manage_organisations
from web.deps import NowDep, PathId, SessionDep, WebUserDep
from web.forms import form_fields
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit

router = page_router()

NOTICES = {
    "cree": "L'organisation est créée. Ajoutez-lui des comptes depuis la page « Comptes ».",
    "enregistre": "Les modifications de l'organisation sont enregistrées.",
    "desactive": (
        "L'organisation est désactivée : ses comptes sont désactivés et ses offres fermées ; "
        "ses dossiers restent les siens."
    ),
    "reactive": (
        "L'organisation est réactivée. Ses comptes et ses offres restent fermés jusqu'à "
        "leur réactivation, un par un."
    ),
}
"""What the list announces after an action, by the ``fait`` of its address."""


def _admin(user: WebUser) -> None:
    """Only platform admins reach these pages (403 otherwise)."""
    if not may_manage_organisations(user.actor):
        raise Forbidden(directory.ADMINS_ONLY)


def _form_page(request: Request, organisation: Organisation | None, state: FormState) -> Response:
    return render(
        request,
        "organisation_form.html",
        {
            "title": "Nouvelle organisation"
            if organisation is None
            else f"Organisation « {organisation.name} »",
            "organisation": organisation,
            "fields": form_fields(OrganisationCreate, values=state.values, errors=state.errors),
            "error": state.message,
        },
        status_code=state.status_code,
    )


def _values(organisation: Organisation) -> Mapping[str, Any]:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "territory": organisation.territory,
    }


@router.get("/organisations")
async def organisation_list(
    request: Request, user: WebUserDep, session: SessionDep, fait: str = ""
) -> Response:
    """Every organisation, active or not, with what an admin may do with each."""
    _admin(user)
    return render(
        request,
        "organisations.html",
        {
            "title": "Organisations",
            "organisations": await directory.list_organisations(session),
            "own_id": user.organisation.id,
            "notice": NOTICES.get(fait),
        },
    )


@router.get("/organisations/new")
async def new_organisation(request: Request, user: WebUserDep) -> Response:
    """The form of a new organisation."""
    _admin(user)
    return _form_page(request, None, FormState(values={"territory": "paris"}))


@router.post("/organisations/new")
async def create_organisation(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Create the organisation; the form comes back with what to correct."""
    _admin(user)

    async def act(data: OrganisationCreate) -> str:
        await directory.create_organisation(
            session, user.actor, name=data.name, kind=data.kind, territory=data.territory, now=now
        )
        return "/organisations?fait=cree"

    outcome = await submit(session, OrganisationCreate, await request.form(), act)
    if isinstance(outcome, FormState):
        return _form_page(request, None, outcome)
    return RedirectResponse(outcome, status_code=303)


@router.get("/organisations/{organisation_id}")
async def edit_organisation(
    request: Request, organisation_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """The organisation's form, filled with its current values."""
    _admin(user)
    organisation = await directory.get_organisation(session, organisation_id)
    return _form_page(request, organisation, FormState(values=dict(_values(organisation))))


@router.post("/organisations/{organisation_id}")
async def update_organisation(
    request: Request, organisation_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Save the organisation's changes; refused ones come back with what to correct."""
    _admin(user)
    organisation = await directory.get_organisation(session, organisation_id)

    async def act(data: OrganisationCreate) -> str:
        changes = OrganisationUpdate(name=data.name, kind=data.kind, territory=data.territory)
        await directory.update_organisation(session, user.actor, organisation_id, changes, now=now)
        return "/organisations?fait=enregistre"

    outcome = await submit(session, OrganisationCreate, await request.form(), act)
    if isinstance(outcome, FormState):
        return _form_page(request, organisation, outcome)
    return RedirectResponse(outcome, status_code=303)


@router.post("/organisations/{organisation_id}/deactivate")
async def deactivate_organisation(
    organisation_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Deactivate the organisation (409 page when it cannot be)."""
    await directory.deactivate_organisation(session, user.actor, organisation_id, now=now)
    return RedirectResponse("/organisations?fait=desactive", status_code=303)


@router.post("/organisations/{organisation_id}/reactivate")
async def reactivate_organisation(
    organisation_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Reactivate the organisation (409 page when it is active)."""
    await directory.reactivate_organisation(session, user.actor, organisation_id, now=now)
    return RedirectResponse("/organisations?fait=reactive", status_code=303)
