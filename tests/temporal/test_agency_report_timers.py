"""AgencyReport's timers on the time-skipping test server: a missing report is polled (activity
retries, no history growth) until the grace period ends and is then escalated; a report published
during the grace period stops the polling. Activities are stand-ins here: time is what is tested."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.retrieval import Outcome
from dwatch.workflows.agency_report import AgencyReport
from dwatch.workflows.models import (
    SWEEPS_MEMO,
    AgencyInfo,
    AgencyReportInput,
    AgencyReportState,
    AgencyYear,
    AlertRequest,
    CrawlRequest,
    CrawlResult,
    EscalationRequest,
    RecheckRequest,
    RecrawlRequest,
    Review,
    ReviewRequest,
    SweepReport,
)
from temporal_support import begin_run_stand_in, end_run_stand_in, eventually
from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dwatch.temporal import search
from dwatch.temporal.devserver import binary

YEAR = 2025
# A (local) deadline still ahead on the test server's clock, which starts at the machine's time.
DEADLINE = date.today() + timedelta(days=70)
ESCALATE_ON = DEADLINE + timedelta(days=14)


class StandIns:
    """Activities of the same names, recording what the workflow asked for."""

    def __init__(
        self, published_after_polls: int | None, found_on_crawl: int | None = None, always_found: bool = False
    ) -> None:
        self.published_after_polls = published_after_polls
        self.found_on_crawl = found_on_crawl
        self.always_found = always_found
        self.polls = 0
        self.crawls = 0
        self.escalations: list[EscalationRequest] = []
        self.reviews: list[ReviewRequest] = []
        self.sweeps_told: list[list[str]] = []

    def _crawl(self, found: bool) -> CrawlResult:
        if found:
            return CrawlResult(agency_id="a1", year=YEAR, outcome=Outcome.FOUND, sha256="ab" * 32, version=1)
        return CrawlResult(agency_id="a1", year=YEAR, outcome=Outcome.MISSING, reason="未发现")

    def activities(self) -> list:
        @activity.defn(name="agency_info")
        async def agency_info(key: AgencyYear) -> AgencyInfo:
            return AgencyInfo(
                agency_id=key.agency_id, region="990100", supervisor_id="s", deadline=DEADLINE, escalate_on=ESCALATE_ON
            )

        @activity.defn(name="crawl")
        async def crawl(_request: CrawlRequest) -> CrawlResult:
            self.crawls += 1
            return self._crawl(found=self.always_found or self.crawls == self.found_on_crawl)

        @activity.defn(name="poll_missing")
        async def poll_missing(_request: CrawlRequest) -> CrawlResult:
            self.polls += 1
            if self.published_after_polls is None or self.polls < self.published_after_polls:
                raise ApplicationError("still missing", type="ReportStillMissing")
            return self._crawl(found=True)

        @activity.defn(name="review")
        async def review(request: ReviewRequest) -> Review:
            self.reviews.append(request)
            found = request.crawl.outcome is Outcome.FOUND
            status = ComplianceStatus.COMPLIANT if found else ComplianceStatus.MISSING
            return Review(agency_id="a1", year=YEAR, status=status)

        @activity.defn(name="alert")
        async def alert(_request: AlertRequest) -> int:
            return 0

        @activity.defn(name="escalate")
        async def escalate(request: EscalationRequest) -> int:
            self.escalations.append(request)
            return 1

        @activity.defn(name="report_to_sweeps")
        async def report_to_sweeps(report: SweepReport) -> None:
            self.sweeps_told.append(report.sweep_ids)

        return [
            begin_run_stand_in,
            end_run_stand_in,
            agency_info,
            crawl,
            poll_missing,
            review,
            alert,
            escalate,
            report_to_sweeps,
        ]


class TimeSkipping:
    """A test server of its own per test (its clock only moves forward) and the loop its client lives on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.env = self.loop.run_until_complete(
            WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=str(binary("temporal-test-server")), data_converter=pydantic_data_converter
            )
        )
        self.loop.run_until_complete(search.register(self.env.client, "default"))

    def run(self, stand_ins: StandIns, workflow_id: str) -> tuple[AgencyReportState, Counter[str]]:
        return self.loop.run_until_complete(_run(self.env.client, stand_ins, workflow_id))

    def close(self) -> None:
        self.loop.run_until_complete(self.env.shutdown())
        self.loop.close()


@pytest.fixture
def server() -> Iterator[TimeSkipping]:
    server = TimeSkipping()
    try:
        yield server
    finally:
        server.close()


async def _run(client: Client, stand_ins: StandIns, workflow_id: str) -> tuple[AgencyReportState, Counter[str]]:
    async with Worker(client, task_queue=workflow_id, workflows=[AgencyReport], activities=stand_ins.activities()):
        handle = await client.start_workflow(
            AgencyReport.run,
            AgencyReportInput(agency_id="a1", year=YEAR, poll_interval=timedelta(days=1)),
            id=workflow_id,
            task_queue=workflow_id,
        )
        state = await handle.result()
        events = Counter([e.WhichOneof("attributes") async for e in handle.fetch_history_events()])
    return state, events


