"""The year's action plan: draft it from committee decisions, edit its items, move it along
its lifecycle (``states.action_plan``), and read « le plan de l'année ».

A revision keeps the validated plan as the plan of the year (``under_revision``) while a new
draft, a copy of its items, goes the whole way again; validating that draft supersedes the
old plan in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.db import transaction
from core.enums import CommitteeKind, Territory
from core.errors import (
    AlreadyExists,
    ConcurrentChange,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    UnknownReference,
)
from core.models import ActionPlan, ActionPlanItem, Committee, Decision, Meeting, Organisation
from services.cases import insert_case
from services.decision_service import is_approved
from services.governance_inputs import ActionPlanItemCreate
from services.indicators.catalogue import INDICATORS
from states import engine
from states.action_plan import ACTION_PLAN, EDITABLE, PLAN_OF_THE_YEAR, ActionPlanState
from states.actor import Actor
from states.policy import allowed_triggers, case_sides, may_draft_action_plan, may_read_governance

SOURCE_COMMITTEES = (CommitteeKind.TECHNIQUE, CommitteeKind.PROJET)
"""The bodies whose decisions an action plan is drafted from."""
IN_PREPARATION = (ActionPlanState.DRAFT.value, ActionPlanState.SUBMITTED.value)
ONE_PLAN_A_YEAR = "Un plan d'action est déjà en préparation pour cette année."
CHANGED_MEANWHILE = "Les plans d'action de cette année ont changé entre-temps ; rechargez la page."


@dataclass(frozen=True)
class PlanView:
    """A plan, its items (by sub-axis, then due date) and what the reader may do with it."""

    plan: ActionPlan
    items: list[ActionPlanItem]
    allowed_actions: list[str]

    @property
    def state_label(self) -> str:
        """« validé », « soumis au comité de pilotage »..."""
        return ACTION_PLAN.state_labels[self.plan.state]

    @property
    def is_plan_of_the_year(self) -> bool:
        """Whether the comité de pilotage validated it and it is still in force."""
        return self.plan.state in PLAN_OF_THE_YEAR


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2999:
        raise InvalidInput("L'année doit être comprise entre 2000 et 2999.", field="year")


async def _items(session: AsyncSession, plan_id: int) -> list[ActionPlanItem]:
    found = await session.execute(
        select(ActionPlanItem)
        .where(ActionPlanItem.plan_id == plan_id)
        .options(
            selectinload(ActionPlanItem.lead_organisation),
            selectinload(ActionPlanItem.decision),
        )
        .order_by(ActionPlanItem.sub_axis, ActionPlanItem.due_on, ActionPlanItem.id)
    )
    return list(found.scalars())


async def _view(session: AsyncSession, actor: Actor | None, plan: ActionPlan) -> PlanView:
    allowed: list[str] = []
    if actor is not None:
        sides = await case_sides(session, actor, ACTION_PLAN, plan)
        allowed = allowed_triggers(ACTION_PLAN, sides, plan.state)
    return PlanView(plan, await _items(session, plan.id), allowed)


async def get_plan(session: AsyncSession, actor: Actor, plan_id: int) -> PlanView:
    """One plan with its items; every signed-in user reads the plans (no personal data)."""
    if not may_read_governance(actor):
        raise Forbidden("Connectez-vous pour consulter le plan d'action.")
    plan = await session.get(ActionPlan, plan_id, populate_existing=True)
    if plan is None:
        raise NotFound(f"Plan d'action {plan_id} introuvable.")
    return await _view(session, actor, plan)


async def _plan_in(session: AsyncSession, year: int, states: tuple[str, ...]) -> ActionPlan | None:
    found = await session.execute(
        select(ActionPlan)
        .where(ActionPlan.year == year, ActionPlan.state.in_(states))
        .execution_options(populate_existing=True)
    )
    return found.scalars().first()


async def plan_of_the_year(session: AsyncSession, year: int) -> PlanView | None:
    """« Le plan de l'année »: the plan the comité de pilotage validated for ``year`` (still
    in force while a revision is prepared), with its items; None before any validation.

    For the annual report: no actor, no allowed action.
    """
    plan = await _plan_in(session, year, PLAN_OF_THE_YEAR)
    return None if plan is None else await _view(session, None, plan)


async def year_plans(
    session: AsyncSession, actor: Actor, year: int
) -> tuple[PlanView | None, PlanView | None]:
    """The plan of the year and the plan being prepared for it (a draft or a submitted one),
    each None when there is none."""
    if not may_read_governance(actor):
        raise Forbidden("Connectez-vous pour consulter le plan d'action.")
    validated = await _plan_in(session, year, PLAN_OF_THE_YEAR)
    preparing = await _plan_in(session, year, IN_PREPARATION)
    return (
        None if validated is None else await _view(session, actor, validated),
        None if preparing is None else await _view(session, actor, preparing),
    )


async def create_plan(session: AsyncSession, actor: Actor, year: int, now: datetime) -> PlanView:
    """Open the draft of ``year``'s plan (the coordination or the secretariat)."""
    if not may_draft_action_plan(actor):
        raise Forbidden("Seuls la coordination et le secrétariat préparent le plan d'action.")
    _check_year(year)
    async with transaction(session, conflict=AlreadyExists(ONE_PLAN_A_YEAR)):
        if await _plan_in(session, year, IN_PREPARATION) is not None:
            raise AlreadyExists(ONE_PLAN_A_YEAR)
        if await _plan_in(session, year, PLAN_OF_THE_YEAR) is not None:
            raise AlreadyExists(
                "Le plan d'action de cette année est validé : demandez sa révision."
            )
        plan = ActionPlan(year=year, territory=Territory.PARIS, created_by_id=actor.user_id)
        plan_id = await insert_case(session, ACTION_PLAN, plan, actor, now)
    return await get_plan(session, actor, plan_id)


