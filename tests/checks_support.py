"""Shared helpers of the check tests: parsing corpus and synthetic documents once, and finding lookups."""

from __future__ import annotations

from functools import cache
from typing import Any

from corpus import CORPUS
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.checks import CheckContext, Finding, Severity, run_checks
from dwatch.reports.model import AnnualReport
from dwatch.reports.parsers import parse_document

FORMATS = list(Format)


@cache
def corpus_report(name: str) -> AnnualReport:
    return parse_document((CORPUS / name).read_bytes(), name)


def parse(report: SyntheticReport, fmt: Format) -> AnnualReport:
    return parse_document(render(report, fmt), f"synthetic.{fmt.value}")


def check(report: SyntheticReport, fmt: Format, previous: AnnualReport | None = None) -> list[Finding]:
    context = CheckContext(published=report.published, agency_kind=report.agency_kind)
    return run_checks(parse(report, fmt), previous, context)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def at(findings: list[Finding], rule_id: str, **where: Any) -> list[Finding]:
    """Findings of `rule_id` whose location has every given field value."""
    return [f for f in findings if f.rule_id == rule_id and all(getattr(f.location, k) == v for k, v in where.items())]
