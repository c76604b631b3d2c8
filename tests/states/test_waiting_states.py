"""No silent case: every state a case can leave is chased, or says why nobody waits (issue 13).

Walks every lifecycle of ``LIFECYCLES``: a state with a way out either waits on a side (then it
has timers, among them an escalation, so that it can become overdue and reach the
coordinators), or is declared in ``waits_on_nobody`` with its reason. The same check run on
declarations with one timer removed proves it would catch the omission.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.enums import TimerKind
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES


def silent_states(lifecycle: Lifecycle) -> list[str]:
    """What is wrong with the declaration: a line per state that nobody would chase."""
    problems = []
    for state in lifecycle.states:
        if state in lifecycle.final_states:
            continue
        # A milestone (a birthday) says nothing of the state: it does not chase it.
        timers = tuple(spec for spec in lifecycle.timers.get(state, ()) if spec.message is None)
        reason = lifecycle.waits_on_nobody.get(state, "").strip()
        if state in lifecycle.waits_on_nobody:
            if not reason:
                problems.append(f"{lifecycle.name}.{state}: waits on nobody without a reason")
            continue
        if state not in lifecycle.waiting_on:
            problems.append(f"{lifecycle.name}.{state}: says neither whom it waits on nor why not")
        elif not timers:
            problems.append(f"{lifecycle.name}.{state}: waits without a timer")
        elif TimerKind.ESCALATION not in {spec.kind for spec in timers}:
            problems.append(f"{lifecycle.name}.{state}: never reaches the coordinators")
    return problems


def test_every_lifecycle_chases_every_waiting_state() -> None:
    problems = [
        problem for lifecycle in LIFECYCLES.values() for problem in silent_states(lifecycle)
    ]
    assert problems == []


def test_final_states_have_no_timer() -> None:
    for lifecycle in LIFECYCLES.values():
        assert not set(lifecycle.final_states) & set(lifecycle.timers), lifecycle.name


WAITING = [
    (lifecycle.name, state, index)
    for lifecycle in LIFECYCLES.values()
    for state, specs in lifecycle.timers.items()
    for index in range(len(specs))
]


@pytest.mark.parametrize(("name", "state", "index"), WAITING)
def test_the_walk_fails_when_a_timer_is_removed(name: str, state: str, index: int) -> None:
    lifecycle = LIFECYCLES[name]
    specs = lifecycle.timers[state]
    fewer = specs[:index] + specs[index + 1 :]
    timers = {**lifecycle.timers, state: fewer}
    if not fewer:
        del timers[state]
    mutated = dataclasses.replace(lifecycle, timers=timers)
    removed_escalation = specs[index].kind is TimerKind.ESCALATION
    if specs[index].message is not None:
        # A milestone removed: the state itself is chased as before.
        assert silent_states(mutated) == []
    elif fewer and not removed_escalation:
        # A reminder or an automatic step removed: the state is still chased up to the
        # coordinators, but no longer as declared; the declaration tests of each lifecycle
        # (``test_*_transitions``) pin every timer.
        assert silent_states(mutated) == []
    else:
        assert silent_states(mutated) != []


def test_the_walk_fails_on_a_state_that_says_nothing() -> None:
    referral = LIFECYCLES["referral"]
    mutated = dataclasses.replace(referral, waits_on_nobody={})
    assert silent_states(mutated) == ["referral.draft: says neither whom it waits on nor why not"]
