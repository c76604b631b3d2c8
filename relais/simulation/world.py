"""The simulated partners: the demo's organisations and offers, one acting member each or, for
partners reachable only by their offers' contact address, none until they join through an
invitation (and none for a partner nobody can reach); the share of partners that never
answer, and the organisation that closes mid-year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from random import Random

from fastapi_users.password import PasswordHelper
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.enums import Role, Territory
from core.models import Offer, Organisation, User
from core.settings import Settings
from relais.accounts import operator_manager
from relais.demo import DEMO_PASSWORD, seed_demo
from services.accounts import create_account
from services.auth import UserManager
from services.inputs import AccountCreate
from states.actor import Actor
from states.recipients import ORGANISATION_STAFF


class HashedOnce(PasswordHelper):
    """The password helper of the accounts the simulation adds, which all share the demo's
    password: hashed once (the real hash, 0.4 s on the CI machine), then reused."""

    def __init__(self) -> None:
        super().__init__()
        self._hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        """The hash of ``password``, computed the first time only."""
        if password not in self._hashes:
            self._hashes[password] = super().hash(password)
        return self._hashes[password]


SIMULATED_PASSWORDS = HashedOnce()


class NotEmpty(Exception):
    """The database already holds data: the simulation only writes into an empty one."""


@dataclass(frozen=True)
class SimOffer:
    """An offer as the traffic needs it."""

    id: int
    organisation_id: int
    territory: Territory
    is_accompaniment: bool


@dataclass(frozen=True)
class Partner:
    """An organisation with offers, whether it never answers, and the contact address its
    offers' referrals go to when it has no account of its own (until it joins)."""

    organisation_id: int
    name: str
    offers: tuple[SimOffer, ...]
    unresponsive: bool
    contact_email: str | None = None


@dataclass(frozen=True)
class World:
    """Every partner, the member acting for each organisation that has one, the coordinator,
    the organisations that send referrals, and the one whose accounts are all deactivated
    mid-year."""

    partners: tuple[Partner, ...]
    # Organisation id -> the member who acts for it; a partner reachable only by its contact
    # address gets one when it accepts an invitation.
    members: dict[int, Actor]
    senders: tuple[Actor, ...]
    coordinator: Actor
    closing: int | None

    def partner(self, organisation_id: int) -> Partner:
        """The partner owning ``organisation_id``."""
        return next(p for p in self.partners if p.organisation_id == organisation_id)

    def member(self, organisation_id: int) -> Actor:
        """The member who acts for ``organisation_id`` (KeyError before a partner joined)."""
        return self.members[organisation_id]

    @property
    def answering(self) -> tuple[Partner, ...]:
        """Partners that do answer their referrals."""
        return tuple(p for p in self.partners if not p.unresponsive)


def simulated_manager(session: AsyncSession, settings: Settings) -> UserManager:
    """The user manager of the accounts the simulation adds: the demo's password, hashed once."""
    manager = operator_manager(session, settings, demo=True)
    manager.password_helper = SIMULATED_PASSWORDS
    return manager


async def build_world(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    random: Random,
    unresponsive_share: float,
) -> World:
    """Load the demo into an empty database and give a member to every organisation but the
    partners the demo gives no account (reachable only by their offers' contact address, or
    by nobody); pick the partners that never answer and the one that closes."""
    async with sessionmaker() as session:
        if await session.scalar(select(Organisation.id).limit(1)) is not None:
            raise NotEmpty("la base contient déjà des données : la simulation veut une base vide")
        await seed_demo(session, settings, clock)
        organisations = list(
            (await session.execute(select(Organisation).order_by(Organisation.id))).scalars()
        )
        users = list((await session.execute(select(User).order_by(User.id))).scalars())
        offers = list((await session.execute(select(Offer).order_by(Offer.id))).scalars())
        contacts, unreachable = _contacts(organisations, users, offers)
        members = {user.organisation_id: user for user in users if user.role is Role.MEMBER}
        for organisation in organisations:
            if organisation.id not in {*members, *contacts, *unreachable}:
                members[organisation.id] = await _member(session, settings, clock, organisation)
        coordinator = (
            await session.execute(select(User).where(User.role == Role.COORDINATOR))
        ).scalar_one()
    with_offers = [o for o in organisations if any(f.organisation_id == o.id for f in offers)]
    count = round(unresponsive_share * len(with_offers))
    unresponsive = set(random.sample([o.id for o in with_offers], count))
    partners = [
        Partner(
            organisation.id,
            organisation.name,
            tuple(
                SimOffer(offer.id, offer.organisation_id, offer.territory, offer.is_accompaniment)
                for offer in offers
                if offer.organisation_id == organisation.id
            ),
            organisation.id in unresponsive,
            contacts.get(organisation.id),
        )
        for organisation in with_offers
    ]
    acting = {organisation_id: Actor.of(user) for organisation_id, user in members.items()}
    return World(
        tuple(partners),
        acting,
        tuple(acting.values()),
        Actor.of(coordinator),
        _closing(random, partners, users, acting),
    )


def _contacts(
    organisations: list[Organisation], users: list[User], offers: list[Offer]
) -> tuple[dict[int, str], set[int]]:
    """The partners the demo gives no account: organisation id -> the contact address of
    those whose offers have one (they are reachable only by it), and the ids of those left
    with neither, whose offers nobody can receive."""
    with_accounts = {user.organisation_id for user in users}
    contacts: dict[int, str] = {}
    unreachable: set[int] = set()
    for organisation in organisations:
        own = [offer for offer in offers if offer.organisation_id == organisation.id]
        if not own or organisation.id in with_accounts:
            continue
        addresses = {offer.contact_email or "" for offer in own}
        if "" in addresses:
            unreachable.add(organisation.id)
        else:
            contacts[organisation.id] = min(addresses)
    return contacts, unreachable


def _closing(
    random: Random, partners: list[Partner], users: list[User], members: Iterable[int]
) -> int | None:
    """An answering partner with a member, whose accounts all work cases (no coordinator,
    secretary or platform admin among them), and no contact address: the one to close."""
    keeps = {user.organisation_id for user in users if user.role not in ORGANISATION_STAFF}
    candidates = [
        p.organisation_id
        for p in partners
        if not p.unresponsive
        and p.contact_email is None
        and p.organisation_id in members
        and p.organisation_id not in keeps
    ]
    return random.choice(candidates) if candidates else None


async def _member(
    session: AsyncSession, settings: Settings, clock: Clock, organisation: Organisation
) -> User:
    return await create_account(
        session,
        simulated_manager(session, settings),
        None,
        AccountCreate(
            email=f"simulation-{organisation.id}@relais-demo.paris",
            password=DEMO_PASSWORD,
            organisation_id=organisation.id,
            role=Role.MEMBER,
        ),
        clock,
    )