async def _source_decision(session: AsyncSession, decision_id: int) -> Decision:
    """The approved decision of a comité technique or project group an item comes from."""
    decision = await session.get(Decision, decision_id)
    committee = await session.get(Committee, decision.committee_id) if decision else None
    if decision is None or committee is None:
        raise UnknownReference(f"La décision {decision_id} n'existe pas.", field="decision_id")
    if committee.kind not in SOURCE_COMMITTEES:
        raise InvalidInput(
            f"La décision {decision.reference} n'est pas une décision du comité technique "
            "ou d'un comité de projet.",
            field="decision_id",
        )
    if not is_approved(decision):
        raise InvalidInput(
            f"La décision {decision.reference} n'a pas été adoptée : seule une décision "
            "adoptée entre au plan d'action.",
            field="decision_id",
        )
    return decision


async def _check_item(session: AsyncSession, item: ActionPlanItemCreate) -> None:
    if await session.get(Organisation, item.lead_organisation_id) is None:
        raise UnknownReference(
            f"La structure {item.lead_organisation_id} n'existe pas.",
            field="lead_organisation_id",
        )
    if item.target_indicator is not None and item.target_indicator not in INDICATORS:
        raise UnknownReference(
            f"L'indicateur « {item.target_indicator} » n'existe pas.", field="target_indicator"
        )
    if (item.target_indicator is None) != (item.target_value is None):
        raise InvalidInput(
            "Une cible se donne avec son indicateur et sa valeur, ou pas du tout.",
            field="target_value",
        )
    await _source_decision(session, item.decision_id)


async def _editable(session: AsyncSession, actor: Actor, plan_id: int) -> ActionPlan:
    """The plan, locked, once the actor may change its items and it is a draft."""
    if not may_draft_action_plan(actor):
        raise Forbidden("Seuls la coordination et le secrétariat modifient le plan d'action.")
    plan: ActionPlan = await engine.load_case(session, ACTION_PLAN, plan_id, lock=True)
    if plan.state != EDITABLE:
        raise TransitionNotAllowed(
            "Les actions du plan ne se modifient que tant qu'il est en préparation.",
            state=plan.state,
        )
    return plan


