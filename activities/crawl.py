"""Crawl activities (the crawl task queue): find, fetch and archive an agency-year's report.

I/O-bound: a crawl worker runs many at once over one `Fetcher`, whose per-host politeness is
shared with every other crawl worker through the store. Safe to retry: crawling archives a new
version only when the bytes changed.
"""

from __future__ import annotations

import asyncio

from dwatch.activities.report import load_agency
from dwatch.crawlers.discover import discover
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import Outcome
from dwatch.workflows.models import CrawlRequest
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dwatch.crawling import CrawlResult, archive, crawl_target, known_validators
from dwatch.store.database import Store
from dwatch.store.registry.models import AgencyRow

STILL_MISSING = "ReportStillMissing"


class CrawlActivities:
    def __init__(self, store: Store, fetcher: Fetcher) -> None:
        self.store = store
        self.fetcher = fetcher

    async def _crawl(self, request: CrawlRequest) -> CrawlResult:
        def prepare() -> tuple[AgencyRow, dict]:
            with self.store.session() as session:
                row = load_agency(session, request.agency_id)
                return row, known_validators(session, row.id, request.year)

        agency, known = await asyncio.to_thread(prepare)
        discovery = await discover(crawl_target(agency), request.year, self.fetcher, known)
        # Only the sha256 and version leave this activity: the bytes stay in the blob store.
        return await asyncio.to_thread(archive, self.store, discovery)

    @activity.defn
    async def crawl(self, request: CrawlRequest) -> CrawlResult:
        return await self._crawl(request)

    @activity.defn
    async def poll_missing(self, request: CrawlRequest) -> CrawlResult:
        """One poll of a missing report. Still missing raises, so the retry policy is the polling
        schedule: attempts are not events in the workflow's history."""
        result = await self._crawl(request)
        if result.outcome is Outcome.MISSING:
            raise ApplicationError(f"{request.agency_id} {request.year} 年度报告尚未发布", type=STILL_MISSING)
        return result
