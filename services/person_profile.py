"""Where a person lives and who they are, as a referrer writes it: checked, then stored.

The rules of publics themselves are ``states.publics``; this module turns what a form or a
request says (a residence, the QPV box, typed publics, an old client's ``situation``) into
a person's stored fields, refusing what cannot be typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.enums import Public, Situation, Territory
from core.errors import InvalidInput
from states.publics import QPV, SITUATION_PUBLICS, YOUNG, derived_in, typed_publics

NOT_A_RESIDENCE = (
    "« Paris » n'est pas un lieu de résidence : choisissez l'arrondissement de la personne, "
    "ou Paris Centre (1er au 4e)."
)
DERIVED_REFUSED = {
    YOUNG: "« Jeunes » se déduit de la date de naissance (moins de 26 ans) : ne le cochez pas, "
    "indiquez la date de naissance.",
    QPV: "« Résidents en QPV ou FRR » se déduit de la case « Habite un quartier prioritaire » : "
    "cochez-la plutôt.",
}


def check_residence(residence: Territory | None, *, field: str = "person.residence") -> None:
    """Refuse all Paris as a residence (422): a person lives in one arrondissement."""
    if residence is not None and not residence.is_residence:
        raise InvalidInput(NOT_A_RESIDENCE, field=field)


def stored_publics(
    publics: Iterable[Public],
    situation: Situation | None = None,
    *,
    field: str = "person.publics",
) -> list[str]:
    """The publics to store for a person: the typed ones, plus the public an old client's
    ``situation`` names; refused (422) when one of them is derived (jeunes, résidents QPV)."""
    chosen = list(publics)
    for derived in derived_in(chosen):
        raise InvalidInput(DERIVED_REFUSED[derived], field=field)
    mapped = SITUATION_PUBLICS.get(situation) if situation is not None else None
    if mapped is not None:
        chosen.append(mapped)
    return typed_publics(chosen)


def person_fields(person: Any, situation: Situation | None = None) -> dict[str, Any]:
    """A new person's columns from the request's ``person`` (``PersonFields``) and the old
    ``situation``: checked, publics sorted and unique."""
    check_residence(person.residence)
    fields: dict[str, Any] = person.model_dump(exclude={"publics", "consent_renewed"})
    fields["publics"] = stored_publics(person.publics, situation)
    return fields
