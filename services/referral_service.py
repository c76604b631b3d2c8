"""Referral use cases: create, read, list and act, for the API, the command line and flows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.db import transaction
from core.enums import Barrier, Territory
from core.errors import ConcurrentChange, Forbidden, InvalidInput, NotFound, UnknownReference
from core.models import Offer, Person, Referral
from services import cases
from services.access_log import Reading
from services.cases import RECORDED_CONCURRENTLY, Box, CasePage, CaseView
from services.consent_withdrawal import check_consent
from services.person_profile import person_fields
from services.persons import resolve_person
from services.referral_duplicates import refuse_duplicate
from states import engine
from states.actor import Actor
from states.eligibility import JUSTIFICATION_TITLE
from states.fields import Comment, LongText, OfferId, Payload
from states.follow_up import remember_quiet
from states.health import health_data_of, require_health_attestation
from states.policy import allowed_triggers, case_sides, may_create_case
from states.reachability import check_reachable
from states.referral import REFERRAL, REFERRER
from states.referral_fields import CONSENT_DESCRIPTION, CloseFields, ReferralCreate, SubmitFields

OLDEST_BIRTH_DATE = date(1900, 1, 1)


DETAILS: tuple[ORMOption, ...] = (
    selectinload(Referral.offer),
    selectinload(Referral.person),
    selectinload(Referral.sender_organisation),
    selectinload(Referral.receiver_organisation),
    selectinload(Referral.created_by),
)
"""What a referral's views load with it (its relationships are ``lazy="raise"``); its
creator is the referrer's named counsellor the case page shows."""


class RedirectFields(Payload):
    """A returned or expired request sent on to another offer, for the same person."""

    offer_id: OfferId = Field(title="Nouvelle offre")
    motive: LongText | None = Field(default=None, title="Motif de l'orientation")
    consent: bool = Field(description=CONSENT_DESCRIPTION, title="Accord de la personne")
    eligibility_justification: Comment | None = Field(default=None, title=JUSTIFICATION_TITLE)


CONSENT_REQUIRED = (
    "L'orientation exige l'attestation que la personne a été informée et a donné "
    "son accord au partage de ses informations."
)


async def _open_offer(session: AsyncSession, offer_id: int) -> Offer:
    offer = await session.get(Offer, offer_id)
    if offer is None or not offer.is_active:
        raise UnknownReference(
            f"L'offre {offer_id} n'existe pas ou n'est plus ouverte.", field="offer_id"
        )
    return offer


async def create_referral(
    session: AsyncSession, actor: Actor, data: ReferralCreate, now: datetime
) -> CaseView:
    """Create a referral for the actor's organisation and, unless told not to, submit it.

    Creation and submission are one transaction: either both happened or nothing did. A
    referral submitted to an offer nobody can receive is refused (``OfferUnreachable``);
    a draft for it is saved. Submitted for a person who already has an open referral to the
    offer, it needs ``confirm_duplicate`` (``DuplicateReferral``, 409). Submitted for a
    person matching none of the offer's publics, it needs ``eligibility_justification``
    (``states.eligibility``). An old client's ``situation`` is added to the person's publics.
    """
    if not may_create_case(actor) or actor.organisation_id is None:
        raise Forbidden("Votre rôle ne permet pas d'orienter une personne.")
    if not data.consent:
        raise InvalidInput(CONSENT_REQUIRED, field="consent")
    health = health_data_of(data.barriers, data.person.publics, data.situation)
    require_health_attestation(health, data.health_data_attested)
    birth_date = data.person.birth_date
    if birth_date is not None and not OLDEST_BIRTH_DATE <= birth_date <= now.date():
        raise InvalidInput("La date de naissance n'est pas plausible.", field="person.birth_date")
    person = Person(**person_fields(data.person, data.situation), created_at=now)
    offer = await _open_offer(session, data.offer_id)
    if data.submit:
        # Refused before anything is written; a draft sends nothing and may be saved.
        await check_reachable(session, offer.id)
        if not data.confirm_duplicate:
            await refuse_duplicate(session, actor, person, offer.id)
    referral_id = await open_referral(
        session,
        actor,
        offer,
        person,
        data.motive,
        now,
        barriers=data.barriers,
        health_data_attested_at=now if health else None,
        submit=data.submit,
        justification=data.eligibility_justification,
        consent_renewed=data.person.consent_renewed,
    )
    return await get_referral(session, actor, referral_id)


class OfferRef(Protocol):
    """What a new referral takes from its offer."""

    @property
    def id(self) -> int:
        """The offer."""
        ...

    @property
    def organisation_id(self) -> int:
        """The organisation that owns it: the receiving side."""
        ...

    @property
    def territory(self) -> Territory:
        """Where it is offered: the referral's territory."""
        ...


async def open_referral(
    session: AsyncSession,
    actor: Actor,
    offer: OfferRef,
    person: Person,
    motive: str,
    now: datetime,
    *,
    barriers: Iterable[Barrier] = (),
    health_data_attested_at: datetime | None = None,
    submit: bool = True,
    justification: str | None = None,
    consent_renewed: bool = False,
) -> int:
    """Insert the referral to ``offer`` (and the person, unless relais already holds their
    record), submitted unless told otherwise; refused for a person who withdrew consent
    unless ``consent_renewed`` (``services.consent_withdrawal.check_consent``).

    One transaction, committed here; no check (the caller made them) but the submission's
    own (reachability, eligibility: ``justification``); returns the referral's id. The
    simulation and the benchmarks create referrals this way too.
    """
    async with transaction(session, conflict=ConcurrentChange(RECORDED_CONCURRENTLY)):
        referral_id = await _insert_referral(
            session, actor, offer, person, motive, now,
            barriers=barriers, health_data_attested_at=health_data_attested_at,
            submit=submit, justification=justification, consent_renewed=consent_renewed,
        )  # fmt: skip
    return referral_id


