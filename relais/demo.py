"""The demo: the plan's real partners, realistic offers, one account per role, a few cases.

The people in the demo cases are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import typer
from fastapi_users.password import PasswordHelperProtocol
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.enums import (
    Barrier,
    CommitteeKind,
    DecisionKind,
    OfferCategory,
    OrganisationKind,
    PlanAxis,
    Public,
    ReturnReason,
    Role,
    Territory,
)
from core.errors import Forbidden
from core.models import Offer, Organisation, User
from core.settings import Settings
from relais.accounts import create_user_in, ensure_organisation
from relais.demo_accompaniments import seed_accompaniments
from services import cases, referral_service
from services.auth import DEMO_PASSWORD as DEMO_PASSWORD
from services.committee_service import create_committee, create_meeting
from services.decision_service import propose_decision
from services.directory import create_offer, find_organisation
from services.handover_service import (
    AccompanimentStart,
    HandoverCreate,
    propose_handover,
    start_accompaniment,
)
from services.inputs import AccountCreate
from states.actor import Actor
from states.decision import DECISION, ScheduleFields
from states.referral_fields import PersonFields, ReferralCreate, ReturnFields

ACCOMPANIMENTS = frozenset(
    {
        "Accompagnement social et professionnel en EPI",
        "Accompagnement global France Travail et travail social",
        "Contrat d'engagement jeune",
        "Accompagnement vers l'emploi des personnes handicapées",
        "Convergence — parcours renforcé en chantier d'insertion",
    }
)
"""Offers whose start makes their organisation the person's référent."""
MARKER = "Ville de Paris"

C = OfferCategory
K = OrganisationKind

PARTNERS: tuple[
    tuple[str, OrganisationKind, Territory, tuple[tuple[str, OfferCategory, str], ...]], ...
] = (
    (
        "Ville de Paris",
        K.VILLE,
        Territory.PARIS,
        (
            (
                "ParisCode — formations aux métiers du numérique",
                C("se-former"),
                "Formations gratuites aux métiers du numérique pour les Parisiennes et Parisiens "
                "éloignés de l'emploi.",
            ),
            (
                "ParisFabrik — métiers de la transition écologique",
                C("se-former"),
                "Formations aux métiers du réemploi, de la réparation et de la fabrication locale.",
            ),
            (
                "Cours d'adultes de Paris — français et savoirs de base",
                C("lecture-ecriture-calcul"),
                "Cours du soir pour apprendre le français, lire, écrire et compter.",
            ),
        ),
    ),
    (
        "Espace parisien d'insertion Paris Centre",
        K.EPI,
        Territory.PARIS_CENTRE,
        (
            (
                "Accompagnement social et professionnel en EPI",
                C("remobilisation"),
                "Accompagnement global des allocataires du RSA par un binôme social et emploi.",
            ),
        ),
    ),
    (
        "Espace parisien d'insertion Paris 18",
        K.EPI,
        Territory.ARR_18,
        (
            (
                "Accompagnement social et professionnel en EPI",
                C("remobilisation"),
                "Accompagnement global des allocataires du RSA du nord de Paris.",
            ),
        ),
    ),
    (
        "France Travail Paris",
        K.FRANCE_TRAVAIL,
        Territory.PARIS,
        (
            (
                "Accompagnement global France Travail et travail social",
                C("trouver-un-emploi"),
                "Un conseiller France Travail et un travailleur social accompagnent ensemble.",
            ),
            (
                "Ateliers de préparation à la candidature",
                C("preparer-sa-candidature"),
                "CV, lettre, entretien d'embauche : ateliers collectifs chaque semaine.",
            ),
        ),
    ),
    (
        "Mission locale de Paris",
        K.MISSION_LOCALE,
        Territory.PARIS,
        (
            (
                "Quartier jeunes — accueil des 16-25 ans",
                C("choisir-un-metier"),
                "Lieu d'accueil généraliste pour les jeunes : orientation, emploi, sport, culture.",
            ),
            (
                "Contrat d'engagement jeune",
                C("trouver-un-emploi"),
                "Accompagnement intensif de 15 à 20 heures par semaine avec une allocation.",
            ),
        ),
    ),
    (
        "CAF de Paris",
        K.CAF,
        Territory.PARIS,
        (
            (
                "Accès aux droits des jeunes allocataires du RSA",
                C("difficultes-administratives-ou-juridiques"),
                "Rendez-vous des droits : faire le point sur toutes les prestations possibles.",
            ),
        ),
    ),
    (
        "CPAM de Paris",
        K.CPAM,
        Territory.PARIS,
        (
            (
                "Accès aux soins et à la complémentaire santé",
                C("sante"),
                "Ouverture des droits santé et accompagnement vers les soins.",
            ),
        ),
    ),
    (
        "Cap emploi 75",
        K.CAP_EMPLOI,
        Territory.PARIS,
        (
            (
                "Accompagnement vers l'emploi des personnes handicapées",
                C("trouver-un-emploi"),
                "Accompagnement spécialisé des personnes reconnues travailleurs handicapés.",
            ),
        ),
    ),
    (
        "EPEC — Ensemble Paris emploi compétences",
        K.EPEC,
        Territory.PARIS,
        (
            (
                "Points Paris emploi — recrutements de proximité",
                C("trouver-un-emploi"),
                "Mise en relation avec les entreprises qui recrutent à Paris.",
            ),
        ),
    ),
    (
        "Région Île-de-France",
        K.REGION,
        Territory.PARIS,
        (
            (
                "Formations qualifiantes pour demandeurs d'emploi",
                C("se-former"),
                "Formations certifiantes financées par la Région.",
            ),
        ),
    ),
    ("DRIEETS Île-de-France", K.DRIEETS, Territory.PARIS, ()),
    (
        "CCI Paris Île-de-France",
        K.CCI,
        Territory.PARIS,
        (
            (
                "Créer son entreprise : accompagnement au démarrage",
                C("creer-une-entreprise"),
                "Ateliers et rendez-vous individuels pour les créateurs d'entreprise.",
            ),
        ),
    ),
    (
        "Chambre de métiers et de l'artisanat de Paris",
        K.CMA,
        Territory.PARIS,
        (
            (
                "Découverte des métiers de l'artisanat",
                C("choisir-un-metier"),
                "Stages de découverte chez des artisans parisiens.",
            ),
        ),
    ),
    (
        "Atelier chantier d'insertion Paris Est",
        K.SIAE,
        Territory.ARR_20,
        (
            (
                "Premières Heures — reprise d'activité progressive",
                C("remobilisation"),
                "Reprendre une activité quelques heures par semaine, à son rythme.",
            ),
            (
                "Convergence — parcours renforcé en chantier d'insertion",
                C("trouver-un-emploi"),
                "Un parcours d'insertion avec accompagnement social et santé renforcé.",
            ),
        ),
    ),
    (
        "Association Solidarités nouvelles Paris 19",
        K.ASSOCIATION,
        Territory.ARR_19,
        (
            (
                "Atelier numérique et démarches en ligne",
                C("numerique"),
                "Apprendre à utiliser un ordinateur et faire ses démarches en ligne.",
            ),
        ),
    ),
)


