"""One person, one record on the pages: the identifiers on the referral form, what the
referrer reads when relais already knew the person, and the coordinators' merge.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Person, PersonEvent, Referral
from services import handover_service, referral_service
from services.handover_service import AccompanimentStart
from tests.factories import ACCOMPANIMENT_REASON, World, actor_of, person_fields, referral_create
from tests.web.pages import Browser, visible_text

BORN = date(1990, 5, 17)


def _form(world: World, **person: str) -> dict[str, Any]:
    return {
        "offer_id": str(world.offer.id),
        "person_first_name": "Yanis",
        "person_last_name": "Moreau",
        "person_birth_date": BORN.isoformat(),
        "motive": "Premier emploi",
        "consent": "on",
        **{f"person_{name}": value for name, value in person.items()},
    }


async def test_the_form_takes_the_identifiers_and_says_the_referent(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    # The EPI already accompanies Yanis Moreau, born on 17 May 1990.
    start = AccompanimentStart(
        person=person_fields(birth_date=BORN),
        organisation_id=world.receiver.id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    await handover_service.start_accompaniment(
        session, actor_of(world.coordinator), start, clock.now()
    )
    browser = Browser(client)
    await browser.log_in(world.referrer)
    form = await browser.read("/referrals/new")
    assert "Identifiant France Travail (8 caractères, facultatif)" in form
    assert "Numéro allocataire CAF (7 chiffres, facultatif)" in form

    refused = await browser.post("/referrals/new", _form(world, france_travail_id="1234567"))
    assert refused.status_code == 422
    assert "7 chiffres suivis d'un chiffre ou d'une lettre" in visible_text(refused.text)
    assert 'value="1234567"' in refused.text  # kept, to be corrected

    sent = await browser.post(
        "/referrals/new",
        _form(world, first_name="YANIS", last_name=" moreau", france_travail_id="1234567 a"),
    )
    assert sent.status_code == 303, visible_text(sent.text)
    page = await browser.read(sent.headers["location"])
    assert "Cette personne est déjà accompagnée par EPI Paris Centre (référent)." in page
    assert "Identifiant France Travail 1234567A" in page
    assert await session.scalar(select(func.count()).select_from(Person)) == 1
    await session.rollback()


async def test_a_new_person_gets_no_referent_notice(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    browser = Browser(client)
    await browser.log_in(world.referrer)
    sent = await browser.post("/referrals/new", _form(world))
    assert sent.status_code == 303, visible_text(sent.text)
    assert "déjà accompagnée" not in await browser.read(sent.headers["location"])


async def _duplicates(session: AsyncSession, world: World, clock: FixedClock) -> tuple[int, int]:
    """Two records of one human: with the birth date, and without (that one has the CAF)."""
    ids = []
    for person in (
        person_fields(birth_date=BORN),
        person_fields(last_name="MOREAU", caf_number="1234567"),
    ):
        view = await referral_service.create_referral(
            session, actor_of(world.referrer), referral_create(world.offer, person=person),
            clock.now(),
        )  # fmt: skip
        ids.append(view.case.person_id)
    await session.commit()
    return ids[0], ids[1]


async def test_the_coordinator_compares_then_merges_two_records(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    kept, merged = await _duplicates(session, world, clock)
    browser = Browser(client)
    await browser.log_in(world.coordinator)

    person = await browser.read(f"/persons/{kept}")
    assert "Doublons possibles" in person
    assert (
        f'href="/persons/{kept}/merge?autre={merged}"'
        in (await browser.get(f"/persons/{kept}")).text
    )
    comparison = await browser.read(f"/persons/{kept}/merge?autre={merged}")
    assert f"Fiche conservée (n° {kept}) Fiche fusionnée (n° {merged})" in comparison
    assert "Date de naissance jeudi 17 mai 1990 —" in comparison
    assert "Numéro allocataire CAF — 1234567" in comparison
    assert await session.scalar(select(func.count()).select_from(PersonEvent)) == 0
    await session.rollback()  # on SQLite, a reader holds the write lock until it ends

    done = await browser.post(f"/persons/{kept}/merge", {"other_id": str(merged)})

    assert done.status_code == 303, visible_text(done.text)
    assert done.headers["location"] == f"/persons/{kept}?fait=fusion"
    assert "Les deux fiches ont été fusionnées" in await browser.read(done.headers["location"])
    assert (await browser.get(f"/persons/{merged}/merge?autre={kept}")).status_code == 404
    await session.rollback()
    assert set(await session.scalars(select(Referral.person_id))) == {kept}


async def test_a_merge_refused_says_why_on_the_comparison(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    kept, merged = await _duplicates(session, world, clock)
    for person_id, organisation in ((kept, world.receiver), (merged, world.outsider)):
        start = AccompanimentStart(
            person_id=person_id, organisation_id=organisation.id,
            reason=ACCOMPANIMENT_REASON, consent=True,
        )  # fmt: skip
        await handover_service.start_accompaniment(
            session, actor_of(world.coordinator), start, clock.now()
        )
    browser = Browser(client)
    await browser.log_in(world.coordinator)
    await browser.read(f"/persons/{kept}/merge?autre={merged}")

    refused = await browser.post(f"/persons/{kept}/merge", {"other_id": str(merged)})

    assert refused.status_code == 409
    assert "chacune un référent en cours" in visible_text(refused.text)
    await session.rollback()
    assert await session.get(Person, merged) is not None


async def test_other_roles_get_no_merge(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    kept, merged = await _duplicates(session, world, clock)
    browser = Browser(client)
    await browser.log_in(world.receiver_member)
    assert "Doublons possibles" not in await browser.read(f"/persons/{kept}")
    assert (await browser.get(f"/persons/{kept}/merge?autre={merged}")).status_code == 403
    refused = await browser.post(f"/persons/{kept}/merge", {"other_id": str(merged)})
    assert refused.status_code == 403
