"""Everything known about one agency's report for one year, for auditors: what was fetched from
where and when, what it said, which rules ran, what was found, and whom we told.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.store.registry.models import AgencyRow
from dwatch.store.registry.service import agency_row
from dwatch.store.tables import (
    Agency,
    CheckRun,
    Document,
    Finding,
    FindingEvent,
    Notification,
    NotificationAttempt,
    NotificationFinding,
    Report,
    Supervisor,
    WorkflowRun,
)


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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


class AuditRecord(BaseModel):
    agency: AgencyRow
    supervisor_name: str
    report_year: int
    documents: list[AuditDocument]
    reports: list[AuditReport]
    check_runs: list[AuditCheckRun]
    findings: list[AuditFinding]
    notifications: list[AuditNotification]
    workflow_runs: list[AuditWorkflowRun]


def audit(session: Session, agency_id: str, report_year: int) -> AuditRecord | None:
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
    notifications = _notifications(session, {f.id: f.fingerprint for f in findings})
    run_ids = {r.workflow_run_id for r in (*documents, *reports, *check_runs, *notifications) if r.workflow_run_id}
    runs = session.scalars(select(WorkflowRun).where(WorkflowRun.id.in_(run_ids)).order_by(WorkflowRun.started_at))
    return AuditRecord(
        agency=agency_row(agency),
        supervisor_name=session.get_one(Supervisor, agency.supervisor_id).name,
        report_year=report_year,
        documents=[AuditDocument.model_validate(d) for d in documents],
        reports=[_report(r) for r in reports],
        check_runs=[AuditCheckRun.model_validate(c) for c in check_runs],
        findings=findings,
        notifications=notifications,
        workflow_runs=[AuditWorkflowRun.model_validate(r) for r in runs],
    )


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


def _notifications(session: Session, fingerprints: dict[int, str]) -> list[AuditNotification]:
    links = session.execute(
        select(NotificationFinding.notification_id, NotificationFinding.finding_id).where(
            NotificationFinding.finding_id.in_(list(fingerprints))
        )
    ).all()
    about: dict[int, list[str]] = {}
    for notification_id, finding_id in links:
        about.setdefault(notification_id, []).append(fingerprints[finding_id])
    rows = session.scalars(
        select(Notification).where(Notification.id.in_(list(about))).order_by(Notification.created_at, Notification.id)
    ).all()
    attempts: dict[int, list[AuditAttempt]] = {}
    for attempt in session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id.in_(list(about)))
        .order_by(NotificationAttempt.attempted_at, NotificationAttempt.id)
    ):
        attempts.setdefault(attempt.notification_id, []).append(AuditAttempt.model_validate(attempt))
    return [
        AuditNotification.model_validate(n).model_copy(
            update={"fingerprints": sorted(about[n.id]), "attempt_log": attempts.get(n.id, [])}
        )
        for n in rows
    ]
