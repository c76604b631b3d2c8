"""Committees and their meetings: the governance bodies of the plan, readable by every partner.

Committees and meetings carry no personal data: every authenticated user may read them; the
secretariat (and, for committees, platform admins) changes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.business_days import paris_midnight
from core.db import transaction
from core.enums import CommitteeKind, Territory
from core.errors import AlreadyExists, Forbidden, InvalidInput, NotFound, UnknownReference
from core.models import Committee, CommitteeMember, Meeting, Organisation
from core.pagination import Page, fetch_page
from services import project_groups
from services.audit import MEETING_FIELDS, record_change, snapshot
from services.project_groups import ProjectGroupFields
from states.actor import Actor
from states.policy import may_manage_committees, may_manage_meetings, may_read_governance

NOT_SECRETARIAT_COMMITTEES = (
    "Seuls le secrétariat des comités et les administrateurs gèrent les comités."
)
NOT_SECRETARIAT_MEETINGS = "Seul le secrétariat des comités gère les réunions."
NOT_A_PROJECT = ProjectGroupFields()


@dataclass(frozen=True)
class CommitteeView:
    """A committee and the organisations sitting on it, by name."""

    committee: Committee
    members: list[Organisation]
    lead_organisation: Organisation | None = None

    @property
    def id(self) -> int:
        """The committee's id."""
        return self.committee.id

    @property
    def name(self) -> str:
        """The committee's name."""
        return self.committee.name

    @property
    def kind(self) -> CommitteeKind:
        """The kind of body (pilotage, technique, projet, territorial)."""
        return self.committee.kind

    @property
    def territory(self) -> Territory:
        """The territory the committee covers."""
        return self.committee.territory

    @property
    def created_at(self) -> datetime:
        """When the committee was recorded."""
        return self.committee.created_at

    @property
    def mandate(self) -> str | None:
        """A project group's mandate."""
        return self.committee.mandate

    @property
    def ends_on(self) -> date | None:
        """The end date of a project group's mandate."""
        return self.committee.ends_on


def _check_reader(actor: Actor) -> None:
    if not may_read_governance(actor):
        raise Forbidden("Connectez-vous pour consulter les comités.")


async def _members(session: AsyncSession, committee_id: int) -> list[Organisation]:
    rows = await session.execute(
        select(Organisation)
        .join(CommitteeMember, CommitteeMember.organisation_id == Organisation.id)
        .where(CommitteeMember.committee_id == committee_id)
        .order_by(Organisation.name)
    )
    return list(rows.scalars())


async def _organisations(
    session: AsyncSession, organisation_ids: Sequence[int], field: str
) -> list[Organisation]:
    wanted = set(organisation_ids)
    if not wanted:
        return []
    found = list(
        (await session.execute(select(Organisation).where(Organisation.id.in_(wanted)))).scalars()
    )
    missing = sorted(wanted - {organisation.id for organisation in found})
    if missing:
        raise InvalidInput(
            f"Organisation(s) inconnue(s) : {', '.join(str(item) for item in missing)}.",
            field=field,
        )
    return found


async def create_committee(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    kind: CommitteeKind,
    territory: Territory,
    member_organisation_ids: Sequence[int],
    now: datetime,
    project: ProjectGroupFields = NOT_A_PROJECT,
) -> CommitteeView:
    """A new committee with its member organisations; names are unique, whatever their case.

    A project group (kind projet) needs ``project``: its lead partner, mandate and end date."""
    if not may_manage_committees(actor):
        raise Forbidden(NOT_SECRETARIAT_COMMITTEES)
    taken = AlreadyExists(f"Le comité « {name} » existe déjà.")
    existing = await session.scalar(
        select(Committee.id).where(func.lower(Committee.name) == name.lower())
    )
    if existing is not None:
        raise taken
    members = await _organisations(session, member_organisation_ids, "member_organisation_ids")
    await project_groups.checked_fields(session, kind, project)
    committee = Committee(name=name, kind=kind, territory=territory, created_at=now)
    project_groups.apply(committee, project)
    async with transaction(session, conflict=taken):
        session.add(committee)
        await session.flush()
        for organisation in members:
            await _seat(session, actor, committee.id, organisation.id, now)
    members.sort(key=lambda organisation: organisation.name)
    return CommitteeView(committee, members, await _lead(session, committee))


