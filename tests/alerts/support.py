"""Recording what a review would record (findings, check run, status), without crawling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from dwatch.reports.checks.findings import Finding, fingerprint
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.model import Location
from dwatch.workflows.models import Review
from store.factories import finding as stored_finding
from store.factories import run

from dwatch.store.database import Store
from dwatch.store.documents import FetchedDocument, record_fetch
from dwatch.store.findings import record_check_run
from dwatch.store.status import record_status

YEAR = 2023
TODAY = date(YEAR + 1, 4, 1)  # the day a digest is sent (its period), unless a test says otherwise
UNTRUSTED = '证据<script>alert("x")</script> 详见[链接](http://evil.example/steal) 响铃\x07结束'


def city_and_province(port: int) -> list[dict[str, Any]]:
    """A city office that escalates to its province, both notified by webhook on the local receiver."""
    return [
        {"id": "prov", "name": "省政务公开办", "notify": [{"url": f"json://127.0.0.1:{port}/prov"}]},
        {"id": "city", "name": "市政务公开办", "parent": "prov", "notify": [{"url": f"json://127.0.0.1:{port}/city"}]},
    ]


def finding(agency_id: str, rule_id: str = "ACC-01", evidence: str = "本年新收申请 4") -> Finding:
    location = Location(table="table3", row=rule_id, column="total")
    return stored_finding(rule_id, row=rule_id, message=f"{rule_id} 数据不一致").model_copy(
        update={"evidence": evidence, "fingerprint": fingerprint(rule_id, agency_id, YEAR, location)}
    )


def record_review(
    store: Store,
    agency_id: str,
    status: ComplianceStatus,
    findings: Sequence[Finding] = (),
    *,
    source_url: str | None = None,
) -> Review:
    """What `review_crawl` records for a report with these findings, and the Review it returns."""
    with store.session() as session:
        document_id = None
        if source_url is not None:
            fetched = FetchedDocument(
                agency_id=agency_id,
                report_year=YEAR,
                url=source_url,
                final_url=source_url,
                http_status=200,
                http_headers={},
                media_type="text/html",
                fetched_at=run().checked_at,
            )
            document_id = record_fetch(session, store.blobs, fetched, source_url.encode()).id
        check_run_id = None
        if status not in (ComplianceStatus.MISSING, ComplianceStatus.UNREACHABLE):
            checked = run(agency_id=agency_id, document_id=document_id)
            check_run_id = record_check_run(session, checked, findings).check_run_id
        detail = "栏目中没有找到年度报告" if status is ComplianceStatus.MISSING else ""
        transition = record_status(
            session, agency_id, YEAR, status, detail, document_id=document_id, check_run_id=check_run_id
        )
    return Review(
        agency_id=agency_id,
        year=YEAR,
        status=status,
        document_id=document_id,
        check_run_id=check_run_id,
        errors=len(findings),
        previous_status=transition.previous,
    )
