"""Crawl activities (the crawl task queue): find, fetch and archive an agency-year's report.

I/O-bound: a crawl worker runs many at once over one `Fetcher`, whose per-host politeness is
shared with every other crawl worker through the store. Safe to retry: crawling archives a new
version only when the bytes changed.

A crawl worker that also holds the review role (`dwatch up`, one `dwatch worker` for every role)
reviews what it fetched itself and returns the review with the crawl: one activity per agency
instead of two, each of which costs a round trip through the Temporal server and a workflow task.
A review that fails there is left to the review activity the workflow then schedules, with its own
retries.
"""

from __future__ import annotations

import asyncio
import logging

from dwatch.activities.report import load_agency
from dwatch.activities.review import ReviewActivities
from dwatch.crawlers.fetch import Fetcher
from dwatch.reports.retrieval import Outcome
from dwatch.workflows.models import CRAWL, POLL_MISSING, CrawlRequest, CrawlResult, ReviewRequest
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dwatch.crawling import crawl_agency
from dwatch.store.database import Store
from dwatch.store.registry.models import AgencyRow

STILL_MISSING = "ReportStillMissing"

log = logging.getLogger(__name__)


class CrawlActivities:
    def __init__(self, store: Store, fetcher: Fetcher, reviewer: ReviewActivities | None = None) -> None:
        self.store = store
        self.fetcher = fetcher
        self.reviewer = reviewer

    async def _crawl(self, request: CrawlRequest) -> CrawlResult:
        def prepare() -> AgencyRow:
            with self.store.reading() as session:
                return load_agency(session, request.agency_id)

        agency = await asyncio.to_thread(prepare)
        # Only the sha256 and version leave this activity: the bytes (and images) stay in the blob store.
        return await crawl_agency(self.store, agency, request.year, self.fetcher)

    async def _reviewed(self, request: CrawlRequest, crawl: CrawlResult) -> CrawlResult:
        if self.reviewer is None:
            return crawl
        review = ReviewRequest(agency_id=request.agency_id, year=request.year, run_pk=request.run_pk, crawl=crawl)
        try:
            return crawl.model_copy(update={"review": await self.reviewer.run(review)})
        except Exception:
            log.exception(
                "review of %s %s after its crawl failed: left to the review activity", request.agency_id, request.year
            )
            return crawl

    @activity.defn(name=CRAWL.name)
    async def crawl(self, request: CrawlRequest) -> CrawlResult:
        return await self._reviewed(request, await self._crawl(request))

    @activity.defn(name=POLL_MISSING.name)
    async def poll_missing(self, request: CrawlRequest) -> CrawlResult:
        """One poll of a missing report. Still missing raises, so the retry policy is the polling
        schedule: attempts are not events in the workflow's history."""
        result = await self._crawl(request)
        if result.outcome is Outcome.MISSING:
            raise ApplicationError(f"{request.agency_id} {request.year} 年度报告尚未发布", type=STILL_MISSING)
        return await self._reviewed(request, result)
