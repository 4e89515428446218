"""The database schema as SQLAlchemy ORM tables. Migrations in `migrations/versions/` build the same.

Revision 0001: registry (supervisors, agencies), documents, reports, check runs, findings and
their history. Revision 0002: workflow runs (linked from documents, reports and check runs) and
notifications with their findings and delivery attempts. Revision 0003: per-agency insecure TLS.
Revision 0004: the compliance status of each agency-year and its history. Revision 0005: users of
the web dashboard and JSON API. Revision 0006: per-host crawl politeness. Revision 0007: which
agency-years each workflow run and each notification was about (the audit trail of an agency-year
with no document or finding: missing, unreachable). Revision 0008: document versions are numbered per
agency-year, not per URL (the same bytes at another URL are the same version). Revision 0011: the
images of HTML reports (tables as <img>), fetched with them for OCR. Revision 0012: open web sessions
and API tokens (replacing the users' `tokens_valid_after`), and sign-in throttling.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dwatch.reports.compliance import AgencyKind, ComplianceStatus
from dwatch.store.types import JSONType, UTCDateTime

# Named constraints: Alembic needs names to alter them (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class FindingStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    WAIVED = "waived"
    RESOLVED = "resolved"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


class Supervisor(Base):
    __tablename__ = "supervisors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("supervisors.id"))
    # [{"url": apprise URL (secret), "tags": [...]}, …]
    notify: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint("kind IN ('department', 'government')", name="kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(12))
    supervisor_id: Mapped[str] = mapped_column(ForeignKey("supervisors.id"), index=True)
    base_url: Mapped[str] = mapped_column(Text)
    listing_urls: Mapped[list[Any]]
    allowed_hosts: Mapped[list[Any]]
    selectors: Mapped[dict[str, Any] | None]
    deadline: Mapped[str | None] = mapped_column(String(5))  # "MM-DD" of the year after the report year
    active: Mapped[bool] = mapped_column(Boolean)
    insecure_tls: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Document(Base):
    """One version of an agency-year's report: different bytes make a new version, wherever they were
    found; `url` and `final_url` say where the version was last seen."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("agency_id", "report_year", "version"),
        Index("ix_documents_agency_year", "agency_id", "report_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    report_year: Mapped[int]
    url: Mapped[str] = mapped_column(Text)
    version: Mapped[int]
    final_url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None]
    http_headers: Mapped[dict[str, Any]]
    published_on: Mapped[date | None] = mapped_column(Date)
    published_source: Mapped[str | None] = mapped_column(String(16))
    published_raw: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))


