"""The compliance status of each agency-year: the current one, and a history row for every change.

Alerts fire on transitions (a report becomes defective or late; a defect is cleared), the
dashboard's matrix reads the current statuses, and auditors read the history.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.compliance import ComplianceStatus
from dwatch.store.tables import AgencyStatus, AgencyStatusEvent
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for


class StatusTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str
    report_year: int
    previous: ComplianceStatus | None
    current: ComplianceStatus

    @property
    def changed(self) -> bool:
        return self.previous is not self.current


def record_status(
    session: Session,
    agency_id: str,
    report_year: int,
    status: ComplianceStatus,
    detail: str = "",
    *,
    failure_detail: str | None = None,
    document_id: int | None = None,
    check_run_id: int | None = None,
    workflow_run_id: int | None = None,
    at: datetime | None = None,
) -> StatusTransition:
    """Set the agency-year's status; a change (or the first status) is also kept as a history row.

    `failure_detail` is the technical cause of a crawl failure, for ops; a status without one clears it.
    """
    at = at or utcnow()
    placeholder = {
        "agency_id": agency_id,
        "report_year": report_year,
        "status": status.value,
        "detail": detail,
        "failure_detail": failure_detail or None,
        "changed_at": at,
        "checked_at": at,
    }
    inserted = session.execute(
        insert_for(session, AgencyStatus).values(placeholder).on_conflict_do_nothing().returning(AgencyStatus.status)
    ).first()
    # Lock the row, so two concurrent reviews of the same agency-year see each other's transition.
    row = session.scalars(
        select(AgencyStatus)
        .where(AgencyStatus.agency_id == agency_id, AgencyStatus.report_year == report_year)
        .with_for_update()
    ).one()
    previous = None if inserted is not None else ComplianceStatus(row.status)
    row.detail, row.failure_detail, row.checked_at = detail, failure_detail or None, at
    row.document_id, row.check_run_id, row.workflow_run_id = document_id, check_run_id, workflow_run_id
    if previous is not status:
        row.status, row.changed_at = status.value, at
        session.add(
            AgencyStatusEvent(
                agency_id=agency_id,
                report_year=report_year,
                from_status=previous.value if previous else None,
                to_status=status.value,
                detail=detail,
                at=at,
                document_id=document_id,
                workflow_run_id=workflow_run_id,
            )
        )
    session.flush()
    return StatusTransition(agency_id=agency_id, report_year=report_year, previous=previous, current=status)


def statuses(session: Session, report_year: int, agency_ids: list[str] | None = None) -> list[AgencyStatus]:
    query = select(AgencyStatus).where(AgencyStatus.report_year == report_year).order_by(AgencyStatus.agency_id)
    if agency_ids is not None:
        query = query.where(AgencyStatus.agency_id.in_(agency_ids))
    return list(session.scalars(query))


def status_history(session: Session, agency_id: str, report_year: int) -> list[AgencyStatusEvent]:
    return list(
        session.scalars(
            select(AgencyStatusEvent)
            .where(AgencyStatusEvent.agency_id == agency_id, AgencyStatusEvent.report_year == report_year)
            .order_by(AgencyStatusEvent.id)
        )
    )
