"""The compliance matrix: agencies × status for a year, with filters, counts and the trend over years."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import report_deadline
from dwatch.store.tables import Agency, AgencyStatus, Document, Finding, FindingStatus
from dwatch.store.tables import Supervisor as SupervisorTable
from dwatch.web.labels import STATUS_ORDER, UNCHECKED
from dwatch.web.view_base import FilterModel, ViewModel, Year, default_year

# Findings that still need someone's attention; waived and resolved ones do not make an agency defective.
ACTIVE_FINDING_STATUSES = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)
MatrixStatus = Literal[
    "compliant", "defective", "late", "missing", "unreachable", "unparseable", "needs_review", "unchecked"
]


class MatrixFilter(FilterModel):
    year: Year | None = Field(default=None, description="report year; default: the newest with statuses")
    region: str | None = Field(default=None, pattern=r"^\d{1,15}$", description="region code prefix")
    supervisor: str | None = Field(default=None, description="supervisor id; its subordinate supervisors included")
    status: MatrixStatus | None = Field(default=None, description="a compliance status, or `unchecked`")
    rule: str | None = Field(default=None, max_length=32, description="agencies with an open finding of this rule")


# A plain dataclass, not a model: 5,000 rows are built per page view, and their values come from
# typed columns already (pydantic still documents and serialises it in the API).
@dataclass(frozen=True, slots=True)
class MatrixRow:
    agency_id: str
    name: str
    kind: str
    region: str
    supervisor_id: str
    supervisor_name: str
    status: str
    detail: str
    published_on: date | None
    deadline: date | None
    days_late: int | None
    open_findings: int
    rules: list[str]
    checked_at: datetime | None


class Matrix(BaseModel):
    filter: MatrixFilter
    counts: dict[str, int] = Field(description="agencies per status under the other filters (status ignored)")
    total: int
    rows: list[MatrixRow]


class SupervisorOption(ViewModel):
    id: str
    name: str
    parent_id: str | None


def supervisors(session: Session) -> list[SupervisorOption]:
    rows = session.scalars(select(SupervisorTable).order_by(SupervisorTable.id))
    return [SupervisorOption.model_validate(s) for s in rows]


def _with_subordinates(options: list[SupervisorOption], root: str) -> set[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for option in options:
        children[option.parent_id].append(option.id)
    found, pending = set(), [root]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children[current])
    return found


def with_year(session: Session, wanted: MatrixFilter) -> MatrixFilter:
    return wanted if wanted.year else wanted.model_copy(update={"year": default_year(session)})


def matrix(session: Session, wanted: MatrixFilter) -> Matrix:
    wanted = with_year(session, wanted)
    return summarise(wanted, matrix_rows(session, wanted))


def matrix_rows(session: Session, wanted: MatrixFilter) -> list[MatrixRow]:
    """The agencies under every filter but the status one (counts and charts cover them all)."""
    year = wanted.year
    assert year is not None  # with_year() first
    all_supervisors = supervisors(session)
    names = {s.id: s.name for s in all_supervisors}
    stmt = (
        select(
            Agency.id,
            Agency.name,
            Agency.kind,
            Agency.region_code,
            Agency.supervisor_id,
            Agency.deadline,
            AgencyStatus.status,
            AgencyStatus.detail,
            AgencyStatus.checked_at,
            Document.published_on,
        )
        .outerjoin(AgencyStatus, and_(AgencyStatus.agency_id == Agency.id, AgencyStatus.report_year == year))
        .outerjoin(Document, Document.id == AgencyStatus.document_id)
        .where(or_(Agency.active, AgencyStatus.status.is_not(None)))
    )
    if wanted.region:
        stmt = stmt.where(Agency.region_code.startswith(wanted.region))
    if wanted.supervisor:
        stmt = stmt.where(Agency.supervisor_id.in_(_with_subordinates(all_supervisors, wanted.supervisor)))
    if wanted.rule:
        stmt = stmt.where(
            Agency.id.in_(
                select(Finding.agency_id).where(
                    Finding.report_year == year,
                    Finding.rule_id == wanted.rule,
                    Finding.status.in_(ACTIVE_FINDING_STATUSES),
                )
            )
        )
    rules = _active_rules(session, year)
    order = {status: i for i, status in enumerate(STATUS_ORDER)}
    rows: list[MatrixRow] = []
    for r in session.execute(stmt):
        deadline = report_deadline(year, r.kind, r.deadline)
        late = (r.published_on - deadline).days if r.published_on and deadline else None
        agency_rules = rules.get(r.id, Counter())
        rows.append(
            MatrixRow(
                agency_id=r.id,
                name=r.name,
                kind=r.kind,
                region=r.region_code,
                supervisor_id=r.supervisor_id,
                supervisor_name=names.get(r.supervisor_id, r.supervisor_id),
                status=r.status or UNCHECKED,
                detail=r.detail or "",
                published_on=r.published_on,
                deadline=deadline,
                days_late=late if late is not None and late > 0 else None,
                open_findings=sum(agency_rules.values()),
                rules=sorted(agency_rules),
                checked_at=r.checked_at,
            )
        )
    rows.sort(key=lambda row: (order.get(row.status, len(order)), row.region, row.agency_id))
    return rows


def summarise(wanted: MatrixFilter, rows: list[MatrixRow]) -> Matrix:
    """Counts per status over `rows`, and the rows of the wanted status."""
    counts = Counter(row.status for row in rows)
    shown = [row for row in rows if row.status == wanted.status] if wanted.status else rows
    # Constructed, not validated: the rows are built from typed columns just above.
    return Matrix.model_construct(
        filter=wanted,
        counts={s: counts.get(s, 0) for s in STATUS_ORDER},
        total=len(rows),
        rows=shown,
    )


def _active_rules(session: Session, year: int) -> dict[str, Counter[str]]:
    """Per agency, how many findings of each rule still need attention (info findings never do)."""
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    stmt = (
        select(Finding.agency_id, Finding.rule_id, func.count())
        .where(
            Finding.report_year == year,
            Finding.status.in_(ACTIVE_FINDING_STATUSES),
            Finding.severity != Severity.INFO.value,
        )
        .group_by(Finding.agency_id, Finding.rule_id)
    )
    for agency_id, rule_id, count in session.execute(stmt):
        by_agency[agency_id][rule_id] = count
    return by_agency


def status_trend(session: Session) -> dict[int, dict[str, int]]:
    """Agencies per status in every year (the matrix's "over the years" chart)."""
    trend: dict[int, dict[str, int]] = defaultdict(dict)
    stmt = select(AgencyStatus.report_year, AgencyStatus.status, func.count()).group_by(
        AgencyStatus.report_year, AgencyStatus.status
    )
    for year, status, count in session.execute(stmt):
        trend[year][status] = count
    return dict(sorted(trend.items()))