class DocumentImage(Base):
    """An image of an HTML report version (a table published as <img>): the blob of its bytes, or why
    fetching it failed (the table then stays unread)."""

    __tablename__ = "document_images"
    __table_args__ = (UniqueConstraint("document_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime]


class Report(Base):
    """A parsed document: `content` is `AnnualReport.model_dump(mode="json")`."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    schema_version: Mapped[str] = mapped_column(String(16))
    parsed_at: Mapped[datetime]
    content: Mapped[dict[str, Any]]
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))


class CheckRun(Base):
    """One run of the checks over an agency's report for a year (which rules ran, when, on what)."""

    __tablename__ = "check_runs"
    __table_args__ = (Index("ix_check_runs_agency_year", "agency_id", "report_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    report_year: Mapped[int]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    catalogue_version: Mapped[str] = mapped_column(String(32))
    rules: Mapped[list[Any]]
    checked_at: Mapped[datetime]
    finding_count: Mapped[int]
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))


class Finding(Base):
    """A defect, one row per (agency, year, fingerprint) however often the checks report it."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("agency_id", "report_year", "fingerprint"),
        CheckConstraint(_one_of("status", FindingStatus), name="status"),
        Index("ix_findings_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    report_year: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(32))
    catalogue_version: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    arguments: Mapped[dict[str, Any]]
    location: Mapped[dict[str, Any]]
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    status_changed_at: Mapped[datetime]
    status_by: Mapped[str] = mapped_column(String(100))
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The check run that set the current status; NULL when a person set it.
    status_check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    times_seen: Mapped[int]
    first_check_run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id"))
    last_check_run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id"))
    last_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))


class FindingEvent(Base):
    """Status history of a finding: who moved it from what to what, when and why."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    at: Mapped[datetime]
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id"))


class CheckRunFinding(Base):
    """Which findings a check run reported."""

    __tablename__ = "check_run_findings"

    check_run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id"), primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True, index=True)


class WorkflowRun(Base):
    """A Temporal workflow execution, kept after Temporal's own history expires."""

    __tablename__ = "workflow_runs"
    __table_args__ = (
        UniqueConstraint("workflow_id", "run_id"),
        CheckConstraint(_one_of("status", RunStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class WorkflowRunAgencyYear(Base):
    """An agency-year a run worked on: a report run its own, a sweep each one it started or joined."""

    __tablename__ = "workflow_run_agency_years"
    __table_args__ = (Index("ix_workflow_run_agency_years_agency_year", "agency_id", "report_year"),)

    workflow_run_id: Mapped[int] = mapped_column(ForeignKey("workflow_runs.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    report_year: Mapped[int] = mapped_column(Integer, primary_key=True)


class Notification(Base):
    """One message to one target; the idempotency key makes a retried send a no-op."""

    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint(_one_of("status", NotificationStatus), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("supervisors.id"))
    recipient: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    target_masked: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NotificationFinding(Base):
    __tablename__ = "notification_findings"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True, index=True)


class NotificationAgencyYear(Base):
    """An agency-year a notification was about: an alert's or escalation's one, each one a digest lists."""

    __tablename__ = "notification_agency_years"
    __table_args__ = (Index("ix_notification_agency_years_agency_year", "agency_id", "report_year"),)

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    report_year: Mapped[int] = mapped_column(Integer, primary_key=True)


class NotificationAttempt(Base):
    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    attempted_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)


class AgencyStatus(Base):
    """The current compliance status of one agency's report for one year."""

    __tablename__ = "agency_status"
    __table_args__ = (CheckConstraint(_one_of("status", ComplianceStatus), name="status"),)

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    report_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    # The technical cause of a crawl failure (English, from the fetcher) for ops; `detail` is the reason in Chinese.
    failure_detail: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id"))
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))
    changed_at: Mapped[datetime]
    checked_at: Mapped[datetime]


class AgencyStatusEvent(Base):
    """A change of an agency-year's compliance status (the first status included)."""

    __tablename__ = "agency_status_events"
    __table_args__ = (Index("ix_agency_status_events_agency_year", "agency_id", "report_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    report_year: Mapped[int]
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    workflow_run_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_runs.id"))


class WebUser(Base):
    """A person who signs in to the dashboard or the API. `roles` grant actions (see `dwatch.web.security`)."""

    __tablename__ = "web_users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebSession(Base):
    """A browser session or API token that is still open: signing out or a password change deletes it,
    which voids the cookie or token at once. Keyed by a random id the signed token carries."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("web_users.name", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(Base):
    """Recent failed sign-ins of one account or one client address (`account:NAME`, `address:IP`),
    and until when further attempts are refused."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class CrawlHostGate(Base):
    """Per-host politeness shared by every crawl process: the leases of the requests in flight to the
    host (lease id → epoch seconds it lapses, so a killed worker's leases free themselves) and the
    earliest moment the next request may start."""

    __tablename__ = "crawl_host_gates"

    host: Mapped[str] = mapped_column(String(300), primary_key=True)
    next_start: Mapped[float] = mapped_column(Float)
    leases: Mapped[dict[str, Any]]


class CrawlHost(Base):
    """A host's own crawl politeness from the registry (`hosts:`), where it differs from the defaults.
    Revision 0013."""

    __tablename__ = "crawl_hosts"

    host: Mapped[str] = mapped_column(String(300), primary_key=True)
    interval: Mapped[float] = mapped_column(Float)
    concurrency: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
