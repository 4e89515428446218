"""Findings lists are severity first and hide info-level findings unless asked for (CLI, web, API, digest)."""

from __future__ import annotations

from dwatch.reports.checks.findings import Severity
from factories import AGENCY, YEAR, finding, run

from dwatch.store.database import Store
from dwatch.store.findings import FindingQuery, count_findings, query_findings, record_check_run


def test_most_severe_first_and_info_hidden_by_default(registered: Store) -> None:
    # Rule ids in the reverse of their severity: the order must come from the severity, not the id.
    found = [
        finding("ART-01", row="R01").model_copy(update={"severity": Severity.INFO}),
        finding("N-01", row="R02").model_copy(update={"severity": Severity.WARNING}),
        finding("T3-02", row="R03"),
        finding("ACC-01", row="R04").model_copy(update={"severity": Severity.INFO}),
    ]
    with registered.session() as session:
        record_check_run(session, run(0), found)
    with registered.session() as session:
        default = query_findings(session, FindingQuery(agency_id=AGENCY, report_year=YEAR))
        everything = FindingQuery(agency_id=AGENCY, min_severity=Severity.INFO)
        listed = [(f.severity, f.rule_id) for f in query_findings(session, everything)]
        errors = query_findings(session, FindingQuery(min_severity=Severity.ERROR))
        counts = [count_findings(session, FindingQuery(min_severity=s)) for s in Severity]
    assert [(f.severity, f.rule_id) for f in default] == [("error", "T3-02"), ("warning", "N-01")]
    assert listed == [("error", "T3-02"), ("warning", "N-01"), ("info", "ACC-01"), ("info", "ART-01")]
    assert [f.rule_id for f in errors] == ["T3-02"]
    assert counts == [1, 2, 4]  # error, warning, info: each level and the more severe ones
