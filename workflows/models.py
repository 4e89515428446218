"""Inputs, query models and update payloads of the workflows: small, JSON, pydantic.

Documents never appear here: a report travels as the sha256 of its archived bytes. Every model
adds fields with defaults only, so running workflows keep deserialising their histories.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import SearchAttributeKey

# The result models of the application services are the activities' results, unchanged. Their modules
# define classes only at import; passing them through the sandbox loads them once per worker.
with workflow.unsafe.imports_passed_through():
    from dwatch.crawling import CrawlResult
    from dwatch.review import Review
    from dwatch.store.tables import ComplianceStatus

# Deadlines, grace periods and digest periods are calendar days in China (no daylight saving: a fixed
# offset is exact). Shared by the workflows and the activities they call.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

# Search attributes auditors filter on in the Temporal UI (registered by `dwatch.temporal.search`).
AGENCY_ID = SearchAttributeKey.for_keyword("AgencyId")
REPORT_YEAR = SearchAttributeKey.for_int("ReportYear")
REGION = SearchAttributeKey.for_keyword("Region")
SUPERVISOR_ID = SearchAttributeKey.for_keyword("SupervisorId")
COMPLIANCE_STATUS = SearchAttributeKey.for_keyword("ComplianceStatus")
SEARCH_ATTRIBUTES = (AGENCY_ID, REPORT_YEAR, REGION, SUPERVISOR_ID, COMPLIANCE_STATUS)
# An AgencyReport run's memo key: the ids of the sweeps it reports to.
SWEEPS_MEMO = "sweeps"
# Set by Temporal on runs a schedule starts (backfills included): the time the run stands for.
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def report_workflow_id(agency_id: str, year: int) -> str:
    """One AgencyReport per agency-year at a time: sweeps, ops and schedules all address it by this id."""
    return f"report/{agency_id}/{year}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- AgencyReport ---------------------------------------------------------------------------------


class TaskQueues(_Model):
    """Where the per-kind activities run, so crawl and review workers scale apart from the workflows."""

    crawl: str
    review: str


class AgencyReportInput(_Model):
    agency_id: str
    year: int
    queues: TaskQueues | None = Field(default=None, description="None: every activity on the workflow's queue")
    sweep_id: str | None = Field(default=None, description="the sweep to tell when the first check is done")
    first: Literal["crawl", "recheck"] = "crawl"
    poll_interval: timedelta = Field(default=timedelta(hours=6), description="how often a missing report is polled")
    heartbeat: timedelta = Field(default=timedelta(seconds=20), description="an activity silent this long is retried")


class AgencyInfo(_Model):
    """What the workflow needs to know about the agency (from the registry, at the start)."""

    agency_id: str
    region: str
    supervisor_id: str
    deadline: date
    escalate_on: date = Field(description="end of the grace period: still missing then, escalate")
    status: ComplianceStatus | None = Field(default=None, description="the stored status before this run")


class RunRef(_Model):
    workflow_id: str
    run_id: str
    kind: str
    agency_id: str | None = Field(default=None, description="a report run's agency-year, for its audit trail")
    year: int | None = None


class RunEnd(_Model):
    run_pk: int
    status: Literal["completed", "failed", "cancelled"] = "completed"
    error: str | None = None


class AgencyYear(_Model):
    agency_id: str
    year: int


class CrawlRequest(_Model):
    agency_id: str
    year: int
    run_pk: int


class ReviewRequest(_Model):
    agency_id: str
    year: int
    run_pk: int
    crawl: CrawlResult


class AlertRequest(_Model):
    agency_id: str
    year: int
    run_pk: int
    review: Review
    key_prefix: str = Field(description="idempotency: the same pass never alerts twice")


class EscalationRequest(_Model):
    year: int
    agency_id: str | None = Field(default=None, description="None: every missing report of the year")
    today: date
    key_prefix: str


class RecrawlRequest(_Model):
    actor: str = Field(default="ops", min_length=1, max_length=100)


class RecheckRequest(_Model):
    actor: str = Field(default="ops", min_length=1, max_length=100)


class WaiveRequest(_Model):
    fingerprint: str = Field(min_length=8, max_length=64)
    reason: str
    actor: str = Field(min_length=1, max_length=100)


class WaiveActivityInput(WaiveRequest):
    agency_id: str
    year: int


class WaiveResult(_Model):
    fingerprint: str
    finding_id: int
    rule_id: str
    status: str


class PassResult(_Model):
    """What an ops update returns: the state after the pass it asked for."""

    workflow_id: str
    run_id: str
    status: ComplianceStatus | None
    detail: str


class AgencyOutcome(_Model):
    """Signalled to the sweep when an agency's first check is done (or has failed)."""

    agency_id: str
    status: ComplianceStatus | None
    failed: bool = False