async def add_item(
    session: AsyncSession, actor: Actor, plan_id: int, item: ActionPlanItemCreate, now: datetime
) -> PlanView:
    """Add an item to a draft plan, drafted from an approved committee decision."""
    async with transaction(session):
        plan = await _editable(session, actor, plan_id)
        await _check_item(session, item)
        session.add(
            ActionPlanItem(
                plan_id=plan.id,
                title=item.title,
                sub_axis=item.sub_axis.value,
                lead_organisation_id=item.lead_organisation_id,
                due_on=item.due_on,
                decision_id=item.decision_id,
                target_indicator=item.target_indicator,
                target_value=item.target_value,
                created_at=now,
            )
        )
    return await get_plan(session, actor, plan_id)


async def remove_item(session: AsyncSession, actor: Actor, plan_id: int, item_id: int) -> PlanView:
    """Remove an item from a draft plan."""
    async with transaction(session):
        await _editable(session, actor, plan_id)
        item = await session.get(ActionPlanItem, item_id)
        if item is None or item.plan_id != plan_id:
            raise NotFound(f"Action {item_id} introuvable dans ce plan.")
        await session.delete(item)
    return await get_plan(session, actor, plan_id)


async def fire_plan(
    session: AsyncSession,
    actor: Actor,
    plan_id: int,
    trigger: str,
    payload: Mapping[str, Any] | None,
    now: datetime,
) -> PlanView:
    """Fire a trigger on a plan, with what a revision brings along, in one transaction.

    ``revise`` also opens the revision's draft (a copy of the items); ``validate`` on a
    revision's draft first supersedes the plan it revises.
    """
    async with transaction(session, conflict=ConcurrentChange(CHANGED_MEANWHILE)):
        plan: ActionPlan = await engine.load_case(session, ACTION_PLAN, plan_id, lock=True)
        if not actor.is_system and not await case_sides(session, actor, ACTION_PLAN, plan):
            raise Forbidden(
                "Seuls la coordination et le secrétariat des comités font avancer le plan d'action."
            )
        submitted = plan.state in ACTION_PLAN.transition("validate").sources
        if trigger == "validate" and submitted and plan.revises_id is not None:
            await _supersede(session, plan.revises_id, now)
        await engine.apply_transition(session, ACTION_PLAN, plan, trigger, actor, payload, now)
        if trigger == "revise":
            await _open_revision(session, actor, plan, now)
    return await get_plan(session, actor, plan_id)


async def _supersede(session: AsyncSession, plan_id: int, now: datetime) -> None:
    old = await engine.load_case(session, ACTION_PLAN, plan_id, lock=True)
    await engine.apply_transition(session, ACTION_PLAN, old, "supersede", Actor.system(), None, now)
    # The old plan leaves the plan of the year before the new one enters it (unique index).
    await session.flush()


async def _open_revision(
    session: AsyncSession, actor: Actor, plan: ActionPlan, now: datetime
) -> None:
    if await _plan_in(session, plan.year, IN_PREPARATION) is not None:
        raise AlreadyExists(ONE_PLAN_A_YEAR)
    draft = ActionPlan(
        year=plan.year, territory=plan.territory, revises_id=plan.id, created_by_id=actor.user_id
    )
    await insert_case(session, ACTION_PLAN, draft, actor, now)
    for item in await _items(session, plan.id):
        session.add(
            ActionPlanItem(
                plan_id=draft.id,
                title=item.title,
                sub_axis=item.sub_axis,
                lead_organisation_id=item.lead_organisation_id,
                due_on=item.due_on,
                decision_id=item.decision_id,
                target_indicator=item.target_indicator,
                target_value=item.target_value,
                created_at=now,
            )
        )


async def source_decisions(session: AsyncSession) -> list[Decision]:
    """The approved decisions of the comité technique and project groups, newest first: what
    a plan's items are drafted from."""
    found = await session.execute(
        select(Decision)
        .join(Committee, Committee.id == Decision.committee_id)
        .where(
            Committee.kind.in_(SOURCE_COMMITTEES),
            Decision.outcome == "approved",
            Decision.state.in_(("approved", "published")),
        )
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    )
    return list(found.scalars())


async def validating_meetings(session: AsyncSession, now: datetime) -> list[Meeting]:
    """The comité de pilotage meetings already held, newest first: where a plan is validated."""
    found = await session.execute(
        select(Meeting)
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Committee.kind == CommitteeKind.PILOTAGE, Meeting.starts_at <= now)
        .order_by(Meeting.starts_at.desc())
    )
    return list(found.scalars())