CONTACTS = {
    "Espace parisien d'insertion Paris 18": "accueil-epi-18@relais-demo.paris",
    "CAF de Paris": "partenaires-caf@relais-demo.paris",
    "CPAM de Paris": "partenaires-cpam@relais-demo.paris",
    "Cap emploi 75": "orientations-cap-emploi@relais-demo.paris",
    "EPEC — Ensemble Paris emploi compétences": "points-paris-emploi@relais-demo.paris",
    "Région Île-de-France": "formations-region@relais-demo.paris",
    "CCI Paris Île-de-France": "creation-cci@relais-demo.paris",
    "Chambre de métiers et de l'artisanat de Paris": "decouverte-cma@relais-demo.paris",
    "Atelier chantier d'insertion Paris Est": "accueil-aci-paris-est@relais-demo.paris",
}
"""The address receiving the referrals of the offers of partners with no account in the demo.

Every offer is reachable (``states.reachability``) but one: the Paris 19 association has
neither an account nor a contact address, so its offer is « non joignable » (the catalogue
marks it, refers nobody to it, and the coordinators' dashboard lists it)."""


@dataclass(frozen=True)
class DemoAccount:
    """An account of the demo, printed so that anyone can log in."""

    email: str
    role: Role
    organisation: str
    what: str
    full_name: str
    work_phone: str  # in the range ARCEP keeps for fiction (01 99 00 xx xx)


