"""ACCESS-01 and CHANGE-01: facts the crawler and the archive pass to the checks."""

from __future__ import annotations

from datetime import date

from corpus import CORPUS
from dwatch.reports.checks import run_checks
from dwatch.reports.checks.findings import CheckContext, Severity
from dwatch.reports.parsers import parse_document

NAME = "huaian-gov-2024.pdf"


def _rules(context: CheckContext) -> dict[str, list]:
    report = parse_document((CORPUS / NAME).read_bytes(), NAME)
    found: dict[str, list] = {}
    for finding in run_checks(report, context=context):
        found.setdefault(finding.rule_id, []).append(finding)
    return found


def test_no_provenance_findings_by_default() -> None:
    rules = _rules(CheckContext(agency_kind="government"))
    assert "ACCESS-01" not in rules and "CHANGE-01" not in rules


def test_insecure_tls_is_reported() -> None:
    [finding] = _rules(CheckContext(agency_kind="government", insecure_tls=True))["ACCESS-01"]
    assert finding.severity is Severity.WARNING
    assert finding.category.value == "ACCESS"
    assert "证书无效" in finding.message_zh


def test_a_new_version_is_reported_with_when_it_was_first_seen() -> None:
    context = CheckContext(agency_kind="government", document_version=2, first_fetched=date(2025, 3, 20))
    [finding] = _rules(context)["CHANGE-01"]
    assert "第2版" in finding.message_zh and "2025-03-20" in finding.message_zh
    again = _rules(context)["CHANGE-01"][0]
    third = _rules(context.model_copy(update={"document_version": 3}))["CHANGE-01"][0]
    assert again.fingerprint == finding.fingerprint != third.fingerprint
