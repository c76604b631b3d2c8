"""The referral lifecycle in SpiffWorkflow, the BPMN engine a Python team would pick instead.

``referral.bpmn`` beside this file: a user task per human step (submit, accept, start,
complete) and a boundary timer on the wait for the receiver. Each case is one workflow stored
as JSON in PostgreSQL; each step, in one transaction, locks and reads it, deserialises it,
runs the ready user task and the engine steps after it, serialises it and writes it back.
No event, timer row or outbox: SpiffWorkflow keeps its timers inside the workflow.

SpiffWorkflow is a benchmark dependency only (the ``bench`` extra), imported here alone.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from benchmarks.database import Bench, connect
from benchmarks.engine_bench import WARM_UP

BPMN = Path(__file__).with_name("referral.bpmn")
STEPS = ("accept", "start", "complete")
"""The user tasks after the creation (which runs ``submit`` in its own transaction)."""
TABLE = (
    "CREATE TABLE IF NOT EXISTS spiff_workflows (id bigserial PRIMARY KEY, "
    "workflow jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
)


def referral_spec() -> Any:
    """The parsed process ``referral`` of ``referral.bpmn``."""
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec("referral")


def run_user_task(workflow: Any, name: str) -> None:
    """Run the ready user task ``name``, then the engine steps it leads to (refusing, as a
    real runner would, a step the workflow is not waiting for)."""
    workflow.refresh_timers()
    task = workflow.get_next_task(state=TaskState.READY, manual=True)
    if task is None or task.task_spec.name != name:
        raise RuntimeError(f"the workflow is not waiting for {name}")
    task.data["done_by"] = name
    task.run()
    workflow.do_engine_steps()


class SpiffCases:
    """Referral workflows stored in ``spiff_workflows`` over one asyncpg connection."""

    def __init__(self, connection: asyncpg.Connection, spec: Any) -> None:
        self.db = connection
        self.spec = spec
        self.serializer = BpmnWorkflowSerializer()

    async def create(self) -> int:
        """A new workflow, submitted (its first user task run), stored; its id."""
        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        run_user_task(workflow, "submit")
        async with self.db.transaction():
            case_id: int = await self.db.fetchval(
                "INSERT INTO spiff_workflows (workflow) VALUES ($1::jsonb) RETURNING id",
                self.serializer.serialize_json(workflow),
            )
        return case_id

    async def step(self, case_id: int, name: str) -> Any:
        """Run the user task ``name`` of the stored workflow ``case_id`` in one transaction."""
        async with self.db.transaction():
            stored = await self.db.fetchval(
                "SELECT workflow::text FROM spiff_workflows WHERE id = $1 FOR UPDATE", case_id
            )
            workflow = self.serializer.deserialize_json(stored)
            run_user_task(workflow, name)
            await self.db.execute(
                "UPDATE spiff_workflows SET workflow = $1::jsonb, updated_at = now() WHERE id = $2",
                self.serializer.serialize_json(workflow),
                case_id,
            )
        return workflow

    async def lifecycle(self) -> Any:
        """One referral from creation to completion; the finished workflow."""
        case_id = await self.create()
        workflow = None
        for name in STEPS:
            workflow = await self.step(case_id, name)
        return workflow


async def concurrent(bench: Bench, count: int, workers: int) -> float:
    """Cases per second: ``count`` referral workflows run to completion by ``workers``
    connections at once (opened before and closed after the timing)."""
    spec = referral_spec()
    connections = [await connect(bench) for _ in range(workers)]
    try:
        await connections[0].execute(TABLE)
        shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]

        async def worker(connection: asyncpg.Connection, cases: int) -> None:
            runner = SpiffCases(connection, spec)
            for _ in range(cases):
                await runner.lifecycle()

        # Each connection's first case untimed, as the engine's and the hand-written ones'.
        await asyncio.gather(*(worker(c, WARM_UP) for c in connections))
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, n) for c, n in zip(connections, shares, strict=True)))
        return count / (time.perf_counter() - started)
    finally:
        for connection in connections:
            await connection.close()