ACCOUNTS = (
    DemoAccount(
        "admin@relais-demo.paris", Role.ADMIN, "Ville de Paris",
        "administration de la plateforme", "Claire Morel", "01 99 00 10 01",
    ),
    DemoAccount(
        "coordination@relais-demo.paris", Role.COORDINATOR,
        "EPEC — Ensemble Paris emploi compétences", "tableau de bord des retards",
        "Nadia Haddad", "01 99 00 10 02",
    ),
    DemoAccount(
        "secretariat@relais-demo.paris", Role.SECRETARY, "Ville de Paris",
        "secrétariat des comités", "Julien Petit", "01 99 00 10 03",
    ),
    DemoAccount(
        "mission-locale@relais-demo.paris", Role.MEMBER, "Mission locale de Paris",
        "orientations envoyées", "Sarah Benali", "01 99 00 10 04",
    ),
    DemoAccount(
        "epi-centre@relais-demo.paris", Role.MEMBER,
        "Espace parisien d'insertion Paris Centre", "orientations reçues",
        "Thomas Nguyen", "01 99 00 10 05",
    ),
    DemoAccount(
        "admin-epi-centre@relais-demo.paris", Role.ORG_ADMIN,
        "Espace parisien d'insertion Paris Centre", "offres et comptes de l'EPI",
        "Isabelle Roux", "01 99 00 10 06",
    ),
    DemoAccount(
        "france-travail@relais-demo.paris", Role.MEMBER, "France Travail Paris",
        "orientations envoyées", "Mamadou Diallo", "01 99 00 10 07",
    ),
    DemoAccount(
        "ville@relais-demo.paris", Role.MEMBER, "Ville de Paris",
        "orientations reçues (ParisCode, ParisFabrik)", "Hélène Garnier", "01 99 00 10 08",
    ),
    DemoAccount(
        "dpo@relais-demo.paris", Role.DPO, "Ville de Paris",
        "journal des accès, droits des personnes", "Marc Lefèvre", "01 99 00 10 09",
    ),
)  # fmt: skip


async def seed_demo(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    *,
    password_helper: PasswordHelperProtocol | None = None,
) -> bool:
    """Load the demo once; False when it was already there. Never in production.
    ``password_helper``: the tests', whose applications hash with it (the accounts' hashes
    would otherwise be renewed at their first sign-in, ending their other sessions)."""
    if settings.environment == "production":
        raise Forbidden(
            "La démo est refusée en production : ses comptes ont un mot de passe public."
        )
    if await find_organisation(session, MARKER) is not None:
        return False
    organisations: dict[str, Organisation] = {}
    offers: dict[str, Offer] = {}
    for name, kind, territory, catalogue in PARTNERS:
        organisation = await ensure_organisation(session, name, clock, kind, territory)
        organisations[name] = organisation
        for title, category, description in catalogue:
            offer = await create_offer(
                session,
                Actor.operator(),
                organisation_id=organisation.id,
                fields={
                    "title": title,
                    "category": category,
                    "description": description,
                    "territory": territory,
                    "is_accompaniment": title in ACCOMPANIMENTS,
                    "contact_email": CONTACTS.get(name),
                    "sub_axes": DEMO_SUB_AXES[category],
                    **FULL_OFFERS.get(f"{name}/{title}", {}),
                },
                now=clock.now(),
            )
            offers[f"{name}/{title}"] = offer
    users: dict[str, User] = {}
    for account in ACCOUNTS:
        users[account.email] = await create_user_in(
            session,
            settings,
            clock,
            AccountCreate(
                email=account.email,
                password=DEMO_PASSWORD,
                organisation_id=organisations[account.organisation].id,
                role=account.role,
                full_name=account.full_name,
                work_phone=account.work_phone,
            ),
            demo=True,
            password_helper=password_helper,
        )
    await _seed_cases(session, clock, users, offers)
    await _seed_governance(session, clock, users, organisations)
    # France Travail refers Yanis, whom the Mission locale accompanies: the referral joins
    # his record, and France Travail reads only that the Mission locale is his référent.
    await _refer(
        session, YANIS_AGAIN, users[FRANCE_TRAVAIL], offers[YANIS_AGAIN.offer], clock.now()
    )
    await seed_accompaniments(session, users, organisations, clock.now())
    return True


EPI_CENTRE_OFFER = (
    "Espace parisien d'insertion Paris Centre/Accompagnement social et professionnel en EPI"
)
PARIS_FABRIK_OFFER = "Ville de Paris/ParisFabrik — métiers de la transition écologique"
PARIS_CODE_OFFER = "Ville de Paris/ParisCode — formations aux métiers du numérique"
MISSION_LOCALE = "mission-locale@relais-demo.paris"
FRANCE_TRAVAIL = "france-travail@relais-demo.paris"
VILLE = "ville@relais-demo.paris"

