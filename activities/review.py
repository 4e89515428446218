"""The review activity (the review task queue): parse, check against last year's report, record.

CPU-bound: a review worker runs it in a process pool, each process with a store of its own
(opened by `open_review_store`, the pool's initializer). Safe to retry: findings are upserted by
fingerprint.
"""

from __future__ import annotations

import asyncio
import ctypes
import signal
import sys
from concurrent.futures import Executor

from dwatch.activities.report import load_agency
from dwatch.workflows.models import REVIEW, Review, ReviewRequest
from temporalio import activity

from dwatch.config import Settings
from dwatch.observability.metrics import record_review
from dwatch.review import review_crawl
from dwatch.store.database import Store
from dwatch.store.runs import link_records


def review_and_link(store: Store, request: ReviewRequest) -> Review:
    """Parse, check against last year's report, record findings and status, name the run on them."""
    with store.reading() as session:
        agency = load_agency(session, request.agency_id)
    review = review_crawl(store, agency, request.crawl)
    with store.session() as session:
        link_records(
            session,
            request.run_pk,
            request.agency_id,
            request.year,
            document_id=review.document_id,
            report_id=review.report_id,
            check_run_id=review.check_run_id,
        )
    return review


_process_store: Store | None = None


def open_review_store(settings: Settings) -> None:
    global _process_store
    _die_with_parent()
    _process_store = Store.open(settings)


def _die_with_parent() -> None:
    # A worker killed outright (SIGKILL, OOM) cannot shut its pool down: without this its review
    # processes would live on as orphans, holding memory and database connections.
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def review_in_process(request: ReviewRequest) -> Review:
    assert _process_store is not None, "open_review_store is the pool's initializer"
    return review_and_link(_process_store, request)


class ReviewActivities:
    def __init__(self, store: Store, reviewers: Executor | None = None) -> None:
        self.store = store
        self.reviewers = reviewers

    @activity.defn(name=REVIEW.name)
    async def review(self, request: ReviewRequest) -> Review:
        return await self.run(request)

    async def run(self, request: ReviewRequest) -> Review:
        """The review, in the pool when there is one; also run by a crawl activity of this process."""
        if self.reviewers is not None:
            review = await asyncio.get_running_loop().run_in_executor(self.reviewers, review_in_process, request)
        else:
            review = await asyncio.to_thread(review_and_link, self.store, request)
        record_review(review)  # here, in the worker process: the metrics endpoint is its
        return review
