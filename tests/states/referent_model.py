"""The model behind the référent invariant test (``test_referent_invariant.py``).

The operations Hypothesis draws (starts, handover proposals, triggers on a handover, waits),
the model of who should accompany whom, and ``predict``: the outcome the rules call for, done
(``ok``) or which refusal, before the operation runs through the real services.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import strategies as st

from core.clock import FixedClock
from core.models import User
from states.handover import HANDOVER

PEOPLE = 3
ORGANISATIONS = 4
STEPS = 20
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Paris
OK = "ok"


@dataclass(frozen=True)
class Start:
    """Organisation ``org`` starts accompanying person ``slot`` (a new person if unseen)."""

    slot: int
    org: int


@dataclass(frozen=True)
class Propose:
    """``by`` (None: the current référent) proposes to hand person ``slot`` over to ``to``."""

    slot: int
    by: int | None
    to: int


@dataclass(frozen=True)
class Act:
    """``by`` (None: the side the trigger is for) fires ``trigger`` on a handover.

    ``handover`` counts back from the latest proposal (0: the latest).
    """

    trigger: str
    handover: int
    by: int | None
    meeting_in_hours: int = 0


@dataclass(frozen=True)
class Wait:
    """Time passes."""

    hours: int


Operation = Start | Propose | Act | Wait
Choice = Callable[["Model"], Operation | None]

ORGS = st.integers(0, ORGANISATIONS - 1)
ACTORS = st.one_of(st.none(), ORGS)  # None, the right one, half of the time


@dataclass
class ModelHandover:
    """What the model knows of a handover."""

    id: int
    slot: int
    giver: int
    taker: int
    generation: int  # the person's référent generation when it was proposed
    state: str = "proposed"
    meeting: datetime | None = None


@dataclass
class Model:
    """Who accompanies whom, as the rules say it should be."""

    users: list[User]
    clock: FixedClock
    person_ids: dict[int, int] = field(default_factory=dict)
    referent: dict[int, int] = field(default_factory=dict)
    generation: Counter[int] = field(default_factory=Counter)
    known: dict[int, set[int]] = field(default_factory=dict)
    handovers: list[ModelHandover] = field(default_factory=list)

    def org_id(self, org: int) -> int:
        """The database id of organisation ``org``."""
        return self.users[org].organisation_id

    def operation(self, data: st.DataObject, label: str) -> Operation:
        """What happens next, like the rules of a state machine with their preconditions.

        Mostly the trigger a handover's state calls for, by its side (``by`` None) or by
        anyone; sometimes any trigger on any handover, a proposal, a start or a wait.
        """
        latest_first = list(reversed(self.handovers))
        waiting: dict[str, list[int]] = {
            trigger: [
                n for n, h in enumerate(latest_first) if trigger in HANDOVER.triggers_from(h.state)
            ]
            for trigger in HANDOVER.triggers
        }
        weights = {"accept": 3, "decline": 1, "withdraw": 1, "confirm": 4}
        kinds: list[str] = []
        for trigger, ready in waiting.items():
            kinds += [trigger] * weights[trigger] if ready else []
        kinds += ["any trigger"] * 2 if self.handovers else []
        kinds += ["propose"] * 3 if self.person_ids else []
        kinds += ["start", "wait", "wait"] if self.person_ids else ["start"]
        kind = data.draw(st.sampled_from(kinds), label=label)
        if kind in waiting or kind == "any trigger":
            ready = waiting.get(kind) or list(range(len(latest_first)))
            triggers = [kind] if kind in waiting else list(HANDOVER.triggers)
            return data.draw(
                st.builds(
                    Act,
                    st.sampled_from(triggers),
                    st.sampled_from(ready),
                    ACTORS,
                    st.sampled_from((-24, 0, 2, 48)),
                ),
                label=label,
            )
        if kind == "propose":
            slots = st.sampled_from(sorted(self.person_ids))
            return data.draw(st.builds(Propose, slots, ACTORS, ORGS), label=label)
        if kind == "start":
            return data.draw(st.builds(Start, st.integers(0, PEOPLE - 1), ORGS), label=label)
        return data.draw(st.builds(Wait, st.sampled_from((1, 6, 24, 72))), label=label)


def predict(model: Model, op: Operation) -> str:
    """The outcome the rules call for: ``ok`` or the code of the refusal."""
    if isinstance(op, Wait):
        return OK
    if isinstance(op, Start):
        if op.slot not in model.person_ids or op.org == model.referent[op.slot]:
            return OK
        return "concurrent_change" if op.org in model.known[op.slot] else "not_found"
    if isinstance(op, Propose):
        by = model.referent[op.slot] if op.by is None else op.by
        if by not in model.known[op.slot]:
            return "not_found"
        if by != model.referent[op.slot]:
            return "forbidden"
        return "invalid_input" if op.to == by else OK
    handover = model.handovers[-1 - op.handover]
    side = handover.giver if op.trigger == "withdraw" else handover.taker
    by = side if op.by is None else op.by
    if by not in (handover.giver, handover.taker):
        return "not_found"
    if by != side:
        return "forbidden"
    if handover.state not in HANDOVER.transition(op.trigger).sources:
        return "transition_not_allowed"
    if op.trigger == "confirm":
        assert handover.meeting is not None
        if model.clock.now() < handover.meeting:
            return "transition_not_allowed"
        if handover.generation != model.generation[handover.slot]:
            return "concurrent_change"
    return OK