DEMO_SUB_AXES: dict[str, list[PlanAxis]] = {
    "choisir-un-metier": [PlanAxis.A3_1],
    "creer-une-entreprise": [PlanAxis.A2_3],
    "difficultes-administratives-ou-juridiques": [PlanAxis.A3_3],
    "lecture-ecriture-calcul": [PlanAxis.A3_2],
    "numerique": [PlanAxis.A4_2],
    "preparer-sa-candidature": [PlanAxis.A2_1],
    "remobilisation": [PlanAxis.A3_3, PlanAxis.A4_1],
    "sante": [PlanAxis.A2_2],
    "se-former": [PlanAxis.A3_2],
    "trouver-un-emploi": [PlanAxis.A2_1],
}
"""The plan's sub-axes of the demo's offers, by thématique (an organisation admin chooses)."""


FULL_OFFERS: dict[str, dict[str, Any]] = {
    PARIS_CODE_OFFER: {"capacity": 1, "modes_accueil": ["en-presentiel"], "frais": ["gratuit"]},
}
"""The demo's full offer: its one place is taken by an accepted referral, so the referral
waiting on it can only be accepted beyond capacity, with a comment (or returned)."""


@dataclass(frozen=True)
class DemoReferral:
    """A referral of the demo: who sends it, to which offer, for whom, how long ago."""

    sender: str
    offer: str
    first_name: str
    last_name: str
    days_ago: int
    motive: str
    publics: tuple[str, ...] = ()
    barriers: tuple[Barrier, ...] = ()
    returned_because: str | None = None
    accepted_by: str | None = None
    residence: Territory | None = None
    lives_in_qpv: bool = False
    birth_date: date | None = None
    france_travail_id: str | None = None


DEMO_REFERRALS = (
    DemoReferral(MISSION_LOCALE, EPI_CENTRE_OFFER, "Inès", "Martin", 1,
                 "Jeune allocataire du RSA, souhaite un accompagnement global.",
                 ("rsa",), (Barrier.LOGEMENT,), residence=Territory.PARIS_CENTRE,
                 birth_date=date(2001, 9, 14)),
    DemoReferral(FRANCE_TRAVAIL, "Ville de Paris/ParisCode — formations aux métiers du "
                 "numérique", "Karim", "Benali", 12,
                 "Reconversion vers le développement web, bases en autoformation.",
                 ("demandeurs-emploi",), (Barrier.NUMERIQUE,), residence=Territory.ARR_19,
                 lives_in_qpv=True, birth_date=date(1987, 6, 3)),
    DemoReferral(MISSION_LOCALE, EPI_CENTRE_OFFER, "Awa", "Diallo", 4,
                 "Besoin d'un accompagnement social et professionnel.",
                 (), (Barrier.ADMINISTRATIF,),
                 returned_because="Merci de préciser la situation au regard du RSA.",
                 residence=Territory.ARR_18, lives_in_qpv=True, birth_date=date(2004, 9, 2)),
    DemoReferral(MISSION_LOCALE, PARIS_FABRIK_OFFER, "Lucas", "Petit", 3,
                 "Intéressé par la réparation de vélos et le réemploi.",
                 residence=Territory.ARR_20, birth_date=date(2006, 1, 23)),
    # Requests nobody answered: what the coordinators' dashboard is for.
    DemoReferral(FRANCE_TRAVAIL, EPI_CENTRE_OFFER, "Samir", "Belkacem", 10,
                 "Sortie de formation, cherche un accompagnement vers l'emploi.",
                 ("demandeurs-emploi",), residence=Territory.PARIS_CENTRE),
    DemoReferral(FRANCE_TRAVAIL, "Espace parisien d'insertion Paris 18/Accompagnement social "
                 "et professionnel en EPI", "Fatou", "Camara", 16,
                 "Allocataire du RSA depuis deux ans.", ("rsa", "femmes"),
                 residence=Territory.ARR_18),
    DemoReferral(MISSION_LOCALE, "Atelier chantier d'insertion Paris Est/Premières Heures — "
                 "reprise d'activité progressive", "Théo", "Lambert", 11,
                 "Souhaite reprendre une activité.", ("rqth",), residence=Territory.ARR_11),
    DemoReferral(FRANCE_TRAVAIL, "Atelier chantier d'insertion Paris Est/Convergence — "
                 "parcours renforcé en chantier d'insertion", "Nadia", "Haddad", 9,
                 "Parcours renforcé santé.", ("aah",), residence=Territory.ARR_20),
    DemoReferral(MISSION_LOCALE, PARIS_FABRIK_OFFER, "Jules", "Roux", 14,
                 "Projet dans la réparation électroménager.", ("ass",),
                 residence=Territory.ARR_13),
    # The one place of ParisCode, taken: the request waiting on it meets a full offer.
    DemoReferral(MISSION_LOCALE, PARIS_CODE_OFFER, "Léa", "Moreau", 20,
                 "Projet de reconversion dans le développement web.", accepted_by=VILLE,
                 residence=Territory.ARR_14, birth_date=date(2003, 5, 11)),
    # One person, one record: France Travail refers Inès too, spelt otherwise, with her
    # birth date and identifier; relais links it to the record of the Mission locale's.
    DemoReferral(FRANCE_TRAVAIL, PARIS_FABRIK_OFFER, "INES", "MARTIN", 2,
                 "Inscrite à France Travail, intéressée par le réemploi.",
                 ("rsa",), birth_date=date(2001, 9, 14), france_travail_id="3456789B"),
    # Before relais matched persons, Karim was recorded twice (once without his birth
    # date): a duplicate pair the coordinators find on his record, and merge.
    DemoReferral(MISSION_LOCALE, "Espace parisien d'insertion Paris 18/Accompagnement social "
                 "et professionnel en EPI", "Karim", "BENALI", 20,
                 "Recherche un accompagnement de proximité.", residence=Territory.ARR_18,
                 birth_date=None),
)  # fmt: skip
"""The demo's referrals, in the order they are written."""

