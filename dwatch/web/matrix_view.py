"""The compliance matrix: agencies × status for a year, with filters, counts and the trend over years.

Built for a province's 20,000 agencies: the database filters, counts, sorts and pages; Python only
ever holds one page of rows (and the export streams the selection page by page). A page is addressed
by its number (the dashboard) or by a keyset cursor (the API and the export): the sort key of the last
row seen, so paging stays exact while statuses change underneath.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

from dwatch.labels import enum_doc
from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import report_deadline
from dwatch.store.tables import Agency, AgencyStatus, Document, Finding, FindingStatus
from dwatch.store.tables import Supervisor as SupervisorTable
from dwatch.web.chart import Published
from dwatch.web.labels import STATUS_ORDER, STATUS_ZH, UNCHECKED
from dwatch.web.view_base import PAGE_SIZE, FilterModel, LocalDateTime, NumberedPage, ViewModel, Year, default_year

# Findings that still need someone's attention; waived and resolved ones do not make an agency defective.
ACTIVE_FINDING_STATUSES = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)
MatrixStatus = Literal[
    "compliant", "defective", "late", "missing", "unreachable", "unparseable", "needs_review", "unchecked"
]
MatrixSort = Literal["status", "name", "region", "supervisor", "published", "findings"]
SORT_ZH: dict[str, str] = {
    "status": "状态",
    "name": "机关名称",
    "region": "区划代码",
    "supervisor": "监督机构",
    "published": "发布日期",
    "findings": "待处理问题数",
}
SortKey = ColumnElement[Any] | QueryableAttribute[Any]
MAX_PAGE_SIZE = 1000
_NO_DATE = date(9999, 12, 31)  # unpublished sorts after every date


class MatrixFilter(FilterModel):
    """Which agencies (every filter combines with the others) and in what order."""

    year: Year | None = Field(default=None, description="report year; default: the newest with statuses")
    region: str | None = Field(default=None, pattern=r"^\d{1,15}$", description="region code prefix")
    supervisor: str | None = Field(default=None, description="supervisor id; its subordinate supervisors included")
    status: MatrixStatus | None = Field(default=None, description=f"a status: {enum_doc(STATUS_ZH)}")
    rule: str | None = Field(default=None, max_length=32, description="agencies with an open finding of this rule")
    q: str | None = Field(default=None, max_length=100, description="part of the agency's name or id")
    sort: MatrixSort = Field(default="status", description="problems first by default")
    order: Literal["asc", "desc"] = "asc"

    def selection(self) -> MatrixFilter:
        """The filter alone, without the page or cursor of a subclass (what exports and links carry)."""
        return MatrixFilter.model_validate(self.model_dump(include=set(MatrixFilter.model_fields)))


class MatrixPageQuery(MatrixFilter, NumberedPage):
    """The dashboard's page: numbered pages."""


