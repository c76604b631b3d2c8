"""Project groups (committees of kind projet) close by a decision once their mandate ends.

From the end date (midnight in Paris) the lead partner's staff is reminded to record a
closing decision (kind « Clôture du groupe projet », adopted or published); N business days
later, without one, the coordinators whose scope covers the group are alerted.

This is a daily governance check rather than a lifecycle on the engine: a committee has no
state of its own, its deadlines hang on a date anyone may change (not on the entry into a
state), and a closing decision is an ordinary decision of the committee. Reading ``ends_on``
at each run moves the deadlines with it; the keys name the group and its end date, so each
end date is reminded and escalated once, and a new end date starts afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, add_business_days, paris_midnight
from core.db import transaction
from core.enums import CommitteeKind, DecisionKind, MessageKey
from core.models import Committee, Decision, Organisation
from states.decision import DecisionState
from states.recipients import coordinator_recipients, organisation_staff
from workflows.governance import alert_once

CLOSED_STATES = (DecisionState.APPROVED, DecisionState.PUBLISHED)
EXPECTED_ACTION = "inscrire au comité une décision « Clôture du groupe projet » et la faire adopter"


@dataclass
class ProjectGroupReport:
    """What one check of the project groups did: the groups reminded and escalated."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line in French."""
        return (
            f"Groupes projet arrivés à échéance sans clôture : {len(self.reminded)} relance(s), "
            f"{len(self.escalated)} signalement(s) aux coordinateurs."
        )


def closing_decision() -> object:
    """The clause « this committee has an adopted or published closing decision »."""
    return exists().where(
        Decision.committee_id == Committee.id,
        Decision.kind == DecisionKind.CLOSURE,
        Decision.state.in_([state.value for state in CLOSED_STATES]),
    )


def deadlines(committee: Committee, escalation_days: int) -> tuple[datetime, datetime]:
    """When the lead is reminded (the end date, midnight in Paris) and when it escalates."""
    assert committee.ends_on is not None
    reminder_at = paris_midnight(committee.ends_on)
    return reminder_at, add_business_days(reminder_at, escalation_days)


async def check_project_groups(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    escalation_days: int,
    *,
    dry_run: bool = False,
) -> ProjectGroupReport:
    """Remind the leads of ended, unclosed project groups; escalate the late ones."""
    report = ProjectGroupReport()
    async with sessionmaker() as session, transaction(session, dry_run=dry_run):
        rows = await session.execute(
            select(Committee, Organisation.name)
            .join(Organisation, Organisation.id == Committee.lead_organisation_id)
            .where(
                Committee.kind == CommitteeKind.PROJET,
                Committee.ends_on.is_not(None),
                Committee.ends_on <= now.astimezone(PARIS).date(),
                ~closing_decision(),  # type: ignore[operator]
            )
            .order_by(Committee.id)
        )
        for committee, lead in rows.tuples():
            reminder_at, escalation_at = deadlines(committee, escalation_days)
            if now < reminder_at:
                continue
            key = f"{committee.id}:{committee.ends_on}"
            context: dict[str, object] = {
                "case_label": "groupe projet",
                "reference": committee.name,
                "subject_line": f"pilote : {lead}",
                "path": f"/committees/{committee.id}",
                "expected_action": EXPECTED_ACTION,
                "waiting_organisation": lead,
                "state_entered_at": reminder_at.isoformat(),
                "escalation_at": escalation_at.isoformat(),
                "unreachable": None,
            }
            staff = await organisation_staff(session, committee.lead_organisation_id or 0)
            if (
                await alert_once(
                    session,
                    MessageKey.REMINDER,
                    f"governance:project_end:{key}",
                    staff,
                    context,
                    now,
                )
            )[0]:
                report.reminded.append(committee.name)
            if now < escalation_at:
                continue
            coordinators = await coordinator_recipients(session, committee.territory)
            alerted = await alert_once(
                session,
                MessageKey.ESCALATION,
                f"governance:project_late:{key}",
                coordinators,
                context,
                now,
            )
            if alerted[0]:
                report.escalated.append(committee.name)
    return report
