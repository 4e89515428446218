"""Apply the catalogue to a report: resolve the context, run every applicable rule, order findings."""

from __future__ import annotations

from dwatch.reports.checks.catalogue import CATALOGUE, Catalogue
from dwatch.reports.checks.findings import AgencyKind, CheckContext, Finding, Severity
from dwatch.reports.checks.registry import RuleRun, Subject
from dwatch.reports.model import AnnualReport

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_GOVERNMENT_SUFFIX = "人民政府"


def agency_kind_of(report: AnnualReport) -> AgencyKind:
    """A report of 某某人民政府 is a government's; 某某人民政府办公室 and every other body is a department."""
    return "government" if (report.agency or "").endswith(_GOVERNMENT_SUFFIX) else "department"


def resolve(report: AnnualReport, previous: AnnualReport | None, context: CheckContext | None) -> Subject:
    context = context or CheckContext()
    # CheckContext defaults agency_kind to "department"; only an explicitly set kind overrides the report.
    explicit_kind = "agency_kind" in context.model_fields_set
    return Subject(
        report=report,
        previous=previous,
        context=context,
        year=context.report_year or report.year,
        agency_kind=context.agency_kind if explicit_kind else agency_kind_of(report),
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
    for rule in catalogue.rules:
        if not rule.applies.covers(subject.year, subject.agency_kind):
            continue
        run = RuleRun(rule=rule, version=catalogue.version, subject=subject, findings=findings)
        for check_kind, params in rule.bound_checks:
            check_kind.run(run, params)
    order = {rule.id: i for i, rule in enumerate(catalogue.rules)}
    findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], order[f.rule_id]))
    return findings
