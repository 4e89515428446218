"""Everything known about one agency's report for one year, for auditors: what was fetched from
where and when, what it said, which rules ran, what was found, how its status changed, which
workflow runs worked on it and whom we told.

The record is the same for every status. A missing or unreachable report has no document, report,
check or finding: its runs and notifications are found through their agency-year links (the report
run, the sweeps that started or joined it, the escalations and digests about it) and through the
status and its history, not only through the records a review produces.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_serializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dwatch.store.registry.models import AgencyRow
from dwatch.store.registry.service import agency_row
from dwatch.store.status import status_history
from dwatch.store.tables import (
    Agency,
    AgencyStatus,
    CheckRun,
    Document,
    Finding,
    FindingEvent,
    Notification,
    NotificationAgencyYear,
    NotificationAttempt,
    NotificationFinding,
    Report,
    Supervisor,
    WorkflowRun,
    WorkflowRunAgencyYear,
)
from dwatch.timefmt import iso


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", mode="wrap", when_used="json")
    def _china_time(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        # Times in JSON (the dossier API, `dwatch audit --json`): ISO 8601 with the China offset.
        return iso(value) if isinstance(value, datetime) else handler(value)


class AuditWorkflowRun(_Row):
    id: int
    workflow_id: str
    run_id: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None


class AuditDocument(_Row):
    id: int
    url: str
    version: int
    final_url: str
    http_status: int | None
    http_headers: dict[str, Any]
    media_type: str
    size: int
    sha256: str
    fetched_at: datetime
    last_fetched_at: datetime
    published_on: date | None
    published_source: str | None
    published_raw: str | None
    workflow_run_id: int | None


class AuditReport(_Row):
    id: int
    document_id: int
    schema_version: str
    parsed_at: datetime
    title: str | None = None
    format: str | None = None
    diagnostics: int = 0
    workflow_run_id: int | None


class AuditCheckRun(_Row):
    id: int
    checked_at: datetime
    catalogue_version: str
    rules: list[str]
    finding_count: int
    document_id: int | None
    report_id: int | None
    workflow_run_id: int | None


class AuditEvent(_Row):
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    check_run_id: int | None


class AuditFinding(_Row):
    id: int
    fingerprint: str
    rule_id: str
    catalogue_version: str
    severity: str
    category: str
    message_zh: str
    message_en: str
    arguments: dict[str, Any]
    location: dict[str, Any]
    evidence: str
    status: str
    status_by: str
    status_changed_at: datetime
    status_reason: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int
    history: list[AuditEvent] = Field(default_factory=list)


class AuditAttempt(_Row):
    attempted_at: datetime
    ok: bool
    error: str | None


class AuditNotification(_Row):
    id: int
    idempotency_key: str
    recipient: str
    channel: str
    target_masked: str
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    workflow_run_id: int | None
    fingerprints: list[str] = Field(default_factory=list)
    attempt_log: list[AuditAttempt] = Field(default_factory=list)


class AuditStatusEvent(_Row):
    """A change of the agency-year's compliance status (the first status included)."""

    at: datetime
    from_status: str | None
    to_status: str
    detail: str
    document_id: int | None
    workflow_run_id: int | None


class AuditRecord(BaseModel):
    agency: AgencyRow
    supervisor_name: str
    report_year: int
    documents: list[AuditDocument]
    reports: list[AuditReport]
    check_runs: list[AuditCheckRun]
    findings: list[AuditFinding]
    status_history: list[AuditStatusEvent]
    notifications: list[AuditNotification]
    workflow_runs: list[AuditWorkflowRun]


