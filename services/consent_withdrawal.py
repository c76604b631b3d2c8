"""The person withdraws their consent to the sharing; a referrer attests it anew.

Withdrawing closes every open case of the person in the same transaction, each through its
lifecycle's engine as relais itself (``Actor.system()``: the cases' own notifications go
out as usual): a referral under way is cancelled (or, where its lifecycle has no
cancellation, closed or ended with the code ``consent_withdrawn``), a handover under way
withdrawn, the current accompaniment ended with that exit reason. The person's record keeps
when it happened; no new referral is accepted for them until a referrer attests that the
person agreed again (``check_consent``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import Outcome
from core.errors import Conflict, ConsentWithdrawn
from core.models import Accompaniment, Handover, Person, PersonEvent, Referral
from services.person_rights import person_for_rights
from states import engine
from states.accompaniment import ACCOMPANIMENT, EndAccompanimentFields
from states.actor import Actor
from states.fields import Payload
from states.handover import HANDOVER, WithdrawHandoverFields
from states.lifecycle import Lifecycle
from states.referral import REFERRAL
from states.referral_fields import CancelFields, CloseFields, CompleteFields

CONSENT_WITHDRAWN = "consent_withdrawn"
CONSENT_RENEWED = "consent_renewed"
"""The kinds of the person events a withdrawal and a renewed attestation record."""
REASON = "Retrait du consentement de la personne"
"""The reason every case closed by a withdrawal gives (no free text about the person)."""
REFUSED = (
    "La personne a retiré son consentement au partage de ses informations. Pour l'orienter "
    "de nouveau, attestez qu'elle a été informée et a donné son accord à nouveau (case « "
    "La personne a de nouveau donné son accord »)."
)


class ConsentWithdrawal(Payload):
    """The person withdraws their consent. No free text: the person events are append-only,
    and a comment about the person there could never be erased."""


def _ended(outcome_model: type[BaseModel]) -> Callable[[], BaseModel]:
    # The code is not offered to people (``core.enums.SYSTEM_OUTCOMES``): relais sets it
    # here, past the field's choice check, and only here.
    return lambda: outcome_model.model_construct(outcome=Outcome.CONSENT_WITHDRAWN, comment=REASON)


CLOSINGS: tuple[tuple[Lifecycle, Any, dict[str, tuple[str, Callable[[], BaseModel]]]], ...] = (
    # Referrals first, as a referral's start locks the referral then the accompaniments;
    # then handovers, since an accompaniment with one under way cannot end.
    (REFERRAL, Referral, {
        **{state: ("cancel", lambda: CancelFields(reason=REASON))
           for state in ("draft", "submitted", "returned", "accepted")},
        "expired": ("close", lambda: CloseFields(comment=REASON)),
        "in_progress": ("complete", _ended(CompleteFields)),
    }),
    (HANDOVER, Handover, {
        state: ("withdraw", lambda: WithdrawHandoverFields(reason=REASON))
        for state in ("proposed", "accepted")
    }),
    (ACCOMPANIMENT, Accompaniment, {"active": ("end", _ended(EndAccompanimentFields))}),
)  # fmt: skip
"""For each lifecycle, each open state: the trigger that closes it, and its fields."""


@dataclass(frozen=True)
class WithdrawalDone:
    """What a withdrawal did: when, and the references of the cases it closed."""

    person_id: int
    consent_withdrawn_at: datetime
    closed: list[str]


async def _close_open_cases(session: AsyncSession, person_id: int, now: datetime) -> list[str]:
    """Close every open case of the person, as relais, in the caller's transaction."""
    closed = []
    for lifecycle, model, closings in CLOSINGS:
        ids = (
            await session.scalars(
                select(model.id)
                .where(model.person_id == person_id, model.state.in_(closings))
                .order_by(model.id)
            )
        ).all()
        for case_id in ids:
            case = await engine.load_case(session, lifecycle, case_id, lock=True)
            trigger, fields = closings[case.state]
            await engine.apply_transition(
                session, lifecycle, case, trigger, Actor.system(), fields(), now
            )
            closed.append(case.reference)
    return closed


async def withdraw_consent(
    session: AsyncSession, actor: Actor, person_id: int, now: datetime
) -> WithdrawalDone:
    """Record that the person withdrew consent and close their open cases, in one
    transaction. 404 out of the actor's scope, 403 without the right, 409 when already
    withdrawn."""
    async with transaction(session):
        person = await person_for_rights(session, actor, person_id, lock=True)
        if person.consent_withdrawn_at is not None:
            raise Conflict(
                "Le retrait du consentement de cette personne est déjà enregistré : aucune "
                "nouvelle orientation sans nouvelle attestation."
            )
        person.consent_withdrawn_at = now
        closed = await _close_open_cases(session, person_id, now)
        payload: dict[str, Any] = {"closed": closed}
        _record(session, person, CONSENT_WITHDRAWN, actor, payload, now)
    return WithdrawalDone(person_id, now, closed)


def _record(
    session: AsyncSession,
    person: Person,
    kind: str,
    actor: Actor,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        PersonEvent(
            person_id=person.id,
            kind=kind,
            actor_id=actor.user_id,
            organisation_id=actor.organisation_id,
            payload=payload,
            occurred_at=now,
        )
    )


async def check_consent(
    session: AsyncSession, person: Person, actor: Actor, now: datetime, *, renewed: bool
) -> None:
    """Before a new referral of ``person`` (in its transaction): refused (422,
    ``consent_withdrawn``) when the person withdrew consent, unless the referrer attests it
    was given again, which clears the withdrawal and records ``consent_renewed``.

    The refusal says only that: nothing else of the person's record."""
    # Read under the person's lock, as a withdrawal takes it: no referral is created for a
    # person whose withdrawal commits meanwhile.
    withdrawn = await session.scalar(
        select(Person.consent_withdrawn_at).where(Person.id == person.id).with_for_update()
    )
    if withdrawn is None:
        return
    if not renewed:
        raise ConsentWithdrawn(REFUSED, field="person.consent_renewed")
    person.consent_withdrawn_at = None
    _record(session, person, CONSENT_RENEWED, actor, {}, now)
