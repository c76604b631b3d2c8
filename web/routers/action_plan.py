"""The « Plan d'action » page: the year's plan validated by the comité de pilotage (or the one
in preparation, marked « non validé »), its items by sub-axis, the forms to draft it from the
committees' decisions and move it along, the adopted decisions, and its spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.enums import PlanAxis
from notifications.render import french_datetime
from services import action_plan_service, case_story, directory, governance_reports
from services.action_plan_service import PlanView
from services.documents import csv_cell
from services.governance_inputs import ActionPlanCreate, ActionPlanItemCreate
from services.indicators.catalogue import INDICATORS
from states.action_plan import ACTION_PLAN
from states.policy import may_draft_action_plan
from web.deps import FileUserDep, NowDep, PathId, SessionDep, WebUserDep
from web.downloads import attachment
from web.forms import FormField, form_fields
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit

router = page_router()

Year = Annotated[int | None, Query(ge=2000, le=2999)]
FRENCH_COLUMNS = (
    "Sous-axe",
    "Intitulé du sous-axe",
    "Action",
    "Structure pilote",
    "Échéance",
    "Décision",
    "Indicateur cible",
    "Valeur cible",
    "État du plan",
)
TRIGGER_FORMS = {"validate": "validate-", "return_for_revision": "return-", "revise": "revise-"}
"""The triggers that take fields, and the prefix of their form's fields."""


def _shown_plan(validated: PlanView | None, preparing: PlanView | None) -> PlanView | None:
    """The plan the page shows first: the plan of the year, else the one in preparation."""
    return validated or preparing


def _by_sub_axis(view: PlanView | None) -> list[tuple[PlanAxis, list[Any]]]:
    """The plan's items under each sub-axis that has some, in the plan's order."""
    if view is None:
        return []
    return [
        (axis, [item for item in view.items if item.sub_axis == axis.value])
        for axis in PlanAxis
        if any(item.sub_axis == axis.value for item in view.items)
    ]


async def _item_form(session: AsyncSession, form: FormState | None) -> list[FormField]:
    decisions = await action_plan_service.source_decisions(session)
    organisations = await directory.list_organisations(session)
    return form_fields(
        ActionPlanItemCreate,
        choices={
            "decision_id": [(str(d.id), f"{d.reference} — {d.title}") for d in decisions],
            "lead_organisation_id": [(str(o.id), o.name) for o in organisations],
            "target_indicator": [(key, item.name) for key, item in INDICATORS.items()],
        },
        values=form.values if form else None,
        errors=form.errors if form else None,
    )


async def _trigger_forms(
    session: AsyncSession,
    view: PlanView | None,
    now: datetime,
    form: FormState | None,
    trigger: str | None,
) -> dict[str, list[FormField]]:
    """The fields of each trigger the reader may fire on the plan in preparation."""
    if view is None:
        return {}
    meetings = await action_plan_service.validating_meetings(session, now)
    choices = {"meeting_id": [(str(m.id), french_datetime(m.starts_at)) for m in meetings]}
    forms = {}
    for name in view.allowed_actions:
        mine = form if trigger == name else None
        forms[name] = form_fields(
            ACTION_PLAN.transition(name).payload,
            choices=choices,
            values=mine.values if mine else None,
            errors=mine.errors if mine else None,
        )
    return forms


async def _page(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    year: int,
    now: datetime,
    form: FormState | None = None,
    form_name: str | None = None,
) -> Response:
    validated, preparing = await action_plan_service.year_plans(session, user.actor, year)
    decisions = await governance_reports.action_plan(session, user.actor, year, now)
    drafts = may_draft_action_plan(user.actor)
    editable = preparing is not None and preparing.plan.state == "draft" and drafts
    return render(
        request,
        "action_plan.html",
        {
            "title": f"Plan d'action {year}",
            "year": year,
            "validated": validated,
            "preparing": preparing,
            "shown": _shown_plan(validated, preparing),
            "groups": _by_sub_axis(_shown_plan(validated, preparing)),
            "preparing_groups": _by_sub_axis(preparing) if validated else [],
            "indicators": INDICATORS,
            "may_open": drafts and preparing is None and validated is None,
            "item_form": await _item_form(session, form if form_name == "item" else None)
            if editable
            else None,
            "item_open": form_name == "item",
            "triggers": await _trigger_forms(session, preparing or validated, now, form, form_name),
            "trigger_prefixes": TRIGGER_FORMS,
            "trigger_labels": {spec.trigger: spec.label for spec in ACTION_PLAN.transitions},
            "editable": editable,
            "plan": decisions,
            "decided": sum(len(group.decisions) for group in decisions.axes),
            "error": form.message if form else None,
            "notice": await _notice(
                session, _shown_plan(validated, preparing), request.query_params.get("fait"), now
            ),
        },
        status_code=form.status_code if form else 200,
    )


