"""The cast of the person's rights tests: Zoé Quatremer's record and cases, and a DPO.

Zoé, born on 3 March 1995, was referred by the Mission locale to the EPI, which accepted;
the coordination made the EPI her référent, and the EPI proposed to hand her over to the CAF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import Role
from core.models import User
from services import handover_service, referral_service
from services.handover_service import AccompanimentStart, HandoverCreate
from states.referral_fields import AcceptFields, ReferralPersonFields
from tests.factories import ACCOMPANIMENT_REASON, World, actor_of, make_user, referral_create

BORN = date(1995, 3, 3)
PERSON = {"first_name": "Zoé", "last_name": "Quatremer", "birth_date": BORN.isoformat()}


@dataclass(frozen=True)
class History:
    """Zoé's record and cases, and the DPO."""

    person_id: int
    referral_id: int
    accompaniment_id: int
    handover_id: int
    dpo: User


async def make_history(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
) -> History:
    """Zoé's referral (accepted), accompaniment (EPI) and handover (proposed to the CAF)."""
    dpo = await make_user(session, world.coordination, now, role=Role.DPO, email="dpo@test.fr")
    async with sessionmaker() as arrange:
        person = ReferralPersonFields(**PERSON, email="zoe.q@example.org", caf_number="7654321")
        view = await referral_service.create_referral(
            arrange, actor_of(world.referrer), referral_create(world.offer, person=person), now
        )
        referral_id = view.case.id
        await referral_service.fire_referral(
            arrange, actor_of(world.receiver_member), referral_id, "accept", AcceptFields(), now
        )
        person_id = view.case.person_id
        start = AccompanimentStart(
            person_id=person_id,
            organisation_id=world.receiver.id,
            reason=ACCOMPANIMENT_REASON,
            consent=True,
        )
        accompaniment = await handover_service.start_accompaniment(
            arrange, actor_of(world.coordinator), start, now
        )
        proposal = HandoverCreate(
            person_id=person_id,
            to_organisation_id=world.outsider.id,
            reason="Passage vers un accompagnement global",
            consent=True,
        )
        handover = await handover_service.propose_handover(
            arrange, actor_of(world.receiver_member), proposal, now
        )
    return History(person_id, referral_id, accompaniment.id, handover.case.id, dpo)
