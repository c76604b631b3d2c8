"""Partners reachable only by their offers' contact address: the person reading that address
joins relais through the invitation a referral's email carried, then answers as a member.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import end_reads
from core.enums import MessageKey
from core.models import OutboxMessage
from core.settings import Settings
from relais.demo import DEMO_PASSWORD
from relais.simulation.world import Partner, simulated_manager
from services.inputs import InvitationAcceptance
from services.invitations import accept_invitation
from states.actor import Actor
from states.referral import REFERRAL

if TYPE_CHECKING:
    from relais.simulation.traffic import Traffic


class MissingInvitation(Exception):
    """A referral's email to a contact address with no account carried no invitation."""


class Invitations:
    """How a partner without an account gets its member."""

    def __init__(self, traffic: Traffic, settings: Settings) -> None:
        self.traffic = traffic
        self.settings = settings
        self.joined = 0

    async def member_of(
        self, session: AsyncSession, partner: Partner, case_id: int, now: datetime
    ) -> Actor:
        """The member acting for ``partner``; one reachable only by its contact address first
        follows the invitation that the email about ``case_id`` carried (as in the email: the
        token is in its link), and becomes that member."""
        members = self.traffic.world.members
        if partner.organisation_id in members:
            return members[partner.organisation_id]
        token = await self._token(session, partner, case_id)
        await end_reads(session)
        accepted = await accept_invitation(
            session,
            simulated_manager(session, self.settings),
            token,
            InvitationAcceptance(full_name=f"Accueil {partner.name}", password=DEMO_PASSWORD),
            now,
        )
        self.joined += 1
        members[partner.organisation_id] = Actor.of(accepted.user)
        return members[partner.organisation_id]

    async def _token(self, session: AsyncSession, partner: Partner, case_id: int) -> str:
        """The token of the invitation in the latest email about the referral to the partner's
        contact address."""
        contexts = await session.scalars(
            select(OutboxMessage.context)
            .where(
                OutboxMessage.case_kind == REFERRAL.name,
                OutboxMessage.case_id == case_id,
                OutboxMessage.message == MessageKey.REFERRAL_SUBMITTED,
                OutboxMessage.recipient_email == partner.contact_email,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        context = contexts.one_or_none() or {}
        path = context.get("invitation_path")
        if not isinstance(path, str):
            raise MissingInvitation(
                f"{partner.name} : l'email de l'orientation {case_id} ne porte pas d'invitation"
            )
        return path.rsplit("/", 1)[-1]
