"""The demo's accompaniments of issue 14: a person followed by a référent and a co-accompanying
organisation, and a young person of the Mission locale about to turn 26."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.models import Organisation, User
from services import accompaniment_service
from services.handover_service import AccompanimentStart, start_accompaniment
from states.accompaniment_partners import AddPartnerFields
from states.actor import Actor
from states.referral_fields import PersonFields

EPI_CENTRE = "Espace parisien d'insertion Paris Centre"
MISSION_LOCALE = "Mission locale de Paris"
FRANCE_TRAVAIL = "France Travail Paris"
TURNS_26_IN_DAYS = 45
"""The demo's young person turns 26 this many days after the demo is loaded."""


def birth_date_turning_26_in(now: datetime, days: int) -> date:
    """A birth date that makes someone 26 ``days`` days after ``now`` (Paris calendar)."""
    birthday = now.astimezone(PARIS).date() + timedelta(days=days)
    if birthday.month == 2 and birthday.day == 29:
        birthday -= timedelta(days=1)
    return birthday.replace(year=birthday.year - 26)


async def seed_accompaniments(
    session: AsyncSession,
    users: dict[str, User],
    organisations: dict[str, Organisation],
    now: datetime,
) -> None:
    """Sofia, accompanied by the EPI with France Travail beside it; Léa, followed by the
    Mission locale, who turns 26 in six weeks with no handover proposed yet."""
    coordination = Actor.of(users["coordination@relais-demo.paris"])
    sofia = AccompanimentStart(
        person=PersonFields(first_name="Sofia", last_name="Nguyen"),
        organisation_id=organisations[EPI_CENTRE].id,
        reason="Allocataire du RSA orientée vers l'EPI par la commission du secteur.",
        consent=True,
    )
    started = await start_accompaniment(session, coordination, sofia, now - timedelta(days=40))
    await accompaniment_service.add_partner(
        session,
        Actor.of(users["epi-centre@relais-demo.paris"]),
        started.id,
        AddPartnerFields(organisation_id=organisations[FRANCE_TRAVAIL].id, consent=True),
        now - timedelta(days=20),
    )
    lea = AccompanimentStart(
        person=PersonFields(
            first_name="Léa",
            last_name="Fontaine",
            birth_date=birth_date_turning_26_in(now, TURNS_26_IN_DAYS),
        ),
        organisation_id=organisations[MISSION_LOCALE].id,
        reason="Jeune en recherche d'apprentissage, suivie par la Mission locale.",
        consent=True,
    )
    await start_accompaniment(session, coordination, lea, now - timedelta(days=300))
