"""Workflow runs: which Temporal execution produced which records, kept beyond Temporal's retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.store.tables import RunStatus, WorkflowRun
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for


def start_run(session: Session, workflow_id: str, run_id: str, kind: str, at: datetime | None = None) -> WorkflowRun:
    """Record that a run started; idempotent, because Temporal retries the activity that calls it."""
    stmt = insert_for(session, WorkflowRun.__table__).values(
        workflow_id=workflow_id, run_id=run_id, kind=kind, status=RunStatus.RUNNING.value, started_at=at or utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["workflow_id", "run_id"]))
    return session.scalars(
        select(WorkflowRun).where(WorkflowRun.workflow_id == workflow_id, WorkflowRun.run_id == run_id)
    ).one()


def finish_run(
    session: Session, run_pk: int, status: RunStatus, error: str | None = None, at: datetime | None = None
) -> WorkflowRun:
    run = session.get(WorkflowRun, run_pk)
    if run is None:
        raise KeyError(run_pk)
    run.status = status.value
    run.finished_at = at or utcnow()
    run.error = error
    return run
