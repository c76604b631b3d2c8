"""The fields of the referral lifecycle's triggers and of a new referral, as their forms and
the API read them (``Field(title=…)`` is the label a person reads)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ConfigDict, EmailStr, Field, field_validator

from core.enums import Barrier, Public, ReturnReason, Situation, Territory
from states.eligibility import JUSTIFICATION_TITLE
from states.fields import (
    TICKED,
    LongText,
    Moment,
    OfferId,
    Payload,
    PersonalComment,
    PersonalLongText,
    Phone,
    ReferralOutcome,
    ShortText,
)
from states.health import HEALTH_DATA_ATTESTATION_TITLE, attestation_rule
from states.identity import CafNumber, FranceTravailId
from states.publics import DERIVED

PUBLICS_TITLE = "Publics de la personne"
REPLY_TITLE = "Réponse au partenaire"
SITUATION_TITLE = "Situation administrative (ancien champ : préférez « publics »)"
HEALTH_ATTESTED_DESCRIPTION = (
    "Health data (the barrier « sante », the publics « aah » and « rqth », the old situations "
    "of the same name) is article 9 data: it is refused (422, health_data_not_attested) "
    "unless true, the referrer's separate attestation that the person explicitly agreed to "
    "share it with the receiving organisation."
)


TYPED_PUBLICS_SCHEMA: dict[str, Any] = {
    "items": {
        "type": "string",
        "enum": [public.value for public in Public if public not in DERIVED],
    }
}
"""The publics a referrer may type, as the schema lists them: the derived ones are refused
(``services.person_profile``, ``states.referral``)."""
RESIDENCE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "enum": [territory.value for territory in Territory.residences()]},
        {"type": "null"},
    ]
}
"""The places a person may live in, as the schema lists them: all Paris is refused."""


INFORMATION_NOTICE_PATH = "/information-notice"
"""The public, printable information notice the referrer gives the person."""
CONSENT_DESCRIPTION = (
    "The referrer attests the person was given the information notice "
    f"([notice d'information]({INFORMATION_NOTICE_PATH}): purposes, recipients, retention, "
    "rights and whom to ask) and agreed to the sharing."
)


class SubmitFields(Payload):
    """``submit``: the consent was attested when the referral was written; a person matching
    none of the offer's publics needs a justification."""

    eligibility_justification: PersonalComment | None = Field(
        default=None, title=JUSTIFICATION_TITLE
    )


class AcceptFields(Payload):
    """``accept``: optionally the date of the first appointment with the person; beyond the
    offer's capacity, an explicit override and why (``states.capacity``)."""

    first_appointment_at: Moment | None = Field(
        default=None, title="Date du premier rendez-vous (facultatif)"
    )
    capacity_override: bool | None = Field(
        default=None,
        description="true accepts the referral although its offer is full (a comment is due).",
        title="Accepter au-delà de la capacité de l'offre",
    )
    capacity_comment: PersonalComment | None = Field(
        default=None, title="Pourquoi accepter au-delà de la capacité (obligatoire alors)"
    )


class ReturnFields(Payload):
    """``return``: why the referral goes back to its referrer."""

    reason: ReturnReason = Field(title="Motif")
    comment: PersonalComment = Field(title="Commentaire")


class ResubmitFields(Payload):
    """``resubmit``: the referrer may amend the request before sending it again."""

    motive: PersonalLongText | None = Field(default=None, title="Motif de l'orientation")
    publics: list[Public] | None = Field(
        default=None,
        max_length=len(Public),
        title=PUBLICS_TITLE,
        json_schema_extra={
            "anyOf": [
                {"type": "array", "maxItems": len(Public), **TYPED_PUBLICS_SCHEMA},
                {"type": "null"},
            ]
        },
    )
    situation: Situation | None = Field(
        default=None, title=SITUATION_TITLE, json_schema_extra={"legacy": True}
    )
    barriers: list[Barrier] | None = Field(
        default=None, max_length=len(Barrier), title="Freins périphériques à l'emploi"
    )
    health_data_attested: bool = Field(
        default=False, description=HEALTH_ATTESTED_DESCRIPTION, title=HEALTH_DATA_ATTESTATION_TITLE
    )
    eligibility_justification: PersonalComment | None = Field(
        default=None, title=JUSTIFICATION_TITLE
    )
    reply: PersonalComment | None = Field(
        default=None,
        title=REPLY_TITLE,
        description="What the referrer answers the receiver's return: required (422, "
        "nothing_changed) when a returned referral is sent back with no field changed.",
    )

    model_config = ConfigDict(json_schema_extra={"anyOf": attestation_rule(("publics",))})


class StartFields(Payload):
    """``start``: the accompaniment begins."""


class CompleteFields(Payload):
    """``complete``: how it ended."""

    outcome: ReferralOutcome = Field(title="Issue de l'accompagnement")
    comment: PersonalComment | None = Field(default=None, title="Commentaire")


class ProgressNoteFields(Payload):
    """``note``: a progress check (point d'étape) of a referral under way."""

    note: PersonalComment = Field(title="Point d'étape")


class CancelFields(Payload):
    """``cancel``: why the referrer withdraws the request."""

    reason: PersonalComment = Field(title="Motif")