async def _seat(
    session: AsyncSession, actor: Actor, committee_id: int, organisation_id: int, now: datetime
) -> None:
    """Seat an organisation on a committee, the seat written in the trail."""
    membership = CommitteeMember(committee_id=committee_id, organisation_id=organisation_id)
    session.add(membership)
    await session.flush()
    seat = {"committee_id": committee_id, "organisation_id": organisation_id}
    await record_change(
        session, actor, "committee_membership", membership.id, "created", {}, seat, now
    )


async def _lead(session: AsyncSession, committee: Committee) -> Organisation | None:
    if committee.lead_organisation_id is None:
        return None
    return await session.get(Organisation, committee.lead_organisation_id)


async def _view(session: AsyncSession, committee: Committee) -> CommitteeView:
    return CommitteeView(
        committee, await _members(session, committee.id), await _lead(session, committee)
    )


async def _committee(session: AsyncSession, committee_id: int) -> Committee:
    committee = await session.get(Committee, committee_id)
    if committee is None:
        raise NotFound(f"Comité {committee_id} introuvable.")
    return committee


async def get_committee(session: AsyncSession, actor: Actor, committee_id: int) -> CommitteeView:
    """One committee with its members; NotFound if it does not exist."""
    _check_reader(actor)
    return await _view(session, await _committee(session, committee_id))


async def list_committees(
    session: AsyncSession, actor: Actor, *, kind: CommitteeKind | None = None
) -> list[CommitteeView]:
    """Every committee (of ``kind``), by name, with its members."""
    _check_reader(actor)
    statement = select(Committee).order_by(Committee.name)
    if kind is not None:
        statement = statement.where(Committee.kind == kind)
    committees = list((await session.execute(statement)).scalars())
    rows = await session.execute(
        select(CommitteeMember.committee_id, Organisation)
        .join(Organisation, CommitteeMember.organisation_id == Organisation.id)
        .where(CommitteeMember.committee_id.in_([committee.id for committee in committees]))
        .order_by(Organisation.name)
    )
    members: dict[int, list[Organisation]] = {}
    for committee_id, organisation in rows.tuples():
        members.setdefault(committee_id, []).append(organisation)
    leads = {
        organisation.id: organisation
        for organisation in await _organisations_by_id(
            session, [committee.lead_organisation_id for committee in committees]
        )
    }
    return [
        CommitteeView(
            committee,
            members.get(committee.id, []),
            leads.get(committee.lead_organisation_id or 0),
        )
        for committee in committees
    ]


async def _organisations_by_id(
    session: AsyncSession, organisation_ids: Sequence[int | None]
) -> list[Organisation]:
    wanted = {organisation_id for organisation_id in organisation_ids if organisation_id}
    if not wanted:
        return []
    rows = await session.execute(select(Organisation).where(Organisation.id.in_(wanted)))
    return list(rows.scalars())


async def add_member(
    session: AsyncSession, actor: Actor, committee_id: int, organisation_id: int, *, now: datetime
) -> CommitteeView:
    """Seat an organisation on a committee; AlreadyExists if it already sits there."""
    committee = await _committee(session, committee_id)
    if not may_manage_committees(actor):
        raise Forbidden(NOT_SECRETARIAT_COMMITTEES)
    (organisation,) = await _organisations(session, [organisation_id], "organisation_id")
    already = AlreadyExists(f"{organisation.name} siège déjà au comité « {committee.name} ».")
    seated = await session.scalar(
        select(CommitteeMember.id).where(
            CommitteeMember.committee_id == committee.id,
            CommitteeMember.organisation_id == organisation.id,
        )
    )
    if seated is not None:
        raise already
    async with transaction(session, conflict=already):
        await _seat(session, actor, committee.id, organisation.id, now)
    return await _view(session, committee)


