"""The agency-year dossier: its audit trail, its current status and the parsed report with the
findings pinned on the sections, tables, rows and cells they point at."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.reports.checks.readability import ReadParams
from dwatch.reports.compliance import ComplianceStatus, report_deadline
from dwatch.reports.labels import MatchQuality
from dwatch.reports.model import AnnualReport, LabelMatch, Location
from dwatch.reports.parsers.ocr import cell_image
from dwatch.store.audit import AuditRecord, audit
from dwatch.store.blobs import BlobCorruptedError, BlobStore
from dwatch.store.images import image_source
from dwatch.store.reports import load_report
from dwatch.store.tables import AgencyStatus, Document, FindingStatus, Report
from dwatch.untrusted import plain
from dwatch.web.view_base import LocalDateTime, ViewModel

# The statuses of a report that could not be fetched or read: their technical detail is shown to ops.
FAILURE_STATUSES = frozenset({ComplianceStatus.UNREACHABLE, ComplianceStatus.UNPARSEABLE})


class CurrentStatus(ViewModel):
    status: str
    detail: str
    failure_detail: str | None = Field(
        default=None, description="the technical cause of a crawl failure, for ops (English, from the remote side)"
    )
    changed_at: LocalDateTime
    checked_at: LocalDateTime
    document_id: int | None

    @field_validator("failure_detail")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        # Written by remote servers: no control, escape or bidi characters reach a page or a client.
        return plain(value) if value else None

    @property
    def ops_detail(self) -> str | None:
        """The technical detail, when the status is a failure to fetch or read the report."""
        return self.failure_detail if self.status in FAILURE_STATUSES else None


class CellView(BaseModel):
    column: str
    raw: str
    kind: str
    anchor: str
    findings: list[int] = Field(default_factory=list, description="ids of unresolved findings pointing here")
    waived: bool = False
    ocr: bool = False
    confidence: float | None = None
    doubtful: bool = Field(default=False, description="OCR'd below READ-01's min_confidence: shown with its image")
    crop_url: str | None = Field(default=None, description="the cell's image crop, when read by OCR")


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


TABLE_IDS = ("table2", "table3", "table4")
# Below this an OCR'd cell is doubtful (READ-01's threshold): the dossier shows its image beside the value.
_MIN_CONFIDENCE = next(p for _, p in CATALOGUE.rule("READ-01").bound_checks if isinstance(p, ReadParams)).min_confidence


def crop_url(report_id: int, table: str, row: str | None, column: str) -> str:
    query = urlencode({"table": table, "column": column, **({"row": row} if row else {})})
    return f"/reports/{report_id}/crop?{query}"


def cell_crop(
    session: Session, blobs: BlobStore, report_id: int, table: str, row: str | None, column: str
) -> bytes | None:
    """The PNG of an OCR'd cell of a stored report, cut from the archived document or its stored image;
    None when there is no such cell, it was not read by OCR, or its image is gone."""
    stored = session.get(Report, report_id)
    if stored is None or table not in TABLE_IDS:
        return None
    parsed = AnnualReport.model_validate(stored.content).table(table)
    rows = [r for r in (*parsed.rows, *parsed.extra_rows) if r.row_id == row]
    cell = next((c for r in rows for c in r.cells if c.column == column), None)
    document = session.get(Document, stored.document_id)
    if cell is None or cell.crop is None or document is None:
        return None
    try:
        data = blobs.get(document.sha256)
    except (KeyError, BlobCorruptedError):
        return None
    return cell_image(data, cell.crop, image_source(session, blobs, document))


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
        deadline=report_deadline(year, record.agency.kind, record.agency.deadline),
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
        tables=[_table_view(report, chosen.id, table_id, pins) for table_id in TABLE_IDS],
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


def _table_view(
    report: AnnualReport, report_id: int, table_id: str, pins: list[tuple[int, str, Location]]
) -> TableView:
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
                    ocr=cell.ocr,
                    confidence=cell.confidence,
                    doubtful=cell.confidence is not None and cell.confidence < _MIN_CONFIDENCE,
                    crop_url=crop_url(report_id, table_id, row.row_id, column) if cell.crop else None,
                )
            )
        rows.append(
            RowView(
                row_id=row.row_id,
                label=row.label.template or row.label.found or "",
                found=original_label(row.label),
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


# How much of a differing label is shown: the label's own length and a little more. The text a parser
# read in a label's place can carry the column headers above it run together ("第二十条第（一）项信息内容
# 本年制发件数…规章"); its tail is where the row's own label is.
_LABEL_SLACK = 6


def original_label(label: LabelMatch) -> str | None:
    """What the report had in place of the template's label, when it says something else (a variant or
    a misspelling); None when it is the template's label (whatever header text a parser ran into it)."""
    if not label.template or not label.found or label.quality not in (MatchQuality.VARIANT, MatchQuality.FUZZY):
        return None
    found = " ".join(label.found.split())
    keep = len(label.template) + _LABEL_SLACK
    return found if len(found) <= keep else "…" + found[-keep:]


def finding_anchor(location: dict[str, Any]) -> str | None:
    """Where in the dossier page a finding points, for its "查看位置" link."""
    table, row, column = location.get("table"), location.get("row"), location.get("column")
    if table:
        return cell_anchor(table, row, column) if row else f"t-{table}"
    section = location.get("section")
    return f"s-{section}" if section else None
