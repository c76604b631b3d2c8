"""Importing data·inclusion v1 services as offers: mapped, idempotent, all or nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OrganisationKind, Territory
from core.errors import InvalidInput
from core.models import Offer
from services.offer_import import import_offers
from tests.factories import make_organisation

SAMPLE = Path(__file__).with_name("data_inclusion_services.json")


def sample() -> dict[str, Any]:
    """The committed sample: two structures, two services."""
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def partners(session: AsyncSession, clock: FixedClock) -> None:
    """The two organisations the sample's structures name."""
    now = clock.now()
    await make_organisation(
        session, now, name="Cap emploi 75", kind=OrganisationKind.CAP_EMPLOI,
        territory=Territory("75011"),
    )  # fmt: skip
    await make_organisation(session, now, name="Atelier chantier d'insertion Paris Est")


async def _offers(session: AsyncSession) -> list[Offer]:
    rows = await session.execute(
        select(Offer).order_by(Offer.id).execution_options(populate_existing=True)
    )
    return list(rows.scalars())


@pytest.mark.usefixtures("partners")
async def test_the_sample_maps_to_offers_and_a_second_import_updates_them(
    session: AsyncSession, clock: FixedClock
) -> None:
    report = await import_offers(
        session, sample(), organisation_name=None, dry_run=False, now=clock.now()
    )
    assert (report.created, report.updated, report.refused) == (2, 0, [])

    job, sport = await _offers(session)
    assert (job.source, job.source_id) == ("dora", "dora--cap-emploi-75--job-dating")
    assert job.category == "trouver-un-emploi"  # two thématiques of it, one of another
    assert job.territory == Territory("75011")
    assert job.eligible_publics == ["demandeurs-emploi", "personnes-en-situation-de-handicap"]
    assert (job.modes_accueil, job.frais) == (["en-presentiel"], ["gratuit"])
    assert job.contact_email == "jobdating@cap-emploi-75.example.org"
    assert len(job.thematiques) == 3
    assert sport.category == "remobilisation"
    assert sport.territory == Territory.PARIS  # zone_eligibilite 75056
    assert sport.eligible_publics == []  # tous-publics: no restriction
    assert sport.modes_accueil == ["a-distance", "en-presentiel"]

    changed = sample()
    changed["services"][0]["nom"] = "Job dating inclusif de printemps"
    again = await import_offers(
        session, changed, organisation_name=None, dry_run=False, now=clock.now()
    )
    assert (again.created, again.updated) == (0, 2)
    offers = await _offers(session)
    assert len(offers) == 2
    assert offers[0].title == "Job dating inclusif de printemps"


@pytest.mark.usefixtures("partners")
async def test_one_refused_record_writes_nothing_and_says_which_and_why(
    session: AsyncSession, clock: FixedClock
) -> None:
    data = sample()
    bad = copy.deepcopy(data["services"][0])
    bad.update(id="dora--sans-description", description="")
    outside = copy.deepcopy(data["services"][1])
    outside.update(id="dora--bobigny", zone_eligibilite=None, code_postal="93000")
    themeless = copy.deepcopy(data["services"][1])
    themeless.update(id="dora--sans-theme", thematiques=None)
    data["services"] += [bad, outside, themeless, copy.deepcopy(data["services"][0])]

    report = await import_offers(
        session, data, organisation_name=None, dry_run=False, now=clock.now()
    )

    assert report.refused == [
        "service n°3 (dora--sans-description) refusé : description : "
        "String should have at least 5 characters",
        "service n°4 (dora--bobigny) refusé : lieu hors de Paris (93000) : relais ne couvre "
        "que Paris",
        "service n°5 (dora--sans-theme) refusé : aucune thématique data·inclusion : relais a "
        "besoin d'une thématique",
        "service n°6 (dora--cap-emploi-75--job-dating) refusé : service en double dans le fichier",
    ]
    count = await session.execute(select(func.count()).select_from(Offer))
    assert count.scalar_one() == 0


async def test_organisation_option_and_unknown_structures(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    services = sample()["services"]
    unknown = await import_offers(session, sample(), organisation_name=None, dry_run=False, now=now)
    assert [line.split(" : ")[1] for line in unknown.refused] == [
        "aucune organisation « Cap emploi 75 » dans relais",
        "aucune organisation « Atelier chantier d'insertion Paris Est » dans relais",
    ]
    missing = await import_offers(session, services, organisation_name=None, dry_run=False, now=now)
    assert "structure « dora--cap-emploi-75 » absente du fichier" in missing.refused[0]
    with pytest.raises(InvalidInput, match="Aucune organisation « Inconnue »"):
        await import_offers(session, services, organisation_name="Inconnue", dry_run=False, now=now)

    epi = await make_organisation(session, now, name="EPI Paris 18", territory=Territory("75018"))
    done = await import_offers(
        session, services, organisation_name="epi paris 18", dry_run=False, now=now
    )
    assert (done.created, done.refused) == (2, [])
    assert {offer.organisation_id for offer in await _offers(session)} == {epi.id}


@pytest.mark.usefixtures("partners")
async def test_a_dry_run_writes_nothing(session: AsyncSession, clock: FixedClock) -> None:
    report = await import_offers(
        session, sample(), organisation_name=None, dry_run=True, now=clock.now()
    )
    assert report.created == 2 and len(report.done) == 2
    assert await _offers(session) == []


async def test_a_file_that_is_not_a_list_of_services_is_refused(
    session: AsyncSession, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput, match="liste de services data·inclusion"):
        await import_offers(
            session, {"offres": []}, organisation_name=None, dry_run=False, now=clock.now()
        )
