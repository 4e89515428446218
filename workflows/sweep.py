"""DeadlineSweep(year, scope): check every agency in scope, a bounded sliding window at a time.

Agencies are taken host-paced (`dwatch.crawling.host_paced`): the window spreads over the hosts in
proportion to their polite pace, so agencies sharing one portal never hold the whole window.

One child AgencyReport per agency, id `report/{agency}/{year}`, abandoned on close so a report that
is still being polled outlives the run that started it. Children signal `agency_done` when their
first check is finished; the sweep continues as new every `per_run` agencies, carrying only its
cursor and the ids in flight, so 10,000 agencies never make a large history. At the end it sends
the supervisors' digest.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from dwatch.reports.compliance import latest_due_year
    from dwatch.workflows.agency_report import AgencyReport
    from dwatch.workflows.models import (
        AGENCY_PAGE,
        BEGIN_RUN,
        COUNT_AGENCIES,
        DIGEST,
        END_RUN,
        SCHEDULED_START,
        START_REPORTS,
        AgencyOutcome,
        AgencyReportInput,
        DigestRequest,
        PageRequest,
        RunEnd,
        RunRef,
        StartReportsRequest,
        SweepCarry,
        SweepInput,
        SweepProgress,
        report_workflow_id,
    )
    from dwatch.workflows.store_calls import StoreCalls

START_BY_ACTIVITY_PATCH = "start-reports-by-activity"
# Sweeps started before it paged their agencies by id; the order must not change within a sweep.
HOST_PACED_PATCH = "host-paced-pages"
_START = {
    "start_to_close_timeout": timedelta(minutes=5),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
_DIGEST = {
    "start_to_close_timeout": timedelta(minutes=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}


def _due_year() -> int:
    """The reporting year a scheduled sweep is about: the one due at the schedule's time, not at the
    start time, so a backfill sweeps the year it stands for."""
    return latest_due_year(workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now())


@workflow.defn
class DeadlineSweep:
    @workflow.init
    def __init__(self, input: SweepInput) -> None:
        self._input = input
        self._year = input.year or _due_year()
        self._carry = input.carry or SweepCarry(run_pk=0, total=0)
        self._in_flight = set(self._carry.in_flight)
        # Children that finished before this sweep saw their start complete (or before a continue-as-new).
        self._early = set(self._carry.early)
        # Agencies whose start this sweep is waiting for: only they can report early. Any other
        # agency not in flight has reported already (a signal sent again by a retried local activity).
        self._starting: set[str] = set()
        # Patches are asked here, at the start of the run (see StoreCalls).
        self._store = StoreCalls(input.heartbeat, local=False)
        self._start_by_activity = workflow.patched(START_BY_ACTIVITY_PATCH)
        if input.carry is None:
            self._carry.paced = workflow.patched(HOST_PACED_PATCH)
        self._finished = False
        self._digest_sent = 0

    @workflow.run
    async def run(self, input: SweepInput) -> SweepProgress:
        info = workflow.info()
        if input.carry is None:
            ref = RunRef(workflow_id=info.workflow_id, run_id=info.run_id, kind="sweep")
            self._carry.run_pk = await self._store(BEGIN_RUN, ref)
            self._carry.total = await self._store(COUNT_AGENCIES, input.scope)
        started_here = 0
        while True:
            if started_here >= input.per_run or info.is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                carry = self._carry.model_copy(
                    update={
                        "in_flight": sorted(self._in_flight),
                        "early": sorted(self._early),
                        "runs": self._carry.runs + 1,
                    }
                )
                workflow.continue_as_new(input.model_copy(update={"carry": carry, "year": self._year}))
            request = PageRequest(
                scope=input.scope, after=self._carry.cursor, limit=input.page, paced=self._carry.paced
            )
            page = await self._store(AGENCY_PAGE, request)
            if self._start_by_activity:
                await self._start_batches(page)
            else:
                for agency_id in page:
                    await workflow.wait_condition(lambda: len(self._in_flight) < input.window)
                    await self._start(agency_id)
                    self._count_started(agency_id)
            started_here += len(page)
            if len(page) < input.page:
                break
        await workflow.wait_condition(lambda: not self._in_flight)
        self._digest_sent = await DIGEST.execute(
            DigestRequest(year=self._year, sweep_id=info.workflow_id, scope=input.scope),
            **self._options(_DIGEST),
        )
        self._finished = True
        await self._store(END_RUN, RunEnd(run_pk=self._carry.run_pk))
        return self.progress()

    async def _start_batches(self, page: list[str]) -> None:
        """Start the page's agencies as the window frees up, each batch by one activity (see
        the activity `start_reports`)."""
        window = self._input.window
        while page:
            await workflow.wait_condition(lambda: len(self._in_flight) < window)
            batch, page = page[: window - len(self._in_flight)], page[window - len(self._in_flight) :]
            request = StartReportsRequest(
                sweep_id=workflow.info().workflow_id,
                year=self._year,
                agency_ids=batch,
                heartbeat=self._input.heartbeat,
                queues=self._input.queues,
                run_pk=self._carry.run_pk,
            )
            self._starting.update(batch)
            await START_REPORTS.execute(request, **self._options(_START))
            for agency_id in batch:
                self._confirm_started(agency_id)
                self._count_started(agency_id)

    def _count_started(self, agency_id: str) -> None:
        self._carry.cursor = agency_id
        self._carry.started += 1

    def _confirm_started(self, agency_id: str) -> None:
        self._starting.discard(agency_id)
        if agency_id in self._early:
            self._early.remove(agency_id)
        else:
            self._in_flight.add(agency_id)

    async def _start(self, agency_id: str) -> None:
        """Start one agency as a child workflow (histories recorded before START_BY_ACTIVITY_PATCH)."""
        self._starting.add(agency_id)
        sweep_id = workflow.info().workflow_id
        child_id = report_workflow_id(agency_id, self._year)
        child = AgencyReportInput(
            agency_id=agency_id,
            year=self._year,
            sweep_id=sweep_id,
            heartbeat=self._input.heartbeat,
            queues=self._input.queues,
        )
        for _ in range(2):
            try:
                await workflow.start_child_workflow(
                    AgencyReport.run, child, id=child_id, parent_close_policy=ParentClosePolicy.ABANDON
                )
                break
            except WorkflowAlreadyStartedError:
                pass
            try:
                # Running already (polling, or started by ops): it checks again and reports here too.
                await workflow.get_external_workflow_handle(child_id).signal(AgencyReport.join_sweep, sweep_id)
                break
            except FailureError:
                continue  # it finished in between: start it again
        self._confirm_started(agency_id)

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {**options, "heartbeat_timeout": self._input.heartbeat}

    @workflow.signal
    def agency_done(self, outcome: AgencyOutcome) -> None:
        if outcome.agency_id in self._in_flight:
            self._in_flight.remove(outcome.agency_id)
        elif outcome.agency_id in self._starting and outcome.agency_id not in self._early:
            self._early.add(outcome.agency_id)
        else:
            workflow.logger.info("%s reported again: counted once", outcome.agency_id)
            return
        if outcome.failed:
            self._carry.failed += 1
        elif outcome.status is not None:
            key = outcome.status.value
            self._carry.by_status[key] = self._carry.by_status.get(key, 0) + 1

    @workflow.query
    def progress(self) -> SweepProgress:
        done = sum(self._carry.by_status.values()) + self._carry.failed
        return SweepProgress(
            year=self._year,
            total=self._carry.total,
            started=self._carry.started,
            done=done,
            in_flight=len(self._in_flight),
            failed=self._carry.failed,
            by_status=dict(self._carry.by_status),
            runs=self._carry.runs,
            finished=self._finished,
            digest_sent=self._digest_sent,
        )
