"""Decision items and their action items: propose, bring a case, read, list, assign actions.

A title, a description or a decision's text is typed by a person and may name someone:
decisions and action items are read only by those ``policy.governance_readers`` names (the
committee's member organisations, the secretariat, coordinators, the proposer and the
action owners). A case brought to the comité technique is linked by its reference only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.business_days import PARIS, paris_midnight
from core.enums import CommitteeKind, DecisionKind, PlanAxis, Territory
from core.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, UnknownReference
from core.models import ActionItem, Committee, Decision, Organisation
from services import cases, referral_service
from services.access_log import Reading
from services.cases import CasePage, CaseView
from states.action import ACTION
from states.actor import Actor
from states.decision import DECISION
from states.policy import may_assign_actions, may_bring_case_to_committee, may_propose_decision
from states.referral import REFERRAL

DETAILS: tuple[ORMOption, ...] = (
    selectinload(Decision.committee),
    selectinload(Decision.meeting),
    selectinload(Decision.proposer_organisation),
)
"""What a decision's views load with it (its relationships are ``lazy="raise"``)."""

ACTION_DETAILS: tuple[ORMOption, ...] = (
    selectinload(ActionItem.decision),
    selectinload(ActionItem.owner_organisation),
)
"""What an action item's views load with it."""

UNDECIDED = ("proposed", "scheduled", "adjourned")
"""States of an item still waiting for its committee."""

LONGEST_ACTION = timedelta(days=10 * 366)
"""How far ahead an action item may be due."""


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of ``year`` in Paris and that of the next one, in UTC."""
    return (
        datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC),
    )


async def propose_decision(
    session: AsyncSession,
    actor: Actor,
    *,
    committee_id: int,
    title: str,
    description: str,
    kind: DecisionKind,
    axis: PlanAxis,
    now: datetime,
) -> CaseView:
    """Put an item to a committee on behalf of the actor's organisation."""
    if not may_propose_decision(actor) or actor.organisation_id is None:
        raise Forbidden("Seuls les partenaires et la coordination proposent des décisions.")
    committee = await session.get(Committee, committee_id)
    if committee is None:
        raise UnknownReference(f"Le comité {committee_id} n'existe pas.", field="committee_id")
    if kind is DecisionKind.CASE_REVIEW:
        raise InvalidInput(
            "Un examen de situation se demande depuis l'orientation concernée "
            "(POST /api/referrals/{id}/review), par la coordination.",
            field="kind",
        )
    if kind is DecisionKind.CLOSURE and committee.kind is not CommitteeKind.PROJET:
        raise InvalidInput("Seul un groupe projet se clôt par une décision.", field="kind")
    decision = Decision(
        committee_id=committee.id,
        title=title,
        description=description,
        kind=kind,
        axis=axis,
        proposer_organisation_id=actor.organisation_id,
        territory=committee.territory,
        created_by_id=actor.user_id,
    )
    decision_id = await cases.open_case(session, DECISION, decision, actor, now)
    return await get_decision(session, actor, decision_id)


async def _technical_committee(session: AsyncSession, territory: Territory) -> Committee | None:
    """The comité technique of ``territory``, else the Paris one, else the first recorded."""
    committees = list(
        (
            await session.execute(
                select(Committee)
                .where(Committee.kind == CommitteeKind.TECHNIQUE)
                .order_by(Committee.id)
            )
        ).scalars()
    )
    for wanted in (territory, Territory.PARIS):
        for committee in committees:
            if committee.territory == wanted:
                return committee
    return committees[0] if committees else None


async def review_case(
    session: AsyncSession,
    actor: Actor,
    referral_id: int,
    *,
    axis: PlanAxis,
    now: datetime,
) -> CaseView:
    """A coordinator brings a referral of their scope to the comité technique.

    The item names the referral by its reference, its offer, organisations and state: never
    the person.
    """
    if not may_bring_case_to_committee(actor) or actor.organisation_id is None:
        raise Forbidden("Seule la coordination inscrit une situation en comité technique.")
    referral = (await referral_service.get_referral(session, actor, referral_id)).case
    committee = await _technical_committee(session, referral.territory)
    if committee is None:
        raise InvalidInput(
            "Aucun comité technique n'est enregistré : le secrétariat doit d'abord le créer.",
            field="committee",
        )
    pending = await session.scalar(
        select(Decision.reference).where(
            Decision.kind == DecisionKind.CASE_REVIEW,
            Decision.case_reference == referral.reference,
            Decision.state.in_(UNDECIDED),
        )
    )
    if pending is not None:
        raise AlreadyExists(
            f"La situation {referral.reference} attend déjà son examen (proposition {pending})."
        )
    state_label = REFERRAL.state_labels.get(referral.state, referral.state)
    since = referral.state_entered_at.astimezone(PARIS).strftime("%d/%m/%Y")
    decision = Decision(
        committee_id=committee.id,
        title=f"Examen de la situation {referral.reference}",
        description=(
            f"Orientation {referral.reference} vers l'offre « {referral.offer.title} » de "
            f"{referral.receiver_organisation.name}, adressée par "
            f"{referral.sender_organisation.name} : « {state_label} » depuis le {since}. "
            "Les informations sur la personne restent dans le dossier, accessibles aux "
            "seuls partenaires concernés."
        ),
        kind=DecisionKind.CASE_REVIEW,
        axis=axis,
        case_reference=referral.reference,
        proposer_organisation_id=actor.organisation_id,
        territory=committee.territory,
        created_by_id=actor.user_id,
    )
    decision_id = await cases.open_case(session, DECISION, decision, actor, now)
    return await get_decision(session, actor, decision_id)


