"""Health data (article 9 of the GDPR): which of a person's data it is, the one declaration.

The health barrier (``Barrier.SANTE``) and the publics AAH and RQTH (and the old single
``situation`` values of the same name) say something of a person's health. They are
recorded only with an explicit, separate attestation (``health_data_attested``), shown only
to the receiving organisation and the person's référent (``states.policy.may_see_health_data``)
and never in an aggregate: dashboards, CSV, digests, indicators, exports.

The wider publics they imply (``personnes-en-situation-de-handicap``, ``beneficiaires-des-
minimas-sociaux``, see ``states.publics.IMPLIED``) are not stored: computed from the publics
without the health ones, they disappear with them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import JsonValue

from core.enums import Barrier, Public, Situation
from core.errors import HealthDataNotAttested

HEALTH_BARRIERS = frozenset({Barrier.SANTE})
"""The barriers that are health data."""

HEALTH_PUBLICS = frozenset({Public("aah"), Public("rqth")})
"""The publics that are health data."""

HEALTH_SITUATIONS = frozenset({Situation.AAH, Situation.RQTH})
"""The old single ``situation`` values that are health data."""

HEALTH_CODES = frozenset(
    {item.value for item in HEALTH_BARRIERS}
    | {public.value for public in HEALTH_PUBLICS}
    | {situation.value for situation in HEALTH_SITUATIONS}
)
"""Every code of health data, as stored and as the API spells it."""

HEALTH_DATA_ATTESTATION_REQUIRED = (
    "Cochez l'attestation de consentement exprès pour les données de santé "
    "(frein santé, AAH, RQTH)."
)
"""What a referrer reads when health data comes without its attestation."""

HEALTH_DATA_ATTESTATION_TITLE = (
    "La personne a donné son consentement exprès au partage de ces données de santé "
    "(frein santé, AAH, RQTH) avec la structure qui la reçoit"
)
"""The label of the separate attestation, on the form and in the API's schema."""


def health_data_of(
    barriers: Iterable[str] = (), publics: Iterable[str] = (), situation: str | None = None
) -> set[str]:
    """The codes of health data among ``barriers``, ``publics`` and an old ``situation``."""
    values = {str(value) for value in (*barriers, *publics)}
    if situation is not None:
        values.add(str(situation))
    return values & HEALTH_CODES


def strip_health_data(
    barriers: Iterable[str] = (), publics: Iterable[str] = ()
) -> tuple[list[Barrier], list[Public]]:
    """``barriers`` and ``publics`` without the health data, order kept."""
    return (
        [Barrier(value) for value in barriers if Barrier(value) not in HEALTH_BARRIERS],
        [Public(value) for value in publics if Public(value) not in HEALTH_PUBLICS],
    )


def strip_health_payload(payload: dict[str, object]) -> dict[str, object]:
    """An event's payload without the health data it carries (a resubmission's barriers,
    publics or old situation)."""
    cleaned = dict(payload)
    for key in ("barriers", "publics"):
        values = cleaned.get(key)
        if isinstance(values, list):
            cleaned[key] = [value for value in values if value not in HEALTH_CODES]
    if cleaned.get("situation") in HEALTH_CODES:
        cleaned["situation"] = None
    return cleaned


def _none_of(codes: Iterable[str]) -> dict[str, JsonValue]:
    listed: list[JsonValue] = [*sorted(codes)]
    return {"not": {"enum": listed}}


def attestation_rule(publics_path: tuple[str, ...]) -> list[JsonValue]:
    """The rule of ``require_health_attestation`` as JSON Schema, for a payload whose
    ``barriers`` and ``situation`` are its own and whose publics are at ``publics_path``:
    attested, or no health data at all (an ``anyOf`` for the payload's model)."""
    publics: dict[str, JsonValue] = {"items": _none_of(p.value for p in HEALTH_PUBLICS)}
    for name in reversed(publics_path[1:]):
        publics = {"properties": {name: publics}}
    without: dict[str, JsonValue] = {
        "barriers": {"items": _none_of(b.value for b in HEALTH_BARRIERS)},
        "situation": _none_of(s.value for s in HEALTH_SITUATIONS),
        publics_path[0]: publics,
    }
    return [
        {
            "properties": {"health_data_attested": {"const": True}},
            "required": ["health_data_attested"],
        },
        {"properties": without},
    ]


def require_health_attestation(found: Iterable[str], attested: bool) -> None:
    """Refuse health data (``found``, from ``health_data_of``) that comes without the
    separate attestation of the person's explicit consent (``HealthDataNotAttested``)."""
    codes = sorted(found)
    if codes and not attested:
        raise HealthDataNotAttested(
            HEALTH_DATA_ATTESTATION_REQUIRED, field="health_data_attested", health_data=codes
        )
