"""``GET /api/data-inclusion/services`` and ``/structures``: the catalogue as data·inclusion v1
records that the package's own models accept."""

from __future__ import annotations

from typing import Any

import httpx
from data_inclusion.schema import v1
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OfferCategory, Territory
from core.models import Offer, Organisation, User
from core.settings import Settings
from relais.demo import seed_demo
from tests.factories import PASSWORDS, World, auth_headers, make_offer, make_organisation


async def _export(client: httpx.AsyncClient, user: User, what: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/data-inclusion/{what}", headers=await auth_headers(user))
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()
    return records


def _valid_services(records: list[dict[str, Any]]) -> dict[str, v1.Service]:
    return {record["id"]: v1.Service.model_validate(record) for record in records}


async def test_every_open_offer_of_the_demo_is_a_valid_service_and_structure(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    user = (await session.execute(select(User).order_by(User.id).limit(1))).scalar_one()
    open_offers = (
        await session.execute(select(func.count()).select_from(Offer).where(Offer.is_active))
    ).scalar_one()
    await session.commit()  # ends the read: SQLite's write lock is the application's

    services = _valid_services(await _export(client, user, "services"))
    structures = {
        record["id"]: v1.Structure.model_validate(record)
        for record in await _export(client, user, "structures")
    }

    assert len(services) == open_offers > 0
    assert all(service.source == "relais" for service in services.values())
    assert all(key.startswith("relais--") for key in services)
    assert {service.structure_id for service in services.values()} == set(structures)


async def test_edge_cases_become_valid_services(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    organisation = await make_organisation(
        session, now, name="EPI", territory=Territory("75019")
    )  # a name shorter than data·inclusion's 3 characters once padded stays valid
    bare = await make_offer(
        session, organisation, now, title="Sport", description="", contact_email=None,
        category=OfferCategory("sport"), eligible_publics=["rsa", "jeunes"],
        frais=["gratuit", "payant"], modes_accueil=["a-distance"],
    )  # fmt: skip
    long_title = await make_offer(
        session, organisation, now, title="A" * 200, category=OfferCategory("se-former"),
        thematiques=["se-former--trouver-sa-formation"], frais=["payant"],
        contact_email="formation@epi-test.fr",
    )  # fmt: skip
    closed = await make_offer(session, organisation, now, is_active=False)

    services = _valid_services(await _export(client, world.referrer, "services"))

    assert f"relais--{closed.id}" not in services
    sport = services[f"relais--{bare.id}"]
    assert len(sport.description) >= 5 and "Sport" in sport.description
    assert sport.courriel is None
    assert {t.value for t in sport.thematiques or ()} == {
        "remobilisation--activites-sportives-et-culturelles"
    }
    assert {p.value for p in sport.publics or ()} == {"beneficiaires-des-minimas-sociaux", "jeunes"}
    assert sport.frais is None and sport.frais_precisions
    assert (sport.code_postal, sport.code_insee) == ("75019", "75119")
    formation = services[f"relais--{long_title.id}"]
    assert len(formation.nom) == 150
    assert formation.frais is not None and formation.frais.value == "payant"
    assert formation.courriel == "formation@epi-test.fr"
    plain = services[f"relais--{world.offer.id}"]
    assert plain.thematiques is None  # a catégorie alone has no v1 thématique
    assert {p.value for p in plain.publics or ()} == {"tous-publics"}
    assert plain.zone_eligibilite == ["75056"]


async def test_a_deactivated_organisation_exports_nothing(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    receiver = await session.get_one(Organisation, world.receiver.id)
    receiver.is_active = False
    await session.commit()
    services = await _export(client, world.referrer, "services")
    structures = await _export(client, world.referrer, "structures")
    assert f"relais--{world.offer.id}" not in {record["id"] for record in services}
    assert f"relais--{world.receiver.id}" not in {record["id"] for record in structures}


async def test_the_export_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    for what in ("services", "structures"):
        answer = await client.get(f"/api/data-inclusion/{what}")
        assert answer.status_code == 401
