"""The catalogue as data·inclusion v1 publishes it: each open offer a ``Service``, each
organisation with an open offer a ``Structure`` (``data-inclusion-schema``'s models).

Every record is validated by the package's model before it is given out, so the export is
always what data·inclusion (and DORA) accept. How relais's data becomes theirs:

- ids: ``relais--<id>`` (the offer's, the organisation's), ``source`` ``relais``;
- ``description``: data·inclusion requires at least 5 characters; an offer without one is
  described by its title and its organisation;
- ``nom``: between 3 and 150 characters (a longer title is cut with « … »);
- ``thematiques``: the offer's data·inclusion sub-thématiques; relais's own catégories have
  their nearest data·inclusion thématique (sport and culture:
  ``remobilisation--activites-sportives-et-culturelles``, lutte contre l'isolement:
  ``remobilisation--lien-social``); a data·inclusion catégorie alone has no thématique of its
  own in v1, so an offer without sub-thématiques exports none (the field is left out);
- ``publics``: the offer's eligible publics that are data·inclusion's pass as they are;
  relais's own (RSA, ASS, AAH, RQTH, and the older situations) become their nearest
  data·inclusion public (bénéficiaires des minima sociaux, personnes en situation de
  handicap, jeunes, demandeurs d'emploi); none at all is ``tous-publics``;
- ``frais``: one value when the offer names one, else left out (« gratuit ou payant » goes
  to ``frais_precisions``);
- ``courriel``: the offer's professional contact address (no personal data is exported);
- the place: the arrondissement's code postal and code INSEE (75101..75120), Paris as a
  whole 75056; ``zone_eligibilite`` the same communes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from data_inclusion.schema import v1
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OrganisationKind, Territory
from core.models import Offer, Organisation

SOURCE = "relais"
PARIS_INSEE = "75056"

THEMATIQUE_OF_RELAIS_CATEGORY = {
    "sport": "remobilisation--activites-sportives-et-culturelles",
    "culture": "remobilisation--activites-sportives-et-culturelles",
    "lutte-contre-isolement": "remobilisation--lien-social",
}
"""relais's own catégories and their nearest data·inclusion thématique."""

PUBLIC_OF_RELAIS_PUBLIC = {
    "rsa": "beneficiaires-des-minimas-sociaux",
    "ass": "beneficiaires-des-minimas-sociaux",
    "aah": "personnes-en-situation-de-handicap",
    "rqth": "personnes-en-situation-de-handicap",
    "jeune": "jeunes",
    "demandeur_emploi": "demandeurs-emploi",
}
"""relais's own publics (and the older situations) and their nearest data·inclusion public."""

RESEAU_OF_KIND = {
    OrganisationKind.MISSION_LOCALE: "mission-locale",
    OrganisationKind.FRANCE_TRAVAIL: "france-travail",
    OrganisationKind.CAF: "caf",
    OrganisationKind.CPAM: "cpam",
    OrganisationKind.CAP_EMPLOI: "cap-emploi-reseau-cheops",
    OrganisationKind.CASVP: "ccas-cias",
    OrganisationKind.REGION: "regions",
    OrganisationKind.CCI: "chambres-consulaires",
    OrganisationKind.CMA: "chambres-consulaires",
}
"""The data·inclusion network (réseau porteur) of the kinds of organisation that have one."""

DI_PUBLICS = {member.value for member in v1.Public}


def data_inclusion_id(row_id: int) -> str:
    """``relais--<id>``: a relais row's id as data·inclusion writes ids."""
    return f"{SOURCE}--{row_id}"


def insee_codes(territory: Territory) -> list[str]:
    """The communes (codes INSEE) of a territory: an arrondissement's (751xx), those of
    Paris Centre, or Paris as a whole (75056)."""
    value = str(territory.value)
    if len(value) == 5 and value.startswith("750"):
        return [f"751{value[3:]}"]
    if value == "paris_centre":
        return ["75101", "75102", "75103", "75104"]
    return [PARIS_INSEE]


def _postal_code(territory: Territory) -> str | None:
    value = str(territory.value)
    return value if len(value) == 5 and value.isdigit() else None


def _updated(created_at: datetime, now: datetime) -> date:
    """``date_maj``: never after today (data·inclusion refuses a date in the future)."""
    return min(created_at, now).date()


