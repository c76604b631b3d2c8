"""Domain errors with stable codes; only the edges (API, command line) translate them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """A refusal the caller can understand: a stable ``code`` and a French ``message``."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller sees the object but their role or side may not do this."""

    code = "forbidden"


class InvalidInput(DomainError):
    """The request is well-formed but its content is refused (unknown offer, no consent...)."""

    code = "invalid_input"
    rule = "les données ne respectent pas une règle métier (le message dit laquelle)"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class ConsentWithdrawn(InvalidInput):
    """The person withdrew their consent: no new case without a renewed attestation."""

    code = "consent_withdrawn"


class HealthDataNotAttested(InvalidInput):
    """Health data (the health barrier, AAH, RQTH) came without its separate attestation of
    the person's explicit consent (``health_data_attested``)."""

    code = "health_data_not_attested"


class NothingChanged(InvalidInput):
    """A returned referral sent back as it was, without a word to its receiver."""

    code = "nothing_changed"


class UnknownReference(InvalidInput):
    """The body names an object that does not exist (an offer, an organisation, a
    committee…): 422, the address itself being right."""

    code = "unknown_reference"
    rule = (
        "un identifiant du corps de la requête ne désigne aucun objet existant (pour une "
        "offre : aucune offre ouverte)"
    )


class PasswordRefused(InvalidInput):
    """A new password the rule refuses beyond its length (``services.auth.password_problem``)."""

    code = "password_refused"
    rule = (
        "un nouveau mot de passe ne contient pas l'adresse email, n'est pas celui de la "
        "démonstration ni l'actuel, et n'est pas courant ou facile à deviner (zxcvbn)"
    )


class DeadlinesOutOfOrder(InvalidInput):
    """An offer's delays out of order: the reminder comes before the coordinators' alert,
    which comes no later than the expiry."""

    code = "deadlines_out_of_order"
    rule = (
        "les délais de l'offre se suivent : reminder_days < escalation_days <= expiry_days "
        "(un délai absent vaut sa valeur actuelle, ou par défaut)"
    )


class Conflict(DomainError):
    """The request clashes with the current state of the data."""

    code = "conflict"

    def __init__(
        self, message: str, *, allowed_actions: Sequence[str] = (), **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.allowed_actions = sorted(allowed_actions)


class TransitionNotAllowed(Conflict):
    """The trigger cannot be fired from the case's current state."""

    code = "transition_not_allowed"


class ConcurrentChange(Conflict):
    """Someone else changed the case between our read and our write."""

    code = "concurrent_change"


class AlreadyExists(Conflict):
    """A unique value (an email, a name) is already taken."""

    code = "already_exists"


class IdentityConflict(Conflict):
    """An identifier given for a person contradicts the record relais holds for them."""

    code = "identity_conflict"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class OpenCases(Conflict):
    """The person still has cases under way: they must end (or be cancelled) first."""

    code = "open_cases"


class LinkGone(DomainError):
    """A link sent by email that has been used, or has expired: it will never work again."""

    code = "link_gone"


class OfferUnreachable(Conflict):
    """Nobody can receive a referral sent to this offer (``states.reachability``)."""

    code = "offer_unreachable"

    def __init__(
        self, offer_title: str, reason: str, *, allowed_actions: Sequence[str] = (), **details: Any
    ) -> None:
        super().__init__(
            f"Personne ne peut recevoir d'orientation pour l'offre « {offer_title} » : "
            f"{reason}. Contactez la coordination du plan : un compte doit être ouvert dans "
            "la structure, ou une adresse de contact ajoutée à l'offre.",
            allowed_actions=allowed_actions,
            reason=reason,
            **details,
        )


class OfferFull(Conflict):
    """The offer's places are all taken: accepting one more needs an explicit override."""

    code = "offer_full"


class DuplicateReferral(Conflict):
    """The person already has an open referral to the same offer: sending another one needs
    an explicit confirmation (``confirm_duplicate``)."""

    code = "duplicate_referral"


class NotEligible(InvalidInput):
    """The person matches none of the offer's eligible publics and no justification was
    written (``states.eligibility``)."""

    code = "not_eligible"

    def __init__(self, offer_title: str, offer_publics: str, person_publics: str) -> None:
        super().__init__(
            f"La personne ne correspond à aucun des publics de l'offre « {offer_title} » "
            f"(publics de l'offre : {offer_publics} ; publics de la personne : "
            f"{person_publics}). Pour l'orienter quand même, écrivez pourquoi dans "
            "« Justification de l'orientation hors publics ».",
            field="eligibility_justification",
            offer_publics=offer_publics,
            person_publics=person_publics,
        )


HTTP_STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 422),
    (Conflict, 409),
    (LinkGone, 410),
)
"""The HTTP status of each kind of refusal, for the edges that answer HTTP (API and pages)."""


def http_status(error: DomainError) -> int:
    """The HTTP status that answers ``error``: that of the first kind in the table it is."""
    return next(code for kind, code in HTTP_STATUS_BY_ERROR if isinstance(error, kind))
