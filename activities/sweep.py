"""Activities of a sweep: which agencies it covers, a page at a time (ids only, never the rows) in
host-paced order, starting their AgencyReport workflows a batch at a time, and an agency's word to
its sweeps that it is done."""

from __future__ import annotations

import asyncio
import logging

from dwatch.crawlers.models import FetchPolicy
from dwatch.workflows.models import (
    AGENCY_PAGE,
    COUNT_AGENCIES,
    REPORT_TO_SWEEPS,
    START_REPORTS,
    SWEEPS_MEMO,
    AgencyReportInput,
    PageRequest,
    StartReportsRequest,
    SweepReport,
    SweepScope,
    report_workflow_id,
)
from sqlalchemy import Select, func, select
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from dwatch.crawling import first_host, host_paced
from dwatch.store.database import Store
from dwatch.store.runs import link_agency_years
from dwatch.store.tables import Agency, CrawlHost

log = logging.getLogger(__name__)


def scope_query(scope: SweepScope) -> Select[str]:
    query = select(Agency.id).where(Agency.active.is_(True))
    if scope.agency_ids:
        # Named agencies are checked even when inactive: ops asked for them.
        query = select(Agency.id).where(Agency.id.in_(scope.agency_ids))
    elif scope.deadline:
        query = query.where(Agency.deadline == scope.deadline)
    elif scope.kind:
        # Agencies with a local deadline are swept by that deadline's schedule instead.
        query = query.where(Agency.kind == scope.kind, Agency.deadline.is_(None))
    return query


class SweepActivities:
    def __init__(self, store: Store, client: Client, policy: FetchPolicy | None = None) -> None:
        self.store = store
        self.client = client
        self.policy = policy or FetchPolicy()  # the default per-host interval paces the order

    @activity.defn(name=START_REPORTS.name)
    async def start_reports(self, request: StartReportsRequest) -> None:
        """Signal-with-start each agency's workflow: started with the sweep in its input, or, already
        running (polling, started by ops), told to check again and report to this sweep too. Directly
        through the frontend, a batch at once: child workflows would each wait on the server's task
        queues, and a sweep of thousands then starts a few agencies a second. Safe to retry: a
        workflow ignores a sweep it has joined already. The sweep's run is linked to each agency-year
        first, for their audit trail."""
        if request.run_pk:
            await asyncio.to_thread(self._link, request.run_pk, request.year, request.agency_ids)
        queue = activity.info().task_queue  # the workflows' queue, where AgencyReport runs too
        retried = activity.info().attempt > 1

        async def start(agency_id: str) -> None:
            workflow_id = report_workflow_id(agency_id, request.year)
            if retried and await self._reported(workflow_id, request.sweep_id):
                return
            report = AgencyReportInput(
                agency_id=agency_id,
                year=request.year,
                sweep_id=request.sweep_id,
                heartbeat=request.heartbeat,
                queues=request.queues,
            )
            await self.client.start_workflow(
                "AgencyReport",
                report,
                id=workflow_id,
                task_queue=queue,
                memo={SWEEPS_MEMO: [request.sweep_id]},
                start_signal="join_sweep",
                start_signal_args=[request.sweep_id],
            )

        await asyncio.gather(*(start(agency_id) for agency_id in request.agency_ids))

    @activity.defn(name=REPORT_TO_SWEEPS.name)
    async def report_to_sweeps(self, report: SweepReport) -> None:
        """Signal `agency_done` to each sweep (the sweep counts a repeated signal once). A sweep that
        has ended (cancelled or terminated by ops) is waiting for nobody: skipped."""

        async def tell(sweep_id: str) -> None:
            try:
                await self.client.get_workflow_handle(sweep_id).signal("agency_done", report.outcome)
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND:
                    raise
                log.warning("sweep %s no longer running: %s not told", sweep_id, report.outcome.agency_id)

        await asyncio.gather(*(tell(sweep_id) for sweep_id in report.sweep_ids))

    def _link(self, run_pk: int, year: int, agency_ids: list[str]) -> None:
        with self.store.session() as session:
            link_agency_years(session, run_pk, [(agency_id, year) for agency_id in agency_ids])

    async def _reported(self, workflow_id: str, sweep_id: str) -> bool:
        """Whether the agency's latest run has ended after reporting to the sweep: started or joined
        by an earlier attempt of this batch, it finished before the retry. Starting it again would
        check the agency twice and count it twice in the sweep."""
        try:
            run = await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        # A run ended by ops (terminated, cancelled) did not report: it is started again.
        ended = run.status in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.FAILED)
        return ended and sweep_id in (await run.memo()).get(SWEEPS_MEMO, [])

    @activity.defn(name=COUNT_AGENCIES.name)
    async def count_agencies(self, scope: SweepScope) -> int:
        def read() -> int:
            with self.store.reading() as session:
                return session.scalar(select(func.count()).select_from(scope_query(scope).subquery())) or 0

        return await asyncio.to_thread(read)

    @activity.defn(name=AGENCY_PAGE.name)
    async def agency_page(self, request: PageRequest) -> list[str]:
        read = self._paced_page if request.paced else self._page_by_id
        return await asyncio.to_thread(read, request)

    def _page_by_id(self, request: PageRequest) -> list[str]:
        """Sweeps started before host-paced pages: by id, as they began."""
        query = scope_query(request.scope).order_by(Agency.id).limit(request.limit)
        if request.after is not None:
            query = query.where(Agency.id > request.after)
        with self.store.reading() as session:
            return list(session.scalars(query))

    def _paced_page(self, request: PageRequest) -> list[str]:
        """The next page in host-paced order (`dwatch.crawling.host_paced`) after `request.after`. The
        order is computed over the whole scope each time (ids and first hosts only), so it holds across
        pages and continue-as-new without carrying it."""
        with self.store.reading() as session:
            rows = session.execute(scope_query(request.scope).add_columns(Agency.listing_urls)).all()
            agencies = [(agency_id, first_host(urls)) for agency_id, urls in rows]
            if request.after is not None and request.after not in {agency_id for agency_id, _ in agencies}:
                # The page's last agency left the scope since (retired mid-sweep): resume where it stood.
                urls = session.scalar(select(Agency.listing_urls).where(Agency.id == request.after))
                agencies.append((request.after, first_host(urls)))
            intervals = dict(session.execute(select(CrawlHost.host, CrawlHost.interval)).all())
        order = host_paced(agencies, intervals, self.policy.per_host_interval)
        start = order.index(request.after) + 1 if request.after is not None else 0
        return order[start : start + request.limit]
