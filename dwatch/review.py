"""Reviewing an archived document: parse → check (against last year's report) → record → status.

The compliance status is what supervisors sort by: missing / unreachable come from the crawl,
unparseable from the parser, late / defective / needs_review / compliant from the findings.

The document is parsed in a process of its own under the parse budget (`parsers.budget`): a document
over it is a report with nothing read and rule PARSE-LIMIT's finding, so the review still ends, in
needs_review (or late), and is not retried.
"""

from __future__ import annotations

import time
from collections import Counter

from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.checks import run_checks
from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.reports.checks.findings import CheckContext, Finding, Severity
from dwatch.reports.checks.readability import NEEDS_REVIEW_RULES
from dwatch.reports.compliance import ComplianceStatus, report_deadline
from dwatch.reports.model import AnnualReport, DateSource
from dwatch.reports.parsers import ParseError, sniff
from dwatch.reports.parsers.budget import parse_within_budget
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, ParseLimits
from dwatch.reports.retrieval import Outcome
from dwatch.store.database import Store
from dwatch.store.documents import with_bytes
from dwatch.store.findings import CheckRunInput, record_check_run
from dwatch.store.images import image_source
from dwatch.store.registry.models import AgencyRow
from dwatch.store.reports import load_report, save_report
from dwatch.store.status import record_status
from dwatch.store.tables import Document, Report
from dwatch.workflows.models import CrawlResult, Review, RuleTally

_LATE_RULE = "TIME-01"
_tracer = trace.get_tracer(__name__)


def needs_review(finding: Finding) -> bool:
    """The finding says part of the report was not (reliably) read: unreadable pages, tables as images,
    a check resting on a low-confidence OCR cell."""
    if finding.rule_id in NEEDS_REVIEW_RULES and finding.severity is not Severity.INFO:
        return True
    return bool(finding.arguments.get("low_confidence"))


def status_of(findings: list[Finding]) -> ComplianceStatus:
    """Late, then defective (errors), then needs review (not all of it could be read: never 合格 unread)."""
    if any(f.rule_id == _LATE_RULE and f.severity is Severity.ERROR for f in findings):
        return ComplianceStatus.LATE
    if any(f.severity is Severity.ERROR for f in findings):
        return ComplianceStatus.DEFECTIVE
    if any(needs_review(f) for f in findings):
        return ComplianceStatus.NEEDS_REVIEW
    return ComplianceStatus.COMPLIANT


def previous_report(session: Session, agency_id: str, year: int) -> AnnualReport | None:
    """The newest parsed report of the agency for the year before (for X-01/X-02/X-03)."""
    report_id = session.scalar(
        select(Report.id)
        .join(Document, Report.document_id == Document.id)
        .where(Document.agency_id == agency_id, Document.report_year == year - 1)
        .order_by(Report.parsed_at.desc())
        .limit(1)
    )
    return load_report(session, report_id) if report_id is not None else None


def _context(session: Session, agency: AgencyRow, year: int, document: Document, insecure_tls: bool) -> CheckContext:
    first = session.scalar(
        select(Document.fetched_at).where(
            Document.agency_id == document.agency_id,
            Document.report_year == document.report_year,
            Document.version == 1,
        )
    )
    return CheckContext(
        agency_kind=agency.kind,
        agency_name=agency.name,
        published=document.published_on,
        published_source=DateSource(document.published_source) if document.published_source else None,
        deadline=report_deadline(year, agency.kind, agency.deadline),
        report_year=year,
        insecure_tls=insecure_tls,
        document_version=document.version,
        first_fetched=first.date() if first else None,
    )


