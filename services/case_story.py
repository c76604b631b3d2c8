"""A case told in sentences: what the page says after an action, and its history.

The words are the lifecycles' catalogues (``states.sentences``); this module fills them with
the case's organisations, its actors and its next deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, get_args

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import LabelledEnum, Role, TimerKind, TimerStatus
from core.french_dates import FRENCH, PARIS, french_datetime
from core.models import Event, Organisation, Timer, User
from states.lifecycle import COORDINATORS, Lifecycle
from states.sentences import MEETING_SENTENCES, SENTENCES, Told
from states.texts import personal_fields

RELAIS = "relais"
"""Who acts when a timer fires."""
COORDINATION = "la coordination"

SHOWN_APART = frozenset({"eligibility_justification", "capacity_comment", "motive"})
"""Payload texts the history does not repeat as notes: shown in their own sentence, or the
case's own field (an amended motive), shown in its details."""


@dataclass(frozen=True)
class HistoryLine:
    """One line of a case's history: when, the sentence, the state it led to, its notes."""

    occurred_at: datetime
    sentence: str
    to_state: str | None
    notes: tuple[tuple[str, str], ...] = ()
    payload: Mapping[str, Any] | None = None


def told(lifecycle: Lifecycle, trigger: str) -> Told:
    """The sentences of ``trigger`` (KeyError for a trigger the catalogue lacks)."""
    return SENTENCES[lifecycle.name][trigger]


def french_day(moment: datetime, now: datetime) -> str:
    """« jeudi 4 décembre » in Paris time; the year is said when it is not ``now``'s."""
    day = moment.astimezone(PARIS).date()
    first = "d'er'" if day.day == 1 else "d"
    pattern = f"EEEE {first} MMMM" + ("" if day.year == now.astimezone(PARIS).year else " y")
    return format_date(day, pattern, locale=FRENCH)


def meeting_notice(done: str | None, starts_at: datetime) -> str | None:
    """What a meeting's page says after ``done`` (a key of ``MEETING_SENTENCES``), or None."""
    sentence = MEETING_SENTENCES.get(done or "")
    return None if sentence is None else sentence.format(day=french_datetime(starts_at))


async def side_names(session: AsyncSession, lifecycle: Lifecycle, case: Any) -> dict[str, str]:
    """Side -> what a person reads for it: its organisation's name, or the side's label."""
    ids = {side: getattr(case, column.key) for side, column in lifecycle.parties.items()}
    found = await session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_([value for value in ids.values() if value is not None])
        )
    )
    names = dict(found.tuples().all())
    return {
        **lifecycle.side_labels,
        **{side: names[value] for side, value in ids.items() if value in names},
        COORDINATORS: COORDINATION,
    }


async def done_notice(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, trigger: str, now: datetime
) -> str:
    """What the page says once ``trigger`` went through: what happened, what comes next, and
    the case's next deadline (the timers the transition wrote)."""
    names = await side_names(session, lifecycle, case)
    sentence = told(lifecycle, trigger)
    parts = [sentence.done.format_map(names)]
    waiting = lifecycle.waiting_on.get(case.state)
    if sentence.next is not None and case.state not in lifecycle.final_states:
        parts.append(sentence.next.format_map(names))
    elif waiting is not None:
        who = names.get(waiting.side, waiting.side)
        parts.append(f"Prochaine étape pour {who} : {waiting.action}.")
    due = await _next_timer(session, lifecycle, case.id, now)
    if due is not None:
        parts.append(_timer_sentence(lifecycle, due, names, now))
    return " ".join(parts)


async def _next_timer(
    session: AsyncSession, lifecycle: Lifecycle, case_id: int, now: datetime
) -> Timer | None:
    """The case's next pending timer that chases its state (not a milestone)."""
    found = await session.execute(
        select(Timer)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.case_id == case_id,
            Timer.closed_at.is_(None),
            Timer.status == TimerStatus.PENDING,
            Timer.message.is_(None),
            Timer.due_at > now,
        )
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
    )
    return found.scalar_one_or_none()


def _timer_sentence(
    lifecycle: Lifecycle, timer: Timer, names: Mapping[str, str], now: datetime
) -> str:
    day = french_day(timer.due_at, now)
    if timer.kind is TimerKind.REMINDER:
        return f"Sans nouvelle, relais relancera {names.get(timer.target, timer.target)} le {day}."
    if timer.kind is TimerKind.ESCALATION:
        return f"Sans nouvelle, relais alertera la coordination le {day}."
    when_due = told(lifecycle, timer.target).when_due or f"« {timer.target} » aura lieu"
    return f"Sans réponse, {when_due} le {day}."


