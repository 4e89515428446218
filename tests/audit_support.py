"""The audit trail of an agency-year with no report, recorded by the code the workflows run: a
sweep's batch start, the report run's `begin_run` and review activities, alert delivery's store calls."""

from __future__ import annotations

import asyncio

from dwatch.activities.review import review_and_link
from dwatch.activities.runs import RunActivities
from dwatch.reports.retrieval import Outcome
from dwatch.workflows.models import CrawlResult, ReviewRequest, RunRef, report_workflow_id
from temporalio.testing import ActivityEnvironment

from dwatch.store.database import Store
from dwatch.store.notifications import NotificationRequest, create_notification, record_attempt
from dwatch.store.runs import finish_run, link_agency_years, start_run
from dwatch.store.tables import RunStatus

TARGET = "mailto://gwb:s3cret-pass@mail.hunan.gov.cn?to=gongkai@hunan.gov.cn"
REASON = "栏目中未找到年度报告"
REFUSED = "SMTP 421 try later"


def sweep_id(year: int) -> str:
    return f"sweep/{year}/all/20240201T080000000000"


def sweep_run(store: Store, year: int, agency_ids: list[str]) -> int:
    """A sweep's run, linked to the agency-years of its batch as `SweepActivities.start_reports` does."""
    with store.session() as session:
        run_pk = start_run(session, sweep_id(year), "sweep-run-1", "sweep").id
        link_agency_years(session, run_pk, [(agency_id, year) for agency_id in agency_ids])
    return run_pk


def report_run(store: Store, agency_id: str, year: int, run_id: str, outcome: Outcome, passes: int = 1) -> int:
    """One AgencyReport run: `begin_run`, then `passes` reviews of a crawl that found no report."""
    ref = RunRef(
        workflow_id=report_workflow_id(agency_id, year), run_id=run_id, kind="report", agency_id=agency_id, year=year
    )
    run_pk = asyncio.run(ActivityEnvironment().run(RunActivities(store).begin_run, ref))
    crawl = CrawlResult(agency_id=agency_id, year=year, outcome=outcome, reason=REASON)
    for _ in range(passes):  # e.g. the sweep's pass, then the look after the polls (still nothing)
        review_and_link(store, ReviewRequest(agency_id=agency_id, year=year, run_pk=run_pk, crawl=crawl))
    with store.session() as session:
        finish_run(session, run_pk, RunStatus.COMPLETED)
    return run_pk


def notify(
    store: Store, key: str, subject: str, about: list[tuple[str, int]], *outcomes: str | None, supervisor: str
) -> int:
    """A notification as `dispatch` records it, then its delivery attempts (None: delivered)."""
    with store.session() as session:
        row, _ = create_notification(
            session,
            NotificationRequest(
                idempotency_key=key,
                recipient="上级政务公开办",
                target_url=TARGET,
                subject=subject,
                body="……",
                supervisor_id=supervisor,
                agency_years=about,
            ),
        )
        for error in outcomes:
            record_attempt(session, row.id, ok=error is None, error=error)
        return row.id


def escalation(store: Store, agency_id: str, year: int, supervisor: str) -> int:
    """The 【督办】 escalation of a missing report, delivered at the second attempt."""
    key = f"escalation/{year}:escalation:{agency_id}:{year}:{supervisor}:1:0123456789ab"
    subject = f"【督办】{agency_id} {year} 年度报告逾期 14 天仍未发布"
    return notify(store, key, subject, [(agency_id, year)], REFUSED, None, supervisor=supervisor)


def digest(store: Store, agency_ids: list[str], year: int, supervisor: str) -> int:
    """A sweep's digest listing these agencies, delivered at the second attempt."""
    key = f"digest:{sweep_id(year)}:{year}:{supervisor}:0123456789ab"
    subject = f"{year} 年度报告检查汇总"
    return notify(store, key, subject, [(a, year) for a in agency_ids], REFUSED, None, supervisor=supervisor)