class MatrixApiQuery(MatrixFilter):
    """The API: a keyset cursor (`next_cursor` of the previous answer)."""

    cursor: str | None = Field(default=None, max_length=2000, description="`next_cursor` of the previous page")
    limit: int = Field(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class CursorError(ValueError):
    """A cursor that is not one this server made for the same sort."""


# A plain dataclass, not a model: rows come from typed columns already (pydantic still documents and
# serialises it in the API).
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
    checked_at: LocalDateTime | None


class Matrix(BaseModel):
    filter: MatrixFilter
    counts: dict[str, int] = Field(description="agencies per status under the other filters (status ignored)")
    total: int = Field(description="agencies under the other filters, every status")
    selected: int = Field(description="agencies under every filter: what the pages go through")
    rows: list[MatrixRow]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page; none: last page")


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


def _year(wanted: MatrixFilter) -> int:
    assert wanted.year is not None  # with_year() first
    return wanted.year


_status = func.coalesce(AgencyStatus.status, UNCHECKED)
_status_rank = case({s: i for i, s in enumerate(STATUS_ORDER)}, value=_status, else_=len(STATUS_ORDER))


def _active_counts(year: int) -> Any:
    """Per agency, how many findings still need attention (info findings never do)."""
    return (
        select(Finding.agency_id.label("agency_id"), func.count().label("n"))
        .where(
            Finding.report_year == year,
            Finding.status.in_(ACTIVE_FINDING_STATUSES),
            Finding.severity != Severity.INFO.value,
        )
        .group_by(Finding.agency_id)
        .subquery()
    )


def _selection(session: Session, wanted: MatrixFilter, *columns: Any, documents: bool = False) -> Select[Any]:
    """`columns` of the agencies under every filter but the status one (counts and charts cover them all);
    `documents`: with the report's document joined."""
    year = _year(wanted)
    stmt = (
        select(*columns)
        .select_from(Agency)
        .outerjoin(AgencyStatus, and_(AgencyStatus.agency_id == Agency.id, AgencyStatus.report_year == year))
        .where(or_(Agency.active, AgencyStatus.status.is_not(None)))
    )
    if documents:
        stmt = stmt.outerjoin(Document, Document.id == AgencyStatus.document_id)
    if wanted.region:
        stmt = stmt.where(Agency.region_code.startswith(wanted.region))
    if wanted.supervisor:
        stmt = stmt.where(Agency.supervisor_id.in_(_with_subordinates(supervisors(session), wanted.supervisor)))
    if wanted.q:
        stmt = stmt.where(or_(Agency.name.contains(wanted.q, autoescape=True), Agency.id == wanted.q))
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
    return stmt


@dataclass(frozen=True)
class Summary:
    """What the whole selection (every filter but the status one) amounts to: counts and the chart's data."""

    counts: dict[str, int]
    published: list[Published]


def summary(session: Session, wanted: MatrixFilter) -> Summary:
    """Agencies per status, and per publication day against each agency's own deadline (one query)."""
    year = _year(wanted)
    columns = (_status, Agency.kind, Agency.deadline, Document.published_on)
    stmt = _selection(session, wanted, *columns, func.count(), documents=True)
    grouped = session.execute(stmt.group_by(*columns))
    by_status: Counter[str] = Counter()
    deadlines: dict[tuple[str, str | None], date | None] = {}
    published: list[Published] = []
    for status, kind, local, published_on, count in grouped:
        by_status[status] += count
        if published_on is None:
            continue
        if (kind, local) not in deadlines:
            deadlines[kind, local] = report_deadline(year, kind, local)
        deadline = deadlines[kind, local]
        if deadline is not None:
            published.append(Published(days=(published_on - deadline).days, status=status, count=count))
    return Summary(counts={s: by_status.get(s, 0) for s in STATUS_ORDER}, published=published)


def _sort_keys(sort: MatrixSort, active: Any) -> list[SortKey]:
    """The ORDER BY of a sort, never NULL (a keyset compares them), before the agency id."""
    keys: dict[str, list[SortKey]] = {
        "status": [_status_rank, Agency.region_code],
        "name": [Agency.name],
        "region": [Agency.region_code],
        "supervisor": [func.coalesce(SupervisorTable.name, Agency.supervisor_id)],
        "published": [func.coalesce(Document.published_on, literal(_NO_DATE))],
        "findings": [func.coalesce(active.c.n, 0)],
    }
    return [*keys[sort], Agency.id]


def _encode_cursor(wanted: MatrixFilter, values: Sequence[Any]) -> str:
    payload = {"s": wanted.sort, "o": wanted.order, "k": [v.isoformat() if isinstance(v, date) else v for v in values]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(wanted: MatrixFilter, cursor: str, keys: list[SortKey]) -> list[Any]:
    """The sort key values a cursor carries, typed for comparison; `CursorError` for anything else."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        sort, order, values = payload["s"], payload["o"], payload["k"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CursorError("翻页游标无效，请从第一页重新开始") from exc
    if (sort, order) != (wanted.sort, wanted.order):
        raise CursorError("翻页游标与当前排序不符，请从第一页重新开始")
    if not isinstance(values, list) or len(values) != len(keys) or not all(isinstance(v, str | int) for v in values):
        raise CursorError("翻页游标无效，请从第一页重新开始")
    if sort == "published":  # the first key is a date
        try:
            values[0] = date.fromisoformat(values[0])
        except (TypeError, ValueError) as exc:
            raise CursorError("翻页游标无效，请从第一页重新开始") from exc
    return values


def _page(
    session: Session, wanted: MatrixFilter, *, limit: int, cursor: str | None = None, offset: int = 0
) -> tuple[list[MatrixRow], str | None]:
    """One page of the selection (status filter applied), sorted, and the cursor of the next one.

    Two steps: the database sorts narrow rows (the sort key and the id) to find the page, then reads
    the page's hundred agencies in full."""
    year = _year(wanted)
    active = _active_counts(year)
    keys = _sort_keys(wanted.sort, active)
    labelled = (key.label(f"k{i}") for i, key in enumerate(keys))
    stmt = _selection(session, wanted, *labelled, documents=wanted.sort == "published")
    if wanted.sort == "supervisor":
        stmt = stmt.outerjoin(SupervisorTable, SupervisorTable.id == Agency.supervisor_id)
    if wanted.sort == "findings":
        stmt = stmt.outerjoin(active, active.c.agency_id == Agency.id)
    if wanted.status:
        stmt = stmt.where(_status == wanted.status)
    descending = wanted.order == "desc"
    if cursor:
        after = tuple_(*keys), tuple_(*(literal(v) for v in _decode_cursor(wanted, cursor, keys)))
        stmt = stmt.where(after[0] < after[1] if descending else after[0] > after[1])
    stmt = stmt.order_by(*(key.desc() if descending else key for key in keys)).offset(offset).limit(limit + 1)
    found = session.execute(stmt).all()
    more, found = len(found) > limit, found[:limit]
    ids = [r[-1] for r in found]  # the agency id is the last key
    rows = _rows(session, year, ids)
    next_cursor = _encode_cursor(wanted, list(found[-1])) if more else None
    return rows, next_cursor


def _rows(session: Session, year: int, ids: list[str]) -> list[MatrixRow]:
    """The agencies `ids` in full, in that order."""
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
            func.coalesce(SupervisorTable.name, Agency.supervisor_id).label("supervisor_name"),
        )
        .outerjoin(AgencyStatus, and_(AgencyStatus.agency_id == Agency.id, AgencyStatus.report_year == year))
        .outerjoin(Document, Document.id == AgencyStatus.document_id)
        .outerjoin(SupervisorTable, SupervisorTable.id == Agency.supervisor_id)
        .where(Agency.id.in_(ids))
    )
    by_id = {r.id: r for r in session.execute(stmt)} if ids else {}
    rules = _active_rules(session, year, ids)
    rows: list[MatrixRow] = []
    for agency_id in ids:
        r = by_id[agency_id]
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
                supervisor_name=r.supervisor_name,
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
    return rows