async def _notice(
    session: AsyncSession, shown: PlanView | None, done: str | None, now: datetime
) -> str | None:
    """What the page says after an action: the plan's trigger told with what comes next
    (``services.case_story``), or that an edit of the draft is saved."""
    if not done:
        return None
    if shown is not None and done in ACTION_PLAN.triggers:
        return await case_story.done_notice(session, ACTION_PLAN, shown.plan, done, now)
    return "Plan d'action enregistré."


@router.get("/action-plan")
async def action_plan_page(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep, year: Year = None
) -> Response:
    """The year's action plan and the committees' adopted decisions it is drafted from."""
    return await _page(request, session, user, year or now.astimezone(PARIS).year, now)


def _done(year: int, trigger: str = "1") -> str:
    return f"/action-plan?year={year}&fait={trigger}"


@router.post("/action-plan/plans")
async def open_plan(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Open the draft of a year's plan (coordination, secretariat)."""
    posted = await request.form()

    async def create(data: ActionPlanCreate) -> str:
        view = await action_plan_service.create_plan(session, user.actor, data.year, now)
        return _done(view.plan.year)

    outcome = await submit(session, ActionPlanCreate, posted, create)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    year = str(posted.get("year", ""))
    shown = int(year) if year.isdigit() and 2000 <= int(year) <= 2999 else None
    return await _page(request, session, user, shown or now.astimezone(PARIS).year, now, outcome)


@router.post("/action-plan/plans/{plan_id}/items")
async def add_item(
    request: Request, plan_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Add an item to the draft, from an adopted decision; the form comes back if refused."""
    view = await action_plan_service.get_plan(session, user.actor, plan_id)

    async def add(data: ActionPlanItemCreate) -> str:
        await action_plan_service.add_item(session, user.actor, plan_id, data, now)
        return _done(view.plan.year)

    outcome = await submit(session, ActionPlanItemCreate, await request.form(), add, prefix="item-")
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _page(request, session, user, view.plan.year, now, outcome, "item")


@router.post("/action-plan/plans/{plan_id}/items/{item_id}/remove")
async def remove_item(
    plan_id: PathId, item_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """Remove an item from the draft."""
    view = await action_plan_service.remove_item(session, user.actor, plan_id, item_id)
    return RedirectResponse(_done(view.plan.year), status_code=303)


@router.post("/action-plan/plans/{plan_id}/actions/{trigger}")
async def fire(
    request: Request,
    plan_id: PathId,
    trigger: Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$")],
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Submit, return, validate or revise the plan; the form comes back if refused."""
    view = await action_plan_service.get_plan(session, user.actor, plan_id)
    payload = ACTION_PLAN.transition(trigger).payload if trigger in ACTION_PLAN.triggers else None
    if payload is None:
        return RedirectResponse(_done(view.plan.year), status_code=303)

    async def act(data: Any) -> str:
        await action_plan_service.fire_plan(
            session, user.actor, plan_id, trigger, data.model_dump(), now
        )
        return _done(view.plan.year, trigger)

    prefix = TRIGGER_FORMS.get(trigger, "")
    outcome = await submit(session, payload, await request.form(), act, prefix=prefix)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _page(request, session, user, view.plan.year, now, outcome, trigger)


@router.get("/action-plan.csv")
async def action_plan_spreadsheet(
    user: FileUserDep, session: SessionDep, now: NowDep, year: Year = None
) -> Response:
    """The year's plan as a spreadsheet for French Excel: ``;``-separated, UTF-8 with a BOM;
    the plan of the year, else the one in preparation."""
    year = year or now.astimezone(PARIS).year
    validated, preparing = await action_plan_service.year_plans(session, user.actor, year)
    shown = _shown_plan(validated, preparing)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(FRENCH_COLUMNS)
    for axis, items in _by_sub_axis(shown):
        for item in items:
            target = INDICATORS.get(item.target_indicator or "")
            writer.writerow(
                [
                    axis.value,
                    axis.label,
                    csv_cell(item.title),
                    csv_cell(item.lead_organisation.name),
                    item.due_on.isoformat(),
                    item.decision.reference,
                    target.name if target else "",
                    "" if item.target_value is None else f"{item.target_value:g}",
                    shown.state_label if shown else "",
                ]
            )
    return attachment(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        "text/csv; charset=utf-8",
        f"plan-action-{year}.csv",
    )
