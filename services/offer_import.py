"""Import offers from data·inclusion v1 services (``relais offers import FILE.json``).

The file holds a JSON list of services, or an object ``{"services": [...], "structures":
[...]}``. Each service is validated by the ``data-inclusion-schema`` package's ``Service``,
then becomes a relais offer:

- ``thematiques`` → the offer's sub-thématiques, and its catégorie (the most frequent
  catégorie among them; a service without thématique is refused: relais needs one);
- ``publics`` → the offer's eligible publics (values of ``core.enums.Public``; ``tous-publics``
  is no restriction, an empty list);
- ``modes_accueil`` and ``frais`` as they are;
- ``code_postal``, else ``code_insee``, else a single ``zone_eligibilite`` → the territory
  (an arrondissement, or Paris for 75056); a service placed outside Paris is refused, one
  placed nowhere takes its organisation's territory;
- the organisation: ``--organisation NAME``, or the structure of the service (same name, in
  the file's structures).

A service is known by its ``source`` and ``id``: importing it again updates its offer. The
whole file is written in one transaction, and only if no record is refused: a refused record
is reported (which one, why) and nothing is written. A dry run reports the same and writes
nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from data_inclusion.schema import v1
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import OfferCategory, Public, Territory
from core.errors import InvalidInput
from core.models import Offer, Organisation
from services.audit import OFFER_FIELDS, record_change, snapshot
from services.directory import find_organisation

PARIS_INSEE = "75056"
PUBLIC_VALUES = {member.value for member in Public}
CATEGORY_ORDER = [member.value for member in OfferCategory]


class Refused(Exception):
    """Why one record of the file is not imported (French)."""


@dataclass
class ImportReport:
    """What an import did, or would do: one French line per offer and per refused record."""

    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def read_records(data: Any) -> tuple[list[Any], list[Any]]:
    """The services and structures of a loaded JSON file; InvalidInput if it is neither a
    list nor an object with a ``services`` list."""
    if isinstance(data, list):
        return data, []
    if isinstance(data, dict) and isinstance(data.get("services"), list):
        structures = data.get("structures") or []
        if not isinstance(structures, list):
            raise InvalidInput("« structures » doit être une liste.", field="structures")
        return data["services"], structures
    raise InvalidInput(
        "Le fichier doit contenir une liste de services data·inclusion, ou un objet "
        "{« services » : [...], « structures » : [...]}.",
        field="services",
    )


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "enregistrement"
    return f"{where} : {problem['msg']}"


def _category(service: v1.Service) -> str:
    categories = Counter(str(item.value).split("--")[0] for item in service.thematiques or ())
    known = [value for value in categories if value in CATEGORY_ORDER]
    if not known:
        raise Refused("aucune thématique data·inclusion : relais a besoin d'une thématique")
    return max(known, key=lambda value: (categories[value], -CATEGORY_ORDER.index(value)))


def _territory_of_code(code: str) -> Territory | None:
    if code == PARIS_INSEE:
        return Territory("paris")
    if code.startswith("751") and code[3:].isdigit():  # an arrondissement's code INSEE
        code = f"750{code[3:]}"
    try:
        return Territory(code)
    except ValueError:
        return None


def _territory(service: v1.Service, organisation: Organisation) -> Territory:
    zone = service.zone_eligibilite or []
    codes = [service.code_postal, service.code_insee, zone[0] if len(zone) == 1 else None]
    for code in codes:
        if code:
            territory = _territory_of_code(str(code))
            if territory is None:
                raise Refused(f"lieu hors de Paris ({code}) : relais ne couvre que Paris")
            return territory
    return organisation.territory


def _publics(service: v1.Service) -> list[str]:
    values = {str(item.value) for item in service.publics or ()}
    return sorted(value for value in values if value in PUBLIC_VALUES and value != "tous-publics")


def _text(value: str, limit: int) -> str:
    if "\x00" in value:
        raise Refused("texte illisible (caractère NUL)")
    return value.strip()[:limit]


def offer_fields(service: v1.Service, organisation: Organisation) -> dict[str, Any]:
    """The offer's fields that a data·inclusion service gives; Refused if relais cannot
    take it."""
    return {
        "organisation_id": organisation.id,
        "title": _text(service.nom, 200),
        "description": _text(service.description, 5000),
        "category": OfferCategory(_category(service)),
        "territory": _territory(service, organisation),
        "eligible_publics": _publics(service),
        "contact_email": str(service.courriel) if service.courriel else None,
        "modes_accueil": sorted(str(item.value) for item in service.modes_accueil or ()),
        "frais": [str(service.frais.value)] if service.frais else [],
        "thematiques": sorted(str(item.value) for item in service.thematiques or ()),
    }


@dataclass
class _Context:
    organisation: Organisation | None
    structures: dict[str, str]
    seen: set[tuple[str, str]] = field(default_factory=set)


async def _organisation_of(
    session: AsyncSession, service: v1.Service, context: _Context
) -> Organisation:
    organisation = context.organisation
    if organisation is None:
        name = context.structures.get(service.structure_id)
        if name is None:
            raise Refused(
                f"structure « {service.structure_id} » absente du fichier : donnez-la, ou "
                "choisissez l'organisation avec --organisation"
            )
        organisation = await find_organisation(session, name)
        if organisation is None:
            raise Refused(
                f"aucune organisation « {name} » dans relais : créez-la, ou choisissez "
                "l'organisation avec --organisation"
            )
    if not organisation.is_active:
        raise Refused(f"l'organisation « {organisation.name} » est désactivée")
    return organisation


async def _import_one(
    session: AsyncSession, raw: Any, context: _Context, report: ImportReport, now: datetime
) -> None:
    service = v1.Service.model_validate(raw)
    key = (service.source, service.id)
    if key in context.seen:
        raise Refused("service en double dans le fichier")
    context.seen.add(key)
    organisation = await _organisation_of(session, service, context)
    fields = offer_fields(service, organisation)
    offer = (
        await session.execute(
            select(Offer).where(Offer.source == service.source, Offer.source_id == service.id)
        )
    ).scalar_one_or_none()
    if offer is None:
        offer = Offer(
            **fields, source=service.source, source_id=service.id, is_active=True,
            created_at=now,
        )  # fmt: skip
        session.add(offer)
        await session.flush()
        await record_change(
            session, None, "offer", offer.id, "created", {}, snapshot(offer, OFFER_FIELDS), now
        )
        report.created += 1
        verb = "créée"
    else:
        before = snapshot(offer, OFFER_FIELDS)
        for name, value in fields.items():
            setattr(offer, name, value)
        after = snapshot(offer, OFFER_FIELDS)
        await record_change(session, None, "offer", offer.id, "updated", before, after, now)
        report.updated += 1
        verb = "mise à jour"
    report.done.append(
        f"{service.id} : offre « {fields['title']} » {verb} ({organisation.name}, "
        f"{fields['category'].label}, {fields['territory'].label})"
    )


def _label(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"service n°{index}" + (f" ({ident})" if isinstance(ident, str) and ident else "")


def _structure_names(structures: list[Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for index, raw in enumerate(structures, start=1):
        try:
            structure = v1.Structure.model_validate(raw)
        except ValidationError as error:
            raise InvalidInput(
                f"Structure n°{index} refusée : {_first_problem(error)}.", field="structures"
            ) from None
        names[structure.id] = structure.nom
    return names


async def import_offers(
    session: AsyncSession,
    data: Any,
    *,
    organisation_name: str | None,
    dry_run: bool,
    now: datetime,
) -> ImportReport:
    """Import the services of ``data`` (a loaded JSON file) as offers, all or nothing."""
    services, structures = read_records(data)
    report = ImportReport()
    try:
        async with transaction(session, dry_run=dry_run):
            organisation = None
            if organisation_name is not None:
                organisation = await find_organisation(session, organisation_name)
                if organisation is None:
                    raise InvalidInput(
                        f"Aucune organisation « {organisation_name} » dans relais.",
                        field="organisation",
                    )
            context = _Context(organisation, _structure_names(structures))
            for index, raw in enumerate(services, start=1):
                try:
                    await _import_one(session, raw, context, report, now)
                except ValidationError as error:
                    problem = _first_problem(error)
                    report.refused.append(f"{_label(index, raw)} refusé : {problem}")
                except Refused as refusal:
                    report.refused.append(f"{_label(index, raw)} refusé : {refusal}")
            if report.refused:
                raise _NothingWritten
    except _NothingWritten:
        pass
    return report


class _NothingWritten(Exception):
    """Raised inside the transaction to roll it back: a record was refused."""
