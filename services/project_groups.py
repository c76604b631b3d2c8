"""Project groups: the committees of kind projet, with a lead partner, a mandate, an end date.

The three fields are required for a project group and refused for the other kinds of body.
Changing the end date moves the reminder and the escalation of ``workflows.project_groups``:
the check reads the date at each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import CommitteeKind
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.models import Committee, Organisation
from states.actor import Actor
from states.policy import may_manage_committees

NOT_SECRETARIAT = "Seuls le secrétariat des comités et les administrateurs gèrent les comités."
PROJECT_FIELDS = ("lead_organisation_id", "mandate", "ends_on")


@dataclass(frozen=True)
class ProjectGroupFields:
    """What makes a committee a project group: who leads it, to do what, until when."""

    lead_organisation_id: int | None = None
    mandate: str | None = None
    ends_on: date | None = None


async def checked_fields(
    session: AsyncSession, kind: CommitteeKind, fields: ProjectGroupFields
) -> ProjectGroupFields:
    """The fields as given, once checked: all three for a project group, none otherwise."""
    given = {name: getattr(fields, name) for name in PROJECT_FIELDS}
    if kind != CommitteeKind.PROJET:
        extra = next((name for name, value in given.items() if value is not None), None)
        if extra is not None:
            raise InvalidInput(
                "Seul un groupe projet a un pilote, un mandat et une date de fin.", field=extra
            )
        return fields
    missing = {
        "lead_organisation_id": "Choisissez la structure pilote du groupe projet.",
        "mandate": "Indiquez le mandat du groupe projet.",
        "ends_on": "Indiquez la date de fin du mandat du groupe projet.",
    }
    for name, message in missing.items():
        if given[name] is None or given[name] == "":
            raise InvalidInput(message, field=name)
    if await session.get(Organisation, fields.lead_organisation_id) is None:
        raise InvalidInput(
            f"Structure pilote inconnue : {fields.lead_organisation_id}.",
            field="lead_organisation_id",
        )
    return fields


def apply(committee: Committee, fields: ProjectGroupFields) -> None:
    """Write the project group's fields on the committee."""
    committee.lead_organisation_id = fields.lead_organisation_id
    committee.mandate = fields.mandate
    committee.ends_on = fields.ends_on


async def update_project_group(
    session: AsyncSession,
    actor: Actor,
    committee_id: int,
    fields: ProjectGroupFields,
    *,
    now: datetime,
) -> Committee:
    """Change a project group's lead partner, mandate or end date (moving its deadlines)."""
    committee = await session.get(Committee, committee_id)
    if committee is None:
        raise NotFound(f"Comité {committee_id} introuvable.")
    if not may_manage_committees(actor):
        raise Forbidden(NOT_SECRETARIAT)
    if committee.kind != CommitteeKind.PROJET:
        raise Conflict("Ce comité n'est pas un groupe projet : il n'a ni pilote ni date de fin.")
    await checked_fields(session, committee.kind, fields)
    # Not in the audit trail yet: its kinds are a database check (core.models.audit), and
    # adding « committee » to it needs its own migration.
    async with transaction(session):
        apply(committee, fields)
    del now
    return committee
