"""A sweep counts each agency once, however often the agency says it is done: agencies tell their
sweeps from a local activity, which runs again after a lost worker, so the signal can come twice,
before the sweep has seen the agency's start complete (early) or after."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from dwatch.reports.compliance import ComplianceStatus
from dwatch.workflows.models import (
    AgencyOutcome,
    DigestRequest,
    PageRequest,
    StartReportsRequest,
    SweepInput,
    SweepProgress,
    SweepScope,
)
from dwatch.workflows.sweep import DeadlineSweep
from temporal_support import YEAR, begin_run_stand_in, end_run_stand_in, eventually
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from dwatch.temporal.devserver import DevServer

COMPLIANT = AgencyOutcome(agency_id="early", status=ComplianceStatus.COMPLIANT)
LATE = AgencyOutcome(agency_id="later", status=ComplianceStatus.LATE)


def _stand_ins(client: Client) -> list:
    @activity.defn(name="count_agencies")
    async def count_agencies(_scope: SweepScope) -> int:
        return 2

    @activity.defn(name="agency_page")
    async def agency_page(request: PageRequest) -> list[str]:
        return ["early", "later"] if request.after is None else []

    @activity.defn(name="start_reports")
    async def start_reports(request: StartReportsRequest) -> None:
        # "early" is done, twice over, before its start has been confirmed to the sweep.
        sweep = client.get_workflow_handle(request.sweep_id)
        for _ in range(2):
            await sweep.signal("agency_done", COMPLIANT)

    @activity.defn(name="digest")
    async def digest(_request: DigestRequest) -> int:
        return 0

    return [begin_run_stand_in, end_run_stand_in, count_agencies, agency_page, start_reports, digest]


def test_an_agency_that_reports_twice_is_counted_once(dev_server: DevServer) -> None:
    async def run() -> SweepProgress:
        client = await Client.connect(dev_server.address, data_converter=pydantic_data_converter)
        queue = f"test-{uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[DeadlineSweep], activities=_stand_ins(client)):
            handle = await client.start_workflow(
                DeadlineSweep.run, SweepInput(year=YEAR), id=f"sweep-{queue}", task_queue=queue
            )

            async def both_started() -> bool:
                return (await handle.query(DeadlineSweep.progress)).started == 2

            await eventually(both_started, 30, "the sweep started both agencies")
            # "later" is done after its start was confirmed, and says so twice.
            for _ in range(2):
                await handle.signal(DeadlineSweep.agency_done, LATE)
            return await asyncio.wait_for(handle.result(), 30)

    progress = asyncio.run(run())
    assert progress.finished
    assert progress.done == 2
    assert progress.by_status == {"compliant": 1, "late": 1}
