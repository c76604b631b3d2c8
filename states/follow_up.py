"""What a person records on a case restarts the timers of their follow-up (the progress
check of their accompaniment): the query that finds those cases, and how a transition that
already knows there are none skips it.

Most transitions concern a person with no follow-up to restart. ``load_case`` asks, in the
same statement that locks the case, whether there is one (``pending_clause``); when there is
none, ``restart_follow_up`` sends nothing for that person in that transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Timer
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.timers import close_timers, open_timers

_QUIET = "relais.quiet_follow_up"
_QUERIES: dict[str, Select[Any]] = {}


def pending_clause(follow_up: Lifecycle, person: Any, now: Any) -> ColumnElement[bool]:
    """SQL condition: the person ``person`` (a column or a parameter) has a case of
    ``follow_up`` whose timers count from before ``now``."""
    model = follow_up.model
    assert follow_up.person is not None
    # The timers' EXISTS inside the cases' one, not one EXISTS over both tables: SQLite,
    # without statistics, started that join from the timers of the whole lifecycle
    # (``ix_timers_case`` on its kind alone) rather than from the person's few cases.
    counting = exists().where(
        Timer.case_kind == follow_up.name,
        Timer.case_id == model.id,
        Timer.closed_at.is_(None),
        Timer.created_at < now,
    )
    return exists().where(
        follow_up.person == person,
        # One comparison per state rather than IN: an IN list is rendered at each execution,
        # and the case's read that carries this clause is a prepared statement.
        or_(*(model.state == state for state in follow_up.timers)),
        counting,
    )


def _query(follow_up: Lifecycle) -> Select[Any]:
    """The person's cases of ``follow_up`` whose timers count from before ``now``, locked.

    Built once per lifecycle. Timers opened at ``now`` (an accompaniment the same transaction
    began) already count from the news: they are left as they are.
    """
    if follow_up.name not in _QUERIES:
        model = follow_up.model
        assert follow_up.person is not None
        _QUERIES[follow_up.name] = (
            select(model)
            .where(
                follow_up.person == bindparam("person_id"),
                model.state.in_(tuple(follow_up.timers)),
                exists().where(
                    Timer.case_kind == follow_up.name,
                    Timer.case_id == model.id,
                    Timer.closed_at.is_(None),
                    Timer.created_at < bindparam("now"),
                ),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    return _QUERIES[follow_up.name]


def remember_quiet(
    session: AsyncSession, follow_up: Lifecycle, person_id: int, now: datetime
) -> None:
    """Remember, for the rest of the session's current transaction, that the person has no
    case of ``follow_up`` to restart at ``now``.

    Whatever the transaction itself opens is counted from ``now`` and would not be restarted
    anyway, so the answer holds until it ends (another transaction's new case counts from
    its own start, as it would had the query run a moment earlier).
    """
    current = session.sync_session.get_transaction()
    memo: tuple[Any, set[tuple[str, int, datetime]]] | None = session.info.get(_QUIET)
    if memo is None or memo[0] is not current:
        memo = (current, set())
        session.info[_QUIET] = memo
    memo[1].add((follow_up.name, person_id, now))


def _known_quiet(
    session: AsyncSession, follow_up: Lifecycle, person_id: int, now: datetime
) -> bool:
    memo = session.info.get(_QUIET)
    return (
        memo is not None
        and memo[0] is session.sync_session.get_transaction()
        and (follow_up.name, person_id, now) in memo[1]
    )


async def restart_follow_up(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, actor: Actor, now: datetime
) -> None:
    """What a person records on a case about someone restarts the timers of that person's
    follow-up (their accompaniment's progress check): they count from this news.

    Only for lifecycles that name a ``follow_up``, and one indexed query when the person has
    no such case, none when the transaction already knows it. relais's own triggers (an
    expiry, a cascade) are no news of the person; the follow-up's own state and version do
    not change.
    """
    follow_up = lifecycle.follow_up
    if follow_up is None or lifecycle.person is None or actor.is_system:
        return
    person_id = getattr(case, lifecycle.person.key)
    if _known_quiet(session, follow_up, person_id, now):
        return
    found = await session.execute(_query(follow_up), {"person_id": person_id, "now": now})
    followed = found.scalars().all()
    for case_followed in followed:
        await close_timers(session, follow_up, case_followed.id, now)
        await open_timers(session, follow_up, case_followed, now, now)
    if not followed:
        remember_quiet(session, follow_up, person_id, now)
