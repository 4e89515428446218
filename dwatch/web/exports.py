"""The matrix and the findings as CSV and XLSX, with the same filters as their pages, streamed.

Exports never fail on content: every text cell passes through `dwatch.untrusted.plain` (control, escape
and bidi characters would make openpyxl refuse the whole workbook, and a terminal or a spreadsheet
misread the line) and is clipped to what a spreadsheet cell holds. Cells that a spreadsheet would take
for a formula (crawled text starting with = + - @) are written as text (typed text cells in XLSX, a
leading apostrophe in CSV): a list handed to leadership must
not run anything when opened. Times are China time to the minute, as on the pages.

The matrix export covers its whole selection (every page), read from the database a page at a time
and written as it is read, so 20,000 agencies take no more memory than one page.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from dwatch.links import dossier_url
from dwatch.timefmt import local_minute
from dwatch.untrusted import plain
from dwatch.web import findings_view, matrix_view
from dwatch.web.auth import reader
from dwatch.web.context import WebContext, context
from dwatch.web.findings_view import FindingFilter, FindingView
from dwatch.web.labels import CATEGORY_ZH, FINDING_STATUS_ZH, SEVERITY_ZH, STATUS_ZH
from dwatch.web.matrix_view import MatrixFilter, MatrixRow

router = APIRouter(prefix="/exports", tags=["exports"], dependencies=[Depends(reader)])

Format = Literal["csv", "xlsx"]
Cell = str | int | date | datetime | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_CELL_MAX = 32_767  # characters a spreadsheet cell holds; Excel "repairs" a longer one away
_CHUNK = 64 * 1024
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


def _cell(value: Cell) -> str | int | date | None:
    """A value as written: text sanitised, times in China time to the minute."""
    if isinstance(value, datetime):
        return local_minute(value)
    return plain(value) if isinstance(value, str) else value


def _csv_cell(value: Cell) -> str | int | date:
    """A CSV field: text a spreadsheet would take for a formula gets a leading apostrophe."""
    written = _cell(value)
    if written is None:
        return ""
    return f"'{written}" if isinstance(written, str) and written.startswith(_FORMULA_START) else written


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    """An XLSX cell: text clipped to what a cell holds; openpyxl takes a string for a formula only when
    it starts with "=", and such text is written as a typed text cell instead (shown as it is, never run)."""
    written = _cell(value)
    if not isinstance(written, str):
        return written
    if len(written) > _XLSX_CELL_MAX:
        written = written[: _XLSX_CELL_MAX - 1] + "…"
    if not written.startswith("="):
        return written
    cell = WriteOnlyCell(sheet, written)
    cell.data_type = "s"
    return cell


def _csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    # The BOM makes Excel read the file as UTF-8 (otherwise Chinese comes out garbled).
    out.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if out.tell() >= _CHUNK:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def _xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    # Write-only: rows go to a temporary file as they come; the zip is then read back in chunks.
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
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(_CHUNK):
            yield chunk


def _file(
    fmt: Format, name: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingResponse:
    body = _csv(header, rows) if fmt == "csv" else _xlsx(title, header, rows)
    filename = f"{name}.{fmt}"
    return StreamingResponse(
        body,
        media_type=_MEDIA[fmt],
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _matrix_line(web: WebContext, year: int, r: MatrixRow) -> Sequence[Cell]:
    return (
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


def _finding_line(web: WebContext, f: FindingView) -> Sequence[Cell]:
    return (
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


@router.get("/matrix.{fmt}", responses=_EXPORT_RESPONSES)
def export_matrix(
    web: Annotated[WebContext, Depends(context)], fmt: Format, wanted: Annotated[MatrixFilter, Query()]
) -> StreamingResponse:
    """The whole selection of the compliance matrix (every page, in the page's order), as CSV (UTF-8
    with BOM) or XLSX."""
    with web.store.session() as session:
        selection = matrix_view.with_year(session, wanted)
    year = selection.year
    assert year is not None  # with_year() resolved it

    def lines() -> Iterator[Sequence[Cell]]:
        # Its own session: the rows are read while the response is being sent.
        with web.store.session() as session:
            for row in matrix_view.all_rows(session, selection):
                yield _matrix_line(web, year, row)

    return _file(fmt, f"合规情况-{year}年度", f"{year}年度合规情况", MATRIX_HEADER, lines())


@router.get("/findings.{fmt}", responses=_EXPORT_RESPONSES)
def export_findings(
    web: Annotated[WebContext, Depends(context)], fmt: Format, wanted: Annotated[FindingFilter, Query()]
) -> StreamingResponse:
    """The findings with the page's filters (most severe first), as CSV (UTF-8 with BOM) or XLSX."""
    with web.store.session() as session:
        lines = [_finding_line(web, f) for f in findings_view.findings(session, wanted)]
    suffix = f"-{wanted.year}年度" if wanted.year else ""
    return _file(fmt, f"问题清单{suffix}", "问题清单", FINDINGS_HEADER, lines)
