"""Test data: organisations, users, offers and referrals, written straight to the database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import EmailPreference, OfferCategory, OrganisationKind, Role, Territory
from core.models import Offer, Organisation, User
from services.auth import SessionStrategy
from states.actor import Actor
from states.referral_fields import PersonFields, ReferralCreate

PASSWORD = "mot-de-passe-de-test"
SECRET = "test-secret-key-that-is-long-enough-for-jwt-signing"
_sequence = itertools.count(1)


PASSWORDS = PasswordHelper(
    PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
)
"""The password hashing of the tests' applications (``create_app(password_helper=...)``):
argon2id still, at a cost a test can pay at each sign-in (about 1 ms instead of 220 with
its default of 64 MiB and 3 passes, which ``relais`` itself keeps, as the command line's
tests run it). Like les-emplois's tests, which hash with a cheap hasher."""


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One hash of PASSWORD, computed once per test session."""
    return PASSWORDS.hash(PASSWORD)


async def make_organisation(
    session: AsyncSession,
    now: datetime,
    *,
    name: str | None = None,
    kind: OrganisationKind = OrganisationKind.ASSOCIATION,
    territory: Territory = Territory.PARIS,
) -> Organisation:
    """A committed organisation with a unique name."""
    organisation = Organisation(
        name=name or f"Organisation {next(_sequence)}",
        kind=kind,
        territory=territory,
        created_at=now,
    )
    session.add(organisation)
    await session.commit()
    return organisation


async def make_user(
    session: AsyncSession, organisation: Organisation, now: datetime, **fields: Any
) -> User:
    """A committed user whose password is PASSWORD (``fields``: those of ``_user``)."""
    user = _user(organisation, now, **fields)
    session.add(user)
    await session.commit()
    return user


def _user(
    organisation: Organisation,
    now: datetime,
    *,
    role: Role = Role.MEMBER,
    email: str | None = None,
    scope_territory: Territory | None = None,
    is_active: bool = True,
    email_preference: EmailPreference | None = None,
) -> User:
    """A user of ``organisation`` whose password is PASSWORD; without ``email_preference``,
    their role's (``EmailPreference.default_for``)."""
    user = User(
        email=email or f"user{next(_sequence)}@relais-test.fr",
        hashed_password=password_hash(),
        is_active=is_active,
        is_superuser=role is Role.ADMIN,
        is_verified=True,
        organisation_id=organisation.id,
        role=role,
        scope_territory=scope_territory,
        created_at=now,
    )
    if email_preference is not None:
        user.email_preference = email_preference
    return user


async def make_offer(
    session: AsyncSession,
    organisation: Organisation,
    now: datetime,
    **fields: Any,
) -> Offer:
    """A committed, open offer of ``organisation``."""
    offer = _offer(organisation, now, **fields)
    session.add(offer)
    await session.commit()
    return offer


def _offer(organisation: Organisation, now: datetime, **fields: Any) -> Offer:
    values: dict[str, Any] = {
        "title": f"Offre {next(_sequence)}",
        "description": "Accompagnement vers l'emploi",
        "category": OfferCategory("trouver-un-emploi"),
        "territory": organisation.territory,
        "eligible_publics": [],
        "is_active": True,
        **fields,
    }
    return Offer(organisation_id=organisation.id, created_at=now, **values)


CONTACT_EMAIL = "contact@asso-insertion-test.fr"
"""The contact address of an offer whose organisation has no account in relais."""


async def make_contact_only_offer(session: AsyncSession, now: datetime) -> Offer:
    """A committed offer reachable only by its contact address: its organisation (« Association
    Solidarités Emploi ») has no member, and the address no account."""
    organisation = await make_organisation(session, now, name="Association Solidarités Emploi")
    return await make_offer(
        session, organisation, now, title="Chantier d'insertion", contact_email=CONTACT_EMAIL
    )


def actor_of(user: User) -> Actor:
    """The user as the domain sees them."""
    return Actor.of(user)


async def auth_headers(user: User) -> dict[str, str]:
    """A bearer token for ``user``, signed as the test application expects."""
    token = await SessionStrategy(SECRET, 3600).write_token(user)
    return {"Authorization": f"Bearer {token}"}


def referral_create(offer: Offer, **overrides: Any) -> ReferralCreate:
    """A valid new referral to ``offer``."""
    values: dict[str, Any] = {
        "offer_id": offer.id,
        "person": PersonFields(
            first_name="Zoé",
            last_name="Quatremer",
            email="zoe.quatremer@example.org",
            phone="06 12 34 56 78",
        ),
        "motive": "Recherche d'un premier emploi dans le numérique",
        "consent": True,
        **overrides,
    }
    return ReferralCreate(**values)


def referral_json(offer: Offer, **overrides: Any) -> dict[str, Any]:
    """The JSON body of a valid ``POST /api/referrals`` to ``offer``."""
    return referral_create(offer, **overrides).model_dump(mode="json")


@dataclass
class World:
    """A referring and a receiving organisation, a third one and a coordinator."""

    sender: Organisation
    receiver: Organisation
    outsider: Organisation
    coordination: Organisation
    referrer: User
    receiver_member: User
    outsider_member: User
    coordinator: User
    admin: User
    offer: Offer


