"""The matrix and the findings as CSV and XLSX, with the same filters as their pages.

Cells that a spreadsheet would take for a formula (crawled text starting with = + - @) are written
as text: a list handed to leadership must not run anything when opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from sqlalchemy.orm import Session

from dwatch.links import dossier_url
from dwatch.web import findings_view, matrix_view
from dwatch.web.auth import reader
from dwatch.web.context import WebContext, context, db
from dwatch.web.findings_view import FindingFilter
from dwatch.web.labels import CATEGORY_ZH, FINDING_STATUS_ZH, SEVERITY_ZH, STATUS_ZH
from dwatch.web.matrix_view import MatrixFilter

router = APIRouter(prefix="/exports", tags=["exports"], dependencies=[Depends(reader)])

Format = Literal["csv", "xlsx"]
Cell = str | int | date | datetime | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {_MEDIA["csv"]: {}, _MEDIA["xlsx"]: {}}, "description": "the file"}
}

MATRIX_HEADER = (
    "机关编号",
    "机关名称",
    "区划代码",
    "监督机构",
    "状态",
    "发布日期",
    "截止日期",
    "逾期天数",
    "待处理问题数",
    "问题规则",
    "说明",
    "检查时间",
    "详情链接",
)
FINDINGS_HEADER = (
    "问题编号",
    "机关编号",
    "机关名称",
    "年度",
    "规则",
    "严重程度",
    "类别",
    "处理状态",
    "说明",
    "证据",
    "位置",
    "首次发现",
    "最近发现",
    "处理人",
    "处理理由",
    "详情链接",
)


def _defused(value: Cell) -> Cell:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _defused(v) for v in row])
    # The BOM makes Excel read the file as UTF-8 (otherwise Chinese comes out garbled).
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EDF3")
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, name)
        cell.font, cell.fill = bold, fill
        head.append(cell)
    sheet.append(head)
    for row in rows:
        cells = []
        for value in row:
            # openpyxl writes dates: its stub's WriteOnlyCell omits them (Cell itself takes them).
            cell = WriteOnlyCell(sheet, value.replace(tzinfo=None) if isinstance(value, datetime) else value)  # type: ignore[arg-type]
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _file(fmt: Format, name: str, title: str, header: Sequence[str], rows: list[Sequence[Cell]]) -> Response:
    data = _csv(header, rows) if fmt == "csv" else _xlsx(title, header, rows)
    filename = f"{name}.{fmt}"
    return Response(
        data,
        media_type=_MEDIA[fmt],
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/matrix.{fmt}", responses=_EXPORT_RESPONSES)
def export_matrix(
    session: Annotated[Session, Depends(db)],
    web: Annotated[WebContext, Depends(context)],
    fmt: Format,
    wanted: Annotated[MatrixFilter, Query()],
) -> Response:
    """The compliance matrix with the page's filters, as CSV (UTF-8 with BOM) or XLSX."""
    m = matrix_view.matrix(session, wanted)
    year = m.filter.year
    assert year is not None  # matrix() fills in the default year
    rows: list[Sequence[Cell]] = [
        (
            r.agency_id,
            r.name,
            r.region,
            r.supervisor_name,
            STATUS_ZH[r.status],
            r.published_on,
            r.deadline,
            r.days_late,
            r.open_findings,
            "、".join(r.rules),
            r.detail,
            r.checked_at,
            dossier_url(web.settings, r.agency_id, year),
        )
        for r in m.rows
    ]
    return _file(fmt, f"合规情况-{year}年度", f"{year}年度合规情况", MATRIX_HEADER, rows)


@router.get("/findings.{fmt}", responses=_EXPORT_RESPONSES)
def export_findings(
    session: Annotated[Session, Depends(db)],
    web: Annotated[WebContext, Depends(context)],
    fmt: Format,
    wanted: Annotated[FindingFilter, Query()],
) -> Response:
    """The findings with the page's filters, as CSV (UTF-8 with BOM) or XLSX."""
    rows: list[Sequence[Cell]] = [
        (
            f.id,
            f.agency_id,
            f.agency_name,
            f.report_year,
            f.rule_id,
            SEVERITY_ZH.get(f.severity, f.severity),
            CATEGORY_ZH.get(f.category, f.category),
            FINDING_STATUS_ZH[f.status],
            f.message_zh,
            f.evidence,
            findings_view.location_text(f.location),
            f.first_seen_at,
            f.last_seen_at,
            f.status_by,
            f.status_reason,
            dossier_url(web.settings, f.agency_id, f.report_year),
        )
        for f in findings_view.findings(session, wanted)
    ]
    suffix = f"-{wanted.year}年度" if wanted.year else ""
    return _file(fmt, f"问题清单{suffix}", "问题清单", FINDINGS_HEADER, rows)
