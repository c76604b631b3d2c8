"""Fewer, better emails (issue 17, point 8), through a real SMTP server (aiosmtpd on loopback).

Each user chooses between an email for every escalation and the daily digest only
(coordinators start with the digest); an organisation admin gets no copy of their members'
emails; a resubmitted referral is announced as sent back, not as new; the return email says
what is missing without the comment's text; an organisation admin's digest lists only their
organisation's cases.

Times: the referral is submitted on Monday 2 March 2026 at 09:00 in Paris; its escalation falls
due at +5 business days (Monday 9 March 09:00); the digest of Tuesday 10 March 08:00 lists it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from core.enums import EmailPreference, ReturnReason, Role
from core.models import Offer, User
from core.settings import Settings
from services.referral_service import create_referral, fire_referral
from states.referral_fields import ResubmitFields, ReturnFields
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, make_offer, make_user, referral_create
from tests.notifications.delivery_helpers import Sessions, deliver, outbox
from tests.notifications.smtp_server import SmtpServer
from workflows.digest import send_digests
from workflows.sweep import sweep_due

SUBMITTED = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
RETURNED = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
RESUBMITTED = datetime(2026, 3, 2, 11, 0, tzinfo=PARIS)
ESCALATED = datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)
DIGEST_MORNING = datetime(2026, 3, 10, 8, 0, tzinfo=PARIS)
ORG_ADMIN_EMAIL = "direction@epi-test.fr"
COMMENT = "Il manque l'attestation de Zoé Martin-Lefèvre"


async def _submit(sessionmaker: Sessions, world: World, offer_id: int | None = None) -> int:
    async with sessionmaker() as session:
        offer = world.offer if offer_id is None else await session.get_one(Offer, offer_id)
        view = await create_referral(
            session, actor_of(world.referrer), referral_create(offer), SUBMITTED
        )
        return int(view.case.id)


async def _choose(sessionmaker: Sessions, user_id: int, preference: EmailPreference) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(User).where(User.id == user_id).values(email_preference=preference)
        )


def _to(smtp_server: SmtpServer, address: str) -> list[str]:
    """The subjects of the emails ``address`` received, in order."""
    return [
        str(received.email["Subject"])
        for received in smtp_server.messages
        if address in received.recipients
    ]


def _plain(email: EmailMessage) -> str:
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _text(smtp_server: SmtpServer, address: str) -> str:
    [received] = [m for m in smtp_server.messages if address in m.recipients]
    return _plain(received.email)


@pytest.mark.parametrize(
    ("preference", "expected"),
    [
        (
            EmailPreference.EVERY_ESCALATION,
            [
                "En retard : orientation OR-2026-000001 (EPI Paris Centre)",
                "relais : 1 dossier en retard le mardi 10 mars 2026",
            ],
        ),
        (
            EmailPreference.DAILY_DIGEST_ONLY,
            ["relais : 1 dossier en retard le mardi 10 mars 2026"],
        ),
    ],
)
async def test_a_coordinator_gets_each_escalation_or_only_the_digest_as_chosen(
    sessionmaker: Sessions,
    world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
    preference: EmailPreference,
    expected: list[str],
) -> None:
    await _choose(sessionmaker, world.coordinator.id, preference)
    await _submit(sessionmaker, world)

    swept = await sweep_due(sessionmaker, LIFECYCLES, ESCALATED)
    await send_digests(sessionmaker, LIFECYCLES, DIGEST_MORNING)
    await deliver(sessionmaker, smtp_settings, DIGEST_MORNING)

    assert _to(smtp_server, world.coordinator.email) == expected
    digest = [m for m in smtp_server.messages if m.email["Subject"].startswith("relais :")]
    assert "OR-2026-000001" in _plain(digest[0].email)
    # Reached either way: by email, or by the digest; never counted as silent.
    assert swept.silent == []
    deferred = preference is EmailPreference.DAILY_DIGEST_ONLY
    assert swept.escalations == [
        "OR-2026-000001 : alerte à 0 destinataire(s), 1 par le résumé du jour"
        if deferred
        else "OR-2026-000001 : alerte à 1 destinataire(s)"
    ]


async def test_a_second_sweep_writes_nothing_more_whatever_the_choice(
    sessionmaker: Sessions, world: World
) -> None:
    other = await make_user_in(sessionmaker, world, Role.COORDINATOR, "paris@epec-test.fr")
    await _choose(sessionmaker, other, EmailPreference.EVERY_ESCALATION)
    await _choose(sessionmaker, world.coordinator.id, EmailPreference.DAILY_DIGEST_ONLY)
    await _submit(sessionmaker, world)

    await sweep_due(sessionmaker, LIFECYCLES, ESCALATED)
    again = await sweep_due(sessionmaker, LIFECYCLES, ESCALATED)

    escalations = [row for row in await outbox(sessionmaker) if row.message == "escalation"]
    assert [row.recipient_email for row in escalations] == ["paris@epec-test.fr"]
    assert again.escalations == []


async def make_user_in(sessionmaker: Sessions, world: World, role: Role, email: str) -> int:
    """A user of the coordination (coordinators) or the receiving organisation (others)."""
    async with sessionmaker() as session:
        organisation = world.coordination if role is Role.COORDINATOR else world.receiver
        return (await make_user(session, organisation, SUBMITTED, role=role, email=email)).id


@pytest.mark.parametrize(
    ("role", "preference"),
    [
        (Role.COORDINATOR, EmailPreference.DAILY_DIGEST_ONLY),
        (Role.ORG_ADMIN, EmailPreference.EVERY_ESCALATION),
        (Role.MEMBER, EmailPreference.EVERY_ESCALATION),
        (Role.SECRETARY, EmailPreference.EVERY_ESCALATION),
    ],
)
async def test_a_new_account_starts_with_its_roles_preference(
    session: AsyncSession, world: World, role: Role, preference: EmailPreference
) -> None:
    user = await make_user(session, world.receiver, SUBMITTED, role=role)
    await session.refresh(user)
    assert world.coordinator.email_preference is EmailPreference.EVERY_ESCALATION  # chosen
    assert user.email_preference is preference
    assert EmailPreference.default_for(role) is preference


async def test_an_org_admin_gets_no_copy_of_their_members_emails(
    sessionmaker: Sessions, world: World, smtp_server: SmtpServer, smtp_settings: Settings
) -> None:
    await make_user_in(sessionmaker, world, Role.ORG_ADMIN, ORG_ADMIN_EMAIL)
    await _submit(sessionmaker, world)
    await deliver(sessionmaker, smtp_settings, SUBMITTED)

    assert [m.recipients for m in smtp_server.messages] == [(world.receiver_member.email,)]


async def test_an_org_admin_alone_to_work_the_cases_gets_them(
    sessionmaker: Sessions, world: World, smtp_server: SmtpServer, smtp_settings: Settings
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(User).where(User.id == world.receiver_member.id).values(is_active=False)
        )
    await make_user_in(sessionmaker, world, Role.ORG_ADMIN, ORG_ADMIN_EMAIL)
    await _submit(sessionmaker, world)
    await deliver(sessionmaker, smtp_settings, SUBMITTED)

    assert [m.recipients for m in smtp_server.messages] == [(ORG_ADMIN_EMAIL,)]


async def _return(sessionmaker: Sessions, world: World, referral_id: int) -> None:
    async with sessionmaker() as session:
        fields = ReturnFields(reason=ReturnReason.MISSING_INFORMATION, comment=COMMENT)
        await fire_referral(
            session, actor_of(world.receiver_member), referral_id, "return", fields, RETURNED
        )


async def test_the_return_email_says_what_is_missing_but_not_the_comment(
    sessionmaker: Sessions, world: World, smtp_server: SmtpServer, smtp_settings: Settings
) -> None:
    referral_id = await _submit(sessionmaker, world)
    await _return(sessionmaker, world, referral_id)
    await deliver(sessionmaker, smtp_settings, RETURNED)

    assert _to(smtp_server, world.referrer.email) == [
        "Orientation OR-2026-000001 retournée par EPI Paris Centre"
    ]
    text = _text(smtp_server, world.referrer.email)
    assert "Motif du retour : informations manquantes." in text
    assert "Ce qui manque est précisé dans le commentaire laissé par EPI Paris Centre" in text
    assert f"https://relais.paris.test/referrals/{referral_id}" in text
    assert "Zoé" not in text and "attestation" not in text


async def test_a_resubmitted_referral_is_announced_as_sent_back_not_as_new(
    sessionmaker: Sessions, world: World, smtp_server: SmtpServer, smtp_settings: Settings
) -> None:
    referral_id = await _submit(sessionmaker, world)
    await _return(sessionmaker, world, referral_id)
    async with sessionmaker() as session:
        await fire_referral(
            session,
            actor_of(world.referrer),
            referral_id,
            "resubmit",
            ResubmitFields(motive="Demande précisée après échange avec la personne."),
            RESUBMITTED,
        )
    await deliver(sessionmaker, smtp_settings, RESUBMITTED)

    assert _to(smtp_server, world.receiver_member.email) == [
        "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000001 renvoyée avec compléments pour « Accompagnement en EPI »",
    ]
    [again] = [m for m in smtp_server.messages if "renvoyée" in m.email["Subject"]]
    text = _plain(again.email)
    assert "vous renvoie l'orientation OR-2026-000001 avec des compléments" in text
    assert "Ce n'est pas une nouvelle demande" in text


async def test_an_org_admins_digest_lists_only_their_organisations_cases(
    sessionmaker: Sessions, world: World, smtp_server: SmtpServer, smtp_settings: Settings
) -> None:
    await make_user_in(sessionmaker, world, Role.ORG_ADMIN, ORG_ADMIN_EMAIL)
    async with sessionmaker() as session:
        elsewhere = await make_offer(session, world.outsider, SUBMITTED, title="Accueil CAF")
    ours = await _submit(sessionmaker, world)
    theirs = await _submit(sessionmaker, world, elsewhere.id)
    await _choose(sessionmaker, world.coordinator.id, EmailPreference.DAILY_DIGEST_ONLY)

    await sweep_due(sessionmaker, LIFECYCLES, ESCALATED)
    await send_digests(sessionmaker, LIFECYCLES, DIGEST_MORNING)
    await deliver(sessionmaker, smtp_settings, DIGEST_MORNING)

    assert (ours, theirs) == (1, 2)
    admin_digest = [
        m
        for m in smtp_server.messages
        if ORG_ADMIN_EMAIL in m.recipients and m.email["Subject"].startswith("relais :")
    ]
    [digest] = admin_digest
    text = _plain(digest.email)
    assert digest.email["Subject"] == "relais : 1 dossier en retard le mardi 10 mars 2026"
    assert "OR-2026-000001" in text
    assert "OR-2026-000002" not in text
    coordinator = _to(smtp_server, world.coordinator.email)
    assert coordinator == ["relais : 2 dossiers en retard le mardi 10 mars 2026"]
