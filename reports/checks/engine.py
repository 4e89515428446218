"""Apply the catalogue to a report: resolve the context, run every applicable rule, order findings."""

from __future__ import annotations

from dwatch.reports.checks.catalogue import CATALOGUE, Catalogue
from dwatch.reports.checks.findings import CheckContext, Finding, Severity
from dwatch.reports.checks.readability import ReadParams, qualify, reads_content, unreadable
from dwatch.reports.checks.registry import RuleRun, Subject
from dwatch.reports.compliance import ResolvedKind, resolve_agency_kind
from dwatch.reports.model import AnnualReport

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def agency_kind_of(report: AnnualReport, context: CheckContext) -> ResolvedKind:
    """The kind the context gives, else the one the agency's name says (compliance.infer_agency_kind)."""
    return resolve_agency_kind(context.agency_kind, context.agency_name or report.agency)


def resolve(report: AnnualReport, previous: AnnualReport | None, context: CheckContext | None) -> Subject:
    context = context or CheckContext()
    kind = agency_kind_of(report, context)
    return Subject(
        report=report,
        previous=previous,
        context=context,
        year=context.report_year or report.year,
        agency_kind=kind.kind,
        agency_kind_source=kind.source,
    )


def run_checks(
    report: AnnualReport,
    previous: AnnualReport | None = None,
    context: CheckContext | None = None,
    catalogue: Catalogue = CATALOGUE,
) -> list[Finding]:
    """All findings on `report` (and against `previous`, last year's report of the same agency)."""
    subject = resolve(report, previous, context)
    findings: list[Finding] = []
    # A document without readable text is not checked for content it may well have (READ-01 says so).
    unread = unreadable(report)
    for rule in catalogue.rules:
        if not rule.applies.covers(subject.year, subject.agency_kind):
            continue
        if unread and reads_content(rule.category) and rule.id != "READ-01":
            continue
        run = RuleRun(rule=rule, version=catalogue.version, subject=subject, findings=findings)
        for check_kind, params in rule.bound_checks:
            check_kind.run(run, params)
    read_rule = next((r for r in catalogue.rules if r.id == "READ-01"), None)
    if read_rule is not None:
        params = next(p for _, p in read_rule.bound_checks if isinstance(p, ReadParams))
        findings = qualify(findings, report, params.min_confidence)
    order = {rule.id: i for i, rule in enumerate(catalogue.rules)}
    findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], order[f.rule_id]))
    return findings