YANIS_BORN = date(2001, 2, 11)
YANIS_AGAIN = DemoReferral(
    FRANCE_TRAVAIL, PARIS_FABRIK_OFFER, "Yanis", "MOREAU", 0,
    "Intéressé par les métiers de la transition écologique.", birth_date=YANIS_BORN,
)  # fmt: skip
"""A referral for a person relais already knows, sent once the demo's Yanis is accompanied."""


async def _refer(
    session: AsyncSession, demo: DemoReferral, sender: User, offer: Offer, now: datetime
) -> int:
    """Write one demo referral as its sender would have, ``days_ago`` days before ``now``."""
    data = ReferralCreate(
        offer_id=offer.id,
        person=PersonFields(
            first_name=demo.first_name,
            last_name=demo.last_name,
            birth_date=demo.birth_date,
            residence=demo.residence,
            lives_in_qpv=demo.lives_in_qpv,
            publics=[Public(value) for value in demo.publics],
            france_travail_id=demo.france_travail_id,
        ),
        motive=demo.motive,
        barriers=list(demo.barriers),
        consent=True,
        # The demo's referrers asked the persons of AAH or RQTH for their explicit consent.
        health_data_attested=True,
    )
    sent_at = now - timedelta(days=demo.days_ago)
    view = await referral_service.create_referral(session, Actor.of(sender), data, sent_at)
    return int(view.case.id)


async def _seed_cases(
    session: AsyncSession, clock: Clock, users: dict[str, User], offers: dict[str, Offer]
) -> None:
    now = clock.now()
    epi = Actor.of(users["epi-centre@relais-demo.paris"])
    for demo in DEMO_REFERRALS:
        referral_id = await _refer(session, demo, users[demo.sender], offers[demo.offer], now)
        if demo.returned_because is not None:
            reason = ReturnFields(
                reason=ReturnReason.MISSING_INFORMATION, comment=demo.returned_because
            )
            returned_at = now - timedelta(days=2)
            await referral_service.fire_referral(
                session, epi, referral_id, "return", reason, returned_at
            )
        if demo.accepted_by is not None:
            accepted_at = now - timedelta(days=demo.days_ago - 2)
            await referral_service.fire_referral(
                session, Actor.of(users[demo.accepted_by]), referral_id, "accept", None, accepted_at
            )


def print_logins() -> None:
    """Tell the person at the terminal how to log in."""
    typer.echo("")
    typer.echo(f"Comptes de démonstration (mot de passe pour tous : {DEMO_PASSWORD}) :")
    for account in ACCOUNTS:
        typer.echo(f"  {account.email:<38} {account.role.value:<12} {account.what}")
    typer.echo("")
    typer.echo(
        "Connexion : ouvrez relais dans votre navigateur (http://127.0.0.1:8000 par défaut) "
        "et connectez-vous avec l'un de ces comptes. L'API accepte les mêmes comptes : "
        "POST /auth/jwt/login, puis l'en-tête « Authorization: Bearer <jeton> »."
    )


