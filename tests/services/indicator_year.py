"""A known March 2026 built through the services and the sweep, for the indicator tests.

Eight referrals sent on Monday 2 March 09:00 (Paris): five to offer A (sub-axes 2.1 and 3.3,
EPI Paris Centre), three to offer B (sub-axis 3.3, PLIE Paris Nord). What becomes of each:

- r1 (A, RSA, Paris 18e): accepted Tue 3 (1 business day), started Mon 9, completed Tue 10
  (lasting employment);
- r2 (A, Paris 18e): accepted Wed 4 (2), started Mon 9;
- r3 (A): returned Thu 5 10:00, after the reminder due 09:00 (3, not eligible);
- r4 (A): returned Mon 9 10:00, after the escalation due 09:00 (5, not eligible);
- r5 (A): never answered, expired by the sweep on Mon 30 March 09:00;
- r6 (B, Paris 18e): accepted Tue 3 (1), completed Mon 9 (IAE);
- r7 (B): returned Wed 4 (2, missing information);
- r8 (B): cancelled by the referrer Mon 9.

The sweep of Mon 30 March fires the reminder and escalation of r5 and of the returned r3,
r4 and r7 (each once), and expires r5. Parcours: a person accompanied by EPI from Mon 2
March is handed over to PLIE (proposed Tue 3, accepted Wed 4, confirmed Thu 12); a second
handover to the CAF is declined; another person's accompaniment ends Tue 10 (moved away)
and a new one starts Fri 20 (a gap of 10 calendar days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import OrganisationKind, Outcome, Public, ReturnReason, Territory
from core.models import Accompaniment, Offer, OfferSubAxis, Organisation, User
from services import referral_service
from services.cases import fire_case
from services.handover_service import (
    AccompanimentStart,
    HandoverCreate,
    propose_handover,
    start_accompaniment,
)
from states.accompaniment import ACCOMPANIMENT, EndAccompanimentFields
from states.actor import Actor
from states.handover import HANDOVER, AcceptHandoverFields, DeclineHandoverFields
from states.referral_fields import (
    AcceptFields,
    CancelFields,
    CompleteFields,
    ReturnFields,
    StartFields,
)
from states.registry import LIFECYCLES
from tests.factories import (
    ACCOMPANIMENT_REASON,
    World,
    actor_of,
    make_offer,
    make_organisation,
    make_user,
    person_fields,
    referral_create,
)
from workflows.sweep import sweep_due

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int = 10, month: int = 3) -> datetime:
    """An instant of 2026 in Paris."""
    return datetime(2026, month, day, hour, tzinfo=PARIS)


SENT = paris(2, 9)
SWEEP = paris(30, 9)


@dataclass
class Year:
    """The cast and the cases of the known year."""

    world: World
    plie: Organisation
    plie_member: User
    offer_a: Offer
    offer_b: Offer
    referrals: list[int]


async def _offer_on(session: AsyncSession, organisation: Organisation, *axes: str) -> Offer:
    offer = await make_offer(session, organisation, SENT)
    session.add_all(OfferSubAxis(offer_id=offer.id, sub_axis=axis) for axis in axes)
    await session.commit()
    return offer


async def build_year(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> Year:
    """Everything the module docstring says, through the services and the sweep."""
    plie = await make_organisation(
        session, SENT, name="PLIE Paris Nord", kind=OrganisationKind.ASSOCIATION
    )
    year = Year(
        world=world,
        plie=plie,
        plie_member=await make_user(session, plie, SENT, email="accueil@plie-test.fr"),
        offer_a=await _offer_on(session, world.receiver, "2.1", "3.3"),
        offer_b=await _offer_on(session, plie, "3.3"),
        referrals=[],
    )
    people: list[dict[str, Any]] = [
        {"residence": Territory.ARR_18, "publics": [Public("rsa")]},
        {"residence": Territory.ARR_18},
        {},
        {},
        {},
        {"residence": Territory.ARR_18},
        {},
        {},
    ]
    for index, extra in enumerate(people):
        offer = year.offer_a if index < 5 else year.offer_b
        person = person_fields(first_name=f"Personne{index + 1}", **extra)
        view = await referral_service.create_referral(
            session, actor_of(world.referrer), referral_create(offer, person=person), SENT
        )
        await session.commit()
        year.referrals.append(view.case.id)
    await _answer(session, year)
    await sweep_due(sessionmaker, LIFECYCLES, SWEEP)
    await _parcours(session, year)
    return year


async def _answer(session: AsyncSession, year: Year) -> None:
    epi, plie = actor_of(year.world.receiver_member), actor_of(year.plie_member)
    referrer = actor_of(year.world.referrer)
    r = year.referrals
    steps: list[tuple[Actor, int, str, BaseModel, datetime]] = [
        (epi, r[0], "accept", AcceptFields(), paris(3)),
        (plie, r[5], "accept", AcceptFields(), paris(3)),
        (epi, r[1], "accept", AcceptFields(), paris(4)),
        (plie, r[6], "return", _return(ReturnReason.MISSING_INFORMATION), paris(4)),
        (epi, r[2], "return", _return(ReturnReason.NOT_ELIGIBLE), paris(5)),
        (epi, r[3], "return", _return(ReturnReason.NOT_ELIGIBLE), paris(9)),
        (epi, r[0], "start", StartFields(), paris(9)),
        (epi, r[1], "start", StartFields(), paris(9)),
        (plie, r[5], "complete", CompleteFields(outcome=Outcome.IAE), paris(9)),
        (referrer, r[7], "cancel", CancelFields(reason="La personne a déménagé"), paris(9)),
        (
            epi,
            r[0],
            "complete",
            CompleteFields(outcome=Outcome.LASTING_EMPLOYMENT),
            paris(10),
        ),
    ]
    for actor, case_id, trigger, fields, now in steps:
        await referral_service.fire_referral(session, actor, case_id, trigger, fields, now)
        await session.commit()


def _return(reason: ReturnReason) -> ReturnFields:
    return ReturnFields(reason=reason, comment="Voir avec la personne")


async def _parcours(session: AsyncSession, year: Year) -> None:
    world = year.world
    coordination = Actor(
        user_id=None, organisation_id=world.receiver.id, role=world.coordinator.role
    )
    epi, plie = actor_of(world.receiver_member), actor_of(year.plie_member)
    first = await _start(session, coordination, person_fields(first_name="Relais"), paris(2))
    handover = await propose_handover(
        session,
        epi,
        HandoverCreate(
            person_id=first, to_organisation_id=year.plie.id, reason="Suite", consent=True
        ),
        paris(3),
    )
    await session.commit()
    meeting = AcceptHandoverFields(first_meeting_at=paris(11))
    await fire_case(session, HANDOVER, plie, handover.case.id, "accept", meeting, paris(4))
    await session.commit()
    await fire_case(session, HANDOVER, plie, handover.case.id, "confirm", None, paris(12))
    await session.commit()
    declined = await propose_handover(
        session,
        plie,
        HandoverCreate(
            person_id=first, to_organisation_id=world.outsider.id, reason="Suite", consent=True
        ),
        paris(13),
    )
    await session.commit()
    caf = actor_of(world.outsider_member)
    refusal = DeclineHandoverFields(reason="Pas de place")
    await fire_case(session, HANDOVER, caf, declined.case.id, "decline", refusal, paris(16))
    await session.commit()
    second = await _start(session, coordination, person_fields(first_name="Sortie"), paris(2))
    current = await session.scalar(
        select(Accompaniment.id).where(
            Accompaniment.person_id == second, Accompaniment.ended_at.is_(None)
        )
    )
    assert current is not None
    end = EndAccompanimentFields(outcome=Outcome.MOVED_AWAY)
    await fire_case(session, ACCOMPANIMENT, epi, current, "end", end, paris(10))
    await session.commit()
    again = AccompanimentStart(
        person_id=second,
        organisation_id=world.receiver.id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    await start_accompaniment(session, coordination, again, paris(20))
    await session.commit()


async def _start(session: AsyncSession, coordination: Actor, person: Any, now: datetime) -> int:
    start = AccompanimentStart(
        person=person,
        organisation_id=coordination.organisation_id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    accompaniment = await start_accompaniment(session, coordination, start, now)
    await session.commit()
    return accompaniment.person_id