def review_document(
    store: Store,
    agency: AgencyRow,
    year: int,
    document_id: int,
    *,
    insecure_tls: bool = False,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> Review:
    # Read, then parse and check outside any transaction, then write: a parse may take minutes (its
    # budget), and a write transaction held meanwhile would hold up every other writer (on SQLite).
    with store.reading() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise KeyError(document_id)
        # An <img> table is read from the image archived with the document (never fetched here).
        images = image_source(session, store.blobs, document)
        context = _context(session, agency, year, document, insecure_tls)
        previous = previous_report(session, agency.id, year)
    data = store.blobs.get(document.sha256)
    document_format = _format_of(data)
    traced: dict[str, str | int] = {"agency_id": agency.id, "year": year, "format": document_format}
    started = time.perf_counter()
    with _tracer.start_as_current_span("parse", attributes=traced) as span:
        try:
            report = parse_within_budget(
                data, document.final_url, content_type=document.media_type, limits=limits, images=images
            )
        except ParseError as exc:
            span.set_attribute("outcome", "unparseable")
            return Review(
                agency_id=agency.id,
                year=year,
                status=ComplianceStatus.UNPARSEABLE,
                detail=str(exc),
                document_id=document_id,
                document_format=document_format,
                parse_seconds=time.perf_counter() - started,
            )
    parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with _tracer.start_as_current_span("check", attributes=traced):
        findings = run_checks(report, previous, context)
    check_seconds = time.perf_counter() - started
    with store.session() as session:
        report_id = save_report(session, document_id, report)
        recorded = record_check_run(
            session,
            CheckRunInput(
                agency_id=agency.id,
                report_year=year,
                catalogue_version=CATALOGUE.version,
                rules=[r.id for r in CATALOGUE.rules],
                document_id=document_id,
                report_id=report_id,
            ),
            findings,
        )
    return Review(
        agency_id=agency.id,
        year=year,
        status=status_of(findings),
        document_id=document_id,
        report_id=report_id,
        check_run_id=recorded.check_run_id,
        errors=sum(f.severity is Severity.ERROR for f in findings),
        warnings=sum(f.severity is Severity.WARNING for f in findings),
        top_findings=[f.message_zh for f in findings if f.severity is not Severity.INFO][:3],
        opened=len(recorded.opened) + len(recorded.reopened),
        resolved=len(recorded.resolved),
        document_format=document_format,
        parse_seconds=parse_seconds,
        check_seconds=check_seconds,
        findings_by_rule=[
            RuleTally(rule_id=rule_id, severity=severity, count=count)
            for (rule_id, severity), count in sorted(Counter((f.rule_id, f.severity.value) for f in findings).items())
        ],
    )


def _format_of(data: bytes) -> str:
    try:
        return sniff(data).name.lower()
    except ParseError:
        return "unknown"


def review_crawl(store: Store, agency: AgencyRow, crawl: CrawlResult) -> Review:
    """Review one crawl result (its document, or the crawl's own outcome) and record the status."""
    review = _review_crawl(store, agency, crawl)
    with store.session() as session:
        transition = record_status(
            session,
            review.agency_id,
            review.year,
            review.status,
            review.detail or "；".join(review.top_findings),
            failure_detail=review.failure_detail,
            document_id=review.document_id,
            check_run_id=review.check_run_id,
        )
    review.previous_status = transition.previous
    return review


def _review_crawl(store: Store, agency: AgencyRow, crawl: CrawlResult) -> Review:
    if crawl.outcome is not Outcome.FOUND or crawl.sha256 is None:
        status = ComplianceStatus.MISSING if crawl.outcome is Outcome.MISSING else ComplianceStatus.UNREACHABLE
        return Review(
            agency_id=agency.id,
            year=crawl.year,
            status=status,
            detail=crawl.reason,
            failure_detail=crawl.failure_detail,
        )
    with store.reading() as session:
        document = with_bytes(session, agency.id, crawl.year, crawl.sha256)
        document_id = document.id if document is not None else None
    if document_id is None:
        return Review(
            agency_id=agency.id, year=crawl.year, status=ComplianceStatus.UNREACHABLE, detail="document not archived"
        )
    return review_document(store, agency, crawl.year, document_id, insecure_tls=crawl.insecure_tls)
