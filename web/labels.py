"""What a person reads for the closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum

from core.enums import (
    PLAN_AXIS_LABELS,
    AccompanimentSource,
    Barrier,
    CommitteeKind,
    DecisionKind,
    OfferCategory,
    Outcome,
    PlanAxis,
    ReturnReason,
    Role,
    Situation,
    Territory,
    territory_label,
)
from states.referral import OUTCOME_LABELS as _REFERRAL_OUTCOMES
from states.referral import RETURN_REASON_LABELS as _REFERRAL_RETURN_REASONS

CATEGORY_LABELS: dict[str, str] = {
    OfferCategory.CHOISIR_UN_METIER: "Choisir un métier",
    OfferCategory.CREER_UNE_ENTREPRISE: "Créer une entreprise",
    OfferCategory.DIFFICULTES_ADMINISTRATIVES: "Difficultés administratives ou juridiques",
    OfferCategory.DIFFICULTES_FINANCIERES: "Difficultés financières",
    OfferCategory.EQUIPEMENT_ALIMENTATION: "Équipement et alimentation",
    OfferCategory.FAMILLE: "Famille",
    OfferCategory.LECTURE_ECRITURE_CALCUL: "Lecture, écriture, calcul",
    OfferCategory.LOGEMENT_HEBERGEMENT: "Logement, hébergement",
    OfferCategory.MOBILITE: "Mobilité",
    OfferCategory.NUMERIQUE: "Numérique",
    OfferCategory.PREPARER_SA_CANDIDATURE: "Préparer sa candidature",
    OfferCategory.REMOBILISATION: "Remobilisation",
    OfferCategory.SANTE: "Santé",
    OfferCategory.SE_FORMER: "Se former",
    OfferCategory.SOUVRIR_A_LINTERNATIONAL: "S'ouvrir à l'international",
    OfferCategory.TROUVER_UN_EMPLOI: "Trouver un emploi",
    OfferCategory.SPORT: "Sport",
    OfferCategory.CULTURE: "Culture",
    OfferCategory.LUTTE_CONTRE_ISOLEMENT: "Lutte contre l'isolement",
}

SITUATION_LABELS: dict[str, str] = {
    Situation.RSA: "Allocataire du RSA",
    Situation.ASS: "Allocataire de l'ASS",
    Situation.AAH: "Allocataire de l'AAH",
    Situation.JEUNE: "Jeune de moins de 26 ans",
    Situation.RQTH: "Reconnaissance de travailleur handicapé (RQTH)",
    Situation.DEMANDEUR_EMPLOI: "Demandeur d'emploi",
    Situation.AUTRE: "Autre situation",
}

BARRIER_LABELS: dict[str, str] = {
    Barrier.GARDE_ENFANT: "Garde d'enfant",
    Barrier.SANTE: "Santé",
    Barrier.LOGEMENT: "Logement",
    Barrier.MOBILITE: "Mobilité",
    Barrier.LANGUE: "Maîtrise du français",
    Barrier.NUMERIQUE: "Numérique",
    Barrier.ADMINISTRATIF: "Démarches administratives",
    Barrier.FINANCIER: "Difficultés financières",
}

ROLE_LABELS: dict[str, str] = {
    Role.MEMBER: "Conseiller·ère",
    Role.ORG_ADMIN: "Responsable de structure",
    Role.COORDINATOR: "Coordination du plan",
    Role.SECRETARY: "Secrétariat des comités",
    Role.ADMIN: "Administration",
}

COMMITTEE_KIND_LABELS: dict[str, str] = {
    CommitteeKind.PILOTAGE: "Comité de pilotage",
    CommitteeKind.TECHNIQUE: "Comité technique",
    CommitteeKind.PROJET: "Comité de projet",
    CommitteeKind.TERRITORIAL: "Comité territorial",
}

DECISION_KIND_LABELS: dict[str, str] = {
    DecisionKind.ACTION_PLAN: "Plan d'action",
    DecisionKind.CASE_REVIEW: "Examen de situation",
    DecisionKind.ARBITRATION: "Arbitrage",
    DecisionKind.OTHER: "Autre",
}

ACCOMPANIMENT_SOURCE_LABELS: dict[str, str] = {
    AccompanimentSource.REFERRAL: "À la suite d'une orientation",
    AccompanimentSource.HANDOVER: "Par un passage de relais",
    AccompanimentSource.DIRECT: "Accueil direct",
}

TERRITORY_LABELS: dict[str, str] = {
    territory: territory_label(territory) for territory in Territory
}

RETURN_REASON_LABELS: dict[str, str] = {
    reason: text[0].upper() + text[1:] for reason, text in _REFERRAL_RETURN_REASONS.items()
}
OUTCOME_LABELS: dict[str, str] = {
    outcome: text[0].upper() + text[1:] for outcome, text in _REFERRAL_OUTCOMES.items()
}
PLAN_AXIS_CHOICES: dict[str, str] = {
    axis: f"{axis.value} — {label}" for axis, label in PLAN_AXIS_LABELS.items()
}

ENUM_LABELS: dict[type[StrEnum], dict[str, str]] = {
    ReturnReason: RETURN_REASON_LABELS,
    Outcome: OUTCOME_LABELS,
    Situation: SITUATION_LABELS,
    Barrier: BARRIER_LABELS,
    OfferCategory: CATEGORY_LABELS,
    Territory: TERRITORY_LABELS,
    PlanAxis: PLAN_AXIS_CHOICES,
    DecisionKind: DECISION_KIND_LABELS,
    CommitteeKind: COMMITTEE_KIND_LABELS,
}
"""The labels of each vocabulary a form may offer as a list."""

FIELD_LABELS: dict[str, str] = {
    "reason": "Motif",
    "comment": "Commentaire",
    "outcome": "Issue de l'accompagnement",
    "first_appointment_at": "Date du premier rendez-vous (facultatif)",
    "motive": "Motif de l'orientation",
    "situation": "Situation administrative",
    "barriers": "Freins périphériques à l'emploi",
    "offer_id": "Nouvelle offre",
    "first_meeting_at": "Date de la première rencontre à trois",
    "meeting_id": "Réunion",
    "decision_text": "Décision prise (quelques lignes)",
    "note": "Note",
    "first_name": "Prénom",
    "last_name": "Nom",
    "birth_date": "Date de naissance",
    "email": "Email de la personne",
    "phone": "Téléphone de la personne",
    "person_id": "Personne accompagnée",
    "to_organisation_id": "Structure qui prendra le relais",
    "consent": "Accord de la personne",
    "committee_id": "Comité",
    "title": "Intitulé",
    "description": "Description",
    "kind": "Nature",
    "axis": "Axe du plan",
    "starts_at": "Date et heure",
    "duration_minutes": "Durée (en minutes)",
    "place": "Lieu",
    "agenda": "Ordre du jour",
    "minutes": "Compte rendu",
    "owner_organisation_id": "Structure responsable",
    "due_on": "Échéance",
}
"""What a form field is called on screen, by payload field name."""

TRIGGER_LABELS: dict[str, dict[str, str]] = {
    "referral": {
        "create": "Création",
        "submit": "Transmettre",
        "accept": "Accepter",
        "return": "Retourner au prescripteur",
        "resubmit": "Renvoyer avec les compléments",
        "start": "Démarrer l'accompagnement",
        "complete": "Terminer",
        "cancel": "Annuler l'orientation",
        "close": "Clôturer",
        "reassign": "Réorienter vers une autre offre",
        "expire": "Expiration (sans réponse)",
    },
    "handover": {
        "propose": "Proposition",
        "accept": "Accepter le relais",
        "decline": "Refuser le relais",
        "withdraw": "Retirer la proposition",
        "confirm": "Confirmer : la rencontre a eu lieu",
    },
    "decision": {
        "propose": "Proposition",
        "schedule": "Inscrire à l'ordre du jour",
        "approve": "Approuver",
        "reject": "Rejeter",
        "adjourn": "Ajourner",
        "publish": "Publier avec le compte rendu",
    },
    "action": {"assign": "Attribution", "done": "Marquer comme faite"},
}
"""Button and timeline labels of each trigger, by lifecycle."""


CASE_LIST_LABELS: dict[str, str] = {
    "referral": "Orientations",
    "handover": "Passages de relais",
    "decision": "Décisions",
    "action": "Actions",
}
"""What the list of each lifecycle's cases is called (a case page's way back)."""


def trigger_label(lifecycle: str, trigger: str) -> str:
    """What a person reads for ``trigger`` of ``lifecycle``."""
    return TRIGGER_LABELS.get(lifecycle, {}).get(trigger, trigger)