def test_missing_report_is_polled_until_the_grace_period_ends_then_escalated(server: TimeSkipping) -> None:
    stand_ins = StandIns(published_after_polls=None)
    state, events = server.run(stand_ins, "missing")
    assert state.status is ComplianceStatus.MISSING and state.escalated
    # Daily polls from now to the end of the grace period, months of them: retries of one activity,
    # so the history holds the same few activities however long the polling lasts.
    assert stand_ins.polls > 60
    assert events["activity_task_scheduled_event_attributes"] < 12
    assert [e.today for e in stand_ins.escalations] == [ESCALATE_ON]
    assert state.polling_until == ESCALATE_ON


def test_report_published_during_the_grace_period_stops_polling(server: TimeSkipping) -> None:
    stand_ins = StandIns(published_after_polls=5)
    state, _ = server.run(stand_ins, "published")
    assert state.status is ComplianceStatus.COMPLIANT and not state.escalated
    assert stand_ins.polls == 5 and not stand_ins.escalations
    assert [r.crawl.outcome for r in stand_ins.reviews] == [Outcome.MISSING, Outcome.FOUND]


def test_ops_recrawl_interrupts_the_polling_and_validators_reject_what_cannot_be_done(server: TimeSkipping) -> None:
    stand_ins = StandIns(published_after_polls=None, found_on_crawl=2)

    async def scenario() -> AgencyReportState:
        client = server.env.client
        async with Worker(client, task_queue="ops", workflows=[AgencyReport], activities=stand_ins.activities()):
            handle = await client.start_workflow(
                AgencyReport.run,
                AgencyReportInput(agency_id="a1", year=YEAR, poll_interval=timedelta(days=1)),
                id="ops",
                task_queue="ops",
            )
            while (await handle.query(AgencyReport.state)).phase != "polling":
                await asyncio.sleep(0.05)
            with pytest.raises(WorkflowUpdateFailedError) as rejected:
                await handle.execute_update(AgencyReport.recheck, RecheckRequest(actor="审核员"))
            assert "尚无已归档的报告" in str(rejected.value.cause)
            crawled = await handle.execute_update(AgencyReport.recrawl, RecrawlRequest(actor="审核员"))
            assert crawled.status is ComplianceStatus.COMPLIANT
            return await handle.result()

    state = server.loop.run_until_complete(scenario())
    assert state.status is ComplianceStatus.COMPLIANT and state.passes == 2 and not state.escalated
    assert stand_ins.crawls == 2


def test_a_sweep_joins_once_however_often_its_start_is_retried(server: TimeSkipping) -> None:
    stand_ins = StandIns(published_after_polls=None)
    seen, handle = server.loop.run_until_complete(joined_while_polling(server.env.client, stand_ins, "joins"))
    assert seen == [1, 2]
    assert stand_ins.crawls == 3 and len(stand_ins.escalations) == 1
    assert stand_ins.sweeps_told == [["sweep/a"], ["sweep/b"]]  # each sweep told once, after its pass
    # Listed in the memo, so a retried start can tell after the run has closed.
    description = server.loop.run_until_complete(handle.describe())
    assert server.loop.run_until_complete(description.memo())[SWEEPS_MEMO] == ["sweep/a", "sweep/b"]


async def joined_while_polling(
    client: Client, stand_ins: StandIns, workflow_id: str
) -> tuple[list[int], WorkflowHandle[Any, AgencyReportState]]:
    """A sweep starts an agency by signal-with-start (join_sweep with its own id), and a retried start
    signals again; only another sweep's join asks for another pass. The passes made after the
    retried start and after the other sweep's join; the run ends when the grace period does."""
    async with Worker(client, task_queue=workflow_id, workflows=[AgencyReport], activities=stand_ins.activities()):
        start = AgencyReportInput(agency_id="a1", year=YEAR, sweep_id="sweep/a", poll_interval=timedelta(days=1))
        options = {"id": workflow_id, "task_queue": workflow_id, "start_signal": "join_sweep"}
        handle = await client.start_workflow(AgencyReport.run, start, **options, start_signal_args=["sweep/a"])

        async def polling_after(passes: int) -> bool:
            state = await handle.query(AgencyReport.state)
            return state.passes == passes and state.phase == "polling"

        await eventually(lambda: polling_after(1), 10, "first pass")
        await client.start_workflow(AgencyReport.run, start, **options, start_signal_args=["sweep/a"])
        await handle.signal(AgencyReport.join_sweep, "sweep/a")
        await asyncio.sleep(1)
        seen = [(await handle.query(AgencyReport.state)).passes]
        await handle.signal(AgencyReport.join_sweep, "sweep/b")
        await eventually(lambda: polling_after(2), 10, "second pass")
        seen.append((await handle.query(AgencyReport.state)).passes)
        await handle.result()  # the grace period ends: one last look, then escalation
    return seen, handle
