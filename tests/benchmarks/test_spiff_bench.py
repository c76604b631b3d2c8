"""The SpiffWorkflow side of the engine comparison (``benchmarks/spiff_bench.py``) runs the
referral's BPMN as the benchmark claims: each step stored as JSON in PostgreSQL, the user
tasks in order, the boundary timer waiting while the receiver has not answered.

PostgreSQL only: the workflows are stored in a ``jsonb`` column.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.spiff_bench import TABLE, SpiffCases, referral_spec

pytestmark = pytest.mark.postgres


def _waiting(stored: str) -> set[str]:
    """Names of the task specs of a stored workflow's tasks that are not finished."""
    tasks = json.loads(stored)["tasks"].values()
    # SpiffWorkflow's TaskState: 4 FUTURE, 8 WAITING, 16 READY (64 COMPLETED, 1 MAYBE...).
    return {task["task_spec"] for task in tasks if task["state"] in (4, 8, 16)}


async def test_the_referral_workflow_runs_to_completion_stored_in_postgresql(
    db_engine: AsyncEngine,
) -> None:
    async with db_engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute(TABLE)
        try:
            cases = SpiffCases(raw, referral_spec())
            case_id = await cases.create()
            stored = await raw.fetchval(
                "SELECT workflow::text FROM spiff_workflows WHERE id = $1", case_id
            )
            # Submitted: waiting for the receiver, the expiry timer set beside the task.
            assert {"accept", "expiry"} <= _waiting(stored)
            with pytest.raises(RuntimeError, match="not waiting for start"):
                await cases.step(case_id, "start")
            for name in ("accept", "start"):
                await cases.step(case_id, name)
            workflow = await cases.step(case_id, "complete")
            assert workflow.is_completed()
            stored = await raw.fetchval(
                "SELECT workflow::text FROM spiff_workflows WHERE id = $1", case_id
            )
            assert _waiting(stored) == set()
            finished = await cases.lifecycle()
            assert finished.is_completed()
            assert await raw.fetchval("SELECT count(*) FROM spiff_workflows") == 2
        finally:
            await raw.execute("DROP TABLE IF EXISTS spiff_workflows")
