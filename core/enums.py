"""Closed vocabularies of the domain (DESIGN.md), stored by value, each with its French label.

A member is declared as ``VALUE = "value", "Libellé"``, as Django's ``TextChoices`` are in
les-emplois: the value is what the database and the API hold, the label what a person reads.
"""

from __future__ import annotations

from enum import StrEnum

from core.labelled import LabelledEnum as LabelledEnum
from core.vocabularies import Frais as Frais
from core.vocabularies import ModeAccueil as ModeAccueil
from core.vocabularies import OfferCategory as OfferCategory
from core.vocabularies import Public as Public
from core.vocabularies import Thematique as Thematique


class OrganisationKind(LabelledEnum):
    """The kinds of partner organisation of the plan."""

    VILLE = "ville", "Ville de Paris"
    EPI = "epi", "Espace parisien d'insertion"
    CASVP = "casvp", "Centre d'action sociale de la Ville de Paris"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    MISSION_LOCALE = "mission_locale", "Mission locale"
    CAF = "caf", "Caisse d'allocations familiales"
    CPAM = "cpam", "Caisse primaire d'assurance maladie"
    CAP_EMPLOI = "cap_emploi", "Cap emploi"
    EPEC = "epec", "Ensemble Paris emploi compétences"
    REGION = "region", "Région Île-de-France"
    DRIEETS = "drieets", "DRIEETS (État)"
    ARS = "ars", "Agence régionale de santé"
    CCI = "cci", "Chambre de commerce et d'industrie"
    CMA = "cma", "Chambre de métiers et de l'artisanat"
    SIAE = "siae", "Structure d'insertion par l'activité économique"
    ASSOCIATION = "association", "Association"
    OTHER = "other", "Autre"


PARIS_CENTRE_CODES = frozenset({"75001", "75002", "75003", "75004"})
"""The 1st to 4th arrondissements, one sector (Paris Centre) since 2020: their old codes are
still read, as Paris Centre."""


class Territory(LabelledEnum):
    """Paris as a whole, the sector Paris Centre (the 1st to 4th arrondissements, merged in
    2020) or one of the other arrondissements (75005..75020).

    The old codes 75001..75004 are still read: ``Territory("75003")`` is Paris Centre.
    """

    PARIS = "paris", "Paris"
    PARIS_CENTRE = "paris_centre", "Paris Centre"
    ARR_05 = "75005", "Paris 5e"
    ARR_06 = "75006", "Paris 6e"
    ARR_07 = "75007", "Paris 7e"
    ARR_08 = "75008", "Paris 8e"
    ARR_09 = "75009", "Paris 9e"
    ARR_10 = "75010", "Paris 10e"
    ARR_11 = "75011", "Paris 11e"
    ARR_12 = "75012", "Paris 12e"
    ARR_13 = "75013", "Paris 13e"
    ARR_14 = "75014", "Paris 14e"
    ARR_15 = "75015", "Paris 15e"
    ARR_16 = "75016", "Paris 16e"
    ARR_17 = "75017", "Paris 17e"
    ARR_18 = "75018", "Paris 18e"
    ARR_19 = "75019", "Paris 19e"
    ARR_20 = "75020", "Paris 20e"

    @classmethod
    def _missing_(cls, value: object) -> Territory | None:
        """An old code of the 1st to 4th arrondissements names Paris Centre."""
        return cls.PARIS_CENTRE if isinstance(value, str) and value in PARIS_CENTRE_CODES else None

    @property
    def is_residence(self) -> bool:
        """Whether someone may live there: an arrondissement or Paris Centre, not all Paris."""
        return self is not Territory.PARIS

    @classmethod
    def residences(cls) -> list[Territory]:
        """Where a person may live, in order: Paris Centre, then the 5th to the 20th."""
        return [member for member in cls if member.is_residence]


class Role(LabelledEnum):
    """What a user may do; a user has exactly one role."""

    MEMBER = "member", "Conseiller·ère"
    ORG_ADMIN = "org_admin", "Responsable de structure"
    COORDINATOR = "coordinator", "Coordination du plan"
    SECRETARY = "secretary", "Secrétariat des comités"
    ADMIN = "admin", "Administration"
    DPO = "dpo", "Délégué·e à la protection des données"


