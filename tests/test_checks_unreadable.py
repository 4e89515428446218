"""READ-01 and the status `needs_review`: what could not be read is said once, never reported as omitted,
and never passed as compliant (issue 17 item 4, step 1)."""

from __future__ import annotations

import re

import pytest
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.checks import run_checks
from dwatch.reports.checks.findings import CheckContext, Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.parsers import parse_document
from ocr_support import scanned_pdf

from dwatch.review import status_of


@pytest.fixture(autouse=True)
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the OCR engine (the `ocr` extra): what is an image stays unread."""
    monkeypatch.setattr("dwatch.reports.ocr.available", lambda: False)


@pytest.fixture(scope="module")
def scanned() -> bytes:
    return scanned_pdf(render(generate(3, year=2024), Format.PDF))


def test_a_scanned_pdf_gets_one_unreadable_finding_and_no_structure_errors(scanned: bytes) -> None:
    report = parse_document(scanned, "scan.pdf")
    findings = run_checks(report, context=CheckContext(agency_kind="department", report_year=2024))
    read = [f for f in findings if f.rule_id == "READ-01"]
    assert len(read) == 1
    assert read[0].arguments["case"] == "scanned"
    assert "人工核对" in read[0].message_zh
    assert not [f for f in findings if f.rule_id.startswith(("STR-", "T2-", "T3-", "T4-", "N-", "S5", "S6", "IMG"))]
    assert not [f for f in findings if f.severity is Severity.ERROR]
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW


def test_a_late_scan_is_still_late(scanned: bytes) -> None:
    from datetime import date

    report = parse_document(scanned, "scan.pdf")
    context = CheckContext(agency_kind="department", report_year=2024, published=date(2025, 5, 1))
    findings = run_checks(report, context=context)
    assert "TIME-01" in {f.rule_id for f in findings}
    assert status_of(findings) is ComplianceStatus.LATE


def test_an_html_report_with_its_tables_as_images_is_not_compliant() -> None:
    page = render(generate(5, year=2024), Format.HTML).decode("utf-8")
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) >= 3
    for i, table in enumerate(tables):
        page = page.replace(table, f'<p><img src="table{i}.png" alt=""></p>', 1)
    report = parse_document(page.encode("utf-8"), "images.html")
    findings = run_checks(report, context=CheckContext(agency_kind="department", report_year=2024))
    assert "IMG-01" in {f.rule_id for f in findings}
    assert status_of(findings) is not ComplianceStatus.COMPLIANT
    if not any(f.severity is Severity.ERROR for f in findings):
        assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW


def test_a_readable_report_stays_compliant_and_a_low_confidence_finding_needs_review() -> None:
    report = parse_document(render(generate(5, year=2024), Format.HTML), "ok.html")
    findings = [
        f
        for f in run_checks(report, context=CheckContext(agency_kind="department", report_year=2024))
        if f.severity is not Severity.ERROR
    ]
    assert status_of([f for f in findings if f.rule_id not in {"READ-01", "IMG-01"}]) is ComplianceStatus.COMPLIANT
    if findings:
        doubtful = findings[0].model_copy(update={"arguments": {**findings[0].arguments, "low_confidence": True}})
        assert status_of([doubtful]) is ComplianceStatus.NEEDS_REVIEW


def test_needs_review_has_one_wording_everywhere_statuses_are_listed() -> None:
    from dwatch.alerts.facts import _SECTIONS
    from dwatch.labels import COMPLIANCE_STATUS_ZH
    from dwatch.web.labels import STATUS_ORDER

    assert COMPLIANCE_STATUS_ZH[ComplianceStatus.NEEDS_REVIEW] == "待人工核对"
    assert set(COMPLIANCE_STATUS_ZH) == set(ComplianceStatus)
    assert set(ComplianceStatus) <= set(STATUS_ORDER)
    # The digest has one section per status, titled with its name from COMPLIANCE_STATUS_ZH.
    assert [s for s, _ in _SECTIONS] == list(dict.fromkeys(s for s, _ in _SECTIONS))
    assert {s for s, _ in _SECTIONS} == set(ComplianceStatus)
    assert (ComplianceStatus.NEEDS_REVIEW, True) in _SECTIONS
