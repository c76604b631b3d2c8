"""Project groups' pages: create one (lead partner, mandate, end date, members), and change
its lead partner, mandate or end date (which moves its reminder and escalation)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import CommitteeKind
from core.errors import Forbidden
from services import committee_service, directory
from services.committee_service import CommitteeView
from services.governance_inputs import CommitteeCreate, ProjectGroupUpdate
from services.project_groups import ProjectGroupFields
from states.policy import may_manage_committees
from web.deps import NowDep, PathId, SessionDep, WebUserDep
from web.forms import Choice, FormField, form_fields
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit

router = page_router()

CREATE_FIELDS = (
    "name",
    "territory",
    "lead_organisation_id",
    "mandate",
    "ends_on",
    "member_organisation_ids",
)


async def _organisations(session: AsyncSession) -> list[Choice]:
    return [(str(item.id), item.name) for item in await directory.list_organisations(session)]


def _check_manager(user: WebUser) -> None:
    if not may_manage_committees(user.actor):
        raise Forbidden(
            "Seuls le secrétariat des comités et les administrateurs gèrent les comités."
        )


async def _form_page(
    request: Request,
    session: AsyncSession,
    *,
    view: CommitteeView | None,
    form: FormState | None,
) -> Response:
    organisations = await _organisations(session)
    choices = {"lead_organisation_id": organisations, "member_organisation_ids": organisations}
    current: dict[str, Any] = {"territory": "paris"}
    if view is not None:
        current = {
            "lead_organisation_id": view.committee.lead_organisation_id,
            "mandate": view.mandate,
            "ends_on": view.ends_on.isoformat() if view.ends_on else None,
        }
    payload = CommitteeCreate if view is None else ProjectGroupUpdate
    fields: list[FormField] = form_fields(
        payload,
        choices=choices,
        values=form.values if form else current,
        errors=form.errors if form else None,
    )
    if view is None:
        fields = sorted(
            (item for item in fields if item.name in CREATE_FIELDS),
            key=lambda item: CREATE_FIELDS.index(item.name),
        )
    title = "Nouveau groupe projet" if view is None else f"Modifier « {view.name} »"
    return render(
        request,
        "project_group_form.html",
        {
            "title": title,
            "committee": view,
            "fields": fields,
            "action": "/project-groups" if view is None else f"/committees/{view.id}/project",
            "error": form.message if form else None,
        },
        status_code=form.status_code if form else 200,
    )


@router.get("/project-groups/new")
async def new_project_group(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    """The form creating a project group (secretariat and platform admins)."""
    _check_manager(user)
    return await _form_page(request, session, view=None, form=None)


@router.post("/project-groups")
async def create_project_group(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Create the project group; the form comes back with what to fix."""

    async def create(data: CommitteeCreate) -> str:
        project = ProjectGroupFields(data.lead_organisation_id, data.mandate, data.ends_on)
        view = await committee_service.create_committee(
            session, user.actor, name=data.name, kind=data.kind, territory=data.territory,
            member_organisation_ids=data.member_organisation_ids, now=now, project=project,
        )  # fmt: skip
        return f"/committees/{view.id}?fait=1"

    outcome = await submit(
        session, CommitteeCreate, await request.form(), create, kind=CommitteeKind.PROJET
    )
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _form_page(request, session, view=None, form=outcome)


@router.get("/committees/{committee_id}/project")
async def edit_project_group(
    request: Request, committee_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """The form changing a project group's lead partner, mandate or end date."""
    _check_manager(user)
    view = await committee_service.get_committee(session, user.actor, committee_id)
    return await _form_page(request, session, view=view, form=None)


@router.post("/committees/{committee_id}/project")
async def update_project_group(
    request: Request, committee_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Record the change; the form comes back with what to fix."""
    view = await committee_service.get_committee(session, user.actor, committee_id)

    async def update(data: ProjectGroupUpdate) -> str:
        fields = ProjectGroupFields(data.lead_organisation_id, data.mandate, data.ends_on)
        await committee_service.update_project_group(
            session, user.actor, committee_id, fields, now=now
        )
        return f"/committees/{committee_id}?fait=1"

    outcome = await submit(session, ProjectGroupUpdate, await request.form(), update)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _form_page(request, session, view=view, form=outcome)