async def remove_member(
    session: AsyncSession, actor: Actor, committee_id: int, organisation_id: int, *, now: datetime
) -> CommitteeView:
    """An organisation leaves a committee; NotFound if it did not sit there."""
    committee = await _committee(session, committee_id)
    if not may_manage_committees(actor):
        raise Forbidden(NOT_SECRETARIAT_COMMITTEES)
    membership = (
        await session.execute(
            select(CommitteeMember).where(
                CommitteeMember.committee_id == committee.id,
                CommitteeMember.organisation_id == organisation_id,
            )
        )
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound(
            f"L'organisation {organisation_id} ne siège pas au comité « {committee.name} »."
        )
    async with transaction(session):
        seat = {"committee_id": committee.id, "organisation_id": organisation_id}
        await record_change(
            session, actor, "committee_membership", membership.id, "removed", seat, {}, now
        )
        await session.delete(membership)
    return await _view(session, committee)


# Meetings


async def create_meeting(
    session: AsyncSession,
    actor: Actor,
    *,
    committee_id: int,
    starts_at: datetime,
    duration_minutes: int,
    place: str,
    agenda: str,
    now: datetime,
) -> Meeting:
    """Plan a meeting of a committee (the secretariat); a past one may be recorded too."""
    if not may_manage_meetings(actor):
        raise Forbidden(NOT_SECRETARIAT_MEETINGS)
    committee = await session.get(Committee, committee_id)
    if committee is None:
        raise UnknownReference(f"Le comité {committee_id} n'existe pas.", field="committee_id")
    meeting = Meeting(
        committee_id=committee.id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        agenda=agenda,
        created_at=now,
    )
    async with transaction(session):
        session.add(meeting)
        await session.flush()
        await record_change(
            session, actor, "meeting", meeting.id, "created", {},
            snapshot(meeting, MEETING_FIELDS), now,
        )  # fmt: skip
    return await get_meeting(session, actor, meeting.id)


async def get_meeting(session: AsyncSession, actor: Actor, meeting_id: int) -> Meeting:
    """One meeting with its committee; NotFound if it does not exist."""
    _check_reader(actor)
    meeting = (
        await session.execute(
            select(Meeting)
            .where(Meeting.id == meeting_id)
            .options(selectinload(Meeting.committee))
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if meeting is None:
        raise NotFound(f"Réunion {meeting_id} introuvable.")
    return meeting


async def list_meetings(
    session: AsyncSession,
    actor: Actor,
    *,
    committee_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[Meeting]:
    """Meetings in chronological order, from the day ``start`` to the day ``end`` (Paris).

    ``cursor`` is the id of the last meeting of the previous page (404 if none has it).
    """
    _check_reader(actor)
    filters: list[ColumnElement[bool]] = []
    if committee_id is not None:
        filters.append(Meeting.committee_id == committee_id)
    if start is not None:
        filters.append(Meeting.starts_at >= paris_midnight(start))
    if end is not None:
        filters.append(Meeting.starts_at < paris_midnight(end + timedelta(days=1)))
    if cursor is not None:
        last = await session.get(Meeting, cursor)
        if last is None:
            raise NotFound(f"Curseur {cursor} inconnu : aucune réunion n'a ce numéro.")
        filters.append(
            or_(
                Meeting.starts_at > last.starts_at,
                and_(Meeting.starts_at == last.starts_at, Meeting.id > last.id),
            )
        )
    statement = (
        select(Meeting)
        .where(*filters)
        .options(selectinload(Meeting.committee))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return await fetch_page(session, statement, Meeting.id, limit)


async def update_project_group(
    session: AsyncSession,
    actor: Actor,
    committee_id: int,
    fields: ProjectGroupFields,
    *,
    now: datetime,
) -> CommitteeView:
    """Change a project group's lead partner, mandate or end date; the committee as it is."""
    committee = await project_groups.update_project_group(
        session, actor, committee_id, fields, now=now
    )
    return await _view(session, committee)
