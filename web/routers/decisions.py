"""Decision items of the committees and their action items: lists, the proposal form, each
decision's page (schedule, decide, publish, assign actions) and each action item's page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.enums import DecisionKind
from core.errors import Forbidden
from notifications.render import french_datetime
from services import committee_service, decision_service, directory
from services.cases import CaseView
from services.decision_service import is_approved
from services.governance_inputs import ActionCreate, DecisionCreate
from states.action import ACTION
from states.actor import Actor
from states.decision import DECISION
from states.policy import may_assign_actions, may_propose_decision
from web.case_pages import CasePages
from web.deps import Cursor, NowDep, PathId, SessionDep, WebUserDep
from web.forms import Choice, FormField, form_fields
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit

router = page_router()

PROPOSABLE_KINDS: list[Choice] = [
    (kind.value, kind.label) for kind in DecisionKind if kind is not DecisionKind.CASE_REVIEW
]
"""A case review is brought by the coordination from the referral, not proposed here."""


@router.get("/decisions")
async def decision_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    state: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
) -> Response:
    """Decision items of every committee, newest first."""
    page = await decision_service.list_decisions(
        session, user.actor, now, state=state or None, cursor=cursor
    )
    return render(
        request,
        "decisions.html",
        {
            "title": "Décisions",
            "page": page,
            "state": state or "",
            "states": DECISION.state_labels,
            "may_propose": may_propose_decision(user.actor),
        },
    )


PERSONAL_DATA_WARNING = (
    "Aucune donnée personnelle dans l'intitulé ni dans la description : ni nom, ni prénom, "
    "ni téléphone, ni adresse, ni situation d'une personne. Ces textes sont lus par tous les "
    "membres du comité ; une situation individuelle se présente par la référence de son "
    "orientation (OR-…), que la coordination inscrit en comité technique."
)
"""What the proposal form says before anyone types a title or a description."""


async def _proposal_page(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    form: FormState,
) -> Response:
    committees = await committee_service.list_committees(session, user.actor)
    fields = form_fields(
        DecisionCreate,
        choices={
            "committee_id": [(str(item.id), item.name) for item in committees],
            "kind": PROPOSABLE_KINDS,
        },
        values=form.values,
        errors=form.errors,
    )
    return render(
        request,
        "decision_new.html",
        {
            "title": "Proposer une décision",
            "fields": fields,
            "error": form.message,
            "personal_data_warning": PERSONAL_DATA_WARNING,
        },
        status_code=form.status_code,
    )


def _check_may_propose(user: WebUser) -> None:
    if not may_propose_decision(user.actor):
        raise Forbidden("Votre rôle ne permet pas de proposer une décision.")


@router.get("/decisions/new")
async def new_decision(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    comite: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The proposal form: committee, title, description, kind and axis of the plan."""
    _check_may_propose(user)
    values = {"committee_id": str(comite)} if comite else {}
    return await _proposal_page(request, session, user, FormState(values))


@router.post("/decisions/new")
async def propose_decision(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Put the item to its committee; the form comes back with what to correct."""
    _check_may_propose(user)

    async def propose(data: DecisionCreate) -> str:
        view = await decision_service.propose_decision(
            session, user.actor, **data.model_dump(), now=now
        )
        return f"{DECISION.case_path(view.case.id)}?fait=propose"

    outcome = await submit(session, DecisionCreate, await request.form(), propose)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _proposal_page(request, session, user, outcome)


async def _decision_choices(
    session: AsyncSession, actor: Actor, view: CaseView, now: datetime
) -> Mapping[str, Sequence[Choice]]:
    """The schedule form offers the committee's meetings still to come."""
    if "schedule" not in view.allowed_actions:
        return {}
    meetings, _next = await committee_service.list_meetings(
        session, actor, committee_id=view.case.committee_id, start=now.astimezone(PARIS).date()
    )
    return {
        "meeting_id": [
            (str(meeting.id), f"{french_datetime(meeting.starts_at)} — {meeting.place}")
            for meeting in meetings
            if meeting.starts_at > now
        ]
    }


async def _assign_form(session: AsyncSession, form: FormState | None = None) -> list[FormField]:
    organisations = [
        (str(item.id), item.name) for item in await directory.list_organisations(session)
    ]
    return form_fields(
        ActionCreate,
        choices={"owner_organisation_id": organisations},
        values=form.values if form else None,
        errors=form.errors if form else None,
    )


async def _decision_context(
    session: AsyncSession, user: WebUser, view: CaseView, now: datetime
) -> Mapping[str, Any]:
    """A decision's action items and, for the secretariat once adopted, the form to add one."""
    actions = await decision_service.list_actions(
        session, user.actor, now, decision_id=view.case.id, limit=100
    )
    may_assign = may_assign_actions(user.actor) and is_approved(view.case)
    return {
        "action_items": actions.items,
        "action_states": ACTION.state_labels,
        "assign_fields": await _assign_form(session) if may_assign else None,
        "assign_open": False,
    }


DECISION_PAGES = CasePages(
    DECISION,
    decision_service.get_decision,
    "decision.html",
    choices=_decision_choices,
    context=_decision_context,
)


@router.post("/decisions/{decision_id}/action-items")
async def assign_action(
    request: Request, decision_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Give the adopted decision an action item (secretariat): who does what, by when."""

    async def assign(data: ActionCreate) -> str:
        view = await decision_service.assign_action(
            session, user.actor, decision_id, **data.model_dump(), now=now
        )
        return f"{ACTION.case_path(view.case.id)}?fait=assign"

    outcome = await submit(session, ActionCreate, await request.form(), assign, prefix="assign-")
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await DECISION_PAGES.render_case(
        request, session, user, decision_id, now,
        message=outcome.message, status_code=outcome.status_code,
        extra={"assign_fields": await _assign_form(session, outcome), "assign_open": True},
    )  # fmt: skip


@router.get("/actions")
async def action_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    state: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
) -> Response:
    """Action items of the adopted decisions, newest first."""
    page = await decision_service.list_actions(
        session, user.actor, now, state=state or None, cursor=cursor
    )
    return render(
        request,
        "actions.html",
        {"title": "Actions", "page": page, "state": state or "", "states": ACTION.state_labels,
         "today": now.astimezone(PARIS).date()},
    )  # fmt: skip


DECISION_PAGES.add_routes(router)
ACTION_PAGES = CasePages(ACTION, decision_service.get_action, "action.html")
ACTION_PAGES.add_routes(router)
