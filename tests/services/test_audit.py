"""The trail of administrative changes: every service that creates or edits an organisation,
an account, an offer, a committee's membership or a meeting writes one entry, in the same
transaction, with each changed field from and to; a refused change writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OrganisationKind, Role, Territory
from core.errors import AlreadyExists, Conflict, Forbidden, InvalidInput
from core.models import AuditEntry
from services import accounts, committee_service, directory, meeting_service
from services.audit import diff
from services.inputs import AccountUpdate, OrganisationUpdate
from services.offer_import import import_offers
from states.actor import Actor
from tests.factories import World, actor_of, make_committee, make_user

SAMPLE = Path(__file__).with_name("data_inclusion_services.json")


async def _entries(session: AsyncSession) -> list[AuditEntry]:
    """Every entry, detached from the session (read as they were)."""
    rows = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
    session.expunge_all()
    await session.rollback()
    return rows


def _summary(entries: list[AuditEntry]) -> list[tuple[str, int, str, dict[str, Any]]]:
    return [(e.entity_kind, e.entity_id, e.action, e.changes) for e in entries]


def test_the_diff_keeps_only_changed_fields_as_plain_values() -> None:
    before = {"role": Role.MEMBER, "name": "A", "publics": ["rsa", "aah"], "gone": 1}
    after = {"role": Role.ORG_ADMIN, "name": "A", "publics": ["aah", "rsa"]}
    assert diff(before, after) == {
        "role": {"from": "member", "to": "org_admin"},
        "gone": {"from": 1, "to": None},
    }
    with pytest.raises(ValueError, match="hashed_password"):
        diff({}, {"hashed_password": "x"})


async def test_organisations_write_their_changes_and_refusals_nothing(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    admin, coordinator = actor_of(world.admin), actor_of(world.coordinator)
    admin_id, coordination_id = world.admin.id, world.coordination.id
    now = clock.now()
    created = await directory.create_organisation(
        session, admin, name="Cap emploi Paris", kind=OrganisationKind.CAP_EMPLOI,
        territory=Territory.PARIS, now=now,
    )  # fmt: skip
    created_id = created.id
    with pytest.raises(AlreadyExists):
        await directory.update_organisation(
            session, admin, created_id, OrganisationUpdate(name="CAF de Paris"), now=now
        )
    with pytest.raises(Forbidden):
        await directory.update_organisation(
            session, coordinator, created_id,
            OrganisationUpdate(name="Autre"), now=now,
        )  # fmt: skip
    later = now + timedelta(hours=1)
    await directory.update_organisation(
        session, admin, created_id, OrganisationUpdate(territory=Territory.ARR_19), now=later
    )
    # Changing nothing writes nothing.
    await directory.update_organisation(
        session, admin, created_id, OrganisationUpdate(territory=Territory.ARR_19), now=later
    )
    entries = await _entries(session)
    assert _summary(entries) == [
        ("organisation", created_id, "created", {
            "name": {"from": None, "to": "Cap emploi Paris"},
            "kind": {"from": None, "to": "cap_emploi"},
            "territory": {"from": None, "to": "paris"},
            "is_active": {"from": None, "to": True},
        }),
        ("organisation", created_id, "updated", {"territory": {"from": "paris", "to": "75019"}}),
    ]  # fmt: skip
    assert (entries[1].actor_id, entries[1].actor_organisation_id) == (admin_id, coordination_id)
    assert entries[1].occurred_at == later


async def test_deactivating_an_organisation_writes_it_its_accounts_and_offers(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    await directory.deactivate_organisation(
        session, actor_of(world.admin), world.receiver.id, now=clock.now()
    )
    closed = {"is_active": {"from": True, "to": False}}
    assert _summary(await _entries(session)) == [
        ("user", world.receiver_member.id, "deactivated", closed),
        ("offer", world.offer.id, "deactivated", closed),
        ("organisation", world.receiver.id, "deactivated", closed),
    ]


async def test_accounts_write_role_and_activity_changes(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    admin = actor_of(world.admin)
    now = clock.now()
    member, admin_id = world.receiver_member.id, world.admin.id
    await accounts.update_account(
        session, admin, member, AccountUpdate(role=Role.ORG_ADMIN, full_name="Awa Diallo"), now=now
    )
    with pytest.raises(Conflict):  # nobody changes their own role
        await accounts.update_account(
            session, admin, admin_id, AccountUpdate(role=Role.MEMBER), now=now
        )
    await accounts.deactivate_account(session, admin, member, now=now)
    with pytest.raises(Conflict):
        await accounts.deactivate_account(session, admin, member, now=now)
    await accounts.reactivate_account(session, Actor.operator(), member, now=now)
    entries = await _entries(session)
    assert _summary(entries) == [
        ("user", member, "updated", {
            "role": {"from": "member", "to": "org_admin"},
            "full_name": {"from": None, "to": "Awa Diallo"},
        }),
        ("user", member, "deactivated", {"is_active": {"from": True, "to": False}}),
        ("user", member, "reactivated", {"is_active": {"from": False, "to": True}}),
    ]  # fmt: skip
    assert entries[2].actor_id is None  # the operator at the command line


async def test_offers_write_their_fields_by_hand_and_by_import(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    receiver_admin = await make_user(session, world.receiver, now, role=Role.ORG_ADMIN)
    manager, referrer = actor_of(receiver_admin), actor_of(world.referrer)
    offer_id, outsider_name = world.offer.id, world.outsider.name
    await directory.update_offer(session, manager, offer_id, {"capacity": 12}, now=now)
    with pytest.raises(InvalidInput):  # deadlines out of order
        await directory.update_offer(
            session, manager, offer_id, {"reminder_days": 9, "escalation_days": 4}, now=now
        )
    with pytest.raises(Forbidden):
        await directory.update_offer(session, referrer, offer_id, {"capacity": 1}, now=now)
    data = {"services": [_service()]}
    report = await import_offers(
        session, data, organisation_name=outsider_name, dry_run=False, now=now
    )
    assert report.created == 1
    entries = await _entries(session)
    assert _summary(entries)[0] == (
        "offer", offer_id, "updated", {"capacity": {"from": None, "to": 12}}
    )  # fmt: skip
    imported = entries[1]
    assert (imported.entity_kind, imported.action, imported.actor_id) == ("offer", "created", None)
    assert imported.changes["source_id"] == {"from": None, "to": "svc-audit-1"}
    assert len(entries) == 2


def _service() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return {**data["services"][0], "id": "svc-audit-1"}


async def test_committee_memberships_and_meetings_write_their_changes(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    actor = actor_of(secretary)
    committee = await make_committee(session, now, members=(world.sender,))
    committee_id, receiver_id = committee.id, world.receiver.id
    await committee_service.add_member(session, actor, committee_id, receiver_id, now=now)
    with pytest.raises(AlreadyExists):
        await committee_service.add_member(session, actor, committee_id, receiver_id, now=now)
    await committee_service.remove_member(session, actor, committee_id, receiver_id, now=now)
    starts = now + timedelta(days=10)
    meeting = await committee_service.create_meeting(
        session, actor, committee_id=committee_id, starts_at=starts, duration_minutes=90,
        place="Salle 1", agenda="", now=now,
    )  # fmt: skip
    await meeting_service.update_meeting(session, actor, meeting.id, place="Salle 2", now=now)
    entries = await _entries(session)
    seat = {"committee_id": committee_id, "organisation_id": receiver_id}
    assert [(e.entity_kind, e.action) for e in entries] == [
        ("committee_membership", "created"),
        ("committee_membership", "removed"),
        ("meeting", "created"),
        ("meeting", "updated"),
    ]
    assert entries[0].changes == {key: {"from": None, "to": value} for key, value in seat.items()}
    assert entries[1].changes == {key: {"from": value, "to": None} for key, value in seat.items()}
    assert entries[0].entity_id == entries[1].entity_id
    assert entries[2].changes["place"] == {"from": None, "to": "Salle 1"}
    assert entries[3].changes == {"place": {"from": "Salle 1", "to": "Salle 2"}}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET action = 'created'", "DELETE FROM audit_entries"],
)
async def test_the_trail_is_append_only_on_postgresql(
    session: AsyncSession, world: World, clock: FixedClock, is_postgres: bool, statement: str
) -> None:
    if not is_postgres:
        pytest.skip("the database refuses it on PostgreSQL only")
    await directory.update_organisation(
        session, actor_of(world.admin), world.outsider.id,
        OrganisationUpdate(territory=Territory.ARR_20), now=clock.now(),
    )  # fmt: skip
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text(statement))
    await session.rollback()
    assert [entry.action for entry in await _entries(session)] == ["updated"]