async def make_world(session: AsyncSession, now: datetime) -> World:
    """The usual cast of a referral test, written in one transaction (before most tests)."""
    organisations = [
        Organisation(name=name, kind=kind, territory=Territory.PARIS, created_at=now)
        for name, kind in (
            ("Mission locale de Paris", OrganisationKind.MISSION_LOCALE),
            ("EPI Paris Centre", OrganisationKind.EPI),
            ("CAF de Paris", OrganisationKind.CAF),
            ("EPEC", OrganisationKind.EPEC),
        )
    ]
    session.add_all(organisations)
    await session.flush()
    sender, receiver, outsider, coordination = organisations
    world = World(
        sender=sender,
        receiver=receiver,
        outsider=outsider,
        coordination=coordination,
        referrer=_user(sender, now, email="conseillere@ml-test.fr"),
        receiver_member=_user(receiver, now, email="accueil@epi-test.fr"),
        outsider_member=_user(outsider, now, email="agent@caf-test.fr"),
        # Emailed each escalation, not only the digest: what the sweep tests follow.
        coordinator=_user(
            coordination,
            now,
            role=Role.COORDINATOR,
            email="coordination@epec-test.fr",
            email_preference=EmailPreference.EVERY_ESCALATION,
        ),
        admin=_user(coordination, now, role=Role.ADMIN, email="admin@test.fr"),
        offer=_offer(receiver, now, title="Accompagnement en EPI"),
    )
    session.add_all(
        [
            world.referrer,
            world.receiver_member,
            world.outsider_member,
            world.coordinator,
            world.admin,
            world.offer,
        ]
    )
    await session.commit()
    return world


async def make_committee(
    session: AsyncSession,
    now: datetime,
    *,
    name: str | None = None,
    kind: str = "technique",
    territory: Territory = Territory.PARIS,
    members: tuple[Organisation, ...] = (),
    lead: Organisation | None = None,
    mandate: str | None = None,
    ends_on: date | None = None,
) -> Any:
    """A committed committee of ``kind`` (a ``CommitteeKind`` value) seating ``members``; a
    project group's lead partner, mandate and end date as given."""
    from core.enums import CommitteeKind
    from core.models import Committee, CommitteeMember

    committee = Committee(
        name=name or f"Comité {next(_sequence)}",
        kind=CommitteeKind(kind),
        territory=territory,
        created_at=now,
        lead_organisation_id=lead.id if lead else None,
        mandate=mandate,
        ends_on=ends_on,
    )
    session.add(committee)
    await session.flush()
    session.add_all(
        CommitteeMember(committee_id=committee.id, organisation_id=organisation.id)
        for organisation in members
    )
    await session.commit()
    return committee


async def make_meeting(
    session: AsyncSession,
    committee: Any,
    starts_at: datetime,
    *,
    place: str = "Hôtel de Ville, salle des commissions",
    agenda: str = "1. Suivi du plan d'action\n2. Questions diverses",
    minutes: str | None = None,
    duration_minutes: int = 120,
) -> Any:
    """A committed meeting of ``committee`` at ``starts_at`` (minutes written as given)."""
    from core.models import Meeting

    meeting = Meeting(
        committee_id=committee.id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        agenda=agenda,
        minutes=minutes,
        created_at=starts_at,
    )
    session.add(meeting)
    await session.commit()
    return meeting


async def make_decision(
    session: AsyncSession,
    committee: Any,
    proposer: User,
    now: datetime,
    *,
    kind: str = "other",
    state: str = "proposed",
) -> Any:
    """A committed decision item of ``committee`` of ``kind``, in ``state`` (no transition);
    past « proposed », on a meeting held at ``now`` and, once decided, adopted then."""
    from core.enums import DecisionKind, PlanAxis
    from core.models import Decision

    number = next(_sequence)
    meeting = None if state == "proposed" else await make_meeting(session, committee, now)
    decided = state in ("approved", "rejected", "published")
    decision = Decision(
        reference=f"DC-{now.year}-{number:06d}",
        state=state,
        version=1,
        committee_id=committee.id,
        title=f"Décision {number}",
        description="Une décision du comité.",
        kind=DecisionKind(kind),
        axis=PlanAxis.A3_3,
        proposer_organisation_id=proposer.organisation_id,
        territory=committee.territory,
        created_by_id=proposer.id,
        created_at=now,
        state_entered_at=now,
        meeting_id=meeting.id if meeting else None,
        meeting_at=now if meeting else None,
        outcome=("rejected" if state == "rejected" else "approved") if decided else None,
        decided_at=now if decided else None,
    )
    session.add(decision)
    await session.commit()
    return decision


def person_fields(**overrides: Any) -> PersonFields:
    """A valid person, as a referral or an accompaniment names them."""
    values: dict[str, Any] = {"first_name": "Yanis", "last_name": "Moreau", **overrides}
    return PersonFields(**values)


async def accompany_new_person(session: AsyncSession, user: User, now: datetime) -> int:
    """A new person whom ``user``'s organisation accompanies from ``now``; the person's id.

    Started as the rule allows outside a referral or a handover: by the coordination, with a
    written reason.
    """
    from services.handover_service import AccompanimentStart, start_accompaniment

    coordination = Actor(user_id=None, organisation_id=user.organisation_id, role=Role.COORDINATOR)
    start = AccompanimentStart(
        person=person_fields(),
        organisation_id=user.organisation_id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    accompaniment = await start_accompaniment(session, coordination, start, now)
    return accompaniment.person_id


ACCOMPANIMENT_REASON = "Prise en charge décidée en commission de coordination du secteur."
"""Why the coordination starts the test accompaniments."""


def handover_json(
    person_id: int, to_organisation: Organisation, **overrides: Any
) -> dict[str, Any]:
    """The JSON body of a valid ``POST /api/handovers`` of the person to ``to_organisation``."""
    return {
        "person_id": person_id,
        "to_organisation_id": to_organisation.id,
        "reason": "Passage vers un accompagnement global",
        "consent": True,
        **overrides,
    }
