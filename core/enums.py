"""Closed vocabularies of the domain (DESIGN.md), stored by value."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    """The kinds of partner organisation of the plan."""

    VILLE = "ville"
    EPI = "epi"
    CASVP = "casvp"
    FRANCE_TRAVAIL = "france_travail"
    MISSION_LOCALE = "mission_locale"
    CAF = "caf"
    CPAM = "cpam"
    CAP_EMPLOI = "cap_emploi"
    EPEC = "epec"
    REGION = "region"
    DRIEETS = "drieets"
    ARS = "ars"
    CCI = "cci"
    CMA = "cma"
    SIAE = "siae"
    ASSOCIATION = "association"
    OTHER = "other"


class Territory(StrEnum):
    """Paris as a whole or one of its twenty arrondissements (75001..75020)."""

    PARIS = "paris"
    ARR_01 = "75001"
    ARR_02 = "75002"
    ARR_03 = "75003"
    ARR_04 = "75004"
    ARR_05 = "75005"
    ARR_06 = "75006"
    ARR_07 = "75007"
    ARR_08 = "75008"
    ARR_09 = "75009"
    ARR_10 = "75010"
    ARR_11 = "75011"
    ARR_12 = "75012"
    ARR_13 = "75013"
    ARR_14 = "75014"
    ARR_15 = "75015"
    ARR_16 = "75016"
    ARR_17 = "75017"
    ARR_18 = "75018"
    ARR_19 = "75019"
    ARR_20 = "75020"


class Role(StrEnum):
    """What a user may do; a user has exactly one role."""

    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    COORDINATOR = "coordinator"
    SECRETARY = "secretary"
    ADMIN = "admin"


class OfferCategory(StrEnum):
    """data·inclusion thématiques plus the three the plan names that they lack."""

    CHOISIR_UN_METIER = "choisir-un-metier"
    CREER_UNE_ENTREPRISE = "creer-une-entreprise"
    DIFFICULTES_ADMINISTRATIVES = "difficultes-administratives-ou-juridiques"
    DIFFICULTES_FINANCIERES = "difficultes-financieres"
    EQUIPEMENT_ALIMENTATION = "equipement-et-alimentation"
    FAMILLE = "famille"
    LECTURE_ECRITURE_CALCUL = "lecture-ecriture-calcul"
    LOGEMENT_HEBERGEMENT = "logement-hebergement"
    MOBILITE = "mobilite"
    NUMERIQUE = "numerique"
    PREPARER_SA_CANDIDATURE = "preparer-sa-candidature"
    REMOBILISATION = "remobilisation"
    SANTE = "sante"
    SE_FORMER = "se-former"
    SOUVRIR_A_LINTERNATIONAL = "souvrir-a-linternational"
    TROUVER_UN_EMPLOI = "trouver-un-emploi"
    SPORT = "sport"
    CULTURE = "culture"
    LUTTE_CONTRE_ISOLEMENT = "lutte-contre-isolement"


class Situation(StrEnum):
    """The person's administrative situation."""

    RSA = "rsa"
    ASS = "ass"
    AAH = "aah"
    JEUNE = "jeune"
    RQTH = "rqth"
    DEMANDEUR_EMPLOI = "demandeur_emploi"
    AUTRE = "autre"


class Barrier(StrEnum):
    """Freins périphériques à l'emploi."""

    GARDE_ENFANT = "garde_enfant"
    SANTE = "sante"
    LOGEMENT = "logement"
    MOBILITE = "mobilite"
    LANGUE = "langue"
    NUMERIQUE = "numerique"
    ADMINISTRATIF = "administratif"
    FINANCIER = "financier"


class ReturnReason(StrEnum):
    """Why a receiving partner returns a referral."""

    MISSING_INFORMATION = "missing_information"
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    WRONG_OFFER = "wrong_offer"
    PERSON_UNREACHABLE = "person_unreachable"
    PERSON_DECLINED = "person_declined"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Outcome(StrEnum):
    """How a completed referral ended."""

    EMPLOYMENT = "employment"
    TRAINING = "training"
    OTHER_OFFER = "other_offer"
    PERSON_LEFT = "person_left"
    DID_NOT_ATTEND = "did_not_attend"
    OTHER = "other"


class TimerKind(StrEnum):
    """What a timer does when it falls due."""

    REMINDER = "reminder"
    ESCALATION = "escalation"
    TRIGGER = "trigger"


class TimerStatus(StrEnum):
    """Where a timer stands."""

    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """Where an outgoing message stands."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class CommitteeKind(StrEnum):
    """The governance bodies of the plan."""

    PILOTAGE = "pilotage"
    TECHNIQUE = "technique"
    PROJET = "projet"
    TERRITORIAL = "territorial"


class DecisionKind(StrEnum):
    """What a decision item is about."""

    ACTION_PLAN = "action_plan"
    CASE_REVIEW = "case_review"
    ARBITRATION = "arbitration"
    OTHER = "other"


class PlanAxis(StrEnum):
    """The axes of the Plan parisien de l'insertion par l'emploi (1.1 to 4.2)."""

    A1_1 = "1.1"
    A1_2 = "1.2"
    A2_1 = "2.1"
    A2_2 = "2.2"
    A2_3 = "2.3"
    A3_1 = "3.1"
    A3_2 = "3.2"
    A3_3 = "3.3"
    A4_1 = "4.1"
    A4_2 = "4.2"


PLAN_AXIS_LABELS = {
    PlanAxis.A1_1: "Mieux connaître le profil et les besoins des personnes en insertion",
    PlanAxis.A1_2: "Élaborer une vision partagée des politiques d'insertion",
    PlanAxis.A2_1: "Rapprocher l'offre et la demande d'emploi",
    PlanAxis.A2_2: "Associer les entreprises pour lever les freins à l'emploi",
    PlanAxis.A2_3: "Mobiliser toutes les opportunités d'accès à l'emploi",
    PlanAxis.A3_1: "Améliorer la connaissance de l'offre d'insertion pour en faciliter l'accès",
    PlanAxis.A3_2: "Améliorer les complémentarités des offres de formation",
    PlanAxis.A3_3: "Articuler les accompagnements pour un parcours sans rupture",
    PlanAxis.A4_1: "Améliorer l'appropriation de l'offre d'insertion par les Parisien·nes",
    PlanAxis.A4_2: "Renforcer l'autonomie par l'inclusion numérique",
}


class AccompanimentSource(StrEnum):
    """How an accompaniment began."""

    REFERRAL = "referral"
    HANDOVER = "handover"
    DIRECT = "direct"


def territory_label(territory: Territory) -> str:
    """How a person names a territory: « Paris », « Paris 1er », « Paris 11e »."""
    if territory is Territory.PARIS:
        return "Paris"
    number = int(territory.value[-2:])
    return f"Paris {number}{'er' if number == 1 else 'e'}"
