"""Ops actions for the CLI and the dashboard: start a sweep, re-crawl, re-check, waive.

Re-crawl, re-check and waive are updates of the agency-year's AgencyReport workflow, sent with
update-with-start: the running workflow serves them, and when none is running one is started whose
first pass is the one asked for. Every action therefore lands in a history auditors can read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from dwatch.config import Settings
from dwatch.temporal.client import connect
from dwatch.temporal.routing import heartbeat, task_queues
from workflows.agency_report import AgencyReport
from workflows.models import (
    AgencyReportInput,
    AgencyReportState,
    PassResult,
    RecheckRequest,
    RecrawlRequest,
    SweepInput,
    SweepProgress,
    SweepScope,
    WaiveRequest,
    report_workflow_id,
)
from workflows.sweep import DeadlineSweep


class OpsResult(BaseModel):
    workflow_id: str
    run_id: str
    status: str | None = None  # the compliance status after the action, "waived", or "rejected"
    detail: str = ""


async def start_sweep(
    settings: Settings, year: int, agency_ids: list[str] | None = None, *, client: Client | None = None
) -> str:
    """Start a sweep of the year (all active agencies, or those named); its workflow id."""
    client = client or await connect(settings.temporal)
    scope = SweepScope(agency_ids=agency_ids)
    workflow_id = f"sweep/{year}/{scope.label()}/{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    await client.start_workflow(
        DeadlineSweep.run,
        SweepInput(
            year=year,
            scope=scope,
            window=settings.temporal.sweep_window,
            heartbeat=heartbeat(settings.temporal),
            queues=task_queues(settings.temporal),
        ),
        id=workflow_id,
        task_queue=settings.temporal.task_queue,
    )
    return workflow_id


async def recrawl(settings: Settings, agency_id: str, year: int, *, actor: str = "ops") -> OpsResult:
    return await _report_update(settings, agency_id, year, "crawl", AgencyReport.recrawl, RecrawlRequest(actor=actor))


async def recheck(settings: Settings, agency_id: str, year: int, *, actor: str = "ops") -> OpsResult:
    return await _report_update(settings, agency_id, year, "recheck", AgencyReport.recheck, RecheckRequest(actor=actor))


async def waive(settings: Settings, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult:
    request = WaiveRequest(fingerprint=fingerprint, reason=reason, actor=actor)
    return await _report_update(settings, agency_id, year, "recheck", AgencyReport.waive, request)


async def agency_state(settings: Settings, agency_id: str, year: int) -> AgencyReportState | None:
    """The query model of the agency-year's newest AgencyReport run (running or closed), if any."""
    client = await connect(settings.temporal)
    handle = client.get_workflow_handle_for(AgencyReport.run, report_workflow_id(agency_id, year))
    try:
        return await handle.query(AgencyReport.state)
    except RuntimeError:
        return None


async def sweep_progress(client: Client, workflow_id: str) -> SweepProgress:
    return await client.get_workflow_handle_for(DeadlineSweep.run, workflow_id).query(DeadlineSweep.progress)


async def _report_update(
    settings: Settings, agency_id: str, year: int, first: str, update: Any, request: BaseModel
) -> OpsResult:
    client = await connect(settings.temporal)
    start = WithStartWorkflowOperation(
        AgencyReport.run,
        AgencyReportInput(
            agency_id=agency_id,
            year=year,
            first=first,
            heartbeat=heartbeat(settings.temporal),
            queues=task_queues(settings.temporal),
        ),
        id=report_workflow_id(agency_id, year),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=settings.temporal.task_queue,
    )
    try:
        result = await client.execute_update_with_start_workflow(update, request, start_workflow_operation=start)
    except WorkflowUpdateFailedError as err:
        handle: WorkflowHandle[Any, Any] = await start.workflow_handle()
        return OpsResult(
            workflow_id=handle.id, run_id=handle.result_run_id or "", status="rejected", detail=str(err.cause)
        )
    handle = await start.workflow_handle()
    if isinstance(result, PassResult):
        return OpsResult(
            workflow_id=result.workflow_id, run_id=result.run_id, status=result.status, detail=result.detail
        )
    return OpsResult(
        workflow_id=handle.id, run_id=handle.result_run_id or "", status=result.status, detail=result.rule_id
    )
