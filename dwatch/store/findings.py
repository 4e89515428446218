"""Check runs and the lifecycle of findings.

A finding is one row per (agency, report year, fingerprint). Recording a check run upserts every
finding it reported in one SQL statement each (`INSERT … ON CONFLICT DO UPDATE`, counters computed
in SQL), so concurrent writers can neither duplicate a finding nor lose an update.

Status rules: the checks only move findings between `open` and `resolved` (a finding a later run no
longer reports is resolved; a resolved finding reported again reopens). `acknowledged` and `waived`
are decisions people make, and only people change them. Every status change is a history row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, Select, and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from dwatch.labels import SEVERITY_ORDER
from dwatch.reports.checks.findings import Finding as CheckFinding
from dwatch.reports.checks.findings import Severity
from dwatch.store.tables import CheckRun, CheckRunFinding, Finding, FindingEvent, FindingStatus
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for

_Row = TypeVar("_Row")
SYSTEM_ACTOR = "dwatch"
REASON_NOT_REPORTED = "后续检查未再发现该问题"
REASON_REPORTED_AGAIN = "已解决的问题再次被检查发现"
# Columns describing the defect: they follow the most recent run that reported it.
_DESCRIPTIVE = (
    "rule_id",
    "catalogue_version",
    "severity",
    "category",
    "message_zh",
    "message_en",
    "arguments",
    "location",
    "evidence",
    "last_seen_at",
    "last_check_run_id",
    "last_document_id",
)
# Columns set when the checks (re)open a finding.
_STATUS = ("status", "status_changed_at", "status_by", "status_reason", "status_check_run_id")


class CheckRunInput(BaseModel):
    """What was checked: the agency-year, the document and parsed report, the rule catalogue."""

    model_config = ConfigDict(extra="forbid")

    agency_id: str
    report_year: int
    catalogue_version: str
    rules: list[str] = Field(default_factory=list, description="ids of the rules that ran")
    document_id: int | None = None
    report_id: int | None = None
    checked_at: AwareDatetime = Field(default_factory=utcnow)
    workflow_run_id: int | None = None


class CheckRunResult(BaseModel):
    check_run_id: int
    opened: list[str] = Field(default_factory=list, description="fingerprints seen for the first time")
    reopened: list[str] = Field(default_factory=list)
    seen_again: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)


class StatusChange(BaseModel):
    """A person's decision on a finding."""

    model_config = ConfigDict(extra="forbid")

    status: FindingStatus
    actor: str = Field(min_length=1, max_length=100)
    reason: str | None = None

    @model_validator(mode="after")
    def _waiver_needs_reason(self) -> StatusChange:
        if self.status is FindingStatus.WAIVED and not (self.reason and self.reason.strip()):
            raise ValueError("豁免（waived）必须说明理由")
        return self


def record_check_run(session: Session, run: CheckRunInput, findings: Sequence[CheckFinding]) -> CheckRunResult:
    by_fingerprint: dict[str, CheckFinding] = {}
    for finding in findings:
        by_fingerprint.setdefault(finding.fingerprint, finding)  # a rule reporting twice is one finding
    # One order for every writer: concurrent runs then lock rows in the same order (no deadlocks).
    unique = sorted(by_fingerprint.values(), key=lambda f: f.fingerprint)
    _lock_agency_year(session, run)
    check_run = CheckRun(
        agency_id=run.agency_id,
        report_year=run.report_year,
        document_id=run.document_id,
        report_id=run.report_id,
        catalogue_version=run.catalogue_version,
        rules=run.rules,
        checked_at=run.checked_at,
        finding_count=len(unique),
        workflow_run_id=run.workflow_run_id,
    )
    session.add(check_run)
    session.flush()
    result = CheckRunResult(check_run_id=check_run.id)
    events: list[dict[str, object]] = []
    for finding in unique:
        finding_id, times_seen, status_run = _upsert(session, run, check_run.id, finding)
        session.execute(insert(CheckRunFinding).values(check_run_id=check_run.id, finding_id=finding_id))
        if status_run != check_run.id:
            result.seen_again.append(finding.fingerprint)
            continue
        first = times_seen == 1
        (result.opened if first else result.reopened).append(finding.fingerprint)
        events.append(
            _event(
                finding_id, run.checked_at, None if first else FindingStatus.RESOLVED, FindingStatus.OPEN, check_run.id
            )
        )
    for finding_id, fingerprint in _resolve_unreported(session, run, check_run.id, [f.fingerprint for f in unique]):
        result.resolved.append(fingerprint)
        events.append(
            _event(
                finding_id,
                run.checked_at,
                FindingStatus.OPEN,
                FindingStatus.RESOLVED,
                check_run.id,
                REASON_NOT_REPORTED,
            )
        )
    if events:
        session.execute(insert(FindingEvent), events)
    return result


