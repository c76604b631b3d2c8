"""Invitations written by the engine (issue 13, point 2): a referral's email to an offer's
contact address that has no account carries a link to join, bound to the address and to the
receiving organisation, good for ten days; every other recipient gets the plain message."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Invitation, Offer, OutboxMessage
from notifications.render import render
from services.referral_service import create_referral, fire_referral
from states.actor import Actor
from states.referral import REFERRAL
from states.referral_fields import CancelFields, ReassignFields
from states.registry import LIFECYCLES
from tests.factories import (
    CONTACT_EMAIL,
    World,
    actor_of,
    make_contact_only_offer,
    make_user,
    referral_create,
)


async def _messages_to(session: AsyncSession, email: str) -> list[tuple[str, dict[str, Any]]]:
    """The (message, context) of the outbox rows for ``email``, oldest first."""
    rows = await session.execute(
        select(OutboxMessage.message, OutboxMessage.context)
        .where(OutboxMessage.recipient_email == email)
        .order_by(OutboxMessage.id)
    )
    found = [(message, context) for message, context in rows.tuples()]
    await session.rollback()
    return found


async def _invitations(session: AsyncSession) -> list[Invitation]:
    found = list((await session.execute(select(Invitation).order_by(Invitation.id))).scalars())
    session.expunge_all()  # read as they are now, not reloaded after the rollback
    await session.rollback()
    return found


async def _send_to(session: AsyncSession, world: World, offer: Offer, now: Any) -> int:
    view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    return int(view.case.id)


async def test_a_referral_to_a_contact_address_with_no_account_carries_an_invitation(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    offer = await make_contact_only_offer(session, clock.now())
    organisation_id = offer.organisation_id
    referral_id = await _send_to(session, world, offer, clock.now())

    [(message, context)] = await _messages_to(session, CONTACT_EMAIL)
    assert message == "referral.submitted"
    path = context["invitation_path"]
    token = path.removeprefix("/invitations/")
    assert path.startswith("/invitations/") and len(token) >= 43  # 256 random bits
    [invitation] = await _invitations(session)
    assert invitation.email == CONTACT_EMAIL
    assert invitation.organisation_id == organisation_id
    assert (invitation.case_kind, invitation.case_id) == ("referral", referral_id)
    assert invitation.expires_at == clock.now() + timedelta(days=10)
    assert context["invitation_expires_at"] == invitation.expires_at.isoformat()
    assert invitation.used_at is None and invitation.user_id is None
    # Only the token's SHA-256 is kept.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(vars(invitation))
    email = render(message, context, "https://relais.paris.test")
    assert f"https://relais.paris.test{path}" in email.text
    assert f'href="https://relais.paris.test{path}"' in email.html
    assert "valable 10 jours" in email.text


async def test_only_the_address_with_no_account_is_invited(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    # The offer of an organisation with members, and no contact address: its members get
    # the plain message.
    await _send_to(session, world, world.offer, clock.now())
    [(_, context)] = await _messages_to(session, world.receiver_member.email)
    assert "invitation_path" not in context
    assert await _invitations(session) == []


@pytest.mark.parametrize("is_active", [True, False], ids=["active", "deactivated"])
async def test_a_contact_address_that_has_an_account_gets_no_invitation(
    session: AsyncSession, world: World, clock: FixedClock, is_active: bool
) -> None:
    offer = await make_contact_only_offer(session, clock.now())
    # Someone already uses the address (written otherwise: addresses match in any case).
    await make_user(
        session, world.outsider, clock.now(), email=CONTACT_EMAIL.upper(), is_active=is_active
    )
    await _send_to(session, world, offer, clock.now())

    [(message, context)] = await _messages_to(session, CONTACT_EMAIL)
    assert message == "referral.submitted"
    assert "invitation_path" not in context
    assert await _invitations(session) == []


async def test_only_the_submitted_message_invites(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    offer = await make_contact_only_offer(session, clock.now())
    referral_id = await _send_to(session, world, offer, clock.now())
    cancel = CancelFields(reason="La personne a trouvé un emploi.")
    await fire_referral(
        session, actor_of(world.referrer), referral_id, "cancel", cancel, clock.now()
    )

    messages = await _messages_to(session, CONTACT_EMAIL)
    assert [message for message, _ in messages] == ["referral.submitted", "referral.cancelled"]
    assert "invitation_path" not in messages[1][1]
    assert len(await _invitations(session)) == 1


async def test_a_referral_reassigned_to_such_an_offer_invites_into_its_organisation(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    offer = await make_contact_only_offer(session, clock.now())
    offer_id, organisation_id, receiver_id = offer.id, offer.organisation_id, world.receiver.id
    referral_id = await _send_to(session, world, world.offer, clock.now())
    coordinator = Actor(user_id=None, organisation_id=None, role=Role.COORDINATOR)
    clock.advance(timedelta(days=1))
    await fire_referral(
        session, coordinator, referral_id, "reassign", ReassignFields(offer_id=offer_id),
        clock.now(),
    )  # fmt: skip

    [(_, context)] = await _messages_to(session, CONTACT_EMAIL)
    [invitation] = await _invitations(session)
    assert "invitation_path" in context
    assert invitation.organisation_id == organisation_id != receiver_id
    assert invitation.expires_at == clock.now() + timedelta(days=10)


def test_invitations_go_to_a_party_side_with_the_submitted_message_only() -> None:
    for lifecycle in LIFECYCLES.values():
        notices = [*lifecycle.creation.notices]
        notices += [notice for spec in lifecycle.transitions for notice in spec.notices]
        for notice in notices:
            if notice.invite:
                assert notice.to in lifecycle.parties, (lifecycle.name, notice)
    inviting = {
        spec.trigger for spec in REFERRAL.transitions if any(n.invite for n in spec.notices)
    }
    assert inviting == {"submit", "resubmit", "reassign"}
