"""The right of access (article 15): everything relais holds about one person, as one typed
document that the API answers as JSON and the page prints as HTML.

Each fact has one place here: the person's record, each referral, accompaniment and handover
of theirs with its whole history (read as the case pages read it: ``services.cases``), what
happened to the record itself (merges, rectifications, consent), and the organisations the
data was shared with. Codes come with their French labels, so that both readers agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.db import transaction
from core.enums import AccessChannel, Barrier, Public
from core.models import (
    Accompaniment,
    Event,
    Handover,
    Offer,
    Organisation,
    Person,
    PersonEvent,
    Referral,
)
from services.access_log import record_access
from services.cases import events_of
from services.person_export_schema import (
    ExportAccompaniment,
    ExportEvent,
    ExportHandover,
    ExportPartner,
    ExportPerson,
    ExportPersonEvent,
    ExportReferral,
    Labelled,
    PersonExport,
)
from services.person_rights import person_for_rights
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor
from states.handover import HANDOVER
from states.health import health_data_of
from states.lifecycle import Lifecycle
from states.referral import REFERRAL

RELAIS = "relais (automatique)"
"""Who a step was taken by when relais took it itself (a timer, a cascade)."""
PERSON_EVENT_LABELS = {
    "merge": "Fusion de deux fiches de la personne",
    "rectified": "Rectification de la fiche",
    "consent_withdrawn": "Retrait du consentement",
    "consent_renewed": "Nouvelle attestation du consentement",
}


def _labelled(member: StrEnum | None) -> Labelled | None:
    if member is None:
        return None
    return Labelled(code=member.value, label=getattr(member, "label", member.value))


def _labelled_codes(vocabulary: Any, codes: Iterable[str]) -> list[Labelled]:
    """Stored codes with their labels (a code the vocabulary no longer knows reads as is)."""
    items = []
    for code in codes:
        try:
            items.append(Labelled(code=code, label=vocabulary(code).label))
        except ValueError:
            items.append(Labelled(code=code, label=code))
    return items


class _Names:
    """The organisations' names and the offers' titles, read once."""

    def __init__(self, organisations: Mapping[int, str], offers: Mapping[int, str]) -> None:
        self.organisations = organisations
        self.offers = offers

    def of(self, organisation_id: int | None) -> str:
        return RELAIS if organisation_id is None else self.organisations[organisation_id]


def _events(lifecycle: Lifecycle, events: Sequence[Event], names: _Names) -> list[ExportEvent]:
    labels = lifecycle.state_labels
    return [
        ExportEvent(
            occurred_at=event.occurred_at,
            trigger=event.trigger,
            label=lifecycle.trigger_label(event.trigger),
            from_state=event.from_state,
            from_state_label=labels.get(event.from_state, event.from_state)
            if event.from_state
            else None,
            to_state=event.to_state,
            to_state_label=labels.get(event.to_state, event.to_state),
            organisation=names.of(event.organisation_id),
            payload=dict(event.payload or {}),
        )
        for event in events
    ]


def _case(lifecycle: Lifecycle, case: Any, events: Sequence[Event], names: _Names) -> Any:
    """The fields every exported case shares."""
    return {
        "reference": case.reference,
        "state": case.state,
        "state_label": lifecycle.state_labels.get(case.state, case.state),
        "territory": _labelled(case.territory),
        "events": _events(lifecycle, events, names),
    }


def _referral(referral: Referral, events: Sequence[Event], names: _Names) -> ExportReferral:
    return ExportReferral(
        **_case(REFERRAL, referral, events, names),
        offer=names.offers[referral.offer_id],
        sender_organisation=names.of(referral.sender_organisation_id),
        receiver_organisation=names.of(referral.receiver_organisation_id),
        created_at=referral.created_at,
        state_entered_at=referral.state_entered_at,
        consent_attested_at=referral.consent_attested_at,
        motive=referral.motive,
        barriers=_labelled_codes(Barrier, referral.barriers),
        first_appointment_at=referral.first_appointment_at,
        return_reason=_labelled(referral.return_reason),
        return_comment=referral.return_comment,
        outcome=_labelled(referral.outcome),
        cancel_reason=referral.cancel_reason,
    )


def _accompaniment(
    accompaniment: Accompaniment, events: Sequence[Event], names: _Names
) -> ExportAccompaniment:
    return ExportAccompaniment(
        **_case(ACCOMPANIMENT, accompaniment, events, names),
        organisation=names.of(accompaniment.organisation_id),
        source=_labelled(accompaniment.source),
        started_at=accompaniment.started_at,
        ended_at=accompaniment.ended_at,
        reason=accompaniment.reason,
        exit_outcome=_labelled(accompaniment.exit_outcome),
        exit_comment=accompaniment.exit_comment,
        turns_26_at=accompaniment.turns_26_at,
        partners=[
            ExportPartner(
                organisation=names.of(partner.organisation_id),
                added_at=partner.added_at,
                consent_attested_at=partner.consent_attested_at,
                removed_at=partner.removed_at,
            )
            for partner in accompaniment.partners
        ],
    )


def _handover(handover: Handover, events: Sequence[Event], names: _Names) -> ExportHandover:
    return ExportHandover(
        **_case(HANDOVER, handover, events, names),
        from_organisation=names.of(handover.from_organisation_id),
        to_organisation=names.of(handover.to_organisation_id),
        created_at=handover.created_at,
        consent_attested_at=handover.consent_attested_at,
        reason=handover.reason,
        first_meeting_at=handover.first_meeting_at,
        decline_reason=handover.decline_reason,
        withdraw_reason=handover.withdraw_reason,
    )


def person_record(person: Person) -> ExportPerson:
    """The person's record as the export and a rectification's answer show it."""
    return ExportPerson(
        id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        email=person.email,
        phone=person.phone,
        france_travail_id=person.france_travail_id,
        caf_number=person.caf_number,
        residence=_labelled(person.residence),
        lives_in_qpv=person.lives_in_qpv,
        publics=_labelled_codes(Public, person.publics),
        created_at=person.created_at,
        consent_withdrawn_at=person.consent_withdrawn_at,
        anonymised_at=person.anonymised_at,
    )


async def _rows(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.execute(statement)).scalars())


async def _names(session: AsyncSession, offer_ids: Iterable[int]) -> _Names:
    rows = await session.execute(select(Organisation.id, Organisation.name))
    organisations: dict[int, str] = {row.id: row.name for row in rows}
    rows = await session.execute(select(Offer.id, Offer.title).where(Offer.id.in_(offer_ids)))
    offers: dict[int, str] = {row.id: row.title for row in rows}
    return _Names(organisations, offers)


def _recipients(
    referrals: Sequence[Referral],
    accompaniments: Sequence[Accompaniment],
    handovers: Sequence[Handover],
    names: _Names,
) -> list[str]:
    """The organisations party to the person's cases: those the data was shared with."""
    ids: set[int] = set()
    for referral in referrals:
        ids |= {referral.sender_organisation_id, referral.receiver_organisation_id}
    for accompaniment in accompaniments:
        ids.add(accompaniment.organisation_id)
        ids |= {partner.organisation_id for partner in accompaniment.partners}
    for handover in handovers:
        ids |= {handover.from_organisation_id, handover.to_organisation_id}
    return sorted(names.of(organisation_id) for organisation_id in ids)


