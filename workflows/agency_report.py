"""AgencyReport(agency, year): discover → fetch → parse → check → store → alert, for one agency-year.

A missing report is then polled until the grace period ends: the poll is one activity whose retry
policy is the polling schedule, so weeks of polling add no events to the history. Still missing
at the end of the grace period, it is escalated. Ops re-crawl, re-check and waive through
validated updates; `state` answers where the agency-year stands.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from dwatch.reports.compliance import CHINA, ComplianceStatus, latest_due_year
    from dwatch.reports.parsers.limits import DEFAULT_LIMITS
    from dwatch.workflows.models import (
        AGENCY_ID,
        AGENCY_INFO,
        ALERT,
        BEGIN_RUN,
        COMPLIANCE_STATUS,
        CRAWL,
        END_RUN,
        ESCALATE,
        LATEST_DOCUMENT,
        POLL_MISSING,
        REGION,
        REPORT_TO_SWEEPS,
        REPORT_YEAR,
        REVIEW,
        SUPERVISOR_ID,
        SWEEPS_MEMO,
        WAIVE,
        AgencyInfo,
        AgencyOutcome,
        AgencyReportInput,
        AgencyReportState,
        AgencyYear,
        AlertRequest,
        CrawlRequest,
        CrawlResult,
        EscalationRequest,
        PassResult,
        RecheckRequest,
        RecrawlRequest,
        ReviewRequest,
        RunEnd,
        RunRef,
        SweepReport,
        WaiveActivityInput,
        WaiveRequest,
        WaiveResult,
    )
    from dwatch.workflows.store_calls import StoreCalls

# The parse budget (which grows with the pages, to a cap) bounds a hostile document and makes it a
# PARSE-LIMIT finding; the crawler bounds each request itself. The timeout, above the cap (a crawl
# may review what it fetched), only catches a lost worker, and heartbeats catch that sooner.
_CRAWL = {
    "start_to_close_timeout": timedelta(seconds=DEFAULT_LIMITS.wall_seconds_cap) + timedelta(minutes=10),
    "retry_policy": RetryPolicy(maximum_attempts=5),
}
_REVIEW = {
    "start_to_close_timeout": timedelta(seconds=DEFAULT_LIMITS.wall_seconds_cap) + timedelta(minutes=5),
    "retry_policy": RetryPolicy(maximum_attempts=5),
}
_ALERT = {
    "start_to_close_timeout": timedelta(minutes=5),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}

Work = Literal["crawl", "recheck"]
# Runs recorded before it did not list the sweeps they joined in their memo.
SWEEPS_MEMO_PATCH = "sweeps-memo"
# Runs recorded before it alerted through a regular activity. The alert runs beside the workflow
# anyway (the workflows' queue): as a local activity it saves a task round trip through the server
# per agency, and its result (messages sent) is still in the history; each delivery is in the store.
LOCAL_ALERT_PATCH = "local-alert"
# Runs recorded before it escalated through a regular activity and signalled their sweeps from the
# workflow. A workflow's signal is a command whose result comes back as one more workflow task, its
# last; sent by a local activity, the run ends in the task that alerted. The sweep ignores a repeated
# signal (a local activity may run again after a lost worker).
LOCAL_FINISH_PATCH = "local-escalate-and-report"


@workflow.defn
class AgencyReport:
    @workflow.init
    def __init__(self, input: AgencyReportInput) -> None:
        self._input = input
        self._store = StoreCalls(input.heartbeat)  # asks its patch now, at the start of the run
        self._local_alert = workflow.patched(LOCAL_ALERT_PATCH)  # here too, for the same reason
        self._local_finish = workflow.patched(LOCAL_FINISH_PATCH)
        self._state = AgencyReportState(agency_id=input.agency_id, year=input.year)
        self._sweeps = [input.sweep_id] if input.sweep_id else []
        self._joined = set(self._sweeps)  # every sweep this run reports (or reported) to
        # The first pass is a pending request like any other, so an update that started this
        # workflow (update-with-start) is answered by it instead of asking for a second one.
        self._wanted: Work | None = input.first
        self._running = False
        self._run_pk = 0

    @workflow.run
    async def run(self, input: AgencyReportInput) -> AgencyReportState:
        info = workflow.info()
        ref = RunRef(
            workflow_id=info.workflow_id, run_id=info.run_id, kind="report", agency_id=input.agency_id, year=input.year
        )
        self._run_pk = await self._store(BEGIN_RUN, ref)
        try:
            agency = await self._store(AGENCY_INFO, AgencyYear(agency_id=input.agency_id, year=input.year))
            workflow.upsert_search_attributes(
                [
                    AGENCY_ID.value_set(agency.agency_id),
                    REPORT_YEAR.value_set(input.year),
                    REGION.value_set(agency.region),
                    SUPERVISOR_ID.value_set(agency.supervisor_id),
                ]
            )
            self._state.status = agency.status
            await self._work(agency)
        except ActivityError as err:
            await self._tell_sweeps(failed=True)
            await self._end("failed", str(err.cause or err))
            raise ApplicationError(f"{input.agency_id} {input.year}：{err.cause or err}") from err
        self._state.phase = "done"
        await self._end("completed")
        return self._state

    async def _work(self, agency: AgencyInfo) -> None:
        grace_end = datetime.combine(agency.escalate_on, time(0), tzinfo=CHINA)
        while True:
            missing = self._state.status is ComplianceStatus.MISSING and not self._state.escalated
            if self._wanted is not None:
                await self._pass()
            elif missing and workflow.now() < grace_end:
                await self._poll(agency, grace_end)
            elif missing:
                await self._escalate()
            else:
                # Nothing left to do: finish, unless an ops update arrives while its peers wind down.
                self._state.phase = "idle"
                await workflow.wait_condition(lambda: self._wanted is not None or workflow.all_handlers_finished())
                if self._wanted is None:
                    return

    async def _pass(self, crawl: CrawlResult | None = None) -> None:
        work, self._wanted, self._running = self._wanted or "crawl", None, True
        key = AgencyYear(agency_id=self._input.agency_id, year=self._input.year)
        request = CrawlRequest(agency_id=key.agency_id, year=key.year, run_pk=self._run_pk)
        if crawl is None and work == "recheck":
            crawl = await self._store(LATEST_DOCUMENT, key)
        if crawl is None:
            self._state.phase = "crawling"
            crawl = await CRAWL.execute(request, **self._options(_CRAWL, queue="crawl"))
        self._state.phase = "checking"
        review = crawl.review  # reviewed by the crawl worker, when it holds the review role too
        if review is None:
            review = await REVIEW.execute(
                ReviewRequest(agency_id=key.agency_id, year=key.year, run_pk=self._run_pk, crawl=crawl),
                **self._options(_REVIEW, queue="review"),
            )
        # Alert on the change from the status this workflow last knew, not the one the review read
        # back: a review retried after it had stored its status would otherwise see no change.
        review = review.model_copy(update={"previous_status": self._state.status})
        self._state.phase = "alerting"
        info = workflow.info()
        alert = AlertRequest(
            agency_id=key.agency_id,
            year=key.year,
            run_pk=self._run_pk,
            review=review,
            key_prefix=f"{info.workflow_id}/{info.run_id}/{self._state.passes + 1}",
        )
        if self._local_alert:
            self._state.alerts_sent += await ALERT.execute_local(alert, **_ALERT)
        else:
            self._state.alerts_sent += await ALERT.execute(alert, **self._options(_ALERT))
        self._state = self._state.model_copy(
            update={
                "status": review.status,
                "detail": review.detail,
                "document_sha256": crawl.sha256,
                "document_version": crawl.version,
                "errors": review.errors,
                "warnings": review.warnings,
                "top_findings": review.top_findings,
                "passes": self._state.passes + 1,
                "checked_at": workflow.now(),
            }
        )
        workflow.upsert_search_attributes([COMPLIANCE_STATUS.value_set(review.status.value)])
        self._running = False
        await self._tell_sweeps()

    async def _poll(self, agency: AgencyInfo, grace_end: datetime) -> None:
        self._state.phase, self._state.polling_until = "polling", agency.escalate_on
        poll = POLL_MISSING.start(
            CrawlRequest(agency_id=agency.agency_id, year=self._input.year, run_pk=self._run_pk),
            start_to_close_timeout=_CRAWL["start_to_close_timeout"],
            **self._options({}, queue="crawl"),
            schedule_to_close_timeout=grace_end - workflow.now(),
            retry_policy=RetryPolicy(
                initial_interval=self._input.poll_interval,
                backoff_coefficient=1.0,
                maximum_interval=self._input.poll_interval,
            ),
        )
        asked = asyncio.ensure_future(workflow.wait_condition(lambda: self._wanted is not None))
        await workflow.wait([poll, asked], return_when=asyncio.FIRST_COMPLETED)
        if not poll.done():
            poll.cancel()  # an ops request interrupts the poll; `_work` serves it next
            await workflow.wait([poll])
            return
        asked.cancel()
        try:
            found = poll.result()
        except ActivityError:
            # The polls ran out with the grace period (the server stops retrying when the next attempt
            # would fall after it): one last look when it has ended, then `_work` escalates.
            await workflow.sleep(max(grace_end - workflow.now(), timedelta(0)))
            self._wanted = "crawl"
            return
        self._wanted = "crawl"
        await self._pass(found)

    async def _escalate(self) -> None:
        self._state.phase = "escalating"
        # Each workflow escalates its own agency; the key (agency, parent, period) makes a retried or
        # re-run escalation find it sent.
        request = EscalationRequest(
            year=self._input.year,
            agency_id=self._input.agency_id,
            today=workflow.now().astimezone(CHINA).date(),
            key_prefix=f"escalation/{self._input.year}",
        )
        if self._local_finish:
            await ESCALATE.execute_local(request, **_ALERT)
        else:
            await ESCALATE.execute(request, **self._options(_ALERT))
        self._state.escalated = True

    async def _tell_sweeps(self, *, failed: bool = False) -> None:
        outcome = AgencyOutcome(agency_id=self._input.agency_id, status=self._state.status, failed=failed)
        if self._local_finish:
            # A sweep joined while this one is told stays for the pass it asked for.
            sweep_ids, self._sweeps = self._sweeps, []
            if sweep_ids:
                await self._store(REPORT_TO_SWEEPS, SweepReport(sweep_ids=sweep_ids, outcome=outcome))
            return
        for sweep_id in self._sweeps:
            try:
                await workflow.get_external_workflow_handle(sweep_id).signal("agency_done", outcome)
            except FailureError:
                # The sweep has ended (cancelled or terminated by ops): nobody is waiting for this.
                workflow.logger.warning("sweep %s no longer running", sweep_id)
        self._sweeps.clear()

    async def _end(self, status: Literal["completed", "failed"], error: str | None = None) -> None:
        end = RunEnd(run_pk=self._run_pk, status=status, error=error)
        await self._store(END_RUN, end)

    def _options(self, options: dict[str, Any], queue: Literal["crawl", "review"] | None = None) -> dict[str, Any]:
        options = {**options, "heartbeat_timeout": self._input.heartbeat}
        if queue is not None and self._input.queues is not None:
            options["task_queue"] = getattr(self._input.queues, queue)
        return options

    def _result(self) -> PassResult:
        info = workflow.info()
        return PassResult(
            workflow_id=info.workflow_id, run_id=info.run_id, status=self._state.status, detail=self._state.detail
        )

    async def _request(self, work: Work) -> PassResult:
        # A pass already under way started before this request: wait for the one after it.
        target = self._state.passes + (2 if self._running else 1)
        if self._wanted != "crawl":  # a crawl includes a check
            self._wanted = work
        await workflow.wait_condition(lambda: self._state.passes >= target)
        return self._result()

    @workflow.query
    def state(self) -> AgencyReportState:
        return self._state

    @workflow.signal
    def join_sweep(self, sweep_id: str) -> None:
        """A sweep found this workflow running: check again now, and report to that sweep too. A sweep
        joined already (the start's own signal, a retried start) changes nothing. The memo lists the
        sweeps joined, so a retried start can tell, once this run has closed, that it reported."""
        if sweep_id in self._joined:
            return
        self._joined.add(sweep_id)
        self._sweeps.append(sweep_id)
        self._wanted = "crawl"
        if workflow.patched(SWEEPS_MEMO_PATCH):
            workflow.upsert_memo({SWEEPS_MEMO: sorted(self._joined)})

    @workflow.update
    async def recrawl(self, request: RecrawlRequest) -> PassResult:
        workflow.logger.info("re-crawl requested by %s", request.actor)
        return await self._request("crawl")

    @recrawl.validator
    def _validate_recrawl(self, request: RecrawlRequest) -> None:  # noqa: ARG002 - the update's signature, names included
        if self._input.year > latest_due_year(workflow.now()):
            raise ValueError(f"{self._input.year} 年度尚未结束，还没有年度报告可抓取")

    @workflow.update
    async def recheck(self, request: RecheckRequest) -> PassResult:
        workflow.logger.info("re-check requested by %s", request.actor)
        return await self._request("recheck")

    @recheck.validator
    def _validate_recheck(self, request: RecheckRequest) -> None:  # noqa: ARG002 - the update's signature, names included
        if self._state.passes and self._state.document_sha256 is None:
            raise ValueError("尚无已归档的报告，无法重新检查；请先重新抓取")

    @workflow.update
    async def waive(self, request: WaiveRequest) -> WaiveResult:
        result = await self._store(
            WAIVE,
            WaiveActivityInput(agency_id=self._input.agency_id, year=self._input.year, **request.model_dump()),
        )
        self._state.waived.append(result.fingerprint)
        return result

    @waive.validator
    def _validate_waive(self, request: WaiveRequest) -> None:
        if len(request.reason.strip()) < 4:
            raise ValueError("豁免必须说明理由（至少 4 个字）")
        if not all(c in "0123456789abcdef" for c in request.fingerprint):
            raise ValueError(f"“{request.fingerprint}”不是问题指纹")
        if request.fingerprint in self._state.waived:
            raise ValueError(f"问题 {request.fingerprint} 已经豁免")