def _lock_agency_year(session: Session, run: CheckRunInput) -> None:
    """Serialise check runs of one agency-year, so that resolving what a run did not report sees a
    consistent set. SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes an advisory
    lock held until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        key = f"{run.agency_id}/{run.report_year}"
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _upsert(
    session: Session, run: CheckRunInput, check_run_id: int, finding: CheckFinding
) -> tuple[int, int, int | None]:
    """Insert or update one finding; returns (id, times_seen, the check run that set its status)."""
    at = run.checked_at
    values = {
        "agency_id": run.agency_id,
        "report_year": run.report_year,
        "fingerprint": finding.fingerprint,
        "rule_id": finding.rule_id,
        "catalogue_version": finding.catalogue_version,
        "severity": finding.severity.value,
        "category": finding.category.value,
        "message_zh": finding.message_zh,
        "message_en": finding.message_en,
        "arguments": to_jsonable_python(finding.arguments),
        "location": finding.location.model_dump(mode="json", exclude_none=True),
        "evidence": finding.evidence,
        "status": FindingStatus.OPEN.value,
        "status_changed_at": at,
        "status_by": SYSTEM_ACTOR,
        "status_reason": None,
        "status_check_run_id": check_run_id,
        "first_seen_at": at,
        "last_seen_at": at,
        "times_seen": 1,
        "first_check_run_id": check_run_id,
        "last_check_run_id": check_run_id,
        "last_document_id": run.document_id,
    }
    table = Finding.__table__
    stmt = insert_for(session, table).values(values)
    new, old = stmt.excluded, table.c
    # Every SET expression reads the row as it was before this statement.
    newer = new.last_seen_at >= old.last_seen_at
    reopen = and_(old.status == FindingStatus.RESOLVED.value, new.last_seen_at >= old.status_changed_at)
    reopen_values = {**{c: new[c] for c in _STATUS}, "status_reason": REASON_REPORTED_AGAIN}
    row = session.execute(
        stmt.on_conflict_do_update(
            index_elements=["agency_id", "report_year", "fingerprint"],
            set_={
                "times_seen": old.times_seen + 1,
                **{c: _when(newer, new[c], old[c]) for c in _DESCRIPTIVE},
                **{c: _when(reopen, value, old[c]) for c, value in reopen_values.items()},
            },
        ).returning(table.c.id, table.c.times_seen, table.c.status_check_run_id)
    ).one()
    return row.id, row.times_seen, row.status_check_run_id


def _when(condition: ColumnElement[bool], then: object, otherwise: object) -> ColumnElement[object]:
    return case((condition, then), else_=otherwise)


def _resolve_unreported(
    session: Session, run: CheckRunInput, check_run_id: int, reported: list[str]
) -> list[tuple[int, str]]:
    """Resolve the open findings of this agency-year that this run did not report.

    Findings last seen after this run started were reported by a newer run and stay open.
    """
    stmt = (
        update(Finding)
        .where(
            Finding.agency_id == run.agency_id,
            Finding.report_year == run.report_year,
            Finding.status == FindingStatus.OPEN.value,
            Finding.fingerprint.not_in(reported),
            Finding.last_seen_at <= run.checked_at,
        )
        .values(
            status=FindingStatus.RESOLVED.value,
            status_changed_at=run.checked_at,
            status_by=SYSTEM_ACTOR,
            status_reason=REASON_NOT_REPORTED,
            status_check_run_id=check_run_id,
        )
        .returning(Finding.id, Finding.fingerprint)
    )
    return [(row.id, row.fingerprint) for row in session.execute(stmt)]


def _event(
    finding_id: int,
    at: datetime,
    from_status: FindingStatus | None,
    to_status: FindingStatus,
    check_run_id: int | None,
    reason: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> dict[str, object]:
    return {
        "finding_id": finding_id,
        "at": at,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value,
        "actor": actor,
        "reason": reason,
        "check_run_id": check_run_id,
    }


def change_status(session: Session, finding_id: int, change: StatusChange, at: datetime | None = None) -> Finding:
    """Apply a person's decision (acknowledge, waive, reopen, resolve) and record it in the history."""
    finding = session.scalars(select(Finding).where(Finding.id == finding_id).with_for_update()).one_or_none()
    if finding is None:
        raise KeyError(finding_id)
    if finding.status == change.status.value and finding.status_reason == change.reason:
        return finding
    at = at or utcnow()
    session.execute(
        insert(FindingEvent).values(
            _event(finding.id, at, FindingStatus(finding.status), change.status, None, change.reason, change.actor)
        )
    )
    finding.status = change.status.value
    finding.status_changed_at = at
    finding.status_by = change.actor
    finding.status_reason = change.reason
    finding.status_check_run_id = None
    return finding


class FindingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str | None = None
    report_year: int | None = None
    status: FindingStatus | None = None
    rule_id: str | None = None
    # Info findings (e.g. ART-01, an artefact repaired before analysis) need nobody's action: listed on request.
    min_severity: Severity = Field(default=Severity.WARNING, description="this severity and the more severe ones")


def severity_rank() -> ColumnElement[int]:
    """The severity as a number for ORDER BY (0 = error), so lists show the most severe first; a severity
    the catalogue does not know sorts last."""
    ranks = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}
    return case(ranks, value=Finding.severity, else_=len(ranks))


def query_findings(
    session: Session, query: FindingQuery, *, limit: int | None = None, offset: int = 0
) -> list[Finding]:
    """Findings at `min_severity` or worse, most severe first, then by agency, year and rule (the id
    last, so pages of `limit` from `offset` neither repeat nor skip a finding)."""
    stmt = _filtered(select(Finding), query).order_by(
        severity_rank(), Finding.agency_id, Finding.report_year, Finding.rule_id, Finding.id
    )
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_findings(session: Session, query: FindingQuery) -> int:
    """How many findings `query_findings` lists (e.g. to say how many less severe ones it hides)."""
    return session.scalar(_filtered(select(func.count()).select_from(Finding), query)) or 0


def _filtered(stmt: Select[_Row], query: FindingQuery) -> Select[_Row]:
    stmt = stmt.where(severity_rank() <= SEVERITY_ORDER.index(query.min_severity.value))
    if query.agency_id is not None:
        stmt = stmt.where(Finding.agency_id == query.agency_id)
    if query.report_year is not None:
        stmt = stmt.where(Finding.report_year == query.report_year)
    if query.status is not None:
        stmt = stmt.where(Finding.status == query.status.value)
    if query.rule_id is not None:
        stmt = stmt.where(Finding.rule_id == query.rule_id)
    return stmt


def finding_by_fingerprint(session: Session, agency_id: str, report_year: int, fingerprint: str) -> Finding | None:
    return session.scalars(
        select(Finding).where(
            Finding.agency_id == agency_id, Finding.report_year == report_year, Finding.fingerprint == fingerprint
        )
    ).one_or_none()


def history(session: Session, finding_id: int) -> list[FindingEvent]:
    stmt = select(FindingEvent).where(FindingEvent.finding_id == finding_id).order_by(FindingEvent.at, FindingEvent.id)
    return list(session.scalars(stmt))
