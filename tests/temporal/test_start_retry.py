"""A sweep's batch start retried (its worker died mid-batch) leaves alone the agencies an earlier
attempt started or joined and that have finished since: otherwise they would be checked again and
counted twice by the sweep."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from dwatch.activities.sweep import SweepActivities
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows.models import SWEEPS_MEMO, AgencyReportInput, StartReportsRequest, report_workflow_id
from temporal_support import YEAR, eventually, running, settings_for
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import ActivityEnvironment

from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.store.database import Store
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.routing import heartbeat, task_queues
from dwatch.temporal.worker import prepare_store


def test_retried_start_leaves_finished_runs_of_its_sweep_alone(dev_server: DevServer, tmp_path: Path) -> None:
    farm = Farm(plan(2, YEAR, seed=3, scenarios=[Scenario.COMPLIANT]), YEAR, seed=3)
    settings = settings_for(tmp_path / "var", dev_server.address)
    with farm, Inbox(tmp_path / "var") as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        try:
            asyncio.run(_scenario(settings, store, [a.agency_id for a in farm.agencies]))
        finally:
            store.close()


async def _scenario(settings: Settings, store: Store, agency_ids: list[str]) -> None:
    async with running(settings) as client:
        first, second = agency_ids
        await _start_reports(client, settings, store, "sweep-a", agency_ids, attempt=1)
        runs = {a: await _finished_run(client, a) for a in agency_ids}

        await _start_reports(client, settings, store, "sweep-a", agency_ids, attempt=2)
        assert {a: await _latest_run(client, a) for a in agency_ids} == runs

        # The same retry for another sweep: that run did not report to it, so the agency runs again.
        await _start_reports(client, settings, store, "sweep-b", [first], attempt=2)
        assert await _finished_run(client, first) != runs[first]
        assert await _latest_run(client, second) == runs[second]

        # A run of the sweep ended by ops (terminated) did not report either: started again.
        stopped = await client.start_workflow(
            "AgencyReport",
            AgencyReportInput(agency_id=second, year=YEAR, sweep_id="sweep-c"),
            id=report_workflow_id(second, YEAR),
            task_queue=f"{settings.temporal.task_queue}-unserved",
            memo={SWEEPS_MEMO: ["sweep-c"]},
        )
        await stopped.terminate("ops")
        await _start_reports(client, settings, store, "sweep-c", [second], attempt=2)
        assert await _finished_run(client, second) not in (stopped.result_run_id, runs[second])


async def _start_reports(
    client: Client, settings: Settings, store: Store, sweep_id: str, agency_ids: list[str], attempt: int
) -> None:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, attempt=attempt, task_queue=settings.temporal.task_queue)
    request = StartReportsRequest(
        sweep_id=sweep_id,
        year=YEAR,
        agency_ids=agency_ids,
        heartbeat=heartbeat(settings.temporal),
        queues=task_queues(settings.temporal),
    )
    await environment.run(SweepActivities(store, client).start_reports, request)


async def _latest_run(client: Client, agency_id: str) -> str:
    description = await client.get_workflow_handle(report_workflow_id(agency_id, YEAR)).describe()
    return description.run_id


async def _finished_run(client: Client, agency_id: str) -> str:
    handle = client.get_workflow_handle(report_workflow_id(agency_id, YEAR))

    async def completed() -> bool:
        return (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED

    await eventually(completed, 60, f"{agency_id} checked")
    return await _latest_run(client, agency_id)
