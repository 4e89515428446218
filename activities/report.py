"""Activities of one agency-year: who it is, crawl (or poll) its report, review it, waive a finding.

Each is safe to retry: crawling archives a new version only when the bytes changed, reviews
upsert findings by fingerprint, and a waiver that is already in place is left as it is.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from crawlers.discover import discover
from crawlers.fetch import Fetcher
from crawlers.models import Outcome
from dwatch.config import Settings
from dwatch.crawling import CrawlResult, archive, as_found, crawl_target, known_validators, load_agencies
from dwatch.review import Review, review_crawl
from dwatch.store.database import Store
from dwatch.store.findings import StatusChange, change_status
from dwatch.store.registry.models import AgencyRow
from dwatch.store.runs import link_records
from dwatch.store.tables import AgencyStatus, ComplianceStatus, Document, Finding, FindingStatus
from dwatch.temporal.deadlines import statutory_deadline
from workflows.models import AgencyInfo, AgencyYear, CrawlRequest, ReviewRequest, WaiveActivityInput, WaiveResult

STILL_MISSING = "ReportStillMissing"
UNKNOWN_FINDING = "UnknownFinding"
UNKNOWN_AGENCY = "UnknownAgency"


def _load(session: Session, agency_id: str) -> AgencyRow:
    try:
        return load_agencies(session, [agency_id])[0]
    except KeyError:
        # Retrying cannot make an unregistered agency appear: fail the workflow at once.
        raise ApplicationError(f"机关“{agency_id}”未登记", type=UNKNOWN_AGENCY, non_retryable=True) from None


def review_and_link(store: Store, request: ReviewRequest) -> Review:
    """Parse, check against last year's report, record findings and status, name the run on them."""
    with store.session() as session:
        agency = _load(session, request.agency_id)
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


# Parsing and checking are CPU-bound: the worker may run them in a process pool, each process with
# a store of its own (opened by `open_review_store`, the pool's initializer).
_process_store: Store | None = None


def open_review_store(settings: Settings) -> None:
    global _process_store
    _process_store = Store.open(settings)


def review_in_process(request: ReviewRequest) -> Review:
    assert _process_store is not None, "open_review_store is the pool's initializer"
    return review_and_link(_process_store, request)


class ReportActivities:
    def __init__(self, store: Store, settings: Settings, fetcher: Fetcher, reviewers: Executor | None = None) -> None:
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.reviewers = reviewers

    @activity.defn
    async def agency_info(self, key: AgencyYear) -> AgencyInfo:
        def read() -> tuple[AgencyRow, str | None]:
            with self.store.session() as session:
                row = _load(session, key.agency_id)
                stored = session.get(AgencyStatus, (key.agency_id, key.year))
                return row, stored.status if stored else None

        row, status = await asyncio.to_thread(read)
        deadline = row.deadline_for(key.year) or statutory_deadline(row.kind, key.year)
        return AgencyInfo(
            agency_id=row.id,
            region=row.region,
            supervisor_id=row.supervisor,
            deadline=deadline,
            escalate_on=deadline + timedelta(days=self.settings.alerts.escalation_days),
            status=ComplianceStatus(status) if status else None,
        )

    async def _crawl(self, request: CrawlRequest) -> CrawlResult:
        def prepare() -> tuple[AgencyRow, dict]:
            with self.store.session() as session:
                row = _load(session, request.agency_id)
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

    @activity.defn
    async def latest_document(self, key: AgencyYear) -> CrawlResult | None:
        """The newest archived document of the agency-year, as a crawl would report it (for re-checks)."""

        def read() -> CrawlResult | None:
            with self.store.session() as session:
                document = session.scalars(
                    select(Document)
                    .where(Document.agency_id == key.agency_id, Document.report_year == key.year)
                    .order_by(Document.fetched_at.desc(), Document.id.desc())
                    .limit(1)
                ).first()
                return as_found(document) if document is not None else None

        return await asyncio.to_thread(read)

    @activity.defn
    async def review(self, request: ReviewRequest) -> Review:
        if self.reviewers is not None:
            return await asyncio.get_running_loop().run_in_executor(self.reviewers, review_in_process, request)
        return await asyncio.to_thread(review_and_link, self.store, request)

    @activity.defn
    async def waive(self, request: WaiveActivityInput) -> WaiveResult:
        def write() -> WaiveResult:
            with self.store.session() as session:
                finding = session.scalars(
                    select(Finding).where(
                        Finding.agency_id == request.agency_id,
                        Finding.report_year == request.year,
                        Finding.fingerprint == request.fingerprint,
                    )
                ).one_or_none()
                if finding is None:
                    raise ApplicationError(
                        f"{request.agency_id} {request.year} 没有指纹为 {request.fingerprint} 的问题",
                        type=UNKNOWN_FINDING,
                        non_retryable=True,
                    )
                change = StatusChange(status=FindingStatus.WAIVED, actor=request.actor, reason=request.reason)
                changed = change_status(session, finding.id, change)
                return WaiveResult(
                    fingerprint=changed.fingerprint,
                    finding_id=changed.id,
                    rule_id=changed.rule_id,
                    status=changed.status,
                )

        return await asyncio.to_thread(write)