def matrix(
    session: Session,
    wanted: MatrixFilter,
    *,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
    offset: int = 0,
    overview: Summary | None = None,
) -> Matrix:
    """Counts over the whole selection (`overview`, if the caller has it already) and one page of it
    (by `cursor`, or by `offset`)."""
    wanted = with_year(session, wanted)
    by_status = (overview or summary(session, wanted)).counts
    rows, next_cursor = _page(session, wanted, limit=limit, cursor=cursor, offset=offset)
    total = sum(by_status.values())
    # Constructed, not validated: the rows are built from typed columns just above.
    return Matrix.model_construct(
        filter=wanted,
        counts=by_status,
        total=total,
        selected=by_status[wanted.status] if wanted.status else total,
        rows=rows,
        next_cursor=next_cursor,
    )


def all_rows(session: Session, wanted: MatrixFilter, batch: int = MAX_PAGE_SIZE) -> Iterator[MatrixRow]:
    """Every row of the selection, in its order, a page at a time (the exports stream them)."""
    wanted = with_year(session, wanted)
    cursor: str | None = None
    while True:
        rows, cursor = _page(session, wanted, limit=batch, cursor=cursor)
        yield from rows
        if cursor is None:
            return


def _active_rules(session: Session, year: int, agency_ids: list[str]) -> dict[str, Counter[str]]:
    """Per agency of the page, how many findings of each rule still need attention (info never does)."""
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    if not agency_ids:
        return by_agency
    stmt = (
        select(Finding.agency_id, Finding.rule_id, func.count())
        .where(
            Finding.report_year == year,
            Finding.agency_id.in_(agency_ids),
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
