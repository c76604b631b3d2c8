"""The catalogue's and the person's vocabularies, built at import from the published
``data-inclusion-schema`` package (the shared schema of DORA, les-emplois and data·inclusion),
plus relais's own additions, each marked ``is_relais_addition``.

mypy sees a bare class for each (the functional Enum API with computed members is beyond it):
refer to a member by value, ``Public("rsa")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data_inclusion.schema import v1 as data_inclusion

from core.labelled import LabelledEnum

RELAIS_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("SPORT", "sport", "Sport"),
    ("CULTURE", "culture", "Culture"),
    ("LUTTE_CONTRE_ISOLEMENT", "lutte-contre-isolement", "Lutte contre l'isolement"),
)
"""The thématiques the plan names that data·inclusion's catégories lack (relais's own
additions: ``OfferCategory.is_relais_addition``)."""


def _vocabulary(
    name: str,
    imported: Any,
    own: tuple[tuple[str, str, str], ...],
    doc: str,
) -> type[LabelledEnum]:
    """A ``LabelledEnum`` of a data·inclusion vocabulary (values and labels from the
    package), then relais's own marked additions (``is_relais_addition``)."""
    members = [(member.name, (member.value, member.label)) for member in imported]
    members += [(key, (value, label)) for key, value, label in own]
    build: Any = LabelledEnum  # the functional API, which mypy cannot follow with computed members
    vocabulary: type[LabelledEnum] = build(name, members, module=__name__)
    own_values = {value for _, value, _ in own}
    for member in vocabulary:
        setattr(member, "is_relais_addition", member.value in own_values)  # noqa: B010
    vocabulary.__doc__ = doc
    return vocabulary


if TYPE_CHECKING:

    class OfferCategory(LabelledEnum):
        """data·inclusion's catégories of thématiques, then sport, culture and lutte contre
        l'isolement (built at import from the package; refer to a member by value)."""

        is_relais_addition: bool

    class ModeAccueil(LabelledEnum):
        """data·inclusion's modes d'accueil (en présentiel, à distance)."""

        is_relais_addition: bool

    class Frais(LabelledEnum):
        """data·inclusion's frais (gratuit, payant)."""

        is_relais_addition: bool

    class Thematique(LabelledEnum):
        """data·inclusion's thématiques (``categorie--sous-thematique``)."""

        is_relais_addition: bool

else:
    OfferCategory = _vocabulary(
        "OfferCategory",
        data_inclusion.Categorie,
        RELAIS_CATEGORIES,
        "Thématiques of the catalogue: data·inclusion's catégories (from the published "
        "schema), then sport, culture and lutte contre l'isolement.",
    )
    ModeAccueil = _vocabulary(
        "ModeAccueil", data_inclusion.ModeAccueil, (), "data·inclusion's modes d'accueil."
    )
    Frais = _vocabulary("Frais", data_inclusion.Frais, (), "data·inclusion's frais.")
    Thematique = _vocabulary(
        "Thematique",
        data_inclusion.Thematique,
        (),
        "data·inclusion's thématiques, each ``catégorie--sous-thématique``.",
    )


RELAIS_PUBLICS: tuple[tuple[str, str, str], ...] = (
    ("RSA", "rsa", "Allocataires du RSA"),
    ("ASS", "ass", "Allocataires de l'ASS"),
    ("AAH", "aah", "Allocataires de l'AAH"),
    ("RQTH", "rqth", "Bénéficiaires de la RQTH"),
)
"""The administrative statuses the plan names, which data·inclusion's publics lack (relais's
own additions: ``Public.is_relais_addition``)."""


if TYPE_CHECKING:

    class Public(LabelledEnum):
        """Publics: data·inclusion's ``publics``, then RSA, ASS, AAH and RQTH (built at import
        from the ``data-inclusion-schema`` package; refer to a member by value)."""

        is_relais_addition: bool

else:
    Public = _vocabulary(
        "Public",
        data_inclusion.Public,
        RELAIS_PUBLICS,
        "Publics: data·inclusion's ``publics`` (from the published schema), then RSA, ASS, "
        "AAH and RQTH. A person's publics and an offer's eligible publics are sets of them.",
    )