async def get_decision(
    session: AsyncSession, actor: Actor, decision_id: int, *, read: Reading | None = None
) -> CaseView:
    """A decision item with its events and the actor's allowed actions (``read`` as for a
    case: an item names no person, nothing is logged)."""
    return await cases.get_case(session, DECISION, actor, decision_id, DETAILS, read=read)


async def list_decisions(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    committee_id: int | None = None,
    state: str | None = None,
    axis: PlanAxis | None = None,
    kind: DecisionKind | None = None,
    year: int | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> CasePage:
    """Decision items, newest first; ``year`` is the (Paris) year they were proposed."""
    filters: list[ColumnElement[bool]] = []
    if committee_id is not None:
        filters.append(Decision.committee_id == committee_id)
    if axis is not None:
        filters.append(Decision.axis == axis)
    if kind is not None:
        filters.append(Decision.kind == kind)
    if year is not None:
        start, end = year_bounds(year)
        filters.extend((Decision.created_at >= start, Decision.created_at < end))
    return await cases.list_cases(
        session,
        DECISION,
        actor,
        now,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        filters=filters,
        options=DETAILS,
    )


def is_approved(decision: Decision) -> bool:
    """Whether a decision was approved (and maybe since published)."""
    return decision.state == "approved" or (
        decision.state == "published" and decision.outcome == "approved"
    )


def due_instant(day: date) -> datetime:
    """Midnight of ``day`` in Paris, in UTC: the anchor of an action item's deadlines."""
    return paris_midnight(day)


async def assign_action(
    session: AsyncSession,
    actor: Actor,
    decision_id: int,
    *,
    owner_organisation_id: int,
    title: str,
    due_on: date,
    now: datetime,
) -> CaseView:
    """Give an approved decision an action item (the secretariat): who does what, by when."""
    decision = (await get_decision(session, actor, decision_id)).case
    if not may_assign_actions(actor):
        raise Forbidden("Seul le secrétariat des comités attribue les actions des décisions.")
    if not is_approved(decision):
        raise Conflict(
            f"La décision {decision.reference} n'a pas été adoptée : "
            "seule une décision adoptée porte des actions."
        )
    owner = await session.get(Organisation, owner_organisation_id)
    if owner is None:
        raise UnknownReference(
            f"L'organisation {owner_organisation_id} n'existe pas.", field="owner_organisation_id"
        )
    today = now.astimezone(PARIS).date()
    if due_on < today:
        raise InvalidInput("L'échéance est déjà passée.", field="due_on")
    if due_on > today + LONGEST_ACTION:
        raise InvalidInput("L'échéance est trop lointaine (dix ans au plus).", field="due_on")
    item = ActionItem(
        decision_id=decision.id,
        owner_organisation_id=owner.id,
        territory=decision.territory,
        title=title,
        due_on=due_on,
        due_at=due_instant(due_on),
        created_by_id=actor.user_id,
    )
    action_id = await cases.open_case(session, ACTION, item, actor, now)
    return await get_action(session, actor, action_id)


async def get_action(
    session: AsyncSession, actor: Actor, action_id: int, *, read: Reading | None = None
) -> CaseView:
    """An action item with its events and the actor's allowed actions (``read``: see
    ``get_decision``)."""
    return await cases.get_case(session, ACTION, actor, action_id, ACTION_DETAILS, read=read)


async def list_actions(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    decision_id: int | None = None,
    owner_organisation_id: int | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> CasePage:
    """Action items, newest first; overdue ones are past their escalation time."""
    filters: list[ColumnElement[bool]] = []
    if decision_id is not None:
        filters.append(ActionItem.decision_id == decision_id)
    if owner_organisation_id is not None:
        filters.append(ActionItem.owner_organisation_id == owner_organisation_id)
    return await cases.list_cases(
        session,
        ACTION,
        actor,
        now,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        filters=filters,
        options=ACTION_DETAILS,
    )
