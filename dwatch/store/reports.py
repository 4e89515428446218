"""Parsed reports, stored as the JSON of `reports.model.AnnualReport`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dwatch.reports.model import AnnualReport
from dwatch.store.tables import Report
from dwatch.store.types import utcnow


def save_report(
    session: Session,
    document_id: int,
    report: AnnualReport,
    *,
    parsed_at: datetime | None = None,
    workflow_run_id: int | None = None,
) -> int:
    row = Report(
        document_id=document_id,
        schema_version=report.schema_version,
        parsed_at=parsed_at or utcnow(),
        content=report.model_dump(mode="json"),
        workflow_run_id=workflow_run_id,
    )
    session.add(row)
    session.flush()
    return row.id


def load_report(session: Session, report_id: int) -> AnnualReport:
    row = session.get(Report, report_id)
    if row is None:
        raise KeyError(report_id)
    return AnnualReport.model_validate(row.content)
