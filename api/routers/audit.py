"""The trail of administrative changes (« Journal des modifications »): admins and the DPO."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.audit_schemas import AuditEntryRead, AuditPageRead
from api.deps import ActorDep, SessionDep
from api.errors import error_responses
from core.db import MAX_ID
from services import audit
from services.audit import EntityKind

router = APIRouter(tags=["journal des modifications"])


@router.get("/api/audit", response_model=AuditPageRead, responses=error_responses(401, 403, 422))
async def read_audit(
    actor: ActorDep,
    session: SessionDep,
    kind: Annotated[EntityKind | None, Query(description="Un seul type d'élément.")] = None,
    entity_id: Annotated[int | None, Query(gt=0, le=MAX_ID, description="Un seul élément.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> AuditPageRead:
    """Who changed which organisation, account, offer, committee membership or meeting, when,
    and how (each field from and to), newest first, 50 a page."""
    found = await audit.read_audit(session, actor, kind=kind, entity_id=entity_id, page=page)
    items = [
        AuditEntryRead(
            id=line.entry.id,
            occurred_at=line.entry.occurred_at,
            actor_id=line.entry.actor_id,
            actor_email=line.actor_email,
            actor_organisation_id=line.entry.actor_organisation_id,
            actor_organisation=line.actor_organisation,
            entity_kind=line.entry.entity_kind,
            entity_id=line.entry.entity_id,
            action=line.entry.action,
            changes=line.entry.changes,
        )
        for line in found.lines
    ]
    return AuditPageRead(
        items=items, page=found.page, next_page=found.page + 1 if found.has_next else None
    )