PILOTAGE_MEMBERS = (
    "Ville de Paris",
    "France Travail Paris",
    "Région Île-de-France",
    "DRIEETS Île-de-France",
    "CAF de Paris",
    "EPEC — Ensemble Paris emploi compétences",
    "Mission locale de Paris",
)
TECHNIQUE_MEMBERS = (
    *PILOTAGE_MEMBERS,
    "Espace parisien d'insertion Paris Centre",
    "Espace parisien d'insertion Paris 18",
    "Cap emploi 75",
    "CPAM de Paris",
)


async def _seed_governance(
    session: AsyncSession,
    clock: Clock,
    users: dict[str, User],
    organisations: dict[str, Organisation],
) -> None:
    """The two committees of the plan, their meetings, a proposal and a handover under way."""
    now = clock.now()
    secretary = Actor.of(users["secretariat@relais-demo.paris"])
    mission_locale = Actor.of(users["mission-locale@relais-demo.paris"])
    pilotage = await create_committee(
        session, secretary, name="Comité de pilotage du PPIE", kind=CommitteeKind.PILOTAGE,
        territory=Territory.PARIS,
        member_organisation_ids=[organisations[name].id for name in PILOTAGE_MEMBERS], now=now,
    )  # fmt: skip
    technique = await create_committee(
        session, secretary, name="Comité technique du PPIE", kind=CommitteeKind.TECHNIQUE,
        territory=Territory.PARIS,
        member_organisation_ids=[organisations[name].id for name in TECHNIQUE_MEMBERS], now=now,
    )  # fmt: skip
    await create_meeting(
        session, secretary, committee_id=pilotage.committee.id,
        starts_at=now - timedelta(days=120), duration_minutes=120,
        place="Hôtel de Ville, salon des Arcades",
        agenda="1. Bilan de l'année\n2. Validation du plan d'action annuel", now=now,
    )  # fmt: skip
    upcoming = await create_meeting(
        session, secretary, committee_id=technique.committee.id,
        starts_at=now + timedelta(days=21), duration_minutes=150,
        place="EPEC, 209 rue de Bercy",
        agenda="1. Orientations en attente\n2. Passages de relais\n3. Propositions", now=now,
    )  # fmt: skip
    proposal = await propose_decision(
        session, mission_locale, committee_id=technique.committee.id,
        title="Passage de relais systématique Mission locale vers les EPI à 25 ans",
        description="Organiser une rencontre à trois pour chaque jeune au RSA qui atteint 25 ans.",
        kind=DecisionKind.ACTION_PLAN, axis=PlanAxis.A3_3, now=now,
    )  # fmt: skip
    await cases.fire_case(
        session, DECISION, secretary, proposal.case.id, "schedule",
        ScheduleFields(meeting_id=upcoming.id), now,
    )  # fmt: skip
    await _seed_handover(session, users, organisations, now)


async def _seed_handover(
    session: AsyncSession,
    users: dict[str, User],
    organisations: dict[str, Organisation],
    now: datetime,
) -> None:
    """Yanis, entrusted to the Mission locale by the coordination, about to move to an EPI."""
    mission_locale = Actor.of(users["mission-locale@relais-demo.paris"])
    yanis = PersonFields(first_name="Yanis", last_name="Moreau", birth_date=YANIS_BORN)
    entrusted = AccompanimentStart(
        person=yanis, organisation_id=organisations["Mission locale de Paris"].id,
        reason="Jeune sans solution repéré par la coordination : suivi confié à la Mission locale.",
        consent=True,
    )  # fmt: skip
    coordination = Actor.of(users["coordination@relais-demo.paris"])
    started = await start_accompaniment(
        session, coordination, entrusted, now - timedelta(days=200)
    )  # fmt: skip
    await propose_handover(
        session, mission_locale,
        HandoverCreate(
            person_id=started.person_id,
            to_organisation_id=organisations["Espace parisien d'insertion Paris Centre"].id,
            reason="Yanis a 25 ans : passage vers l'accompagnement global RSA de l'EPI.",
            consent=True,
        ),
        now - timedelta(days=1),
    )  # fmt: skip