def audit(session: Session, agency_id: str, report_year: int) -> AuditRecord | None:
    """The agency-year's record, whatever its status (None: no such agency)."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        return None
    documents = session.scalars(
        select(Document)
        .where(Document.agency_id == agency_id, Document.report_year == report_year)
        .order_by(Document.url, Document.version)
    ).all()
    reports = session.scalars(
        select(Report).where(Report.document_id.in_([d.id for d in documents])).order_by(Report.parsed_at, Report.id)
    ).all()
    check_runs = session.scalars(
        select(CheckRun)
        .where(CheckRun.agency_id == agency_id, CheckRun.report_year == report_year)
        .order_by(CheckRun.checked_at, CheckRun.id)
    ).all()
    findings = _findings(session, agency_id, report_year)
    history = [AuditStatusEvent.model_validate(e) for e in status_history(session, agency_id, report_year)]
    notifications = _notifications(session, agency_id, report_year, {f.id: f.fingerprint for f in findings})
    named = {
        *(d.workflow_run_id for d in documents),
        *(r.workflow_run_id for r in reports),
        *(c.workflow_run_id for c in check_runs),
        *(e.workflow_run_id for e in history),
        *(n.workflow_run_id for n in notifications),
    }
    return AuditRecord(
        agency=agency_row(agency),
        supervisor_name=session.get_one(Supervisor, agency.supervisor_id).name,
        report_year=report_year,
        documents=[AuditDocument.model_validate(d) for d in documents],
        reports=[_report(r) for r in reports],
        check_runs=[AuditCheckRun.model_validate(c) for c in check_runs],
        findings=findings,
        status_history=history,
        notifications=notifications,
        workflow_runs=_workflow_runs(session, agency_id, report_year, {i for i in named if i is not None}),
    )


def _workflow_runs(session: Session, agency_id: str, report_year: int, named: set[int]) -> list[AuditWorkflowRun]:
    """The runs that worked on the agency-year: linked to it (its report runs, the sweeps that started
    or joined them), named by its current status or by one of its records."""
    linked = select(WorkflowRunAgencyYear.workflow_run_id).where(
        WorkflowRunAgencyYear.agency_id == agency_id, WorkflowRunAgencyYear.report_year == report_year
    )
    current = select(AgencyStatus.workflow_run_id).where(
        AgencyStatus.agency_id == agency_id, AgencyStatus.report_year == report_year
    )
    rows = session.scalars(
        select(WorkflowRun)
        .where(or_(WorkflowRun.id.in_(named), WorkflowRun.id.in_(linked), WorkflowRun.id.in_(current)))
        .order_by(WorkflowRun.started_at, WorkflowRun.id)
    )
    return [AuditWorkflowRun.model_validate(r) for r in rows]


def _report(row: Report) -> AuditReport:
    content = row.content
    return AuditReport.model_validate(row).model_copy(
        update={
            "title": content.get("title"),
            "format": content.get("format"),
            "diagnostics": len(content.get("diagnostics", [])),
        }
    )


def _findings(session: Session, agency_id: str, report_year: int) -> list[AuditFinding]:
    rows = session.scalars(
        select(Finding)
        .where(Finding.agency_id == agency_id, Finding.report_year == report_year)
        .order_by(Finding.first_seen_at, Finding.id)
    ).all()
    events: dict[int, list[AuditEvent]] = {}
    for event in session.scalars(
        select(FindingEvent)
        .where(FindingEvent.finding_id.in_([f.id for f in rows]))
        .order_by(FindingEvent.at, FindingEvent.id)
    ):
        events.setdefault(event.finding_id, []).append(AuditEvent.model_validate(event))
    return [AuditFinding.model_validate(f).model_copy(update={"history": events.get(f.id, [])}) for f in rows]


def _notifications(
    session: Session, agency_id: str, report_year: int, fingerprints: dict[int, str]
) -> list[AuditNotification]:
    """The notifications about the agency-year (linked to it, or to one of its findings), each with the
    fingerprints of the findings of this agency-year it named."""
    links = session.execute(
        select(NotificationFinding.notification_id, NotificationFinding.finding_id).where(
            NotificationFinding.finding_id.in_(list(fingerprints))
        )
    ).all()
    about: dict[int, list[str]] = {}
    for notification_id, finding_id in links:
        about.setdefault(notification_id, []).append(fingerprints[finding_id])
    about_year = select(NotificationAgencyYear.notification_id).where(
        NotificationAgencyYear.agency_id == agency_id, NotificationAgencyYear.report_year == report_year
    )
    rows = session.scalars(
        select(Notification)
        .where(or_(Notification.id.in_(list(about)), Notification.id.in_(about_year)))
        .order_by(Notification.created_at, Notification.id)
    ).all()
    attempts: dict[int, list[AuditAttempt]] = {}
    for attempt in session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id.in_([n.id for n in rows]))
        .order_by(NotificationAttempt.attempted_at, NotificationAttempt.id)
    ):
        attempts.setdefault(attempt.notification_id, []).append(AuditAttempt.model_validate(attempt))
    return [
        AuditNotification.model_validate(n).model_copy(
            update={"fingerprints": sorted(about.get(n.id, [])), "attempt_log": attempts.get(n.id, [])}
        )
        for n in rows
    ]