async def _log_export(
    session: AsyncSession, actor: Actor, person: Person, referrals: list[Referral], now: datetime
) -> None:
    """Log the export's read of the person (in the export's transaction), marked when it
    holds health data."""
    health = bool(health_data_of(publics=person.publics)) or any(
        health_data_of(barriers=referral.barriers) for referral in referrals
    )
    await record_access(
        session,
        actor,
        person_id=person.id,
        channel=AccessChannel.EXPORT,
        health_data=health,
        now=now,
    )


async def export_person(
    session: AsyncSession, actor: Actor, person_id: int, now: datetime
) -> PersonExport:
    """Everything relais holds about the person, for the DPO or a coordinator in scope
    (``services.person_rights``: 404 out of scope, 403 without the right).

    One transaction, which logs the read; cases oldest first, each with its whole history.
    """
    async with transaction(session):
        person = await person_for_rights(session, actor, person_id)
        referrals: list[Referral] = await _rows(
            session, select(Referral).where(Referral.person_id == person_id).order_by(Referral.id)
        )
        accompaniments: list[Accompaniment] = await _rows(
            session,
            select(Accompaniment)
            .where(Accompaniment.person_id == person_id)
            .order_by(Accompaniment.id)
            .options(selectinload(Accompaniment.partners)),
        )
        handovers: list[Handover] = await _rows(
            session, select(Handover).where(Handover.person_id == person_id).order_by(Handover.id)
        )
        person_events: list[PersonEvent] = await _rows(
            session,
            select(PersonEvent).where(PersonEvent.person_id == person_id).order_by(PersonEvent.id),
        )
        history = {
            lifecycle.name: await events_of(session, lifecycle, [case.id for case in cases])
            for lifecycle, cases in (
                (REFERRAL, referrals), (ACCOMPANIMENT, accompaniments), (HANDOVER, handovers)
            )
        }  # fmt: skip
        names = await _names(session, {referral.offer_id for referral in referrals})
        await _log_export(session, actor, person, referrals, now)
    return PersonExport(
        generated_at=now,
        person=person_record(person),
        referrals=[_referral(r, history["referral"].get(r.id, []), names) for r in referrals],
        accompaniments=[
            _accompaniment(a, history["accompaniment"].get(a.id, []), names) for a in accompaniments
        ],
        handovers=[_handover(h, history["handover"].get(h.id, []), names) for h in handovers],
        person_events=[
            ExportPersonEvent(
                occurred_at=event.occurred_at,
                kind=event.kind,
                label=PERSON_EVENT_LABELS.get(event.kind, event.kind),
                organisation=names.of(event.organisation_id),
                payload=dict(event.payload or {}),
            )
            for event in person_events
        ],
        recipients=_recipients(referrals, accompaniments, handovers, names),
    )
