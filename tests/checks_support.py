"""Shared helpers of the check tests: checking synthetic documents, and finding lookups."""

from __future__ import annotations

from typing import Any

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.checks import CheckContext, Finding, Severity, run_checks
from dwatch.reports.model import AnnualReport
from dwatch.reports.parsers import parse_document

FORMATS = list(Format)


def parse(report: SyntheticReport, fmt: Format) -> AnnualReport:
    return parse_document(render(report, fmt), f"synthetic.{fmt.value}")


def check(report: SyntheticReport, fmt: Format, previous: AnnualReport | None = None) -> list[Finding]:
    context = CheckContext(published=report.published, agency_kind=report.agency_kind)
    return run_checks(parse(report, fmt), previous, context)


def with_text(report: AnnualReport, section_id: str, text: str) -> AnnualReport:
    """`report` with one section saying `text`: narrative phrasings checked without rendering a document."""
    sections = [s.model_copy(update={"text": text}) if s.section_id == section_id else s for s in report.sections]
    return report.model_copy(update={"sections": sections})


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def at(findings: list[Finding], rule_id: str, **where: Any) -> list[Finding]:
    """Findings of `rule_id` whose location has every given field value."""
    return [f for f in findings if f.rule_id == rule_id and all(getattr(f.location, k) == v for k, v in where.items())]
