"""How a lifecycle is declared: states, transitions, sides, payloads and timers.

A lifecycle is data. The engine (``states.engine``) runs any declaration; adding a
lifecycle means writing one declaration module, not changing the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from transitions import Machine

from core.business_days import add_business_days, months_before
from core.enums import LabelledEnum, MessageKey, Role, TimerKind
from states.actor import Actor
from states.milestones import Milestone

SYSTEM = "system"
"""The side of the timers: a transition with this side is fired by relais itself."""

COORDINATORS = "coordinators"
"""Audience of escalations: the coordinators whose scope covers the case."""

Effect = Callable[[AsyncSession, Any, BaseModel, datetime], Awaitable[None]]
"""What a transition writes besides the state (reason, outcome, new offer, accompaniments...).

Effects run inside the transition's transaction; they raise a domain error to refuse.
"""

ActorEffect = Callable[[AsyncSession, Any, BaseModel, Actor, datetime], Awaitable[None]]
"""An effect that needs to know who acts (who added a co-accompanying organisation)."""

Unless = Callable[[AsyncSession, Any], Awaitable[str | None]]
"""Asked by the sweep when a milestone timer falls due: why it has nothing to say after all
(a handover is under way), or None."""

ReadAhead = Callable[[AsyncSession, Any], Awaitable[None]]
"""What a transition's effect reads that the case's own row does not hold (its offer, its
parties, whether anybody receives it), read before a new case sent at once is numbered
(``states.engine.create_and_fire``)."""

Guard = Callable[[Any, datetime], str | None]
"""A condition on the case and the time; returns why the trigger cannot fire yet, or None."""

Recipient = tuple[str, int | None]
"""An email address and, when it belongs to a user, that user's id."""


class EmptyPayload(BaseModel):
    """A trigger that takes no field."""

    model_config = {"extra": "forbid"}


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A message a transition sends to one audience: a side of the case, or the coordinators."""

    message: MessageKey
    to: str
    invite: bool = False
    """A recipient of this message who has no account gets an invitation to join the case's
    side: a link to become a member of its organisation (``states.invitations``)."""


@dataclass(frozen=True, kw_only=True)
class TransitionSpec:
    """One trigger: from which states, to which, fired by which sides, with which fields.

    ``label`` is the button a person clicks and the line of the case's history; ``copies``
    names the payload fields copied onto the case as they are (payload field -> case
    attribute), before ``effect`` runs; ``notices`` are the messages the transition sends.
    """

    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str
    sides: frozenset[str]
    payload: type[BaseModel] = EmptyPayload
    copies: Mapping[str, str] = field(default_factory=dict)
    effect: Effect | None = None
    actor_effect: ActorEffect | None = None
    guard: Guard | None = None
    notices: tuple[Notice, ...] = ()
    keeps_timers: bool = False
    """A transition that stays in its state and records something that is no news of the
    person (a co-accompanying organisation added): the state's timers keep counting."""
    reads_ahead: ReadAhead | None = None
    """The reads its ``effect`` makes, made ahead when the transition is fired on a case
    just created, before the case is numbered (``states.engine.create_and_fire``)."""

    @property
    def is_system(self) -> bool:
        """Whether only relais itself (a timer) fires this trigger."""
        return SYSTEM in self.sides


