"""Handover and accompaniment use cases: who accompanies a person, and passing them on."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.db import get_kept, transaction
from core.enums import AccompanimentSource
from core.errors import ConcurrentChange, Forbidden, InvalidInput, NotFound, UnknownReference
from core.models import Accompaniment, Handover, Organisation, Person, Referral
from services import cases
from services.access_log import Reading, record_access
from services.cases import Box, CasePage, CaseView
from services.person_profile import person_fields
from services.persons import known_persons_clause, resolve_person
from states.accompaniment import lock_person
from states.accompaniments import accompaniments_of, begin_accompaniment, current_accompaniment
from states.actor import Actor
from states.fields import TICKED, Id, LongText, Payload, never_null
from states.handover import HANDOVER
from states.policy import (
    may_exercise_rights,
    may_hand_over_from,
    may_propose_handover,
    may_start_accompaniment,
    may_work_cases,
    visible_clause,
)
from states.referral import REFERRAL
from states.referral_fields import CONSENT_DESCRIPTION, PersonFields

DETAILS: tuple[ORMOption, ...] = (
    selectinload(Handover.person),
    selectinload(Handover.from_organisation),
    selectinload(Handover.to_organisation),
    selectinload(Handover.created_by),
)
"""What a handover's views load with it (its creator: who proposed it, the page's contact)."""

CONSENT_REQUIRED = (
    "La personne doit avoir été informée et avoir donné son accord : cochez l'attestation."
)


class HandoverCreate(Payload):
    """A proposal by the current référent to hand the person over to another organisation."""

    person_id: Id = Field(title="Personne accompagnée")
    to_organisation_id: Id = Field(title="Structure qui prendra le relais")
    reason: LongText = Field(title="Motif")
    consent: bool = Field(
        description=CONSENT_DESCRIPTION, title="Accord de la personne", json_schema_extra=TICKED
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 42,
                    "to_organisation_id": 7,
                    "reason": "Déménagement : l'EPI du nouveau quartier prend le relais.",
                    "consent": True,
                }
            ]
        }
    )


class AccompanimentStart(Payload):
    """The coordination makes an organisation a person's référent: one it knows, or a new one.

    ``reason`` is required (a refusal names it); ``organisation_id`` defaults to the
    coordinator's own organisation.
    """

    person_id: Id | None = Field(default=None, title="Personne accompagnée")
    person: PersonFields | None = None
    organisation_id: Id | None = Field(default=None, title="Structure qui accompagnera")
    # Optional in the model so that its absence gets the use case's own message; the
    # schema says it is required.
    reason: LongText | None = Field(
        default=None,
        title="Motif de la prise en charge",
        json_schema_extra=never_null,
    )
    consent: bool = Field(title="Accord de la personne", json_schema_extra=TICKED)

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["reason", "consent"],
            # Exactly one of the two, not null, says who is accompanied.
            "oneOf": [
                {
                    "required": ["person_id"],
                    "properties": {"person_id": {"type": "integer"}, "person": {"type": "null"}},
                },
                {
                    "required": ["person"],
                    "properties": {"person": {"type": "object"}, "person_id": {"type": "null"}},
                },
            ],
            "examples": [
                {
                    "person_id": 42,
                    "organisation_id": 7,
                    "reason": "Aucune structure ne suit la personne depuis la fin de son contrat.",
                    "consent": True,
                }
            ],
        }
    )

    @model_validator(mode="after")
    def _one_person(self) -> AccompanimentStart:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give either person_id or person, not both")
        return self


async def may_see_person(session: AsyncSession, actor: Actor, person_id: int) -> bool:
    """Whether the actor's organisation has, or had, a case or an accompaniment with the person.

    An organisation that handed a person over keeps reading their history. Only the roles
    that work cases may: a secretary or an admin sees no person, whatever their organisation.
    One record serves every referrer of a person (``services.persons``): having sent a
    referral counts only once it began an accompaniment; until then its referrer learns
    only who the référent is, never the person's other cases.
    """
    if not may_work_cases(actor):
        return False
    began_accompaniment = exists().where(
        Accompaniment.source == AccompanimentSource.REFERRAL,
        Accompaniment.source_id == Referral.id,
    )
    related = or_(
        exists().where(
            Accompaniment.person_id == person_id,
            Accompaniment.organisation_id == actor.organisation_id,
        ),
        exists().where(
            Referral.person_id == person_id,
            visible_clause(actor, REFERRAL),
            or_(Referral.sender_organisation_id != actor.organisation_id, began_accompaniment),
        ),
        exists().where(Handover.person_id == person_id, visible_clause(actor, HANDOVER)),
    )
    return bool(await session.scalar(select(related)))


def _check_may_propose(actor: Actor) -> None:
    if not may_propose_handover(actor):
        raise Forbidden("Votre rôle ne permet pas de proposer un passage de relais.")


async def propose_handover(
    session: AsyncSession, actor: Actor, data: HandoverCreate, now: datetime
) -> CaseView:
    """The current référent proposes to hand the person over to ``to_organisation_id``."""
    _check_may_propose(actor)
    assert actor.organisation_id is not None
    if not await may_see_person(session, actor, data.person_id):
        raise NotFound(f"Personne {data.person_id} introuvable.")
    async with transaction(session, conflict=ConcurrentChange(cases.RECORDED_CONCURRENTLY)):
        # Under the person's lock, as an end of the accompaniment is: a proposal never
        # outlives the accompaniment it hands over.
        await lock_person(session, data.person_id)
        current = await current_accompaniment(session, data.person_id, lock=True)
        if current is None or not may_hand_over_from(actor, current.organisation_id):
            raise Forbidden(
                "Seule l'organisation qui accompagne actuellement la personne peut proposer un "
                "passage de relais."
            )
        if not data.consent:
            raise InvalidInput(CONSENT_REQUIRED, field="consent")
        handover = await _handover(session, actor, data, current, now)
        handover_id = await cases.insert_case(session, HANDOVER, handover, actor, now)
    return await get_handover(session, actor, handover_id)


async def _handover(
    session: AsyncSession,
    actor: Actor,
    data: HandoverCreate,
    current: Accompaniment,
    now: datetime,
) -> Handover:
    """The new handover of ``current`` to ``data.to_organisation_id``, checked, not yet saved."""
    successor = await session.get(Organisation, data.to_organisation_id)
    if successor is None:
        raise UnknownReference(
            f"L'organisation {data.to_organisation_id} n'existe pas.", field="to_organisation_id"
        )
    if successor.id == actor.organisation_id:
        raise InvalidInput(
            "Choisissez une autre organisation que la vôtre.", field="to_organisation_id"
        )
    handover = Handover(
        person_id=data.person_id,
        accompaniment_id=current.id,
        from_organisation_id=actor.organisation_id,
        to_organisation_id=successor.id,
        territory=successor.territory,
        created_by_id=actor.user_id,
        reason=data.reason,
        consent_attested_at=now,
    )
    return handover


async def get_handover(
    session: AsyncSession, actor: Actor, handover_id: int, *, read: Reading | None = None
) -> CaseView:
    """A handover with its events and the actor's allowed actions. ``read``: shown to the
    actor, which the access log records (``cases.get_case``)."""
    return await cases.get_case(session, HANDOVER, actor, handover_id, DETAILS, read=read)


async def list_handovers(
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
    """Handovers the actor's organisation proposed (``sent``) or was offered (``received``)."""
    return await cases.list_cases(
        session,
        HANDOVER,
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


REASON_REQUIRED = (
    "Indiquez le motif de cette prise en charge décidée par la coordination : "
    "il reste dans l'historique de l'accompagnement."
)


async def _organisation_to_accompany(
    session: AsyncSession, actor: Actor, data: AccompanimentStart
) -> Organisation:
    """The organisation that becomes référent: the one named, else the coordinator's."""
    if data.organisation_id is None:
        assert actor.organisation_id is not None
        return await get_kept(session, Organisation, actor.organisation_id)
    organisation = await session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise UnknownReference(
            f"L'organisation {data.organisation_id} n'existe pas.", field="organisation_id"
        )
    return organisation


async def start_accompaniment(
    session: AsyncSession, actor: Actor, data: AccompanimentStart, now: datetime
) -> Accompaniment:
    """A coordinator makes an organisation the person's référent, with a written reason.

    The other ways an accompaniment starts are the receiving partner starting a referral to
    an accompaniment offer, and a confirmed handover; nobody makes itself référent.
    """
    if not may_start_accompaniment(actor):
        raise Forbidden(
            "Un accompagnement commence quand la structure qui reçoit une orientation la "
            "démarre, par un passage de relais confirmé, ou sur décision motivée de la "
            "coordination."
        )
    if data.reason is None:
        raise InvalidInput(REASON_REQUIRED, field="reason")
    if not data.consent:
        raise InvalidInput(CONSENT_REQUIRED, field="consent")
    async with transaction(session):
        organisation = await _organisation_to_accompany(session, actor, data)
        if data.person_id is not None:
            if not await may_see_person(session, actor, data.person_id):
                raise NotFound(f"Personne {data.person_id} introuvable.")
            person_id = data.person_id
        else:
            assert data.person is not None
            person = await resolve_person(
                session, Person(**person_fields(data.person), created_at=now)
            )
            person_id = person.id
        accompaniment = await begin_accompaniment(
            session, person_id, organisation.id, AccompanimentSource.DIRECT, None, now,
            territory=organisation.territory, reason=data.reason, started_by=actor,
        )  # fmt: skip
    return accompaniment


async def accompanied_persons(session: AsyncSession, actor: Actor) -> list[Person]:
    """The persons the actor's organisation accompanies now (it is their référent), by name:
    those it may hand over. One query, whatever their number.

    Forbidden to a role that proposes no handover.
    """
    _check_may_propose(actor)
    rows = await session.execute(
        select(Person)
        .join(Accompaniment, Accompaniment.person_id == Person.id)
        .where(
            Accompaniment.organisation_id == actor.organisation_id,
            Accompaniment.ended_at.is_(None),
        )
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    return list(rows.scalars())


async def _may_read_person(session: AsyncSession, actor: Actor, person_id: int) -> bool:
    """``may_see_person``, or the person is one whose rights ``actor`` answers (the DPO
    knows every person, a coordinator those of their scope): the person's page is where
    those rights are exercised."""
    if await may_see_person(session, actor, person_id):
        return True
    if not may_exercise_rights(actor):
        return False
    known = exists().where(Person.id == person_id, known_persons_clause(actor))
    return bool(await session.scalar(select(known)))


async def get_person(
    session: AsyncSession, actor: Actor, person_id: int, *, read: Reading | None = None
) -> Person:
    """A person the actor's organisation knows (``may_see_person``), or whose rights the
    actor answers; NotFound otherwise. ``read``: shown to the actor, which the access log
    records."""
    person = await session.get(Person, person_id)
    if person is None or not await _may_read_person(session, actor, person_id):
        raise NotFound(f"Personne {person_id} introuvable.")
    if read is not None:
        await record_access(session, actor, person_id=person_id, channel=read.channel, now=read.now)
    return person


async def person_history(
    session: AsyncSession, actor: Actor, person_id: int
) -> list[Accompaniment]:
    """Every accompaniment of a person the actor's organisation knows, or whose rights the
    actor answers; NotFound otherwise."""
    if not await _may_read_person(session, actor, person_id):
        raise NotFound(f"Personne {person_id} introuvable.")
    return await accompaniments_of(session, person_id)