async def history(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, events: Sequence[Event]
) -> list[HistoryLine]:
    """The case's history, oldest first: one sentence per event (who did what, with their
    comments as the reader may see them), and the reminders and escalations relais sent."""
    names = await side_names(session, lifecycle, case)
    actors = await _actors(session, events)
    organisations = await _organisations(session, events)
    lines = [
        HistoryLine(
            event.occurred_at,
            _capitalised(
                f"{_actor(event, actors, organisations, names, lifecycle)} "
                f"{told(lifecycle, event.trigger).did.format_map(names)}."
            ),
            event.to_state if event.to_state != event.from_state else None,
            _notes(lifecycle, event),
            event.payload,
        )
        for event in events
    ]
    fired = await session.execute(
        select(Timer.kind, Timer.target, Timer.fired_at)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.case_id == case.id,
            Timer.status == TimerStatus.FIRED,
            Timer.kind.in_((TimerKind.REMINDER, TimerKind.ESCALATION)),
        )
        .order_by(Timer.fired_at)
    )
    for kind, target, fired_at in fired.tuples():
        if fired_at is None:
            continue
        whom = COORDINATION if kind is TimerKind.ESCALATION else names.get(target, target)
        verb = "alerté" if kind is TimerKind.ESCALATION else "relancé"
        lines.append(HistoryLine(fired_at, f"relais a {verb} {whom}.", None))
    return sorted(lines, key=lambda line: line.occurred_at)


async def _actors(session: AsyncSession, events: Iterable[Event]) -> dict[int, tuple[str, Role]]:
    """User id -> (their name, their role) for the actors of ``events``."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    found = await session.execute(
        select(User.id, User.full_name, User.role).where(User.id.in_(ids))
    )
    return {user_id: (name or "", role) for user_id, name, role in found.tuples()}


async def _organisations(session: AsyncSession, events: Iterable[Event]) -> dict[int, str]:
    """Organisation id -> name, for the organisations of ``events``."""
    ids = {event.organisation_id for event in events if event.organisation_id is not None}
    if not ids:
        return {}
    found = await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(found.tuples().all())


def _actor(
    event: Event,
    actors: Mapping[int, tuple[str, Role]],
    organisations: Mapping[int, str],
    names: Mapping[str, str],
    lifecycle: Lifecycle,
) -> str:
    """Who did it: « Mission locale de Paris (Julie Martin) », « la coordination (…) »,
    « relais » for a timer."""
    if event.actor_id is None:
        return RELAIS
    person, role = actors.get(event.actor_id, ("", Role.MEMBER))
    organisation = organisations.get(event.organisation_id or 0)
    parties = {names.get(side) for side in lifecycle.parties}
    if role is Role.COORDINATOR and organisation not in parties:
        return f"{COORDINATION} ({person})" if person else COORDINATION
    if organisation is None:
        return person or RELAIS
    return f"{organisation} ({person})" if person else organisation


def _capitalised(sentence: str) -> str:
    if sentence.startswith(RELAIS):
        return sentence
    return sentence[:1].upper() + sentence[1:]


def _notes(lifecycle: Lifecycle, event: Event) -> tuple[tuple[str, str], ...]:
    """The reasons and comments of ``event``, titled as its form titles them."""
    if event.trigger not in lifecycle.triggers:
        return ()
    payload_model = lifecycle.transition(event.trigger).payload
    texts = personal_fields(payload_model)
    notes: list[tuple[str, str]] = []
    for name, info in payload_model.model_fields.items():
        value = event.payload.get(name)
        if value is None or name in SHOWN_APART:
            continue
        title = info.title or name
        if name in texts and isinstance(value, str):
            notes.append((title, value))
            continue
        labelled = _labelled_enum(info.annotation)
        if labelled is not None and isinstance(value, str):
            notes.append((title, labelled(value).label))
    return tuple(notes)


def _labelled_enum(annotation: Any) -> type[LabelledEnum] | None:
    """The ``LabelledEnum`` an annotation is (or holds, in an optional)."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation if issubclass(annotation, LabelledEnum) else None
    for argument in get_args(annotation):
        found = _labelled_enum(argument)
        if found is not None:
            return found
    return None