class AgencyReportState(_Model):
    """The query model: where the agency-year stands in this run."""

    agency_id: str
    year: int
    phase: Literal["starting", "crawling", "checking", "alerting", "polling", "idle", "escalating", "done"] = "starting"
    status: ComplianceStatus | None = None
    detail: str = ""
    document_sha256: str | None = None
    document_version: int | None = None
    errors: int = 0
    warnings: int = 0
    top_findings: list[str] = Field(default_factory=list)
    passes: int = 0
    alerts_sent: int = 0
    escalated: bool = False
    waived: list[str] = Field(default_factory=list)
    polling_until: date | None = None
    checked_at: datetime | None = None


# --- DeadlineSweep --------------------------------------------------------------------------------


class SweepScope(_Model):
    """Which agencies a sweep covers: those named; or the active ones with a local deadline `deadline`;
    or the active ones of `kind` that keep the statutory deadline; or, with nothing set, all active ones."""

    agency_ids: list[str] | None = None
    kind: Literal["department", "government"] | None = None
    deadline: str | None = Field(default=None, pattern=r"^\d\d-\d\d$", description="a local deadline MM-DD")

    def label(self) -> str:
        if self.agency_ids:
            return "+".join(self.agency_ids) if len(self.agency_ids) <= 3 else f"{len(self.agency_ids)}-agencies"
        if self.deadline:
            return f"local-{self.deadline}"
        return self.kind or "all"


class PageRequest(_Model):
    scope: SweepScope
    after: str | None = None
    limit: int


class StartReportsRequest(_Model):
    """Start (or, when running, join) the AgencyReport workflows of a batch of a sweep's agencies."""

    sweep_id: str
    year: int
    agency_ids: list[str]
    heartbeat: timedelta
    queues: TaskQueues | None = None
    run_pk: int | None = Field(default=None, description="the sweep's run: linked to each agency-year of the batch")


class SweepCarry(_Model):
    """What one run of a sweep hands to the next (continue-as-new keeps each history small)."""

    run_pk: int
    total: int
    cursor: str | None = None
    started: int = 0
    in_flight: list[str] = Field(default_factory=list)
    early: list[str] = Field(default_factory=list)
    by_status: dict[str, int] = Field(default_factory=dict)
    failed: int = 0
    runs: int = 1


class SweepInput(_Model):
    year: int | None = Field(default=None, description="None: the latest reporting year when scheduled")
    scope: SweepScope = Field(default_factory=SweepScope)
    window: int = Field(default=50, ge=1, description="children in progress at once")
    per_run: int = Field(default=500, ge=1, description="children started by one run before continue-as-new")
    page: int = Field(default=100, ge=1, description="agencies listed per activity call")
    heartbeat: timedelta = Field(default=timedelta(seconds=20), description="an activity silent this long is retried")
    queues: TaskQueues | None = Field(default=None, description="passed on to each agency's workflow")
    carry: SweepCarry | None = None


class DigestRequest(_Model):
    year: int
    sweep_id: str
    scope: SweepScope


class SweepProgress(_Model):
    """The query model of a sweep, and its result."""

    year: int
    total: int = 0
    started: int = 0
    done: int = 0
    in_flight: int = 0
    failed: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    runs: int = 1
    finished: bool = False
    digest_sent: int = 0
