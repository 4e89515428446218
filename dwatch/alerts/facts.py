"""What a message says, read from the store: the view models the templates render.

Texts here are raw (crawled evidence included); `messages` escapes them per channel format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.alerts.messages import SafeUrl, safe_url
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH, SEVERITY_ZH
from dwatch.links import dashboard_url, dossier_url
from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.store.findings import severity_rank
from dwatch.store.tables import Agency, AgencyStatus, Document, Finding, FindingStatus

# Digest sections (one per status, named as everywhere else), in the order a supervisor acts on them;
# True: list each agency's findings.
_SECTIONS: tuple[tuple[ComplianceStatus, bool], ...] = (
    (ComplianceStatus.MISSING, True),
    (ComplianceStatus.LATE, True),
    (ComplianceStatus.DEFECTIVE, True),
    (ComplianceStatus.UNREACHABLE, True),
    (ComplianceStatus.UNPARSEABLE, True),
    (ComplianceStatus.NEEDS_REVIEW, True),
    (ComplianceStatus.COMPLIANT, False),
)


@dataclass(frozen=True)
class FindingLine:
    severity: str  # its zh-CN name
    message: str
    evidence: str


@dataclass(frozen=True)
class AgencyLine:
    id: str
    name: str
    region: str
    status: ComplianceStatus | None
    detail: str
    dashboard: SafeUrl | None
    source: SafeUrl | None
    findings: list[FindingLine] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    finding_ids: list[int] = field(default_factory=list)
    errors: int = 0  # open error-level findings: the digest lists the worst agencies first


@dataclass(frozen=True)
class Section:
    title: str
    agencies: list[AgencyLine]
    detailed: bool


@dataclass(frozen=True)
class DigestContext:
    supervisor: str
    year: int
    sweep_id: str
    total: int
    counts: list[tuple[str, int]]
    sections: list[Section]
    dashboard: SafeUrl | None


@dataclass(frozen=True)
class ChangeContext:
    """An immediate alert (became defective or late) or a resolved notice."""

    supervisor: str
    year: int
    agency: AgencyLine
    current: str
    previous: str | None
    resolved: int = 0


@dataclass(frozen=True)
class EscalationContext:
    parent: str
    supervisor: str
    year: int
    agency: AgencyLine
    deadline: date
    today: date
    days: int


@dataclass(frozen=True)
class TestContext:
    supervisor: str
    sent_at: str


def dashboard_link(settings: Settings, agency_id: str | None = None, year: int | None = None) -> SafeUrl | None:
    if agency_id is None or year is None:
        return safe_url(dashboard_url(settings, year))
    return safe_url(dossier_url(settings, agency_id, year))


def agency_line(
    session: Session,
    settings: Settings,
    agency: Agency,
    year: int,
    *,
    check_run_id: int | None = None,
    errors_only: bool = False,
) -> AgencyLine:
    """The agency with its status, links and top open findings (of one check run, if given)."""
    status = session.get(AgencyStatus, (agency.id, year))
    document = session.get(Document, status.document_id) if status and status.document_id else None
    query = select(Finding).where(
        Finding.agency_id == agency.id, Finding.report_year == year, Finding.status == FindingStatus.OPEN.value
    )
    query = query.where(Finding.severity.in_(("error",) if errors_only else ("error", "warning")))
    if check_run_id is not None:
        query = query.where(Finding.last_check_run_id == check_run_id)
    rows = list(session.scalars(query.order_by(severity_rank(), Finding.rule_id)))
    return AgencyLine(
        id=agency.id,
        name=agency.name,
        region=agency.region_code,
        status=ComplianceStatus(status.status) if status else None,
        detail=status.detail if status and not rows else "",
        dashboard=dashboard_link(settings, agency.id, year),
        source=safe_url(document.final_url) if document else None,
        findings=[
            FindingLine(severity=SEVERITY_ZH.get(r.severity, r.severity), message=r.message_zh, evidence=r.evidence)
            for r in rows[: settings.alerts.top_findings]
        ],
        fingerprints=sorted(r.fingerprint for r in rows),
        finding_ids=[r.id for r in rows],
        errors=sum(r.severity == Severity.ERROR.value for r in rows),
    )


def digest_context(
    session: Session,
    settings: Settings,
    supervisor: str,
    year: int,
    sweep_id: str,
    agencies: list[Agency],
) -> DigestContext:
    # Within a section: the agencies with the most errors first, then the most findings.
    lines = sorted(
        (agency_line(session, settings, a, year) for a in agencies),
        key=lambda line: (-line.errors, -len(line.finding_ids), line.id),
    )
    sections = [
        Section(
            title=COMPLIANCE_STATUS_ZH[status], agencies=[a for a in lines if a.status is status], detailed=detailed
        )
        for status, detailed in _SECTIONS
    ]
    return DigestContext(
        supervisor=supervisor,
        year=year,
        sweep_id=sweep_id,
        total=len(lines),
        counts=[(s.title, len(s.agencies)) for s in sections],
        sections=[s for s in sections if s.agencies],
        dashboard=dashboard_link(settings, year=year),
    )
