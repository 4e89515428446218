"""A crawl worker that also holds the review role reviews what it fetched, in the same activity; a
review that fails there leaves the crawl's result for the review activity (and its retries)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crawl.html_sites import farm_store, html_farm, loopback_settings
from dwatch.activities.crawl import CrawlActivities
from dwatch.activities.review import ReviewActivities
from dwatch.crawlers.fetch import Fetcher
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.retrieval import Outcome
from dwatch.workflows.models import CrawlRequest, CrawlResult
from sqlalchemy import select

from dwatch.store.database import Store
from dwatch.store.runs import start_run
from dwatch.store.tables import AgencyStatus

YEAR = 2025


def _crawl(store: Store, reviewer: ReviewActivities, agency_id: str, data_dir: Path) -> CrawlResult:
    with store.session() as session:
        run_pk = start_run(session, f"report/{agency_id}/{YEAR}", "run-1", "report", agency_year=(agency_id, YEAR)).id

    async def run() -> CrawlResult:
        async with Fetcher(loopback_settings(data_dir).crawl) as fetcher:
            crawl = CrawlActivities(store, fetcher, reviewer)
            return await crawl.crawl(CrawlRequest(agency_id=agency_id, year=YEAR, run_pk=run_pk))

    return asyncio.run(run())


def test_the_crawl_returns_the_review_of_what_it_fetched(tmp_path: Path) -> None:
    (agency,), farm = html_farm(1, YEAR, seed=31)
    with farm:
        store = farm_store(farm, tmp_path)
        result = _crawl(store, ReviewActivities(store), agency.agency_id, tmp_path)
        with store.reading() as session:
            stored = session.scalar(select(AgencyStatus.status).where(AgencyStatus.agency_id == agency.agency_id))
        store.close()
    assert result.outcome is Outcome.FOUND
    assert result.review is not None
    assert result.review.status is ComplianceStatus.COMPLIANT
    assert result.review.document_id is not None and result.review.check_run_id is not None
    assert stored == ComplianceStatus.COMPLIANT.value


def test_a_review_failing_in_the_crawl_is_left_to_the_review_activity(tmp_path: Path) -> None:
    (agency,), farm = html_farm(1, YEAR, seed=32)
    with farm:
        store = farm_store(farm, tmp_path)
        # The reviewer's own store has no tables: its review fails, as with a database gone away.
        broken = Store.open(loopback_settings(tmp_path / "elsewhere"))
        result = _crawl(store, ReviewActivities(broken), agency.agency_id, tmp_path)
        broken.close()
        with store.reading() as session:
            stored = session.scalar(select(AgencyStatus.status).where(AgencyStatus.agency_id == agency.agency_id))
        store.close()
    assert result.outcome is Outcome.FOUND and result.sha256 is not None  # the crawl itself is kept
    assert result.review is None  # so the workflow schedules the review activity
    assert stored is None
