"""Workflow runs: which Temporal execution produced which records, kept beyond Temporal's retention."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dwatch.store.tables import (
    Agency,
    AgencyStatus,
    AgencyStatusEvent,
    CheckRun,
    Document,
    Report,
    RunStatus,
    WorkflowRun,
    WorkflowRunAgencyYear,
)
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for


def start_run(
    session: Session,
    workflow_id: str,
    run_id: str,
    kind: str,
    at: datetime | None = None,
    *,
    agency_year: tuple[str, int] | None = None,
) -> WorkflowRun:
    """Record that a run started, and the agency-year it is about if it is one's; idempotent, because
    Temporal retries the activity that calls it."""
    stmt = insert_for(session, WorkflowRun.__table__).values(
        workflow_id=workflow_id, run_id=run_id, kind=kind, status=RunStatus.RUNNING.value, started_at=at or utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["workflow_id", "run_id"]))
    run = session.scalars(
        select(WorkflowRun).where(WorkflowRun.workflow_id == workflow_id, WorkflowRun.run_id == run_id)
    ).one()
    if agency_year is not None:
        link_agency_years(session, run.id, [agency_year])
    return run


def link_agency_years(session: Session, run_pk: int, agency_years: Iterable[tuple[str, int]]) -> None:
    """Note that the run worked on these agency-years (its audit trail lists it); idempotent. An
    agency not in the registry is skipped: the run fails on it elsewhere, with a clearer message."""
    wanted = set(agency_years)
    known = set(session.scalars(select(Agency.id).where(Agency.id.in_({a for a, _ in wanted}))))
    rows = [
        {"workflow_run_id": run_pk, "agency_id": agency_id, "report_year": year}
        for agency_id, year in sorted(wanted)
        if agency_id in known
    ]
    if rows:
        session.execute(insert_for(session, WorkflowRunAgencyYear).on_conflict_do_nothing(), rows)


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


def link_records(
    session: Session,
    run_pk: int,
    agency_id: str,
    report_year: int,
    *,
    document_id: int | None = None,
    report_id: int | None = None,
    check_run_id: int | None = None,
) -> None:
    """Name the run that produced a review's records. A document keeps the run that first fetched it;
    the agency-year status (and its newest history row, when this review made it) takes this run,
    and the run is linked to the agency-year even when the review produced no record (missing)."""
    link_agency_years(session, run_pk, [(agency_id, report_year)])
    if document_id is not None:
        session.execute(
            update(Document)
            .where(Document.id == document_id, Document.workflow_run_id.is_(None))
            .values(workflow_run_id=run_pk)
        )
    if report_id is not None:
        session.execute(update(Report).where(Report.id == report_id).values(workflow_run_id=run_pk))
    if check_run_id is not None:
        session.execute(update(CheckRun).where(CheckRun.id == check_run_id).values(workflow_run_id=run_pk))
    status = session.get(AgencyStatus, (agency_id, report_year))
    if status is None:
        return
    status.workflow_run_id = run_pk
    newest = session.scalars(
        select(AgencyStatusEvent)
        .where(AgencyStatusEvent.agency_id == agency_id, AgencyStatusEvent.report_year == report_year)
        .order_by(AgencyStatusEvent.id.desc())
        .limit(1)
    ).first()
    if newest is not None and newest.workflow_run_id is None and newest.at == status.changed_at:
        newest.workflow_run_id = run_pk
