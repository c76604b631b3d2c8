"""The catalogue's vocabularies are data·inclusion's, read from the package, plus relais's
own marked additions: a new version of the schema changes them without a hand-written copy."""

from __future__ import annotations

from typing import Any

from data_inclusion.schema import v1 as data_inclusion

from core.enums import Frais, ModeAccueil, OfferCategory, Thematique

STORED_CATEGORIES = {
    "choisir-un-metier", "creer-une-entreprise", "difficultes-administratives-ou-juridiques",
    "difficultes-financieres", "equipement-et-alimentation", "famille",
    "lecture-ecriture-calcul", "logement-hebergement", "mobilite", "numerique",
    "preparer-sa-candidature", "remobilisation", "sante", "se-former",
    "souvrir-a-linternational", "trouver-un-emploi", "sport", "culture",
    "lutte-contre-isolement",
}  # fmt: skip
"""The values stored before the vocabulary came from the package: every one still valid."""


def test_offer_categories_are_data_inclusion_catégories_then_relais_three() -> None:
    imported = [(member.value, member.label) for member in data_inclusion.Categorie]
    assert [(m.value, m.label) for m in OfferCategory if not m.is_relais_addition] == imported
    own = [member.value for member in OfferCategory if member.is_relais_addition]
    assert own == ["sport", "culture", "lutte-contre-isolement"]
    assert {member.value for member in OfferCategory} == STORED_CATEGORIES
    assert OfferCategory("trouver-un-emploi").label == "Trouver un emploi"


def test_modes_accueil_frais_and_thematiques_are_the_package_s() -> None:
    pairs: tuple[tuple[Any, Any], ...] = (
        (ModeAccueil, data_inclusion.ModeAccueil),
        (Frais, data_inclusion.Frais),
        (Thematique, data_inclusion.Thematique),
    )
    for vocabulary, source in pairs:
        assert [(m.value, m.label) for m in vocabulary] == [(m.value, m.label) for m in source]
        assert not any(m.is_relais_addition for m in vocabulary)
    assert {m.value for m in ModeAccueil} == {"en-presentiel", "a-distance"}
    assert {m.value for m in Frais} == {"gratuit", "payant"}