class EmailPreference(LabelledEnum):
    """Which overdue alerts a user receives by email; the daily digest lists every overdue
    case in their scope either way."""

    EVERY_ESCALATION = "every_escalation", "Chaque alerte de retard, dès qu'elle survient"
    DAILY_DIGEST_ONLY = "daily_digest_only", "Seulement le résumé quotidien des retards"

    @classmethod
    def default_for(cls, role: Role) -> EmailPreference:
        """The preference a new account starts with, the one place it is decided.

        Coordinators follow many organisations' cases: a sweep could send them a dozen
        alerts at once, all of which their 8:00 digest lists, so they start with the digest
        only. Everyone else hears of a case of theirs falling late as it happens.
        """
        return cls.DAILY_DIGEST_ONLY if role is Role.COORDINATOR else cls.EVERY_ESCALATION


class AccessChannel(LabelledEnum):
    """How a person's data was read (the access log's ``channel``)."""

    PAGE = "page", "Page"
    API = "api", "API"
    EXPORT = "export", "Export"
    CSV = "csv", "Fichier CSV"


class Situation(LabelledEnum):
    """The person's administrative situation."""

    RSA = "rsa", "Allocataire du RSA"
    ASS = "ass", "Allocataire de l'ASS"
    AAH = "aah", "Allocataire de l'AAH"
    JEUNE = "jeune", "Jeune de moins de 26 ans"
    RQTH = "rqth", "Reconnaissance de travailleur handicapé (RQTH)"
    DEMANDEUR_EMPLOI = "demandeur_emploi", "Demandeur d'emploi"
    AUTRE = "autre", "Autre situation"


class Barrier(LabelledEnum):
    """Freins périphériques à l'emploi."""

    GARDE_ENFANT = "garde_enfant", "Garde d'enfant"
    SANTE = "sante", "Santé"
    LOGEMENT = "logement", "Logement"
    MOBILITE = "mobilite", "Mobilité"
    LANGUE = "langue", "Maîtrise du français"
    NUMERIQUE = "numerique", "Numérique"
    ADMINISTRATIF = "administratif", "Démarches administratives"
    FINANCIER = "financier", "Difficultés financières"


class ReturnReason(LabelledEnum):
    """Why a receiving partner returns a referral."""

    MISSING_INFORMATION = "missing_information", "Informations manquantes"
    NOT_ELIGIBLE = "not_eligible", "La personne n'est pas éligible à l'offre"
    NO_CAPACITY = "no_capacity", "Plus de place disponible"
    WRONG_OFFER = "wrong_offer", "L'offre ne correspond pas au besoin"
    OUT_OF_AREA = "out_of_area", "Hors secteur"
    ALREADY_ACCOMPANIED = "already_accompanied", "La personne est déjà accompagnée"
    ADMINISTRATIVE_CONDITIONS = (
        "administrative_conditions",
        "Conditions administratives non remplies (droits non ouverts)",
    )
    PERSON_UNREACHABLE = "person_unreachable", "La personne n'a pas pu être jointe"
    PERSON_DECLINED = "person_declined", "La personne a renoncé"
    DUPLICATE = "duplicate", "Orientation en double"
    OTHER = "other", "Autre (voir le dossier)"