async def _insert_referral(
    session: AsyncSession,
    actor: Actor,
    offer: OfferRef,
    person: Person,
    motive: str,
    now: datetime,
    *,
    barriers: Iterable[Barrier],
    health_data_attested_at: datetime | None = None,
    submit: bool,
    justification: str | None = None,
    consent_renewed: bool = False,
) -> int:
    """``open_referral``'s writes, in the caller's unit of work (no commit).

    A new ``person`` is first looked for (``services.persons.resolve_person``): the referral
    goes to the record relais already holds for them, when there is one. A person who
    withdrew consent needs ``consent_renewed`` (``check_consent``).
    """
    assert actor.organisation_id is not None and actor.user_id is not None
    recorded_now = False
    if person.id is None:
        resolved = await resolve_person(session, person)
        recorded_now = resolved is person
        person = resolved
    if recorded_now:
        # A record this transaction wrote: nobody withdrew its consent, and it has no
        # accompaniment whose follow-up the referral would restart. Neither is read.
        if REFERRAL.follow_up is not None:
            remember_quiet(session, REFERRAL.follow_up, person.id, now)
    else:
        await check_consent(session, person, actor, now, renewed=consent_renewed)
    referral = Referral(
        offer_id=offer.id,
        sender_organisation_id=actor.organisation_id,
        receiver_organisation_id=offer.organisation_id,
        territory=offer.territory,
        created_by_id=actor.user_id,
        person_id=person.id,
        motive=motive,
        barriers=sorted(set(barriers)),
        consent_attested_at=now,
        health_data_attested_at=health_data_attested_at,
    )
    return await cases.insert_case(
        session, REFERRAL, referral, actor, now,
        then="submit" if submit else None,
        payload=SubmitFields(eligibility_justification=justification),
    )  # fmt: skip


async def redirect_referral(
    session: AsyncSession, actor: Actor, referral_id: int, data: RedirectFields, now: datetime
) -> CaseView:
    """The referrer sends a returned or expired request to another offer.

    One unit of work, two steps: the request is closed (saying where it went), and a new
    one, for the same person, with the same freins, is sent to the chosen offer (with a
    justification if the person matches none of its publics). Both are saved or neither is.
    """
    async with transaction(session, conflict=ConcurrentChange(RECORDED_CONCURRENTLY)):
        old = await engine.load_case(session, REFERRAL, referral_id, lock=True)
        sides = await case_sides(session, actor, REFERRAL, old)
        if not sides:
            raise NotFound(f"Orientation {referral_id} introuvable.")
        if REFERRER not in sides:
            raise Forbidden("Seule la structure qui a orienté la personne peut la réorienter.")
        if not data.consent:
            raise InvalidInput(CONSENT_REQUIRED, field="consent")
        offer = await _open_offer(session, data.offer_id)
        if offer.id == old.offer_id:
            raise InvalidInput("Choisissez une autre offre que l'offre actuelle.", field="offer_id")
        await check_reachable(
            session, offer.id,
            allowed_actions=allowed_triggers(REFERRAL, sides, old.state),
        )  # fmt: skip
        # 1. Close the request, saying where it went.
        await engine.apply_transition(
            session, REFERRAL, old, "close", actor,
            CloseFields(comment=f"Réorientée vers « {offer.title} »."), now,
        )  # fmt: skip
        # 2. Send a new one, for the same person, to the chosen offer.
        person = await session.get_one(Person, old.person_id)
        successor_id = await _insert_referral(
            session, actor, offer, person, data.motive or old.motive, now,
            barriers=old.barriers, health_data_attested_at=old.health_data_attested_at,
            submit=True,
            justification=data.eligibility_justification,
        )  # fmt: skip
    return await get_referral(session, actor, successor_id)


async def get_referral(
    session: AsyncSession, actor: Actor, referral_id: int, *, read: Reading | None = None
) -> CaseView:
    """The referral with its events and the actor's allowed actions; NotFound if not theirs.
    ``read``: shown to the actor, which the access log records (``cases.get_case``)."""
    return await cases.get_case(session, REFERRAL, actor, referral_id, DETAILS, read=read)


async def list_referrals(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    box: Box | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
    read: Reading | None = None,
) -> CasePage:
    """Referrals the actor may see, newest first, filtered and paginated by id cursor."""
    return await cases.list_cases(
        session,
        REFERRAL,
        actor,
        now,
        box=box,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        read=read,
        options=DETAILS,
    )


async def fire_referral(
    session: AsyncSession,
    actor: Actor,
    referral_id: int,
    trigger: str,
    fields: BaseModel | None,
    now: datetime,
) -> CaseView:
    """Fire a human trigger on a referral and return it as the actor now sees it."""
    return await cases.fire_case(
        session, REFERRAL, actor, referral_id, trigger, fields, now, DETAILS
    )
