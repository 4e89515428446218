"""What the pages, the API and the exports show, read from the store as typed view models.

One function per view, shared by the HTML page, its JSON endpoint and its export, so the three can
never disagree about which agencies are late or what a finding says.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dwatch.reports.checks.findings import Severity
from dwatch.reports.model import AnnualReport, Location
from dwatch.store.audit import AuditRecord, audit
from dwatch.store.findings import FindingQuery, StatusChange, change_status, history, query_findings
from dwatch.store.reports import load_report
from dwatch.store.tables import Agency, AgencyStatus, Document, Finding, FindingStatus
from dwatch.store.tables import Supervisor as SupervisorTable
from dwatch.temporal.deadlines import statutory_deadline
from dwatch.web.labels import STATUS_ORDER, UNCHECKED

# Findings that still need someone's attention; waived and resolved ones do not make an agency defective.
ACTIVE_FINDING_STATUSES = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)
MIN_YEAR, MAX_YEAR = 2008, 2100  # the 条例 applies from the 2008 reports on


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A filter form submits "" for "all".
        return None if value == "" else value


Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
MatrixStatus = Literal["compliant", "defective", "late", "missing", "unreachable", "unparseable", "unchecked"]


class MatrixFilter(_Filter):
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


class SupervisorOption(_View):
    id: str
    name: str
    parent_id: str | None


@cache  # a handful of distinct answers, asked once per agency of the matrix
def deadline_of(year: int, kind: str, local: str | None) -> date:
    """The agency's configured local deadline ("MM-DD" of the following year), else the statutory one."""
    if local:
        month, day = (int(part) for part in local.split("-"))
        return date(year + 1, month, day)
    return statutory_deadline(kind, year)


def years(session: Session) -> list[int]:
    """Report years with any status, newest first."""
    return list(session.scalars(select(AgencyStatus.report_year).distinct().order_by(AgencyStatus.report_year.desc())))


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


def default_year(session: Session) -> int:
    """The newest year with statuses; before any, last year (whose reports are due this year)."""
    return next(iter(years(session)), date.today().year - 1)


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
        deadline = deadline_of(year, r.kind, r.deadline)
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


# ---- findings ----------------------------------------------------------------------------------


class FindingFilter(_Filter):
    year: Year | None = None
    agency: str | None = Field(default=None, max_length=64)
    status: FindingStatus | None = None
    rule: str | None = Field(default=None, max_length=32)


class FindingEventView(_View):
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None


class FindingView(_View):
    id: int
    agency_id: str
    agency_name: str = ""
    report_year: int
    fingerprint: str
    rule_id: str
    severity: str
    category: str
    message_zh: str
    evidence: str
    location: dict[str, Any]
    status: str
    status_by: str
    status_changed_at: datetime
    status_reason: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int
    history: list[FindingEventView] = Field(default_factory=list)


def location_text(location: dict[str, Any]) -> str:
    """A finding's place in words: 表三 R24 行“自然人”列, 第 52 行."""
    parts = []
    if location.get("table"):
        parts.append(location["table"].replace("table", "表").translate(str.maketrans("234", "二三四")))
    if location.get("row"):
        parts.append(f"{location['row']} 行")
    if location.get("column"):
        parts.append(f"“{location['column']}”列")
    if location.get("section") and not location.get("table"):
        parts.append(f"第 {location['section'][1:]} 部分")
    if location.get("page"):
        parts.append(f"第 {location['page']} 页")
    if location.get("line"):
        parts.append(f"第 {location['line']} 行（文本）")
    return " ".join(parts) or "全文"


def finding(session: Session, finding_id: int) -> FindingView | None:
    row = session.get(Finding, finding_id)
    if row is None:
        return None
    name = session.scalar(select(Agency.name).where(Agency.id == row.agency_id)) or ""
    events = [FindingEventView.model_validate(e) for e in history(session, finding_id)]
    return FindingView.model_validate(row).model_copy(update={"agency_name": name, "history": events})


# People acknowledge, waive or reopen; `resolved` is for the checks to say.
Decision = Literal["acknowledged", "waived", "open"]


def status_change(decision: Decision, actor: str, reason: str | None) -> StatusChange:
    """The decision as the store takes it; ValueError (in words for people) when it is incomplete."""
    try:
        return StatusChange(status=FindingStatus(decision), actor=actor, reason=(reason or "").strip() or None)
    except ValidationError as exc:
        raise ValueError("；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from exc


def decide(session: Session, finding_id: int, decision: Decision, actor: str, reason: str | None) -> FindingView:
    """Record a person's decision on a finding (KeyError: no such finding; ValueError: no reason to waive)."""
    change_status(session, finding_id, status_change(decision, actor, reason))
    session.flush()
    decided = finding(session, finding_id)
    assert decided is not None  # change_status raised KeyError otherwise
    return decided


def findings(session: Session, wanted: FindingFilter) -> list[FindingView]:
    rows = query_findings(session, FindingQuery(agency_id=wanted.agency, report_year=wanted.year, status=wanted.status))
    if wanted.rule:
        rows = [r for r in rows if r.rule_id == wanted.rule]
    wanted_ids = {r.agency_id for r in rows}
    names = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(wanted_ids))).all())
    return [FindingView.model_validate(r).model_copy(update={"agency_name": names.get(r.agency_id, "")}) for r in rows]


# ---- the agency-year dossier --------------------------------------------------------------------


class CurrentStatus(_View):
    status: str
    detail: str
    changed_at: datetime
    checked_at: datetime
    document_id: int | None


