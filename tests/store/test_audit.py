"""The audit trail of an agency-year is complete whatever its status: a missing or unreachable report
has no document, report, check or finding, yet its runs, notifications and status changes are listed."""

from __future__ import annotations

import pytest
from audit_support import REASON, REFUSED, digest, escalation, notify, report_run, sweep_id, sweep_run
from dwatch.activities.review import review_and_link
from dwatch.reports.retrieval import Outcome
from dwatch.workflows.models import CrawlResult, ReviewRequest, report_workflow_id
from factories import AGENCY, YEAR

from dwatch.store.audit import AuditRecord, audit
from dwatch.store.database import Store
from dwatch.store.runs import start_run
from dwatch.store.tables import WorkflowRunAgencyYear

OTHER = "hh-gov"
PARENT = "hn-gwb"


def _audited(store: Store) -> AuditRecord:
    with store.session() as session:
        record = audit(session, AGENCY, YEAR)
    assert record is not None
    return record


@pytest.mark.parametrize("outcome", [Outcome.MISSING, Outcome.UNREACHABLE])
def test_a_report_without_document_lists_its_runs_notifications_and_status_changes(
    registered: Store, outcome: Outcome
) -> None:
    sweep = sweep_run(registered, YEAR, [AGENCY, OTHER])
    with registered.session() as session:
        other = start_run(session, report_workflow_id(OTHER, YEAR), "x", "report", agency_year=(OTHER, YEAR)).id
    first = report_run(registered, AGENCY, YEAR, "run-1", outcome, passes=2)
    if outcome is Outcome.MISSING:
        told = escalation(registered, AGENCY, YEAR, PARENT)
    else:  # an unreachable report is not escalated: the sweep's digest is what told anyone
        told = digest(registered, [AGENCY, OTHER], YEAR, PARENT)
    notify(registered, "about-another-year", "另一年度", [(AGENCY, YEAR - 1)], None, supervisor=PARENT)
    notify(registered, "about-another-agency", "另一机关", [(OTHER, YEAR)], None, supervisor=PARENT)
    again = report_run(registered, AGENCY, YEAR, "run-2", outcome)  # re-crawled by ops: same status

    record = _audited(registered)
    assert (record.documents, record.reports, record.check_runs, record.findings) == ([], [], [], [])
    assert [(r.id, r.kind, r.workflow_id, r.run_id, r.status) for r in record.workflow_runs] == [
        (sweep, "sweep", sweep_id(YEAR), "sweep-run-1", "running"),
        (first, "report", f"report/{AGENCY}/{YEAR}", "run-1", "completed"),
        (again, "report", f"report/{AGENCY}/{YEAR}", "run-2", "completed"),
    ]
    assert other not in {r.id for r in record.workflow_runs}
    assert [(e.from_status, e.to_status, e.detail, e.workflow_run_id) for e in record.status_history] == [
        (None, outcome.value, REASON, first)
    ]
    [notification] = record.notifications
    assert (notification.id, notification.status, notification.fingerprints) == (told, "sent", [])
    assert notification.target_masked == "mailto://****@mail.hunan.gov.cn/****"
    assert [(a.ok, a.error) for a in notification.attempt_log] == [(False, REFUSED), (True, None)]


def test_runs_named_only_by_the_status_are_listed(registered: Store) -> None:
    """Rows recorded before runs were linked to their agency-year: the status history still names
    the run that made each change, and the current status the run that checked last."""
    with registered.session() as session:
        changed = start_run(session, "annual-check-hh-2023", "run-1", "check").id
        checked = start_run(session, "annual-check-hh-2023", "run-2", "check").id
    crawl = CrawlResult(agency_id=AGENCY, year=YEAR, outcome=Outcome.MISSING)
    for run_pk in (changed, checked):
        review_and_link(registered, ReviewRequest(agency_id=AGENCY, year=YEAR, run_pk=run_pk, crawl=crawl))
    with registered.session() as session:
        session.execute(WorkflowRunAgencyYear.__table__.delete())
    record = _audited(registered)
    assert {r.id for r in record.workflow_runs} == {changed, checked}
    assert [e.workflow_run_id for e in record.status_history] == [changed]


def test_an_agency_year_with_nothing_recorded_has_an_empty_record(registered: Store) -> None:
    record = _audited(registered)
    assert (record.status_history, record.notifications, record.workflow_runs) == ([], [], [])
    with registered.session() as session:
        assert audit(session, "no-such-agency", YEAR) is None
