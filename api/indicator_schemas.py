"""What ``GET /api/indicators`` answers: the definitions, then the figures in the reader's
scope, last year's and, for an organisation, Paris-wide ones beside."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.indicators.catalogue import INDICATORS
from services.indicators.model import Figure, IndicatorResult
from services.indicators.presentation import is_masked, shown
from services.indicators.service import ALL_PARIS, IndicatorView


class IndicatorDefinitionRead(BaseModel):
    """One indicator as declared once in relais: shown as help beside its figures."""

    key: str = Field(description="Clé stable de l'indicateur (referrals_sent…).")
    name: str = Field(description="Nom en français.")
    definition: str = Field(description="Ce qui est compté, quel événement et quelle date.")
    family: str = Field(description="Famille : volumes, delays, chasing ou committees.")
    family_label: str = Field(description="Nom de la famille en français.")
    unit: str = Field(
        description="people (nombre de dossiers), days (jours), share (part entre 0 et 1), "
        "count (réunions, décisions : jamais masqué)."
    )


class FigureRead(BaseModel):
    """One value of one indicator for one group and one breakdown value."""

    indicator: str = Field(description="Clé de l'indicateur.")
    group: str | None = Field(
        description="Groupe (code, identifiant, « 2026-03 ») ; null : ensemble."
    )
    group_label: str | None = Field(description="Nom du groupe en français.")
    detail: str | None = Field(
        description="Valeur de la ventilation (motif, issue) ; null : total."
    )
    detail_label: str | None = Field(description="Nom de la valeur de ventilation.")
    value: float | None = Field(
        description="La valeur ; null quand elle est masquée (moins de 5 personnes) ou sans objet."
    )
    shown: str = Field(
        description="La valeur telle qu'affichée : « 1 234 », « 4,5 j ouvrés », « < 5 »."
    )
    masked: bool = Field(
        description="Vrai quand la valeur porte sur moins de 5 personnes et est masquée."
    )
    basis: int | None = Field(
        description="Nombre de dossiers sur lesquels repose la valeur ; null si masquée."
    )


class LeftOutRead(BaseModel):
    """An indicator the filters or the grouping do not apply to."""

    indicator: str = Field(description="Clé de l'indicateur écarté.")
    reason: str = Field(description="Pourquoi, en français.")


class IndicatorResultRead(BaseModel):
    """The figures of one period and one scope."""

    start: date = Field(description="Premier jour de la période (inclus).")
    end: date = Field(description="Dernier jour de la période (inclus).")
    period_label: str = Field(description="« du 01/01/2026 au 31/12/2026 ».")
    scope_label: str = Field(
        description="Périmètre : « Tout Paris », un arrondissement, une structure."
    )
    figures: list[FigureRead]
    left_out: list[LeftOutRead] = Field(
        description="Indicateurs écartés par les filtres ou le regroupement."
    )


class IndicatorsRead(BaseModel):
    """The indicators a reader asked for."""

    exact: bool = Field(
        description="Vrai quand les petits effectifs sont montrés exactement (coordination, DPO)."
    )
    group_by: str | None = Field(description="Le regroupement demandé.")
    definitions: list[IndicatorDefinitionRead]
    result: IndicatorResultRead = Field(
        description="Les chiffres demandés, dans le périmètre du lecteur."
    )
    comparison: IndicatorResultRead | None = Field(description="La même période un an plus tôt.")
    paris: IndicatorResultRead | None = Field(
        description="Pour une structure : les chiffres de tout Paris."
    )


def figure_read(figure: Figure, *, exact: bool) -> FigureRead:
    """``figure`` as the API writes it: value and basis hidden when masked for this reader."""
    indicator = INDICATORS[figure.indicator]
    masked = not exact and is_masked(indicator, figure)
    return FigureRead(
        indicator=figure.indicator,
        group=figure.group,
        group_label=figure.group_label,
        detail=figure.detail,
        detail_label=figure.detail_label,
        value=None if masked else figure.value,
        shown=shown(indicator, figure, exact=exact),
        masked=masked,
        basis=None if masked else figure.basis,
    )


def result_read(result: IndicatorResult, scope_label: str, *, exact: bool) -> IndicatorResultRead:
    """``result`` with each figure as this reader may see it."""
    period = result.query.period
    return IndicatorResultRead(
        start=period.start,
        end=period.end,
        period_label=period.label,
        scope_label=scope_label,
        figures=[figure_read(figure, exact=exact) for figure in result.figures],
        left_out=[LeftOutRead(indicator=key, reason=why) for key, why in result.left_out.items()],
    )


def indicators_read(view: IndicatorView) -> IndicatorsRead:
    """The whole answer of ``GET /api/indicators`` for ``view``."""
    exact = view.exact
    group_by = view.result.query.group_by
    return IndicatorsRead(
        exact=exact,
        group_by=group_by.value if group_by is not None else None,
        definitions=[
            IndicatorDefinitionRead(
                key=indicator.key,
                name=indicator.name,
                definition=indicator.definition,
                family=indicator.family.value,
                family_label=indicator.family.label,
                unit=indicator.unit.value,
            )
            for indicator in INDICATORS.values()
        ],
        result=result_read(view.result, view.scope_label, exact=exact),
        comparison=(
            result_read(view.comparison, view.scope_label, exact=exact)
            if view.comparison is not None
            else None
        ),
        paris=result_read(view.paris, ALL_PARIS, exact=exact) if view.paris is not None else None,
    )
