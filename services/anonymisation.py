"""Anonymising a person: what identifies them, and every text typed about them, is erased.

Codes, dates, organisations, offers, territories, residence and durations stay, for the
statistics; the events stay as they were (their texts are references to ``case_texts``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import AnonymisationReason, OutboxStatus
from core.models import (
    Accompaniment,
    CaseText,
    Handover,
    OutboxMessage,
    Person,
    PersonEvent,
    Referral,
)
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES

ANONYMISED = "anonymised"
"""The kind of the person event an anonymisation records."""
ANONYMOUS_LAST_NAME = "Personne anonymisée"
ERASED_MOTIVE = ""
"""What replaces a NOT NULL text (a referral's motive, a handover's reason)."""

PERSON_LIFECYCLES: tuple[Lifecycle, ...] = tuple(
    lifecycle for lifecycle in LIFECYCLES.values() if lifecycle.person is not None
)
"""The lifecycles whose cases are about one person (referrals, handovers, accompaniments)."""


def person_cases_clause(model: Any, person_id: Any) -> ColumnElement[bool]:
    """``model`` rows (events, texts, outbox: ``case_kind``/``case_id``) of the person's cases."""
    clauses = []
    for lifecycle in PERSON_LIFECYCLES:
        assert lifecycle.person is not None
        cases = select(lifecycle.model.id).where(lifecycle.person == person_id)
        clauses.append(and_(model.case_kind == lifecycle.name, model.case_id.in_(cases)))
    return or_(false(), *clauses)


async def open_case_references(session: AsyncSession, person_id: int) -> list[str]:
    """The references of the person's cases not yet in a final state."""
    references: list[str] = []
    for lifecycle in PERSON_LIFECYCLES:
        assert lifecycle.person is not None
        model = lifecycle.model
        found = await session.scalars(
            select(model.reference)
            .where(lifecycle.person == person_id, model.state.not_in(lifecycle.final_states))
            .order_by(model.id)
        )
        references.extend(found)
    return references


async def _erase_case_texts(session: AsyncSession, person_id: int, now: datetime) -> None:
    """The free texts of the person's cases: their columns, the text store, sent emails."""
    await session.execute(
        update(Referral)
        .where(Referral.person_id == person_id)
        .values(motive=ERASED_MOTIVE, return_comment=None, cancel_reason=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Accompaniment)
        .where(Accompaniment.person_id == person_id)
        # ``turns_26_at`` is the birth date in disguise; no longer needed once all is final.
        .values(reason=None, exit_comment=None, turns_26_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Handover)
        .where(Handover.person_id == person_id)
        .values(reason=ERASED_MOTIVE, decline_reason=None, withdraw_reason=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CaseText)
        .where(person_cases_clause(CaseText, person_id), CaseText.erased_at.is_(None))
        .values(body=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    # Emails already sent are of no further use; those still to send carry only references,
    # organisations and codes (``Lifecycle.describe``), never a text about the person.
    await session.execute(
        delete(OutboxMessage)
        .where(
            person_cases_clause(OutboxMessage, person_id),
            OutboxMessage.status == OutboxStatus.SENT,
        )
        .execution_options(synchronize_session=False)
    )


async def anonymise_person(
    session: AsyncSession,
    person_id: int,
    now: datetime,
    *,
    reason: AnonymisationReason,
    actor: Actor | None = None,
) -> bool:
    """Anonymise the person in the caller's transaction (no commit); False if already done.

    Locks the person's row; erases names, birth date, identifiers, contact details, the name
    key (set to a value that matches nobody) and every free text of their cases; sets
    ``anonymised_at`` and records an ``anonymised`` person event with ``reason`` (and the
    actor who asked, for an erasure), which holds no personal data.
    """
    person = (
        await session.execute(
            select(Person)
            .where(Person.id == person_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if person is None or person.anonymised_at is not None:
        return False
    person.first_name = ""
    person.last_name = ANONYMOUS_LAST_NAME
    person.birth_date = None
    person.email = None
    person.phone = None
    person.france_travail_id = None
    person.caf_number = None
    # Real keys are « last|first »: without the separator this one matches no one.
    person.name_key = f"#{person.id}"
    person.anonymised_at = now
    await _erase_case_texts(session, person_id, now)
    session.add(
        PersonEvent(
            person_id=person_id,
            kind=ANONYMISED,
            actor_id=actor.user_id if actor is not None else None,
            organisation_id=actor.organisation_id if actor is not None else None,
            payload={"reason": reason.value},
            occurred_at=now,
        )
    )
    await session.flush()
    return True