def _nom(title: str) -> str:
    nom = title if len(title) >= 3 else f"Offre {title}"
    return nom if len(nom) <= 150 else nom[:149].rstrip() + "…"


def _description(offer: Offer, organisation: Organisation) -> str:
    text = offer.description.strip()
    if len(text) >= 5:
        return text
    return (
        f"{offer.title} : offre de {organisation.name} au catalogue du Plan parisien de "
        "l'insertion par l'emploi."
    )


def _publics(eligible: Iterable[Any]) -> set[str]:
    values = {str(value) for value in eligible}
    publics = {v for v in values if v in DI_PUBLICS} | {
        PUBLIC_OF_RELAIS_PUBLIC[v] for v in values if v in PUBLIC_OF_RELAIS_PUBLIC
    }
    if not values or "tous-publics" in publics:
        return {"tous-publics"}
    return publics


def _frais(offer: Offer) -> dict[str, Any]:
    if len(offer.frais) == 1:
        return {"frais": offer.frais[0]}
    if len(offer.frais) > 1:
        return {"frais_precisions": "Gratuit ou payant selon la situation de la personne."}
    return {}


def service_of(offer: Offer, organisation: Organisation, now: datetime) -> dict[str, Any]:
    """One offer as a data·inclusion v1 service (validated by the package), as JSON."""
    thematiques = set(offer.thematiques)
    if str(offer.category) in THEMATIQUE_OF_RELAIS_CATEGORY:
        thematiques.add(THEMATIQUE_OF_RELAIS_CATEGORY[str(offer.category)])
    codes = insee_codes(offer.territory)
    record = {
        "source": SOURCE,
        "id": data_inclusion_id(offer.id),
        "structure_id": data_inclusion_id(organisation.id),
        "nom": _nom(offer.title),
        "description": _description(offer, organisation),
        "date_maj": _updated(offer.created_at, now),
        "thematiques": sorted(thematiques) or None,
        "publics": sorted(_publics(offer.eligible_publics)) or None,
        "modes_accueil": sorted(offer.modes_accueil) or None,
        "courriel": offer.contact_email or None,
        "code_postal": _postal_code(offer.territory),
        "code_insee": codes[0] if len(codes) == 1 else None,
        "commune": "Paris",
        "zone_eligibilite": codes,
        "mobilisable_par": ["professionnels"],
        **_frais(offer),
    }
    service = v1.Service.model_validate(record)
    dumped: dict[str, Any] = service.model_dump(mode="json", exclude_none=True)
    return dumped


def structure_of(organisation: Organisation, now: datetime) -> dict[str, Any]:
    """One organisation as a data·inclusion v1 structure (validated by the package)."""
    codes = insee_codes(organisation.territory)
    reseau = RESEAU_OF_KIND.get(organisation.kind)
    nom = organisation.name if len(organisation.name) >= 3 else f"Structure {organisation.name}"
    record = {
        "source": SOURCE,
        "id": data_inclusion_id(organisation.id),
        "nom": nom[:150],
        "date_maj": _updated(organisation.created_at, now),
        "commune": "Paris",
        "code_postal": _postal_code(organisation.territory),
        "code_insee": codes[0] if len(codes) == 1 else None,
        "reseaux_porteurs": [reseau] if reseau else None,
    }
    structure = v1.Structure.model_validate(record)
    dumped: dict[str, Any] = structure.model_dump(mode="json", exclude_none=True)
    return dumped


async def _open_offers(session: AsyncSession) -> list[tuple[Offer, Organisation]]:
    rows = await session.execute(
        select(Offer, Organisation)
        .join(Organisation, Organisation.id == Offer.organisation_id)
        .where(Offer.is_active.is_(True), Organisation.is_active.is_(True))
        .order_by(Offer.id)
    )
    return [(offer, organisation) for offer, organisation in rows.tuples()]


async def export_services(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Every open offer of the catalogue as a data·inclusion v1 service, by id."""
    return [
        service_of(offer, organisation, now) for offer, organisation in await _open_offers(session)
    ]


async def export_structures(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Every organisation with an open offer as a data·inclusion v1 structure, by id."""
    organisations = {
        organisation.id: organisation for _, organisation in await _open_offers(session)
    }
    return [structure_of(organisations[key], now) for key in sorted(organisations)]
