"""The application as ``relais serve`` runs it: its start-up objects frozen out of the
garbage collector's reach once built, after what was garbage has been collected, and its
youngest generation collected less often."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from core.business_days import _french_holidays, is_business_day
from core.french_dates import _long_date, french_date
from core.settings import Settings
from relais.app import YOUNG_GENERATION, create_app, load_calendars, prepare_collector
from tests.factories import SECRET


class Node:
    """An object that can hold a reference cycle."""

    other: object = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """The test's freezing and thresholds undone: the other tests' objects stay collectable."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_garbage_is_collected_then_what_lives_is_frozen(unfrozen: None) -> None:
    collected: list[str] = []
    garbage = Node()
    garbage.other = garbage  # only a full collection frees a cycle
    weakref.finalize(garbage, collected.append, "garbage")
    del garbage
    # Objects alive through the freeze; what else is alive (or garbage left by earlier
    # tests in the same process) varies, so the test follows these ones.
    living = [Node() for _ in range(1_000)]
    for node in living:
        node.other = living

    prepare_collector()

    assert collected == ["garbage"]
    walked = {id(obj) for obj in gc.get_objects()}  # what a full collection still walks
    assert not any(id(node) in walked for node in living)
    assert id(living) not in walked
    assert gc.get_freeze_count() > len(living)
    assert len(walked) < gc.get_freeze_count() // 10


def test_the_young_generation_is_collected_less_often(unfrozen: None) -> None:
    """Every ``YOUNG_GENERATION`` new objects instead of 700; the older generations' ratios
    stay Python's."""
    older = gc.get_threshold()[1:]

    prepare_collector()

    assert gc.get_threshold() == (YOUNG_GENERATION, *older)
    assert YOUNG_GENERATION > 700


def test_the_application_hashes_passwords_with_argon2id_at_full_cost() -> None:
    """Only the tests build it with a cheaper hashing (``tests.factories.PASSWORDS``)."""
    settings = Settings(environment="test", secret_key=SECRET)
    hashed = create_app(settings).state.password_helper.hash("un-mot-de-passe-solide")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_calendars_are_loaded_before_the_first_request() -> None:
    """``load_calendars`` leaves this year's holidays and today's French date loaded: the
    first request finds them ready (a hit, not a miss)."""
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Paris
    _french_holidays.cache_clear()
    _long_date.cache_clear()

    load_calendars(now)

    holidays, dates = _french_holidays.cache_info(), _long_date.cache_info()
    assert is_business_day(date(2027, 1, 1)) is False  # a holiday, from the loaded calendar
    assert french_date(now) == "vendredi 1er janvier 2027"
    assert _french_holidays.cache_info().hits == holidays.hits + 1
    assert _long_date.cache_info().hits == dates.hits + 1
