"""Milestones: instants a case keeps on its own row, stamped by the transition that reaches them.

The indicators' delays (the first response, acceptance to start) read two instants of one
case. Read from the events, they cost a pass over a year of transitions and a join per
question (0.6 s of the 1.3 s of the indicators page at Paris scale); kept on the case's row,
written by the transition in its own transaction, they are two columns of the row the
transition updates anyway: no statement more per transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.enums import TimerKind


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """``attribute`` of the case takes the instant one of ``triggers`` fires.

    ``first``: only the first time (later firings leave it). ``dues``: timer kind -> attribute
    taking the due instant of the timer of that kind the same transition opened (None when it
    opened none), stamped whenever ``attribute`` is.
    """

    attribute: str
    triggers: frozenset[str]
    first: bool = False
    dues: Mapping[TimerKind, str] = field(default_factory=dict)

    @property
    def attributes(self) -> tuple[str, ...]:
        """Every attribute of the case this milestone writes."""
        return (self.attribute, *self.dues.values())


def stamp_milestones(
    milestones: tuple[Milestone, ...],
    case: Any,
    trigger: str,
    now: datetime,
    opened: Mapping[TimerKind, datetime],
) -> None:
    """Stamp on ``case`` the milestones ``trigger`` reaches at ``now``; ``opened``: the due
    instant of each kind of timer the transition opened."""
    for milestone in milestones:
        if trigger not in milestone.triggers:
            continue
        if milestone.first and getattr(case, milestone.attribute) is not None:
            continue
        setattr(case, milestone.attribute, now)
        for kind, attribute in milestone.dues.items():
            setattr(case, attribute, opened.get(kind))
