"""What a reader is shown of a case: without the health data they may not see, without the
person's identity in a supervisor's list.

The rows stay untouched (nothing is written back): a reader gets a view that reads like the
row, with the hidden parts replaced (``states.health``, ``states.policy.privacy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect

from states.actor import Actor
from states.health import health_data_of, strip_health_data, strip_health_payload
from states.lifecycle import Lifecycle
from states.policy import may_see_health_data, may_see_identity_in_lists, sides_of


class Redacted:
    """``target`` as a reader sees it: every attribute is the target's but ``overrides``."""

    def __init__(self, target: Any, **overrides: Any) -> None:
        self._target = target
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    @property
    def original(self) -> Any:
        """The row behind the view (its type says which lifecycle it belongs to)."""
        return self._target


def names_person(item: Any) -> bool:
    """Whether a listed ``item`` shows its person (``listed`` hides them from a supervisor)."""
    return not (isinstance(item, Redacted) and "person" in vars(item) and item.person is None)


def original(item: Any) -> Any:
    """The row behind ``item``, whether it is a view or the row itself."""
    return item.original if isinstance(item, Redacted) else item


def _loaded(row: Any, name: str) -> bool:
    """Whether ``row``'s relationship ``name`` exists and was loaded (they are lazy="raise")."""
    state = inspect(row, raiseerr=False)
    return state is not None and name in state.attrs and name not in state.unloaded


def without_health_data(case: Any) -> Any:
    """``case`` without the health data of its barriers and of its person's publics."""
    overrides: dict[str, Any] = {}
    if hasattr(case, "barriers"):
        overrides["barriers"] = strip_health_data(case.barriers, ())[0]
    person = case.person if _loaded(case, "person") else None
    if person is not None:
        overrides["person"] = Redacted(person, publics=strip_health_data((), person.publics)[1])
    return Redacted(case, **overrides) if overrides else case


def holds_health_data(case: Any, events: Iterable[Any]) -> bool:
    """Whether ``case`` (its barriers, its person's publics if loaded) or its ``events`` carry
    health data: what a read that may see them shows, and the access log marks."""
    barriers = getattr(case, "barriers", None) or ()
    person = case.person if _loaded(case, "person") else None
    publics = person.publics if person is not None else ()
    if health_data_of(barriers=barriers, publics=publics):
        return True
    return any(strip_health_payload(event.payload) != event.payload for event in events)


def events_without_health_data(events: Iterable[Any]) -> list[Any]:
    """The timeline without the health data an event carries (a resubmission's)."""
    return [Redacted(event, payload=strip_health_payload(event.payload)) for event in events]


def listed(actor: Actor, lifecycle: Lifecycle, cases: Iterable[Any]) -> list[Any]:
    """``cases`` as a list shows them to ``actor``: a supervisor (coordinator, DPO,
    administrator) reads no person at all on a case their organisation does not work;
    only the receiving organisation reads the health data (the référent, on the page)."""
    shown: list[Any] = []
    for case in cases:
        if lifecycle.person is None:
            shown.append(case)
        elif not may_see_identity_in_lists(actor, lifecycle, case):
            shown.append(Redacted(case, person=None))
        elif may_see_health_data(actor, sides_of(actor, lifecycle, case), None):
            shown.append(case)
        else:
            shown.append(without_health_data(case))
    return shown
