"""A table 二 row whose figure is not in the cell the template puts it in: in every format the parser
yields the figure, or a diagnostic quoting what it did not read; never a silent blank."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from io import BytesIO

import docx
import pytest
from dwatch.reports.model import AnnualReport
from dwatch.reports.numbers import CellKind
from dwatch.reports.parsers import parse_document
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = "某某县人民政府2024年政府信息公开工作年度报告"
HEADINGS = ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况")
COLUMN = "本年处理决定数量"


def _rows(cells: list[str]) -> list[list[str]]:
    """Table 二's 第二十条第（五）（六）项 blocks as four unmerged cells a row; 行政许可 holds `cells`."""
    return [
        ["第二十条第（五）项", "", "", ""],
        ["信息内容", COLUMN, "", ""],
        ["行政许可", *cells],
        ["第二十条第（六）项", "", "", ""],
        ["信息内容", COLUMN, "", ""],
        ["行政处罚", "5", "", ""],
        ["行政强制", "", "", "6"],
    ]


def _text(rows: list[list[str]]) -> bytes:
    lines = [TITLE, HEADINGS[0]]
    for row in rows:
        lines += ["\t" + cell for cell in row] + [""]
    return "\n".join([*lines, "", HEADINGS[1]]).encode()


def _html(rows: list[list[str]]) -> bytes:
    trs = "".join("<tr>" + "".join(f"<td>{escape(c) or '&nbsp;'}</td>" for c in row) + "</tr>" for row in rows)
    body = f"<h1>{TITLE}</h1><p>{HEADINGS[0]}</p><table border='1'>{trs}</table><p>{HEADINGS[1]}</p>"
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


def _docx(rows: list[list[str]]) -> bytes:
    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph(HEADINGS[0])
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph(HEADINGS[1])
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(rows: list[list[str]]) -> bytes:
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setFont(FONT, 12)
    top = A4[1] - 60
    canvas.drawString(60, top, TITLE)
    canvas.drawString(60, top - 30, HEADINGS[0])
    table = Table(rows, colWidths=[140, 110, 110, 110], rowHeights=20)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
    _, height = table.wrapOn(canvas, 500, 600)
    table.drawOn(canvas, 60, top - 50 - height)
    canvas.drawString(60, top - 80 - height, HEADINGS[1])
    canvas.showPage()
    canvas.save()
    return out.getvalue()


FORMATS: dict[str, Callable[[list[list[str]]], bytes]] = {"txt": _text, "html": _html, "docx": _docx, "pdf": _pdf}


def _parse(fmt: str, cells: list[str]) -> AnnualReport:
    return parse_document(FORMATS[fmt](_rows(cells)), f"table2.{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("cells", "value"),
    [
        (["3.2万", "", ""], "3.2万"),
        (["", "3.2万", ""], "3.2万"),
        (["", "", "3.2万"], "3.2万"),
        (["", "见附件", ""], "见附件"),  # words where the figure belongs are the value (T2-02 reports them)
    ],
)
def test_a_figure_in_any_cell_of_the_row_is_read(fmt: str, cells: list[str], value: str) -> None:
    report = _parse(fmt, cells)
    rows = {row.row_id: [c.raw for c in row.cells] for row in report.table2.rows if not row.missing}
    assert rows == {"行政许可": [value], "行政处罚": ["5"], "行政强制": ["6"]}
    assert not [d for d in report.diagnostics if d.code.startswith("PARSE-CELL")]


_CELL = st.sampled_from(("", "", "12", "3.2万", "见附件", "—"))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(_CELL, min_size=3, max_size=3).filter(any))
@example(cells=["12", "12", ""])
@example(cells=["", "12", "见附件"])
def test_written_cells_are_read_or_reported_never_silently_lost(fmt: str, cells: list[str]) -> None:
    report = _parse(fmt, cells)
    row = report.table2.row("行政许可")
    assert row is not None and not row.missing
    (cell,) = row.cells
    reported = [d for d in report.diagnostics if d.code == "PARSE-CELL-STRAY" and d.location.row == "行政许可"]
    if cell.kind is CellKind.BLANK:
        assert reported, f"{cells}: blank with no diagnostic"
    unread = [text for text in cells if text and text != cell.raw]
    assert all(any(f"“{text}”" in d.message for d in reported) for text in unread), (cells, cell.raw, reported)
    other = report.table2.row("行政处罚")
    assert other is not None and [c.raw for c in other.cells] == ["5"]  # nothing leaks into the next row
