"""Inputs, query models and update payloads of the workflows, the results of the services their
activities call, and the activities by name: small, JSON, pydantic.

Workflow code imports only this, the domain (`dwatch.reports`), temporalio, pydantic and the stdlib
(tests/test_import_graph.py): the services and the activities sit above the workflows and import
their models from here. Documents never appear here: a report travels as the sha256 of its archived
bytes. Every model adds fields with defaults only, so running workflows keep deserialising their
histories.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from dwatch.reports.compliance import MM_DD, AgencyKind, ComplianceStatus
from dwatch.reports.retrieval import FetchFailure, Outcome
from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import SearchAttributeKey

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


# --- Results of the application services (`dwatch.crawling`, `dwatch.review`) --------------------


class RuleTally(_Model):
    """How many findings one rule raised at one severity (for the metrics of the worker process)."""

    rule_id: str
    severity: str
    count: int


class Review(_Model):
    agency_id: str
    year: int
    status: ComplianceStatus
    detail: str = ""
    failure_detail: str = ""  # the crawl failure's technical detail, for ops (English)
    document_id: int | None = None
    report_id: int | None = None
    check_run_id: int | None = None
    errors: int = 0
    warnings: int = 0
    top_findings: list[str] = []
    opened: int = 0
    resolved: int = 0
    previous_status: ComplianceStatus | None = None  # before this review: alerts fire on the change
    # What the metrics count, recorded by the activity from this model (the review may have run in a
    # child process): the format of the document parsed, durations, every finding by rule and severity.
    document_format: str | None = None  # pdf, docx, html, text or unknown; None: no document was parsed
    parse_seconds: float | None = None
    check_seconds: float | None = None
    findings_by_rule: list[RuleTally] = []


class CrawlResult(_Model):
    """What one agency's crawl found, without the bytes (they are in the blob store)."""

    agency_id: str
    year: int
    outcome: Outcome
    reason: str = ""
    failure: FetchFailure | None = None
    failure_detail: str = Field(default="", description="the failure's technical detail, for ops (English)")
    document_url: str | None = None
    sha256: str | None = None
    version: int | None = None
    new_version: bool = False
    not_modified: bool = False
    published: date | None = None
    insecure_tls: bool = False
    review: Review | None = Field(
        default=None,
        description="the document reviewed by the crawl worker itself (it also holds the review role): no review "
        "activity follows",
    )


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


class SweepReport(_Model):
    """An agency's outcome for the sweeps it reports to, signalled by a local activity."""

    sweep_ids: list[str]
    outcome: AgencyOutcome


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
    kind: AgencyKind | None = None
    deadline: str | None = Field(default=None, pattern=MM_DD, description="a local deadline MM-DD")

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
    paced: bool = Field(default=False, description="host-paced order (`dwatch.crawling.host_paced`), else by id")


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
    paced: bool = Field(default=False, description="the sweep pages its agencies host-paced (False: by id)")


class SweepInput(_Model):
    year: int | None = Field(default=None, description="None: the latest reporting year when scheduled")
    scope: SweepScope = Field(default_factory=SweepScope)
    window: int = Field(default=50, ge=1, description="children in progress at once")
    per_run: int = Field(default=500, ge=1, description="children started by one run before continue-as-new")
    # A run's whole share at once: the window is then refilled by starts alone, with no page read
    # (an activity round trip) between them.
    page: int = Field(default=500, ge=1, description="agencies listed per activity call")
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


# --- Activities -----------------------------------------------------------------------------------

Arg = TypeVar("Arg")
Result = TypeVar("Result")


@dataclass(frozen=True)
class ActivityType(Generic[Arg, Result]):
    """An activity as the workflows call it: by its type name, so workflow code never imports the
    activities (they sit on the services). `name` is what the activity's `@activity.defn` registers
    and what histories record: renaming one breaks every running workflow that calls it."""

    name: str
    result: Any  # the result's type hint, for the data converter

    def execute(self, arg: Arg, **options: Any) -> Awaitable[Result]:
        return workflow.execute_activity(self.name, arg, result_type=self.result, **options)

    def start(self, arg: Arg, **options: Any) -> workflow.ActivityHandle[Result]:
        return workflow.start_activity(self.name, arg, result_type=self.result, **options)

    def execute_local(self, arg: Arg, **options: Any) -> Awaitable[Result]:
        return workflow.execute_local_activity(self.name, arg, result_type=self.result, **options)


# The workflows' task queue: runs, the agency, its documents and findings, alerts, a sweep's agencies.
BEGIN_RUN: ActivityType[RunRef, int] = ActivityType("begin_run", int)
END_RUN: ActivityType[RunEnd, None] = ActivityType("end_run", None)
AGENCY_INFO: ActivityType[AgencyYear, AgencyInfo] = ActivityType("agency_info", AgencyInfo)
LATEST_DOCUMENT: ActivityType[AgencyYear, CrawlResult | None] = ActivityType("latest_document", CrawlResult | None)
WAIVE: ActivityType[WaiveActivityInput, WaiveResult] = ActivityType("waive", WaiveResult)
ALERT: ActivityType[AlertRequest, int] = ActivityType("alert", int)
ESCALATE: ActivityType[EscalationRequest, int] = ActivityType("escalate", int)
DIGEST: ActivityType[DigestRequest, int] = ActivityType("digest", int)
COUNT_AGENCIES: ActivityType[SweepScope, int] = ActivityType("count_agencies", int)
AGENCY_PAGE: ActivityType[PageRequest, list[str]] = ActivityType("agency_page", list[str])
START_REPORTS: ActivityType[StartReportsRequest, None] = ActivityType("start_reports", None)
REPORT_TO_SWEEPS: ActivityType[SweepReport, None] = ActivityType("report_to_sweeps", None)
# The crawl and review task queues.
CRAWL: ActivityType[CrawlRequest, CrawlResult] = ActivityType("crawl", CrawlResult)
POLL_MISSING: ActivityType[CrawlRequest, CrawlResult] = ActivityType("poll_missing", CrawlResult)
REVIEW: ActivityType[ReviewRequest, Review] = ActivityType("review", Review)