@dataclass(frozen=True, kw_only=True)
class Creation:
    """How a case comes to be: the trigger its first event records, its label, its messages."""

    trigger: str
    label: str
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TimerSpec:
    """A deadline a state declares: created on entry, cancelled on exit.

    ``target`` is the side reminded, ``COORDINATORS`` for an escalation, or the trigger
    the system fires. ``anchor`` names a case attribute to count from instead of the
    moment the state is entered (a meeting date, a due date).
    """

    kind: TimerKind
    business_days: int
    target: str
    anchor: str | None = None
    months_before: int = 0
    """Calendar months before the anchor (a birthday), instead of business days after it."""
    message: MessageKey | None = None
    """A milestone: the message sent instead of the plain reminder or escalation. A milestone
    counts from its anchor only, whatever happens on the case (a progress note does not
    restart it), and falls due once: reopened after it fired, it is not created again."""
    unless: Unless | None = None
    """A milestone's last check when it falls due (``Unless``)."""

    def due_at(self, start: datetime, business_days: int) -> datetime:
        """When the timer falls due, counted from ``start``."""
        if self.months_before:
            return months_before(start, self.months_before)
        return add_business_days(start, business_days)


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """Who a case waits on in a state, and for what (read in reminders, to-do lists, digests).

    ``late`` marks a state that is itself a missed deadline (an expired referral): a case in it
    counts as overdue from the moment it enters it, not only once its escalation passes.
    ``progress_check`` marks ongoing work checked on from time to time (a referral under way,
    an accompaniment): it is on its side's to-do list only once its reminder fell due.
    """

    side: str
    action: str
    late: bool = False
    progress_check: bool = False


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """A complete lifecycle declaration, plus the few hooks that know its model."""

    name: str
    reference_prefix: str
    model: type[Any]
    # The states, with the French label of each (« transmise »).
    state_enum: type[LabelledEnum]
    initial: str
    creation: Creation
    transitions: tuple[TransitionSpec, ...]
    timers: Mapping[str, tuple[TimerSpec, ...]]
    # Side name -> the model column holding that side's organisation id.
    parties: Mapping[str, InstrumentedAttribute[int]]
    territory: InstrumentedAttribute[Any]
    # The word a person reads for a case of this lifecycle (« orientation »), and for the list.
    case_label: str
    list_label: str
    # What a dashboard calls the lifecycle's cases, when it is not ``list_label``.
    dashboard_label: str = ""
    # Where the cases' pages live: a case's page is ``<path>/<id>``.
    path: str
    # Per-case deadline overrides, e.g. an offer's own response times.
    deadline_overrides: (
        Callable[[AsyncSession, Any], Awaitable[Mapping[tuple[str, TimerKind], int]]] | None
    ) = None
    # Emails of a side of the case, when the default (states.recipients) does not fit.
    side_recipients: Callable[[AsyncSession, Any, str], Awaitable[list[Recipient]]] | None = None
    # What a notification may say of the case: references, organisations, never the person.
    describe: Callable[[AsyncSession, Any], Awaitable[dict[str, Any]]] | None = None
    # Locks taken before the case's own row when a person fires a trigger (given the case's
    # id), so that the transitions of related cases queue in one order: a handover locks its
    # person first, and confirming one withdraws the person's other handovers without a race.
    lock_first: Callable[[AsyncSession, int], Awaitable[None]] | None = None
    # A party's list of its cases: "sent" and "received" -> the side the actor stands on.
    boxes: Mapping[str, str] = field(default_factory=dict)
    # Sides held by role rather than by organisation, e.g. the committees' secretariat.
    role_sides: Mapping[Role, str] = field(default_factory=dict)
    # What a person reads for a side that is not an organisation ("Secrétariat des comités").
    side_labels: Mapping[str, str] = field(default_factory=dict)
    # Whether coordinators may fire every human trigger of the cases in their scope.
    coordinator_override: bool = True
    # State -> the side expected to act. Every state a case can leave either waits on a side
    # (and then has timers: tests/states/test_waiting_states.py) or is in ``waits_on_nobody``.
    waiting_on: Mapping[str, Waiting] = field(default_factory=dict)
    # State -> why no one is chased while a case is in it (a draft nobody else has seen yet).
    waits_on_nobody: Mapping[str, str] = field(default_factory=dict)
    # The column naming the person a case is about, and the lifecycle that follows that
    # person: what someone records on the case is news of the person, and restarts the timers
    # of their follow-up (the progress check of their accompaniment, states.accompaniment).
    person: InstrumentedAttribute[Any] | None = None
    follow_up: Lifecycle | None = field(default=None, repr=False, compare=False)
    # Instants the case's row keeps for the indicators (states.milestones).
    milestones: tuple[Milestone, ...] = ()
    states: tuple[str, ...] = field(init=False)
    state_labels: Mapping[str, str] = field(init=False, repr=False, compare=False)
    machine: Machine = field(init=False, repr=False, compare=False)
    # State -> the triggers the machine accepts there, asked of the machine once.
    accepted: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "initial", str(self.initial))
        object.__setattr__(self, "states", tuple(state.value for state in self.state_enum))
        object.__setattr__(
            self, "state_labels", {state.value: state.label for state in self.state_enum}
        )
        self._check()
        machine = CaseMachine(
            model=None,
            states=list(self.states),
            transitions=[
                # Plain strings: transitions reads an Enum state by its name, not its value.
                {
                    "trigger": spec.trigger,
                    "source": [str(source) for source in spec.sources],
                    "dest": str(spec.dest),
                }
                for spec in self.transitions
            ],
            initial=str(self.initial),
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        object.__setattr__(self, "machine", machine)
        accepted = {state: set(machine.get_triggers(state)) for state in self.states}
        in_order = {
            state: tuple(trigger for trigger in self.triggers if trigger in triggers)
            for state, triggers in accepted.items()
        }
        object.__setattr__(self, "accepted", in_order)

    def _check(self) -> None:
        """Refuse, at import, a declaration naming an unknown state, side, field or message."""
        unknown = {
            state
            for spec in self.transitions
            for state in (*spec.sources, spec.dest)
            if state not in self.states
        } | (set(self.timers) - set(self.states))
        moving = [
            spec.trigger
            for spec in self.transitions
            if spec.keeps_timers and set(spec.sources) != {spec.dest}
        ]
        if moving:
            # A case's open timers are its state's: the overdue reads count on it.
            raise ValueError(f"{self.name}: {moving} keep their state's timers but leave it")
        if self.initial not in self.states:
            # transitions.Machine would silently add it as an extra state.
            unknown.add(self.initial)
        if unknown:
            raise ValueError(f"{self.name}: unknown states {sorted(unknown)}")
        if self.follow_up is not None and (self.person is None or self.follow_up.person is None):
            raise ValueError(f"{self.name}: a follow-up needs the person of both lifecycles")
        unexplained = set(self.timers) - set(self.waiting_on)
        if unexplained:
            raise ValueError(f"{self.name}: say who {sorted(unexplained)} wait on (waiting_on)")
        both = set(self.waiting_on) & set(self.waits_on_nobody)
        if both:
            raise ValueError(f"{self.name}: {sorted(both)} wait on someone and on nobody")
        known_sides = set(self.parties) | set(self.role_sides.values())
        strangers = {wait.side for wait in self.waiting_on.values()} - known_sides
        strangers |= set(self.boxes.values()) - set(self.parties)
        if strangers:
            raise ValueError(f"{self.name}: waiting on unknown sides {sorted(strangers)}")
        notices = [*self.creation.notices]
        for spec in self.transitions:
            notices.extend(spec.notices)
            missing = set(spec.copies) - set(spec.payload.model_fields)
            if missing:
                raise ValueError(f"{self.name}.{spec.trigger}: copies unknown fields {missing}")
        self._check_milestones()
        for notice in notices:
            if not isinstance(notice.message, MessageKey):
                raise ValueError(f"{self.name}: unknown message {notice.message!r}")
            if notice.to not in known_sides | {COORDINATORS}:
                raise ValueError(f"{self.name}: message {notice.message} to unknown {notice.to!r}")

    def _check_milestones(self) -> None:
        """Refuse a milestone naming a trigger the lifecycle lacks or a column its model lacks."""
        triggers = {spec.trigger for spec in self.transitions} | {self.creation.trigger}
        for milestone in self.milestones:
            if milestone.triggers - triggers:
                raise ValueError(
                    f"{self.name}: milestone {milestone.attribute} of unknown triggers"
                )
            if milestone.dues and self.creation.trigger in milestone.triggers:
                raise ValueError(f"{self.name}: the creation's milestones take no dues")
            missing = [name for name in milestone.attributes if not hasattr(self.model, name)]
            if missing:
                raise ValueError(f"{self.name}: milestone columns {missing} not on the model")

    @property
    def overview_label(self) -> str:
        """What a dashboard calls the lifecycle's cases (« Propositions aux comités »)."""
        return self.dashboard_label or self.list_label

    @property
    def final_states(self) -> tuple[str, ...]:
        """The states a case never leaves."""
        return tuple(state for state in self.states if not self.triggers_from(state))

    @property
    def progress_check_states(self) -> tuple[str, ...]:
        """The states of ongoing work, on a to-do list only once checked on."""
        return tuple(state for state, wait in self.waiting_on.items() if wait.progress_check)

    @property
    def escalation_states(self) -> tuple[str, ...]:
        """The states whose timers include an escalation (``timers``). A case's open timers
        are its state's, so only a case in one of these can be past an open escalation."""
        return tuple(
            state
            for state, specs in self.timers.items()
            if any(spec.kind == TimerKind.ESCALATION for spec in specs)
        )

    @property
    def late_states(self) -> tuple[str, ...]:
        """The states that are a missed deadline in themselves (``Waiting.late``)."""
        return tuple(state for state, wait in self.waiting_on.items() if wait.late)

    def case_path(self, case_id: int) -> str:
        """The path of a case's page."""
        return f"{self.path}/{case_id}"

    def trigger_label(self, trigger: str) -> str:
        """What a person reads for ``trigger`` (a button, a line of the history)."""
        if trigger == self.creation.trigger:
            return self.creation.label
        for spec in self.transitions:
            if spec.trigger == trigger:
                return spec.label
        return trigger

    def notices_of(self, trigger: str) -> tuple[Notice, ...]:
        """The messages ``trigger`` (or the case's creation) sends."""
        if trigger == self.creation.trigger:
            return self.creation.notices
        for spec in self.transitions:
            if spec.trigger == trigger:
                return spec.notices
        return ()

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger of the lifecycle, in declaration order."""
        return tuple(spec.trigger for spec in self.transitions)

    @property
    def human_triggers(self) -> tuple[str, ...]:
        """The triggers a person may fire (every one but the timers')."""
        return tuple(spec.trigger for spec in self.transitions if not spec.is_system)

    def transition(self, trigger: str) -> TransitionSpec:
        """The declaration of ``trigger``; ``KeyError`` if the lifecycle has none."""
        for spec in self.transitions:
            if spec.trigger == trigger:
                return spec
        raise KeyError(trigger)

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """The triggers the machine accepts in ``state``, in declaration order."""
        return self.accepted.get(state, ())


class CaseMachine(Machine):
    """A lifecycle's ``transitions.Machine``, which gives the handles it moves only
    ``trigger``: relais fires a trigger by its name (``move``). The methods ``add_model``
    binds on each model otherwise (one per trigger, ``may_<trigger>``, ``is_<state>``, the
    ``on_enter_<state>`` a model may define) would be built at every transition and thrown
    away with the handle: a tenth of a transition's time."""

    def _add_trigger_to_model(self, trigger: str, model: Any) -> None:
        return None

    def _add_model_to_state(self, state: Any, model: Any) -> None:
        return None


class CaseHandle:
    """The object a lifecycle's machine moves: it reads and writes the case's ``state``.

    The machine attaches its trigger methods to this handle, never to the ORM row.
    """

    def __init__(self, case: Any) -> None:
        self._case = case

    @property
    def state(self) -> str:
        """The case's current state."""
        return str(self._case.state)

    @state.setter
    def state(self, value: str) -> None:
        self._case.state = value


def move(lifecycle: Lifecycle, case: Any, trigger: str) -> None:
    """Apply ``trigger`` to ``case`` through the lifecycle's machine (raises if invalid)."""
    handle = CaseHandle(case)
    lifecycle.machine.add_model(handle, initial=str(case.state))
    try:
        handle.trigger(trigger)  # type: ignore[attr-defined]
    finally:
        lifecycle.machine.remove_model(handle)


def timer_start(spec: TimerSpec, case: Any, entered_at: datetime) -> datetime | None:
    """The instant a timer counts from, or None when its anchor is not set on the case."""
    if spec.anchor is None:
        return entered_at
    anchored: datetime | None = getattr(case, spec.anchor)
    return anchored
