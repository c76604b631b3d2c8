"""A person's effective publics, eligibility to an offer's publics, and Paris Centre."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from core.enums import Public, Territory
from states.publics import effective_publics, is_eligible, is_young, situation_of

ON = date(2026, 3, 2)


@dataclass
class Someone:
    publics: list[str] = field(default_factory=list)
    birth_date: date | None = None
    lives_in_qpv: bool = False


@pytest.mark.parametrize(
    ("birth_date", "young"),
    [
        (date(2000, 3, 3), True),  # 25 years and 364 days
        (date(2000, 3, 2), False),  # 26 this very day
        (date(2000, 3, 1), False),
        (None, False),
    ],
    ids=["25y364d", "26-exactly", "26-and-a-day", "unknown"],
)
def test_young_until_the_26th_birthday(birth_date: date | None, young: bool) -> None:
    assert is_young(birth_date, ON) is young
    publics = effective_publics(Someone(birth_date=birth_date), ON)
    assert (Public("jeunes") in publics) is young


def test_born_on_29_february_turns_26_on_1_march() -> None:
    assert is_young(date(2000, 2, 29), date(2026, 2, 28))
    assert not is_young(date(2000, 2, 29), date(2026, 3, 1))


def test_typed_derived_and_implied_publics() -> None:
    person = Someone(publics=["aah", "femmes", "jeunes"], lives_in_qpv=True)
    assert effective_publics(person, ON) == {
        Public("aah"),
        Public("femmes"),
        Public("beneficiaires-des-minimas-sociaux"),
        Public("personnes-en-situation-de-handicap"),
        Public("residents-qpv-frr"),
    }  # a stored "jeunes" counts for nothing: only the birth date says it
    assert effective_publics(Someone(publics=["rqth"]), ON) == {
        Public("rqth"),
        Public("personnes-en-situation-de-handicap"),
    }
    assert Public("beneficiaires-des-minimas-sociaux") in effective_publics(
        Someone(publics=["ass"]), ON
    )


@pytest.mark.parametrize(
    ("eligible", "publics", "expected"),
    [
        ([], [], True),
        (["tous-publics"], [], True),
        (["rsa", "jeunes"], ["rsa"], True),
        (["rsa"], ["ass"], False),
        (["beneficiaires-des-minimas-sociaux"], ["rsa"], True),  # implied
    ],
)
def test_an_offer_takes_a_person_of_one_of_its_publics(
    eligible: list[str], publics: list[str], expected: bool
) -> None:
    person = effective_publics(Someone(publics=publics), ON)
    assert is_eligible(eligible, person) is expected


def test_the_old_situation_reads_from_the_publics() -> None:
    assert situation_of(effective_publics(Someone(publics=["demandeurs-emploi"]), ON)) == (
        "demandeur_emploi"
    )
    assert situation_of(effective_publics(Someone(birth_date=date(2005, 1, 1)), ON)) == "jeune"
    assert situation_of(frozenset()) is None


class WithTerritory(BaseModel):
    territory: Territory


@pytest.mark.parametrize("code", ["75001", "75002", "75003", "75004"])
def test_the_old_codes_of_the_centre_read_as_paris_centre(code: str) -> None:
    assert Territory(code) is Territory.PARIS_CENTRE
    assert WithTerritory.model_validate({"territory": code}).territory is Territory.PARIS_CENTRE
    assert WithTerritory.model_validate_json(f'{{"territory": "{code}"}}').model_dump(
        mode="json"
    ) == {"territory": "paris_centre"}


def test_paris_is_no_residence_and_the_centre_comes_first() -> None:
    assert not Territory.PARIS.is_residence
    residences = Territory.residences()
    assert residences[0] is Territory.PARIS_CENTRE
    assert len(residences) == 17 and Territory.PARIS not in residences
    unknown: list[Any] = ["75021", {}, ["75001"]]
    for value in unknown:
        with pytest.raises(ValueError):
            Territory(value)
    with pytest.raises(ValidationError):
        WithTerritory.model_validate({"territory": {}})
