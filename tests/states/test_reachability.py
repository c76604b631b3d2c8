"""Whether anybody can receive a referral to an offer (``states.reachability``): the rule at
its boundary, the one-query variant, and a submission refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role, Territory
from core.errors import OfferUnreachable, http_status
from core.models import Event, Offer, Organisation, OutboxMessage, Person, Referral, Timer
from services.referral_service import create_referral
from states import engine
from states.reachability import (
    check_reachable,
    is_reachable,
    reachable_offers,
    unreachable_offers,
)
from states.recipients import ORGANISATION_STAFF
from states.referral import REFERRAL
from tests.factories import World, actor_of, make_offer, make_organisation, make_user
from tests.factories import referral_create as new_referral


@pytest.fixture
async def association(session: AsyncSession, clock: FixedClock) -> Organisation:
    """An organisation with no account at all."""
    return await make_organisation(session, clock.now(), name="Association du 19e")


async def _reachable(sessionmaker: async_sessionmaker[AsyncSession], offer_id: int) -> bool:
    """The rule, asked in a session of its own (as a request would)."""
    async with sessionmaker() as fresh:
        return await is_reachable(fresh, offer_id)


async def test_one_active_member_makes_the_offer_reachable_until_deactivated(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    association: Organisation,
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, association, clock.now())
    assert not await _reachable(sessionmaker, offer.id)
    member = await make_user(session, association, clock.now())
    assert await _reachable(sessionmaker, offer.id)
    member.is_active = False
    await session.commit()
    assert not await _reachable(sessionmaker, offer.id)


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
async def test_only_the_roles_that_work_cases_receive_them(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    association: Organisation,
    clock: FixedClock,
    role: Role,
) -> None:
    """A member or an organisation admin receives; a coordinator, a secretary or a platform
    admin account works no case of its organisation (``ORGANISATION_STAFF``)."""
    offer = await make_offer(session, association, clock.now())
    await make_user(session, association, clock.now(), role=role)
    assert await _reachable(sessionmaker, offer.id) is (role in ORGANISATION_STAFF)
    assert {Role.MEMBER, Role.ORG_ADMIN} == ORGANISATION_STAFF


async def test_a_contact_email_alone_is_enough(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    association: Organisation,
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, association, clock.now(), contact_email="accueil@asso.fr")
    blank = await make_offer(session, association, clock.now(), contact_email="")
    assert await _reachable(sessionmaker, offer.id)
    assert not await _reachable(sessionmaker, blank.id)  # an empty address is no address
    association.is_active = False
    await session.commit()
    assert await _reachable(sessionmaker, offer.id)


async def test_a_deactivated_organisation_receives_nothing_without_a_contact_email(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    association: Organisation,
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, association, clock.now())
    await make_user(session, association, clock.now())
    assert await _reachable(sessionmaker, offer.id)
    association.is_active = False
    await session.commit()
    assert not await _reachable(sessionmaker, offer.id)
    with pytest.raises(OfferUnreachable) as refused:
        await check_reachable(session, offer.id)
    assert "« Association du 19e » est désactivée" in refused.value.message


@contextmanager
def counted(engine_: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine_`` inside the block."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine_.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine_.sync_engine, "before_cursor_execute", count)


async def test_many_offers_are_told_apart_in_one_query(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    world: World,
    association: Organisation,
    clock: FixedClock,
) -> None:
    now = clock.now()
    silent = [await make_offer(session, association, now) for _ in range(3)]
    by_email = await make_offer(session, association, now, contact_email="accueil@asso.fr")
    staffed = [world.offer.id, (await make_offer(session, world.outsider, now)).id]
    ids = [offer.id for offer in silent] + [by_email.id, *staffed]
    async with sessionmaker() as fresh:
        with counted(db_engine) as statements:
            found = await reachable_offers(fresh, [*ids, 999_999])
        assert await reachable_offers(fresh, []) == set()
    assert found == {by_email.id, *staffed}
    queries = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1  # whatever the number of offers (SQLite's BEGIN aside)


async def test_the_unreachable_open_offers_are_listed_with_why(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    association: Organisation,
    clock: FixedClock,
) -> None:
    now = clock.now()
    far = await make_organisation(session, now, name="ACI du 20e", territory=Territory.ARR_20)
    atelier = await make_offer(session, association, now, title="Atelier numérique")
    chantier = await make_offer(session, far, now, title="Chantier")
    await make_offer(session, association, now, title="Ancien atelier", is_active=False)
    await make_offer(session, association, now, title="Permanence", contact_email="a@asso.fr")
    async with sessionmaker() as fresh:
        listed = await unreachable_offers(fresh)
        in_20th = await unreachable_offers(fresh, [Offer.territory == Territory.ARR_20])
    assert [(item.offer_id, item.organisation) for item in listed] == [
        (chantier.id, "ACI du 20e"),
        (atelier.id, "Association du 19e"),
    ]
    assert [item.offer_id for item in in_20th] == [chantier.id]
    assert listed[1].reason == (
        "la structure « Association du 19e » n'a aucun compte actif de conseiller·ère ou de "
        "responsable, et l'offre n'a pas d'adresse de contact"
    )


async def test_the_refusal_says_why_and_whom_to_ask(
    session: AsyncSession, association: Organisation, clock: FixedClock
) -> None:
    offer = await make_offer(session, association, clock.now(), title="Atelier numérique")
    with pytest.raises(OfferUnreachable) as refused:
        await check_reachable(session, offer.id, allowed_actions=["close"])
    error = refused.value
    assert (error.code, http_status(error), error.allowed_actions) == (
        "offer_unreachable",
        409,
        ["close"],
    )
    assert error.message.startswith(
        "Personne ne peut recevoir d'orientation pour l'offre « Atelier numérique » : la "
        "structure « Association du 19e » n'a aucun compte actif"
    )
    assert "Contactez la coordination du plan" in error.message
    await check_reachable(session, 999_999)  # an unknown offer is its caller's to refuse


async def _rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[Any]]:
    tables = (Person, Referral, Event, Timer, OutboxMessage)
    async with sessionmaker() as fresh:
        return {
            table.__tablename__: [
                dict(row._mapping)
                for row in await fresh.execute(select(table.__table__).order_by(table.id))
            ]
            for table in tables
        }


async def test_a_draft_is_saved_but_not_submitted_to_an_unreachable_offer(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    association: Organisation,
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, association, clock.now())
    referrer = actor_of(world.referrer)
    draft = await create_referral(session, referrer, new_referral(offer, submit=False), clock.now())
    assert draft.case.state == "draft"
    await session.commit()
    before = await _rows(sessionmaker)

    async with sessionmaker() as work:
        with pytest.raises(OfferUnreachable) as refused:
            await engine.fire(work, REFERRAL, draft.case.id, "submit", referrer, {}, clock.now())
    assert refused.value.allowed_actions == ["cancel", "submit"]
    assert await _rows(sessionmaker) == before  # no state, event, timer nor email

    await make_user(session, association, clock.now())
    async with sessionmaker() as work:
        sent = await engine.fire(work, REFERRAL, draft.case.id, "submit", referrer, {}, clock.now())
        assert sent.state == "submitted"


async def test_a_referral_created_and_submitted_to_an_unreachable_offer_is_not_created(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    association: Organisation,
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, association, clock.now())
    await session.commit()
    async with sessionmaker() as work:
        with pytest.raises(OfferUnreachable) as refused:
            await create_referral(work, actor_of(world.referrer), new_referral(offer), clock.now())
    assert refused.value.allowed_actions == []  # nothing exists to act on
    assert all(rows == [] for rows in (await _rows(sessionmaker)).values())