class CellView(BaseModel):
    column: str
    raw: str
    kind: str
    anchor: str
    findings: list[int] = Field(default_factory=list, description="ids of unresolved findings pointing here")
    waived: bool = False


class RowView(BaseModel):
    row_id: str | None
    label: str
    found: str | None
    missing: bool
    cells: list[CellView | None]
    findings: list[int] = Field(default_factory=list)


class TableView(BaseModel):
    table_id: str
    found: bool
    columns: list[str]
    rows: list[RowView]
    findings: list[int] = Field(default_factory=list)


class SectionView(BaseModel):
    section_id: str
    heading: str
    found: str | None
    text: str
    anchor: str
    findings: list[int] = Field(default_factory=list)


class ParsedReport(BaseModel):
    report_id: int
    document_id: int
    title: str | None
    format: str
    tables: list[TableView]
    sections: list[SectionView]


class Dossier(BaseModel):
    record: AuditRecord = Field(description="the audit trail: documents, findings, status history, notifications, runs")
    status: CurrentStatus | None
    deadline: date | None
    years: list[int] = Field(description="years with records for this agency")
    report: ParsedReport | None


def cell_anchor(table: str, row: str | None, column: str | None = None) -> str:
    # Anchors are element ids (stable, so links can be shared); labels are Chinese text, so digest them.
    key = "/".join(p or "" for p in (table, row, column)).encode("utf-8")
    return f"{'c' if column else 'r'}-{hashlib.blake2s(key, digest_size=6).hexdigest()}"


def dossier(session: Session, agency_id: str, year: int) -> Dossier | None:
    record = audit(session, agency_id, year)
    if record is None:
        return None
    current = session.get(AgencyStatus, (agency_id, year))
    agency_years = session.scalars(
        select(AgencyStatus.report_year)
        .where(AgencyStatus.agency_id == agency_id)
        .union(select(Document.report_year).where(Document.agency_id == agency_id))
    ).all()
    return Dossier(
        record=record,
        status=CurrentStatus.model_validate(current) if current else None,
        deadline=deadline_of(year, record.agency.kind, record.agency.deadline),
        years=sorted({*agency_years, year}, reverse=True),
        report=_parsed_report(session, record, current),
    )


def _parsed_report(session: Session, record: AuditRecord, current: AgencyStatus | None) -> ParsedReport | None:
    """The report the current status is about (else the newest parsed one), with findings pinned on it."""
    wanted = current.document_id if current and current.document_id else None
    candidates = [r for r in record.reports if wanted is None or r.document_id == wanted] or record.reports
    if not candidates:
        return None
    chosen = max(candidates, key=lambda r: (r.parsed_at, r.id))
    report = load_report(session, chosen.id)
    pins = [(f.id, f.status, Location.model_validate(f.location)) for f in record.findings if f.status != "resolved"]
    return ParsedReport(
        report_id=chosen.id,
        document_id=chosen.document_id,
        title=report.title,
        format=report.format.value,
        tables=[_table_view(report, table_id, pins) for table_id in ("table2", "table3", "table4")],
        sections=[
            SectionView(
                section_id=s.section_id,
                heading=s.heading.template,
                found=s.heading.found,
                text=s.text,
                anchor=f"s-{s.section_id}",
                findings=[i for i, _, loc in pins if loc.section == s.section_id and loc.table is None],
            )
            for s in report.sections
        ],
    )


def _table_view(report: AnnualReport, table_id: str, pins: list[tuple[int, str, Location]]) -> TableView:
    table = report.table(table_id)
    columns = list(dict.fromkeys(c.column for row in (*table.rows, *table.extra_rows) for c in row.cells))
    here = [(i, status, loc) for i, status, loc in pins if loc.table == table_id]
    rows = []
    for row in (*table.rows, *table.extra_rows):
        by_column = {c.column: c for c in row.cells}
        cells: list[CellView | None] = []
        for column in columns:
            cell = by_column.get(column)
            if cell is None:
                cells.append(None)
                continue
            pinned = [(i, s) for i, s, loc in here if loc.row == row.row_id and loc.column == column]
            cells.append(
                CellView(
                    column=column,
                    raw=cell.raw,
                    kind=cell.kind.value,
                    anchor=cell_anchor(table_id, row.row_id, column),
                    findings=[i for i, _ in pinned],
                    waived=bool(pinned) and all(s == FindingStatus.WAIVED.value for _, s in pinned),
                )
            )
        rows.append(
            RowView(
                row_id=row.row_id,
                label=row.label.template,
                found=row.label.found if row.label.found != row.label.template else None,
                missing=row.missing,
                cells=cells,
                findings=[i for i, _, loc in here if loc.row == row.row_id and loc.row and not loc.column],
            )
        )
    return TableView(
        table_id=table_id,
        found=table.found,
        columns=columns,
        rows=rows,
        findings=[i for i, _, loc in here if not loc.row],
    )


def finding_anchor(location: dict[str, Any]) -> str | None:
    """Where in the dossier page a finding points, for its "查看位置" link."""
    table, row, column = location.get("table"), location.get("row"), location.get("column")
    if table:
        return cell_anchor(table, row, column) if row else f"t-{table}"
    section = location.get("section")
    return f"s-{section}" if section else None


def latest_document(session: Session, agency_id: str, year: int) -> Document | None:
    return session.scalars(
        select(Document)
        .where(Document.agency_id == agency_id, Document.report_year == year)
        .order_by(Document.fetched_at.desc(), Document.id.desc())
        .limit(1)
    ).first()
