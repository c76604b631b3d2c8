"""Request dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from core.enums import AccessChannel, PlanAxis, Public, Territory
from core.models import User
from services.access_log import Reading
from services.auth import UserManager, current_active_user, get_user_manager
from services.governance_inputs import Day
from services.indicators.frame import COUNTED_PUBLICS
from services.indicators.model import Dimension, IndicatorQuery
from services.indicators.service import indicator_query
from services.request_context import Cursor, NowDep, PathId, SessionDep, SessionsDep, SettingsDep
from states.actor import Actor

__all__ = [
    "ActorDep",
    "CurrentUserDep",
    "Cursor",
    "IndicatorQueryDep",
    "NowDep",
    "PathId",
    "ReadDep",
    "SessionDep",
    "SessionsDep",
    "SettingsDep",
    "UserManagerDep",
]


def get_actor(user: Annotated[User, Depends(current_active_user)]) -> Actor:
    """The authenticated user as the domain sees them."""
    return Actor.of(user)


def api_read(now: NowDep) -> Reading:
    """An API read of a case or a person: logged (``services.access_log``)."""
    return Reading(AccessChannel.API, now)


OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


def get_indicator_query(
    now: NowDep,
    start: Annotated[
        Day | None,
        Query(
            description="Premier jour (inclus) ; défaut : 1er janvier de l'année.",
            examples=["2026-01-01"],
        ),
    ] = None,
    end: Annotated[
        Day | None,
        Query(
            description=(
                "Dernier jour (inclus) ; défaut : aujourd'hui. Ni avant le premier jour, ni "
                "plus de cinq ans après."
            ),
            examples=["2026-06-30"],
        ),
    ] = None,
    sub_axis: Annotated[PlanAxis | None, Query(description="Sous-axe du plan (« 3.3 »).")] = None,
    sending_organisation_id: OptionalId = None,
    receiving_organisation_id: OptionalId = None,
    offer_id: OptionalId = None,
    offer_territory: Annotated[
        Territory | None, Query(description="Territoire de l'offre.")
    ] = None,
    person_territory: Annotated[
        Territory | None, Query(description="Arrondissement de la personne.")
    ] = None,
    public: Annotated[
        Public | None,
        Query(
            description="Public (jamais un public relevant de la santé).",
            json_schema_extra={
                "anyOf": [
                    {"type": "string", "enum": [public.value for public in COUNTED_PUBLICS]},
                    {"type": "null"},
                ]
            },
        ),
    ] = None,
    group_by: Annotated[Dimension | None, Query(description="Regroupement des chiffres.")] = None,
) -> IndicatorQuery:
    """The indicators' question from the query string, checked (``indicator_query``)."""
    return indicator_query(
        now,
        start,
        end,
        public=public,
        sub_axis=sub_axis,
        sending_organisation_id=sending_organisation_id,
        receiving_organisation_id=receiving_organisation_id,
        offer_id=offer_id,
        offer_territory=offer_territory,
        person_territory=person_territory,
        group_by=group_by,
    )


CurrentUserDep = Annotated[User, Depends(current_active_user)]
ActorDep = Annotated[Actor, Depends(get_actor)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
ReadDep = Annotated[Reading, Depends(api_read)]
IndicatorQueryDep = Annotated[IndicatorQuery, Depends(get_indicator_query)]
