"""The findings: the filtered list and one finding with its status history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.labels import FINDING_STATUS_ZH, SEVERITY_ZH, enum_doc
from dwatch.reports.checks.findings import Severity
from dwatch.store.findings import FindingQuery, count_findings, history, query_findings
from dwatch.store.tables import Agency, Finding, FindingStatus
from dwatch.web.view_base import FilterModel, LocalDateTime, NumberedPage, ViewModel, Year


class FindingFilter(FilterModel):
    year: Year | None = None
    agency: str | None = Field(default=None, max_length=64)
    status: FindingStatus | None = Field(default=None, description=enum_doc(FINDING_STATUS_ZH))
    rule: str | None = Field(default=None, max_length=32)
    # Info findings (e.g. ART-01, an artefact repaired before analysis) need nobody's action: shown on request.
    severity: Severity = Field(
        default=Severity.WARNING,
        description=f"the least severe level listed (default `warning`: info hidden); {enum_doc(SEVERITY_ZH)}",
    )


class FindingPageQuery(FindingFilter, NumberedPage):
    """The dashboard's page: numbered pages, as the matrix's."""

    def selection(self) -> FindingFilter:
        """The filter alone, without the page (what exports and the links to other pages carry)."""
        return FindingFilter.model_validate(self.model_dump(include=set(FindingFilter.model_fields)))


class FindingEventView(ViewModel):
    at: LocalDateTime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None


class FindingView(ViewModel):
    id: int
    agency_id: str
    agency_name: str = ""
    report_year: int
    fingerprint: str
    rule_id: str
    severity: str = Field(description=enum_doc(SEVERITY_ZH))
    category: str
    message_zh: str
    evidence: str
    location: dict[str, Any]
    status: str = Field(description=enum_doc(FINDING_STATUS_ZH))
    status_by: str
    status_changed_at: LocalDateTime
    status_reason: str | None
    first_seen_at: LocalDateTime
    last_seen_at: LocalDateTime
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


class FindingsPage(BaseModel):
    rows: list[FindingView]
    total: int = Field(description="findings under the filter, on every page")
    page: int
    pages: int
    first: int = Field(description="the position of the page's first finding in the whole list (from 1)")

    @property
    def links(self) -> list[int | None]:
        """The pages to link: the first, the last and two either side of this one; None marks a gap."""
        shown = sorted({1, self.pages, *range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)})
        links: list[int | None] = []
        for previous, number in zip([0, *shown], shown, strict=False):
            if number - previous > 1:
                links.append(None)
            links.append(number)
        return links


def _query(wanted: FindingFilter) -> FindingQuery:
    return FindingQuery(
        agency_id=wanted.agency,
        report_year=wanted.year,
        status=wanted.status,
        rule_id=wanted.rule,
        min_severity=wanted.severity,
    )


def _views(session: Session, rows: list[Finding]) -> list[FindingView]:
    wanted_ids = {r.agency_id for r in rows}
    names = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(wanted_ids))).all())
    return [FindingView.model_validate(r).model_copy(update={"agency_name": names.get(r.agency_id, "")}) for r in rows]


def findings(session: Session, wanted: FindingFilter) -> list[FindingView]:
    """The findings under the filter, most severe first."""
    return _views(session, query_findings(session, _query(wanted)))


def findings_page(session: Session, wanted: FindingPageQuery) -> FindingsPage:
    """One page of the findings under the filter (the database pages them, most severe first)."""
    query = _query(wanted)
    offset = (wanted.page - 1) * wanted.per_page
    total = count_findings(session, query)
    return FindingsPage(
        rows=_views(session, query_findings(session, query, limit=wanted.per_page, offset=offset)),
        total=total,
        page=wanted.page,
        pages=max(1, -(-total // wanted.per_page)),
        first=offset + 1,
    )
