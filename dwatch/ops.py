"""The ops API: start a sweep, re-crawl, re-check, waive; the input check, the result and the errors.

The functions here are the actions on Temporal (what the CLI calls). `Ops` is what the dashboard's
backends offer (`dwatch.web.backends`: these functions, or the same steps in-process without Temporal);
every action of every backend returns an `OpsResult`.

Re-crawl, re-check and waive are updates of the agency-year's AgencyReport workflow, sent with
update-with-start: the running workflow serves them, and when none is running one is started whose
first pass is the one asked for. Every action therefore lands in a history auditors can read.

Every action checks its input first (`validate`, the one check the CLI, the dashboard and the API
share): an unregistered agency, a finding that does not exist or a year out of range raises
`OpsInputError` before anything is started in Temporal, so the person asking gets the reason, not a
failed workflow whose cause is only in a worker's log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

from pydantic import BaseModel, Field
from sqlalchemy import select
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from dwatch.config import Settings
from dwatch.passes import Work
from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.reports.compliance import latest_due_year
from dwatch.store.database import Store
from dwatch.store.findings import finding_by_fingerprint
from dwatch.store.tables import Agency
from dwatch.temporal.client import connect
from dwatch.temporal.routing import heartbeat, task_queues
from dwatch.workflows.agency_report import AgencyReport
from dwatch.workflows.models import (
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
from dwatch.workflows.sweep import DeadlineSweep


class OpsInputKind(StrEnum):
    NOT_FOUND = "not_found"  # no such agency in the registry, or no such finding of the agency-year
    OUT_OF_RANGE = "out_of_range"  # a report year ops cannot act on


class OpsInputError(Exception):
    """An ops action's input, refused before anything was started; `message` is for people (zh-CN)."""

    def __init__(self, kind: OpsInputKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class OpsUnavailableError(Exception):
    """The action cannot be done now: the workflow refused the update (its reason, for people), or
    (in the dashboard's backends) Temporal could not take it."""


class OpsResult(BaseModel):
    """What an ops action did: the workflow that ran it and where it left the agency-year."""

    workflow_id: str
    run_id: str | None = None  # none for a waiver recorded without Temporal
    status: str = Field(description="the compliance status after the action, or the finding's (`waived`)")
    detail: str = ""


class Ops(Protocol):
    """The ops actions as a backend offers them. Each raises OpsInputError for input it refuses
    (nothing started), OpsUnavailableError when the action cannot be done now."""

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsResult: ...

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsResult: ...

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str: ...

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult: ...


@cache
def first_year() -> int:
    """The first report year of the 2019 formats, from which the catalogue's format rule (FMT-OLD) applies:
    ops act on the reports of this year up to the latest due."""
    rule = next(r for r in CATALOGUE.rules if r.id == "FMT-OLD")
    assert rule.applies.min_year is not None  # the catalogue states it
    return rule.applies.min_year


def check_year(year: int) -> None:
    """OpsInputError (out of range) unless ops can act on the reports of `year`."""
    first, latest = first_year(), latest_due_year()
    if year < first:
        message = f"{year} 年度超出范围：年度报告格式自 {first} 年度起适用，可操作 {first}—{latest} 年度"
        raise OpsInputError(OpsInputKind.OUT_OF_RANGE, message)
    if year > latest:
        message = f"{year} 年度的报告尚未到期（最近到期的是 {latest} 年度），可操作 {first}—{latest} 年度"
        raise OpsInputError(OpsInputKind.OUT_OF_RANGE, message)


def validate(store: Store, year: int, agency_ids: Sequence[str] = (), *, fingerprint: str | None = None) -> None:
    """Refuse an ops action's input before anything is started (OpsInputError): a year out of range,
    agencies not in the registry (named ones count even when inactive: ops asked for them), or a
    `fingerprint` that is no finding of the year of the one agency named."""
    check_year(year)
    if not agency_ids:
        return
    with store.session() as session:
        known = set(session.scalars(select(Agency.id).where(Agency.id.in_(agency_ids))))
        unknown = [a for a in dict.fromkeys(agency_ids) if a not in known]
        if unknown:
            names = "、".join(f"“{a}”" for a in unknown)
            raise OpsInputError(OpsInputKind.NOT_FOUND, f"机关{names}未登记")
        if fingerprint is not None:
            (agency_id,) = agency_ids
            if finding_by_fingerprint(session, agency_id, year, fingerprint) is None:
                message = f"{agency_id} {year} 年度没有指纹为 {fingerprint} 的问题"
                raise OpsInputError(OpsInputKind.NOT_FOUND, message)


def _validate(
    settings: Settings, store: Store | None, year: int, agency_ids: Sequence[str], fingerprint: str | None = None
) -> None:
    """`validate` on the caller's store, else on the configured one (its engine connects only if asked)."""
    if store is not None:
        validate(store, year, agency_ids, fingerprint=fingerprint)
        return
    opened = Store.open(settings)
    try:
        validate(opened, year, agency_ids, fingerprint=fingerprint)
    finally:
        opened.close()


async def start_sweep(
    settings: Settings,
    year: int,
    agency_ids: list[str] | None = None,
    *,
    client: Client | None = None,
    store: Store | None = None,
) -> str:
    """Start a sweep of the year (all active agencies, or those named); its workflow id.
    OpsInputError: a year out of range or an unknown agency (nothing started)."""
    _validate(settings, store, year, agency_ids or ())
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


# The agency-year's actions. OpsInputError: an unknown agency or finding, a year out of range (nothing
# started); OpsUnavailableError: the workflow refused the update.


async def recrawl(
    settings: Settings, agency_id: str, year: int, *, actor: str = "ops", store: Store | None = None
) -> OpsResult:
    _validate(settings, store, year, [agency_id])
    return await _report_update(settings, agency_id, year, "crawl", AgencyReport.recrawl, RecrawlRequest(actor=actor))


async def recheck(
    settings: Settings, agency_id: str, year: int, *, actor: str = "ops", store: Store | None = None
) -> OpsResult:
    _validate(settings, store, year, [agency_id])
    return await _report_update(settings, agency_id, year, "recheck", AgencyReport.recheck, RecheckRequest(actor=actor))


async def waive(
    settings: Settings,
    agency_id: str,
    year: int,
    fingerprint: str,
    reason: str,
    actor: str,
    *,
    store: Store | None = None,
) -> OpsResult:
    _validate(settings, store, year, [agency_id], fingerprint)
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
    settings: Settings, agency_id: str, year: int, first: Work, update: Any, request: BaseModel
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
        raise OpsUnavailableError(str(err.cause)) from err
    if isinstance(result, PassResult):
        assert result.status is not None  # the update returns after its pass, which leaves a status
        return OpsResult(
            workflow_id=result.workflow_id, run_id=result.run_id, status=result.status.value, detail=result.detail
        )
    handle: WorkflowHandle[Any, Any] = await start.workflow_handle()
    return OpsResult(workflow_id=handle.id, run_id=handle.result_run_id, status=result.status, detail=result.rule_id)
