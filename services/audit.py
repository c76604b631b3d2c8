"""The trail of administrative changes (« Journal des modifications »).

Every service that creates or edits an organisation, an account, an offer, a committee's
membership or a meeting calls ``record_change`` inside its own transaction: the entry is
written with the change or not at all (a refused change writes nothing). The entry says who
(the account and its organisation), when, what (the kind and id of the entity, the action) and
how (each changed field, from and to). Only administrative fields are passed in: never a
password hash nor a token.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, InvalidInput
from core.models import AuditEntry, Organisation, User
from core.models.audit import AUDITED_KINDS
from states.actor import Actor
from states.policy import may_read_audit

EntityKind = Literal["organisation", "user", "offer", "committee_membership", "meeting"]
PAGE_SIZE = 50
USER_EMAIL = User.__table__.c.email

ENTITY_LABELS = {
    "organisation": "Organisation",
    "user": "Compte",
    "offer": "Offre",
    "committee_membership": "Membre d'un comité",
    "meeting": "Réunion",
}
ACTION_LABELS = {
    "created": "création",
    "updated": "modification",
    "deactivated": "désactivation",
    "reactivated": "réactivation",
    "imported": "import data·inclusion",
    "removed": "retrait",
    "minutes_published": "publication du compte rendu",
    "amended": "rectificatif publié",
}
ORGANISATION_FIELDS = ("name", "kind", "territory", "is_active")
USER_FIELDS = (
    "email", "full_name", "work_phone", "role", "organisation_id", "scope_territory", "is_active",
)  # fmt: skip
OFFER_FIELDS = (
    "organisation_id", "title", "description", "category", "territory", "eligible_publics",
    "contact_email", "capacity", "is_active", "is_accompaniment", "reminder_days",
    "escalation_days", "expiry_days", "progress_check_days", "modes_accueil", "frais",
    "thematiques", "source", "source_id",
)  # fmt: skip
MEETING_FIELDS = (
    "committee_id", "starts_at", "duration_minutes", "place", "agenda", "minutes",
    "minutes_published_at",
)  # fmt: skip
"""The administrative fields of each kind the trail follows."""
FORBIDDEN_FIELDS = frozenset({"hashed_password", "password", "token", "token_hash"})


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: enums by value, dates in ISO 8601, lists sorted."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_plain(item) for item in value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs between ``before`` and ``after`` (a field missing from
    one side counts as None): ``{"field": {"from": old, "to": new}}``."""
    changes: dict[str, dict[str, Any]] = {}
    for field in sorted(set(before) | set(after)):
        if field in FORBIDDEN_FIELDS:
            raise ValueError(f"{field} n'a pas sa place dans le journal des modifications")
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old != new:
            changes[field] = {"from": old, "to": new}
    return changes


def snapshot(row: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The values of ``fields`` of ``row``, to pass as ``before`` or ``after``."""
    return {field: getattr(row, field) for field in fields}


async def record_change(
    session: AsyncSession,
    actor: Actor | None,
    kind: EntityKind,
    entity_id: int,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    now: datetime,
) -> AuditEntry | None:
    """Add the entry of a change to the session, inside the caller's transaction.

    ``before`` is empty for a creation. An update that changes nothing writes nothing (None);
    any other action (a deactivation, a removal) is written even without a changed field.
    ``actor`` None (or the command line's operator) leaves the actor empty.
    """
    if kind not in AUDITED_KINDS:
        raise ValueError(f"unknown audited kind {kind!r}")
    changes = diff(before, after)
    if action == "updated" and not changes:
        return None
    entry = AuditEntry(
        occurred_at=now,
        actor_id=actor.user_id if actor else None,
        actor_organisation_id=actor.organisation_id if actor else None,
        entity_kind=kind,
        entity_id=entity_id,
        action=action,
        changes=changes,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditLine:
    """One entry as read: with the actor's address and organisation's name."""

    entry: AuditEntry
    actor_email: str | None
    actor_organisation: str | None

    @property
    def kind_label(self) -> str:
        """The entity's kind, in French."""
        return ENTITY_LABELS.get(self.entry.entity_kind, self.entry.entity_kind)

    @property
    def action_label(self) -> str:
        """The action, in French."""
        return ACTION_LABELS.get(self.entry.action, self.entry.action)


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first."""

    lines: list[AuditLine]
    page: int
    has_next: bool


async def read_audit(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: str | None = None,
    entity_id: int | None = None,
    page: int = 1,
) -> AuditPage:
    """The trail, newest first, of one kind of entity and one entity if given (admins, DPO)."""
    if not may_read_audit(actor):
        raise Forbidden("Seuls les administrateurs et le délégué à la protection des données "
                        "consultent le journal des modifications.")  # fmt: skip
    if kind is not None and kind not in AUDITED_KINDS:
        raise InvalidInput(f"Type d'élément inconnu : {kind}.", field="kind")
    if page < 1:
        raise InvalidInput("Les pages se comptent à partir de 1.", field="page")
    statement = (
        select(AuditEntry, USER_EMAIL, Organisation.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(Organisation, Organisation.id == AuditEntry.actor_organisation_id)
        .order_by(AuditEntry.id.desc())
    )
    if kind is not None:
        statement = statement.where(AuditEntry.entity_kind == kind)
    if entity_id is not None:
        statement = statement.where(AuditEntry.entity_id == entity_id)
    rows = list(
        (await session.execute(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
        .tuples()
    )  # fmt: skip
    lines = [AuditLine(entry, email, name) for entry, email, name in rows[:PAGE_SIZE]]
    return AuditPage(lines=lines, page=page, has_next=len(rows) > PAGE_SIZE)
