"""The catalogue of form messages: each kind of refusal says what to type, in French, with
an example; the error summary counts its errors and names fields by their labels."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, EmailStr, Field, ValidationError

from core.enums import Territory
from states.fields import FrenchPhone, Moment, Phone, ShortText
from web.error_summary import ErrorEntry, error_entries, error_heading
from web.form_messages import (
    CHOICE,
    DATE,
    EMAIL,
    MISSING_TEXT,
    MOMENT,
    NO_NUL,
    PHONE,
    WHOLE_NUMBER,
    french_message,
)
from web.forms import FormField, french_errors


class Sample(BaseModel):
    """One field per kind of validation the forms meet."""

    name: ShortText = Field(title="Nom")
    email: EmailStr | None = Field(default=None, title="Adresse électronique")
    phone: Phone | None = Field(default=None, title="Téléphone")
    work_phone: FrenchPhone | None = Field(default=None, title="Téléphone professionnel")
    born: date | None = Field(default=None, title="Date de naissance")
    starts_at: Moment | None = Field(default=None, title="Date et heure")
    places: Annotated[int, Field(ge=1, le=120)] = Field(default=1, title="Places")
    territory: Territory | None = Field(default=None, title="Arrondissement")
    publics: list[Territory] = Field(default_factory=list, max_length=2, title="Publics")
    agreed: bool = Field(default=False, title="Accord")


def _messages(**data: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        Sample.model_validate({"name": "Lina", **data})
    return french_errors(refused.value, Sample)


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"email": "nom-sans-arobase"}, "email", EMAIL),
        ({"email": "nom@"}, "email", EMAIL),
        ({"phone": "12"}, "phone", PHONE),
        ({"work_phone": "01 23 45"}, "work_phone", PHONE),
        ({"born": "1990-02-30"}, "born", DATE),
        ({"born": "demain"}, "born", DATE),
        ({"starts_at": "bientôt"}, "starts_at", MOMENT),
        ({"places": "douze"}, "places", WHOLE_NUMBER),
        ({"territory": "75099"}, "territory", CHOICE),
        ({"name": "a\x00b"}, "name", NO_NUL),
    ],
)
def test_each_kind_of_mistake_says_what_to_type(
    data: dict[str, Any], field: str, expected: str
) -> None:
    assert _messages(**data)[field] == expected


def test_the_messages_give_an_example_and_read_as_french_sentences() -> None:
    assert EMAIL == "Saisissez une adresse électronique valide, par exemple nom@domaine.fr."
    for message in (EMAIL, PHONE, DATE, MOMENT, WHOLE_NUMBER):
        assert "par exemple" in message and message.endswith(".") and message[0].isupper()


def test_a_missing_value_is_asked_for_as_the_field_is_drawn() -> None:
    class Required(BaseModel):
        name: ShortText = Field(title="Nom")
        territory: Territory = Field(title="Arrondissement")
        born: date = Field(title="Date de naissance")
        publics: Annotated[list[Territory], Field(min_length=1)] = Field(title="Publics")

    with pytest.raises(ValidationError) as refused:
        Required.model_validate({"publics": []})
    messages = french_errors(refused.value, Required)
    assert messages["name"] == MISSING_TEXT == "Renseignez ce champ : il est obligatoire."
    assert messages["territory"].startswith("Choisissez une option dans la liste")
    assert messages["born"].startswith("Saisissez une date")
    assert messages["publics"] == "Choisissez au moins 1 élément."
    # Without the payload class, a missing value still reads as a sentence.
    assert set(french_errors(refused.value).values()) >= {MISSING_TEXT}


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        ("0", "Saisissez un nombre supérieur ou égal à 1."),
        ("1", None),
        ("120", None),
        ("121", "Saisissez un nombre inférieur ou égal à 120."),
    ],
)
def test_a_number_is_refused_just_beyond_its_bounds_saying_which(
    places: str, expected: str | None
) -> None:
    try:
        Sample.model_validate({"name": "Lina", "places": places})
    except ValidationError as refused:
        assert french_errors(refused, Sample) == {"places": expected}
    else:
        assert expected is None


@pytest.mark.parametrize(("length", "refused"), [(99, False), (100, False), (101, True)])
def test_a_text_is_refused_beyond_its_length_saying_how_long_it_may_be(
    length: int, refused: bool
) -> None:
    try:
        Sample.model_validate({"name": "a" * length})
    except ValidationError as error:
        assert refused
        assert french_errors(error, Sample) == {"name": "Saisissez au plus 100 caractères."}
    else:
        assert not refused


@pytest.mark.parametrize(("chosen", "refused"), [(1, False), (2, False), (3, True)])
def test_a_list_says_how_many_may_be_chosen(chosen: int, refused: bool) -> None:
    publics = [territory.value for territory in Territory][:chosen]
    try:
        Sample.model_validate({"name": "Lina", "publics": publics})
    except ValidationError as error:
        assert refused
        assert french_errors(error, Sample) == {"publics": "Choisissez au plus 2 éléments."}
    else:
        assert not refused


def test_a_date_out_of_its_bounds_names_the_limit_in_french() -> None:
    assert _messages(starts_at="1850-01-01T10:00:00+01:00") == {
        "starts_at": "Saisissez une date à partir du lundi 1er janvier 1900."
    }


def test_a_validators_own_french_message_is_kept_as_a_sentence() -> None:
    item = {"type": "value_error", "msg": "Value error, la fin doit suivre le début", "ctx": {}}
    assert french_message(item) == "La fin doit suivre le début."
    custom = {
        "type": "caf_number_format",
        "msg": "Le numéro compte 7 chiffres (par exemple 1234567).",
    }
    assert french_message(custom) == custom["msg"]


@pytest.mark.parametrize(
    ("count", "heading"),
    [
        (1, "Il y a 1 erreur dans le formulaire"),
        (2, "Il y a 2 erreurs dans le formulaire"),
        (11, "Il y a 11 erreurs dans le formulaire"),
    ],
)
def test_the_summary_heading_agrees_in_number(count: int, heading: str) -> None:
    assert error_heading(count) == heading


def test_summary_entries_link_to_the_drawn_fields_by_their_labels() -> None:
    first = FormField("first_name", "Prénom", "text", True, error="Renseignez ce champ.")
    publics = FormField("publics", "Publics", "checkboxes", False, choices=[("rsa", "RSA")])
    motive = FormField("motive", "Motif", "textarea", True)
    errors = {
        "person_first_name": "Renseignez ce champ.",
        "person_publics": "Choisissez au plus 2 éléments.",
        "motive": "Saisissez au plus 5000 caractères.",
        "offer_id": "Choisissez une offre.",
        "person": "Cette personne est déjà connue.",
    }
    groups = [("person_", [first, publics]), ("", [motive])]
    entries = error_entries(errors, groups, {"offer_id": ("offer-7", "Offre choisie")})
    assert entries == [
        ErrorEntry("Renseignez ce champ.", "Prénom", "person_first_name"),
        ErrorEntry("Choisissez au plus 2 éléments.", "Publics", "person_publics-1"),
        ErrorEntry("Saisissez au plus 5000 caractères.", "Motif", "motive"),
        ErrorEntry("Choisissez une offre.", "Offre choisie", "offer-7"),
        ErrorEntry("Cette personne est déjà connue."),
    ]
    assert entries[0].text == "Prénom — Renseignez ce champ."
    assert entries[4].text == "Cette personne est déjà connue."  # never a raw key
    # Without the errors, those the fields carry.
    assert error_entries(None, groups) == [entries[0]]