class Outcome(LabelledEnum):
    """How a completed referral or an accompaniment ended (issue, motif de sortie).

    ``employment`` and ``training`` are the first, coarser codes: kept so that what was
    recorded with them still reads, never offered again (``REFERRAL_OUTCOMES``,
    ``EXIT_REASONS``). Nobody said whether that job lasted six months, or whether that
    training qualified: they stay as they were, and the indicators count them apart.
    """

    LASTING_EMPLOYMENT = (
        "lasting_employment",
        "Emploi durable (CDI, ou CDD de 6 mois ou plus)",
    )
    TRANSITIONAL_EMPLOYMENT = (
        "transitional_employment",
        "Emploi de transition (CDD de moins de 6 mois, intérim, contrat aidé)",
    )
    IAE = "iae", "Entrée en structure d'insertion par l'activité économique (IAE)"
    BUSINESS_CREATION = "business_creation", "Création ou reprise d'entreprise"
    QUALIFYING_TRAINING = "qualifying_training", "Formation qualifiante ou certifiante"
    OTHER_TRAINING = "other_training", "Autre formation"
    OTHER_OFFER = "other_offer", "Orientation vers une autre offre"
    MOVED_AWAY = "moved_away", "Déménagement"
    END_OF_RIGHTS = "end_of_rights", "Fin de droits"
    PERSON_LEFT = "person_left", "La personne a quitté l'accompagnement"
    DID_NOT_ATTEND = "did_not_attend", "La personne ne s'est pas présentée"
    OTHER = "other", "Autre (voir le dossier)"
    # Set by relais only, when the person withdraws consent (``services.consent_withdrawal``).
    CONSENT_WITHDRAWN = "consent_withdrawn", "Retrait du consentement"
    # Retired: read, never offered (see the docstring).
    EMPLOYMENT = "employment", "Emploi (durée non précisée)"
    TRAINING = "training", "Formation (type non précisé)"

    @property
    def is_retired(self) -> bool:
        """Whether the code is one of the first, coarser ones, no longer offered."""
        return self in RETIRED_OUTCOMES


RETIRED_OUTCOMES = frozenset({Outcome.EMPLOYMENT, Outcome.TRAINING})
"""Codes stored before the finer ones existed: they read, nobody may choose them again."""
SYSTEM_OUTCOMES = frozenset({Outcome.CONSENT_WITHDRAWN})
"""Codes relais records itself (the person withdrew consent): they read, nobody chooses them."""
REFERRAL_OUTCOMES: tuple[Outcome, ...] = tuple(
    outcome
    for outcome in Outcome
    if outcome not in RETIRED_OUTCOMES and outcome not in SYSTEM_OUTCOMES
)
"""The outcomes a receiving partner chooses from when completing a referral."""
EXIT_REASONS: tuple[Outcome, ...] = tuple(
    outcome for outcome in REFERRAL_OUTCOMES if outcome is not Outcome.DID_NOT_ATTEND
)
"""The exit reasons (motifs de sortie) a référent chooses from when ending an accompaniment:
a person followed did attend."""


class TimerKind(LabelledEnum):
    """What a timer does when it falls due."""

    REMINDER = "reminder", "Relance"
    ESCALATION = "escalation", "Alerte à la coordination"
    TRIGGER = "trigger", "Action automatique"


class TimerStatus(LabelledEnum):
    """Where a timer stands."""

    PENDING = "pending", "En attente"
    FIRED = "fired", "Déclenché"
    CANCELLED = "cancelled", "Annulé"


class OutboxStatus(LabelledEnum):
    """Where an outgoing message stands."""

    PENDING = "pending", "En attente d'envoi"
    SENT = "sent", "Envoyé"
    DEAD = "dead", "Abandonné"


class CommitteeKind(LabelledEnum):
    """The governance bodies of the plan."""

    PILOTAGE = "pilotage", "Comité de pilotage"
    TECHNIQUE = "technique", "Comité technique"
    PROJET = "projet", "Comité de projet"
    TERRITORIAL = "territorial", "Comité territorial"


class DecisionKind(LabelledEnum):
    """What a decision item is about."""

    ACTION_PLAN = "action_plan", "Plan d'action"
    CASE_REVIEW = "case_review", "Examen de situation"
    ARBITRATION = "arbitration", "Arbitrage"
    # Approved or published, it closes a project group: no more reminders nor escalations.
    CLOSURE = "closure", "Clôture du groupe projet"
    OTHER = "other", "Autre"


class PlanMainAxis(LabelledEnum):
    """The four axes of the Plan parisien de l'insertion par l'emploi, titled as the plan does."""

    A1 = "1", "Développer une connaissance partagée des besoins et des politiques d'insertion"
    A2 = "2", "Mobiliser le tissu économique local pour l'insertion des Parisien·nes"
    A3 = "3", "Mobiliser les offres de formation et d'accompagnement à l'emploi"
    A4 = "4", "Être acteur de son parcours d'insertion"

    @property
    def choice_label(self) -> str:
        """« Axe 1 — Développer… »."""
        return f"Axe {self.value} — {self.label}"


