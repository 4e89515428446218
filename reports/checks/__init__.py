"""Compliance checks of annual reports: a versioned rule catalogue (catalogue.yaml) applied by kinds of check.

findings = run_checks(report, previous=last_year, context=CheckContext(published=date(2024, 1, 20)))
"""

from dwatch.reports.checks.catalogue import CATALOGUE, Catalogue, Rule
from dwatch.reports.checks.engine import run_checks
from dwatch.reports.checks.findings import Category, CheckContext, Finding, Severity

__all__ = ["CATALOGUE", "Catalogue", "Category", "CheckContext", "Finding", "Rule", "Severity", "run_checks"]