class CloseFields(Payload):
    """``close``: the referrer (or a coordinator) gives up on a returned or expired request."""

    comment: PersonalComment | None = Field(default=None, title="Commentaire")


class ReassignFields(Payload):
    """``reassign``: a coordinator redirects the request to another offer."""

    offer_id: OfferId = Field(title="Nouvelle offre")
    comment: PersonalComment | None = Field(default=None, title="Commentaire")
    eligibility_justification: PersonalComment | None = Field(
        default=None, title=JUSTIFICATION_TITLE
    )


class ExpireFields(Payload):
    """``expire``: fired by relais when nobody answered in time."""


class PersonFields(Payload):
    """What the receiving partner needs to contact the person, and no more."""

    first_name: ShortText = Field(title="Prénom")
    last_name: ShortText = Field(title="Nom")
    birth_date: date | None = Field(default=None, title="Date de naissance")
    email: EmailStr | None = Field(default=None, title="Email de la personne")
    phone: Phone | None = Field(default=None, title="Téléphone de la personne")
    residence: Territory | None = Field(
        default=None,
        title="Arrondissement de résidence (ou Paris Centre)",
        json_schema_extra=RESIDENCE_SCHEMA,
    )
    lives_in_qpv: bool = Field(
        default=False, title="Habite un quartier prioritaire de la politique de la ville (QPV)"
    )
    publics: list[Public] = Field(
        default_factory=list,
        max_length=len(Public),
        description=(
            "What the referrer knows of the person (data·inclusion publics, plus rsa, ass, "
            "aah, rqth). « jeunes » comes from the birth date and « residents-qpv-frr » from "
            "lives_in_qpv: both are refused here."
        ),
        title=PUBLICS_TITLE,
        json_schema_extra=TYPED_PUBLICS_SCHEMA,
    )
    france_travail_id: FranceTravailId = Field(
        default=None,
        title="Identifiant France Travail (8 caractères, facultatif)",
        description="7 digits then a digit or a letter, or 11 digits; spaces and case ignored.",
    )
    caf_number: CafNumber = Field(
        default=None,
        title="Numéro allocataire CAF (7 chiffres, facultatif)",
        description="7 digits; spaces ignored.",
    )


CONSENT_RENEWED_TITLE = (
    "La personne avait retiré son consentement et a de nouveau donné son accord (à cocher "
    "seulement si relais vous l'indique)"
)


class ReferralPersonFields(PersonFields):
    """The person of a new referral, and the renewed consent attestation relais asks for when
    the person had withdrawn theirs."""

    consent_renewed: bool = Field(
        default=False,
        title=CONSENT_RENEWED_TITLE,
        description=(
            "Only when relais answered `consent_withdrawn`: the referrer attests that the "
            "person, who had withdrawn consent, was informed again and agreed again."
        ),
    )


class ReferralCreate(Payload):
    """A new referral; ``submit`` (the default) sends it at once."""

    offer_id: OfferId = Field(title="Nouvelle offre")
    person: ReferralPersonFields
    motive: LongText = Field(title="Motif de l'orientation")
    situation: Situation | None = Field(
        default=None,
        description="Former single situation, still read: added to the person's publics.",
        title=SITUATION_TITLE,
        json_schema_extra={"legacy": True},
    )
    barriers: list[Barrier] = Field(
        default_factory=list, max_length=len(Barrier), title="Freins périphériques à l'emploi"
    )
    consent: bool = Field(
        description=CONSENT_DESCRIPTION, title="Accord de la personne", json_schema_extra=TICKED
    )
    health_data_attested: bool = Field(
        default=False, description=HEALTH_ATTESTED_DESCRIPTION, title=HEALTH_DATA_ATTESTATION_TITLE
    )
    submit: bool = True
    eligibility_justification: PersonalComment | None = Field(
        default=None, title=JUSTIFICATION_TITLE
    )
    confirm_duplicate: bool = Field(
        default=False,
        description=(
            "Send it even though the person already has an open referral to the same offer; "
            "without it, such a referral is refused with 409 ``duplicate_referral``."
        ),
        title="Envoyer quand même",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": attestation_rule(("person", "publics")),
            "examples": [
                {
                    "offer_id": 12,
                    "person": {
                        "first_name": "Awa",
                        "last_name": "Diallo",
                        "birth_date": "1990-04-12",
                        "email": "awa.diallo@example.org",
                        "phone": "06 12 34 56 78",
                        "residence": "75019",
                        "publics": ["demandeurs-emploi", "rsa"],
                        "france_travail_id": "1234567A",
                    },
                    "motive": "Recherche d'un emploi dans la logistique après une formation.",
                    "barriers": ["mobilite"],
                    "consent": True,
                }
            ],
        }
    )

    @field_validator("person", mode="before")
    @classmethod
    def _plain_person(cls, value: Any) -> Any:
        """A plain ``PersonFields`` (a caller that knows nothing of a renewed consent) reads
        as the same fields, with no renewed attestation."""
        if isinstance(value, PersonFields) and not isinstance(value, ReferralPersonFields):
            return value.model_dump()
        return value