class PlanAxis(LabelledEnum):
    """The sub-axes of the plan (1.1 to 4.2), titled word for word as the plan does.

    The same rows are reference data in the database (``plan_sub_axes``, loaded by migration
    0021), so that offers and decisions point at them; a test keeps both identical.
    """

    A1_1 = (
        "1.1",
        "Mieux connaître le profil et les besoins des personnes en insertion pour mieux "
        "adapter nos actions",
    )
    A1_2 = "1.2", "Élaborer une vision partagée des politiques d'insertion entre les partenaires"
    A2_1 = "2.1", "Rapprocher l'offre et la demande d'emploi"
    A2_2 = "2.2", "Associer les entreprises pour lever les freins à l'emploi"
    A2_3 = "2.3", "Mobiliser toutes les opportunités d'accès à l'emploi"
    A3_1 = "3.1", "Améliorer la connaissance de l'offre d'insertion pour en faciliter l'accès"
    A3_2 = (
        "3.2",
        "Améliorer les complémentarités des offres de formation en vue de répondre aux besoins "
        "en compétences et qualifications des employeur·euse·s",
    )
    A3_3 = "3.3", "Articuler les accompagnements pour un parcours vers l'emploi sans rupture"
    A4_1 = "4.1", "Améliorer l'appropriation de l'offre d'insertion par les Parisien·nes"
    A4_2 = "4.2", "Renforcer l'autonomie par l'inclusion numérique"

    @property
    def choice_label(self) -> str:
        """« 1.1 — Mieux connaître… »: the number first, as the plan writes them."""
        return f"{self.value} — {self.label}"

    @property
    def main_axis(self) -> PlanMainAxis:
        """The axis this sub-axis belongs to (« 3.3 » is under axis 3)."""
        return PlanMainAxis(self.value.split(".")[0])


class AccompanimentSource(LabelledEnum):
    """How an accompaniment began."""

    REFERRAL = "referral", "À la suite d'une orientation"
    HANDOVER = "handover", "Par un passage de relais"
    DIRECT = "direct", "Accueil direct"


class MessageKey(StrEnum):
    """Every kind of email relais sends; ``notifications.catalog`` has a template for each."""

    REFERRAL_SUBMITTED = "referral.submitted"
    REFERRAL_RESUBMITTED = "referral.resubmitted"
    REFERRAL_ACCEPTED = "referral.accepted"
    REFERRAL_RETURNED = "referral.returned"
    REFERRAL_COMPLETED = "referral.completed"
    REFERRAL_EXPIRED = "referral.expired"
    REFERRAL_CANCELLED = "referral.cancelled"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    HANDOVER_PROPOSED = "handover.proposed"
    HANDOVER_ACCEPTED = "handover.accepted"
    HANDOVER_DECLINED = "handover.declined"
    HANDOVER_WITHDRAWN = "handover.withdrawn"
    HANDOVER_COMPLETED = "handover.completed"
    DECISION_PROPOSED = "decision.proposed"
    DECISION_SCHEDULED = "decision.scheduled"
    DECISION_DECIDED = "decision.decided"
    DECISION_ADJOURNED = "decision.adjourned"
    DECISION_PUBLISHED = "decision.published"
    ACTION_ASSIGNED = "action.assigned"
    GOVERNANCE_PILOTAGE = "governance.pilotage"
    GOVERNANCE_TECHNIQUE = "governance.technique"
    DIGEST = "digest"
    ACCOUNT_RESET = "account.reset"
    ACCOMPANIMENT_PARTNER_ADDED = "accompaniment.partner_added"
    ACCOMPANIMENT_TURNING_26 = "accompaniment.turning_26"
    ACCOMPANIMENT_TURNED_26 = "accompaniment.turned_26"


class AnonymisationReason(LabelledEnum):
    """Why a person's data was anonymised (recorded in their ``anonymised`` person event)."""

    RETENTION = "retention", "Durée de conservation écoulée"
    ERASURE_REQUEST = "erasure_request", "Demande d'effacement de la personne"
    OBJECTION = "objection", "Opposition de la personne au traitement"


ERASURE_REASONS = (AnonymisationReason.ERASURE_REQUEST, AnonymisationReason.OBJECTION)
"""The reasons someone answering the person's rights may give for erasing them now."""
