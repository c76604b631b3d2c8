"""A person's publics and an offer's eligible publics: the one place for the rules.

A person's publics are a set of ``core.enums.Public`` values. The referrer types some (RSA,
demandeurs d'emploi, femmes...); relais derives the others and never lets them be typed:

- ``jeunes``: under 26 on the day asked about (from the birth date; 25 years and 364 days
  is still young, the 26th birthday is not);
- ``residents-qpv-frr``: the referrer ticked that the person lives in a QPV;
- ``beneficiaires-des-minimas-sociaux``: implied by RSA, ASS or AAH (each is a minimum
  social benefit);
- ``personnes-en-situation-de-handicap``: implied by AAH or RQTH (both recognise a
  disability).

An implied public may also be typed (someone on another minimum benefit); a derived one
(jeunes, résidents QPV) may not: the birth date and the QPV box say it.

An offer takes a person when one of the person's effective publics is among its eligible
publics, or when it names none, or names ``tous-publics``. Otherwise sending the person
needs a written justification (``states.eligibility``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from core.enums import Public, Situation

YOUTH_AGE = 26
"""A person is ``jeunes`` until this birthday (excluded)."""

YOUNG = Public("jeunes")
QPV = Public("residents-qpv-frr")
EVERYONE = Public("tous-publics")

DERIVED = frozenset({YOUNG, QPV})
"""Publics relais derives and a person never types."""

IMPLIED: dict[Public, frozenset[Public]] = {
    Public("rsa"): frozenset({Public("beneficiaires-des-minimas-sociaux")}),
    Public("ass"): frozenset({Public("beneficiaires-des-minimas-sociaux")}),
    Public("aah"): frozenset(
        {Public("beneficiaires-des-minimas-sociaux"), Public("personnes-en-situation-de-handicap")}
    ),
    Public("rqth"): frozenset({Public("personnes-en-situation-de-handicap")}),
}
"""Typed public -> the wider publics it implies."""

SITUATION_PUBLICS: dict[Situation, Public | None] = {
    Situation.RSA: Public("rsa"),
    Situation.ASS: Public("ass"),
    Situation.AAH: Public("aah"),
    Situation.RQTH: Public("rqth"),
    Situation.DEMANDEUR_EMPLOI: Public("demandeurs-emploi"),
    Situation.JEUNE: None,  # derived from the birth date
    Situation.AUTRE: None,
}
"""The old single ``situation`` of a referral -> the public a person types for it."""

SITUATION_ELIGIBLE: dict[Situation, Public | None] = {
    **SITUATION_PUBLICS,
    Situation.JEUNE: YOUNG,
}
"""The old ``situation`` values of an offer's eligible publics -> publics (jeune -> jeunes)."""


class HasPublics(Protocol):
    """What a person's effective publics are computed from."""

    @property
    def publics(self) -> Sequence[str]: ...
    @property
    def birth_date(self) -> date | None: ...
    @property
    def lives_in_qpv(self) -> bool: ...


def is_young(birth_date: date | None, on: date) -> bool:
    """Whether someone born on ``birth_date`` is under 26 on ``on`` (unknown: no)."""
    if birth_date is None:
        return False
    try:
        birthday = birth_date.replace(year=birth_date.year + YOUTH_AGE)
    except ValueError:  # born on 29 February: 26 on 1 March of a common year
        birthday = date(birth_date.year + YOUTH_AGE, 3, 1)
    return on < birthday


def derived_in(values: Iterable[str]) -> list[Public]:
    """The derived publics (jeunes, résidents QPV) among ``values``, which nobody types."""
    return sorted({Public(value) for value in values} & DERIVED)


def typed_publics(values: Iterable[str]) -> list[str]:
    """``values`` as a person's stored publics: sorted, unique, derived ones left out."""
    return sorted({Public(value).value for value in values} - {public.value for public in DERIVED})


def effective_publics(person: HasPublics, on: date) -> frozenset[Public]:
    """Every public ``person`` belongs to on ``on``: typed, derived and implied."""
    publics = {Public(value) for value in person.publics} - DERIVED
    for public in list(publics):
        publics |= IMPLIED.get(public, frozenset())
    if is_young(person.birth_date, on):
        publics.add(YOUNG)
    if person.lives_in_qpv:
        publics.add(QPV)
    return frozenset(publics)


def takes_everyone(eligible: Iterable[str]) -> bool:
    """Whether an offer with these eligible publics takes anyone (none named, or tous publics)."""
    named = set(eligible)
    return not named or EVERYONE.value in named


def is_eligible(eligible: Iterable[str], publics: Iterable[Public]) -> bool:
    """Whether a person with the effective ``publics`` matches the offer's ``eligible`` ones."""
    named = set(eligible)
    return takes_everyone(named) or bool(named & {public.value for public in publics})


def situation_of(publics: Iterable[Public]) -> Situation | None:
    """The old single ``situation`` that best says ``publics`` (for the API's old readers)."""
    present = set(publics)
    for situation, public in SITUATION_ELIGIBLE.items():
        if public is not None and public in present:
            return situation
    return None


def labels(publics: Iterable[str]) -> str:
    """The publics' French labels, in the vocabulary's order, or « aucun »."""
    wanted = set(publics)
    named = [public.label for public in Public if public.value in wanted]
    return ", ".join(named) if named else "aucun"
