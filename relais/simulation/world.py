"""The simulated partners: the demo's organisations and offers, one acting member each, the
share of partners that never answer, and the organisation that closes mid-year.
"""

from __future__ import annotations

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
    """An organisation with offers, the member who acts for it, and whether it never answers."""

    organisation_id: int
    name: str
    actor: Actor
    offers: tuple[SimOffer, ...]
    unresponsive: bool


@dataclass(frozen=True)
class World:
    """Every partner, the coordinator, the organisations that send referrals, and the one
    whose accounts are all deactivated mid-year."""

    partners: tuple[Partner, ...]
    senders: tuple[Actor, ...]
    coordinator: Actor
    closing: int | None

    def partner(self, organisation_id: int) -> Partner:
        """The partner owning ``organisation_id``."""
        return next(p for p in self.partners if p.organisation_id == organisation_id)

    def member(self, organisation_id: int) -> Actor:
        """The member who acts for ``organisation_id``."""
        return next(a for a in self.senders if a.organisation_id == organisation_id)

    @property
    def answering(self) -> tuple[Partner, ...]:
        """Partners that do answer their referrals."""
        return tuple(p for p in self.partners if not p.unresponsive)


def actor_of(user: User) -> Actor:
    """The actor a user is."""
    return Actor.of(user)


async def build_world(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    random: Random,
    unresponsive_share: float,
) -> World:
    """Load the demo into an empty database, give every organisation a member, pick the
    partners that never answer and the one that closes."""
    async with sessionmaker() as session:
        if await session.scalar(select(Organisation.id).limit(1)) is not None:
            raise NotEmpty("la base contient déjà des données : la simulation veut une base vide")
        await seed_demo(session, settings, clock)
        organisations = list(
            (await session.execute(select(Organisation).order_by(Organisation.id))).scalars()
        )
        users = list((await session.execute(select(User).order_by(User.id))).scalars())
        members = {user.organisation_id: user for user in users if user.role is Role.MEMBER}
        for organisation in organisations:
            if organisation.id not in members:
                members[organisation.id] = await _member(session, settings, clock, organisation)
        offers = list((await session.execute(select(Offer).order_by(Offer.id))).scalars())
        coordinator = (
            await session.execute(select(User).where(User.role == Role.COORDINATOR))
        ).scalar_one()
    partners = []
    with_offers = [o for o in organisations if any(f.organisation_id == o.id for f in offers)]
    count = round(unresponsive_share * len(with_offers))
    unresponsive = set(random.sample([o.id for o in with_offers], count))
    for organisation in with_offers:
        partners.append(
            Partner(
                organisation.id,
                organisation.name,
                actor_of(members[organisation.id]),
                tuple(
                    SimOffer(
                        offer.id, offer.organisation_id, offer.territory, offer.is_accompaniment
                    )
                    for offer in offers
                    if offer.organisation_id == organisation.id
                ),
                organisation.id in unresponsive,
            )
        )
    senders = tuple(actor_of(members[organisation.id]) for organisation in organisations)
    closing = _closing(random, partners, users)
    return World(tuple(partners), senders, actor_of(coordinator), closing)


def _closing(random: Random, partners: list[Partner], users: list[User]) -> int | None:
    """An answering partner whose accounts all work cases (no coordinator, secretary or
    platform admin among them): the one to close mid-year."""
    keeps = {user.organisation_id for user in users if user.role not in ORGANISATION_STAFF}
    candidates = [
        p.organisation_id for p in partners if not p.unresponsive and p.organisation_id not in keeps
    ]
    return random.choice(candidates) if candidates else None


async def _member(
    session: AsyncSession, settings: Settings, clock: Clock, organisation: Organisation
) -> User:
    manager = operator_manager(session, settings, demo=True)
    manager.password_helper = SIMULATED_PASSWORDS
    return await create_account(
        session,
        manager,
        None,
        AccountCreate(
            email=f"simulation-{organisation.id}@relais-demo.paris",
            password=DEMO_PASSWORD,
            organisation_id=organisation.id,
            role=Role.MEMBER,
        ),
        clock,
    )
