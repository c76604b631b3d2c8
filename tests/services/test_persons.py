"""The matching rule (``services.persons.find_person``) over generated names.

However a name is typed again (accents dropped, case changed, hyphens, apostrophes and
spaces in place of one another, spaces around, composed or decomposed Unicode), the lookup
finds the record of that name and birth date; with any other birth date it never finds it.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_sessionmaker
from core.models import Person
from services.persons import find_person, resolve_person
from states.identity import name_key

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçñ"
SEPARATORS = [" ", "-", "'", "’", "  ", " - ", "--"]
AT = datetime(2026, 3, 2, 8, tzinfo=UTC)

words = st.lists(st.text(LETTERS, min_size=1, max_size=8), min_size=1, max_size=3)


def _bare(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


@st.composite
def spelling(draw: st.DrawFn, parts: list[str]) -> str:
    """``parts`` typed once more: each word with or without its accents, in any case, joined
    by any separator, maybe with spaces around, composed or decomposed."""
    typed = []
    for word in parts:
        word = _bare(word) if draw(st.booleans()) else word
        case = draw(st.sampled_from([str.lower, str.upper, str.title, str.swapcase]))
        typed.append(case(word))
    text = typed[0]
    for word in typed[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + word
    text = draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " "]))
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)


@st.composite
def two_spellings(draw: st.DrawFn) -> tuple[tuple[str, str], tuple[str, str]]:
    """A first and last name, typed twice."""
    first, last = draw(words), draw(words)
    return (
        (draw(spelling(first)), draw(spelling(last))),
        (draw(spelling(first)), draw(spelling(last))),
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    names=two_spellings(),
    born=st.dates(date(1930, 1, 1), date(2010, 12, 31)),
    shift=st.integers(-4000, 4000).filter(bool),
)
async def test_any_spelling_finds_the_record_and_no_other_birth_date_does(
    db_engine: AsyncEngine,
    names: tuple[tuple[str, str], tuple[str, str]],
    born: date,
    shift: int,
) -> None:
    (first, last), (first_again, last_again) = names
    assert name_key(last, first) == name_key(last_again, first_again)
    sessionmaker = create_sessionmaker(db_engine)
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(Person))
        recorded = await resolve_person(
            session, Person(first_name=first, last_name=last, birth_date=born, created_at=AT)
        )

        again = Person(first_name=first_again, last_name=last_again, birth_date=born)
        found = await find_person(session, again)
        assert found is not None and found.id == recorded.id

        other_day = born + timedelta(days=shift)
        elsewhere = Person(first_name=first_again, last_name=last_again, birth_date=other_day)
        assert await find_person(session, elsewhere) is None
        undated = Person(first_name=first_again, last_name=last_again, birth_date=None)
        assert await find_person(session, undated) is None
