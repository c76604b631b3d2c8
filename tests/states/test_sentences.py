"""The sentence catalogues (``states.sentences``): every trigger of every lifecycle is told."""

from __future__ import annotations

from string import Formatter

import pytest

from core.enums import TimerKind
from states.lifecycle import COORDINATORS, Lifecycle
from states.registry import LIFECYCLES
from states.sentences import SENTENCES

ALL = list(LIFECYCLES.values())


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("lifecycle", ALL, ids=lambda lifecycle: lifecycle.name)
def test_every_trigger_has_its_sentences_and_no_other(lifecycle: Lifecycle) -> None:
    catalogue = SENTENCES[lifecycle.name]
    assert set(catalogue) == {lifecycle.creation.trigger, *lifecycle.triggers}


@pytest.mark.parametrize("lifecycle", ALL, ids=lambda lifecycle: lifecycle.name)
def test_sentences_name_only_sides_of_their_lifecycle(lifecycle: Lifecycle) -> None:
    sides = {*lifecycle.parties, *lifecycle.side_labels, COORDINATORS}
    for trigger, told in SENTENCES[lifecycle.name].items():
        for text in (told.did, told.done, told.next or "", told.when_due or ""):
            assert _placeholders(text) <= sides, (trigger, text)
        assert told.done.endswith("."), trigger
        assert not told.did.endswith("."), trigger
        assert told.did[:1].islower(), trigger


@pytest.mark.parametrize("lifecycle", ALL, ids=lambda lifecycle: lifecycle.name)
def test_a_trigger_relais_fires_on_a_timer_says_what_will_happen(lifecycle: Lifecycle) -> None:
    fired = {
        spec.target
        for specs in lifecycle.timers.values()
        for spec in specs
        if spec.kind is TimerKind.TRIGGER
    }
    for trigger in fired:
        assert SENTENCES[lifecycle.name][trigger].when_due, trigger


def test_the_catalogues_are_the_lifecycles() -> None:
    assert set(SENTENCES) == set(LIFECYCLES)
