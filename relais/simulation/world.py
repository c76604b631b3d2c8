"""The simulated partners: the demo's organisations and offers, one acting member each, and
the share of partners that never answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.enums import Role, Territory
from core.models import Offer, Organisation, User
from core.settings import Settings
from relais.accounts import create_user_in
from relais.demo import DEMO_PASSWORD, seed_demo
from services.inputs import AccountCreate
from states.actor import Actor


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
    """An organisation with offers, the member who acts for it, and whether it ever answers."""

    organisation_id: int
    name: str
    actor: Actor
    offers: tuple[SimOffer, ...]
    silent: bool


@dataclass(frozen=True)
class World:
    """Every partner, the coordinator, and the organisations that send referrals."""

    partners: tuple[Partner, ...]
    senders: tuple[Actor, ...]
    coordinator: Actor

    def partner(self, organisation_id: int) -> Partner:
        """The partner owning ``organisation_id``."""
        return next(p for p in self.partners if p.organisation_id == organisation_id)

    @property
    def answering(self) -> tuple[Partner, ...]:
        """Partners that do answer their referrals."""
        return tuple(p for p in self.partners if not p.silent)


def actor_of(user: User) -> Actor:
    """The actor a user is."""
    return Actor.of(user)


async def build_world(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    random: Random,
    silent_share: float,
) -> World:
    """Load the demo into an empty database, give every organisation a member, pick the silent."""
    async with sessionmaker() as session:
        if await session.scalar(select(Organisation.id).limit(1)) is not None:
            raise NotEmpty("la base contient déjà des données : la simulation veut une base vide")
        await seed_demo(session, settings, clock)
        organisations = list(
            (await session.execute(select(Organisation).order_by(Organisation.id))).scalars()
        )
        members = {
            user.organisation_id: user
            for user in (await session.execute(select(User).order_by(User.id))).scalars()
            if user.role is Role.MEMBER
        }
        for organisation in organisations:
            if organisation.id not in members:
                members[organisation.id] = await _member(session, settings, clock, organisation)
        offers = list((await session.execute(select(Offer).order_by(Offer.id))).scalars())
        coordinator = (
            await session.execute(select(User).where(User.role == Role.COORDINATOR))
        ).scalar_one()
    partners = []
    with_offers = [o for o in organisations if any(f.organisation_id == o.id for f in offers)]
    silent = set(random.sample([o.id for o in with_offers], round(silent_share * len(with_offers))))
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
                organisation.id in silent,
            )
        )
    senders = tuple(actor_of(members[organisation.id]) for organisation in organisations)
    return World(tuple(partners), senders, actor_of(coordinator))


async def _member(
    session: AsyncSession, settings: Settings, clock: Clock, organisation: Organisation
) -> User:
    return await create_user_in(
        session,
        settings,
        clock,
        AccountCreate(
            email=f"simulation-{organisation.id}@relais-demo.paris",
            password=DEMO_PASSWORD,
            organisation_id=organisation.id,
            role=Role.MEMBER,
        ),
        demo=True,
    )
