"""The PDF parser on generated PDFs: typed errors, scanned pages, reading order, ruled tables."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable

import pytest
from corpus import CORPUS
from dwatch.reports.model import DiagnosticLevel
from dwatch.reports.numbers import CellKind
from dwatch.reports.parsers import parse_document, pdf
from dwatch.reports.parsers.errors import CorruptDocument, DocumentTooLarge, EncryptedDocument
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, ParseLimits
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = "某某县人民政府2024年政府信息公开工作年度报告"
_, HEIGHT = A4


def make_pdf(*pages: Callable[[Canvas], None], encrypt: StandardEncryption | None = None) -> bytes:
    """A PDF with one page per drawing function."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, encrypt=encrypt)
    for draw in pages:
        canvas.setFont(FONT, 12)
        draw(canvas)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def text_page(*lines: str) -> Callable[[Canvas], None]:
    def draw(canvas: Canvas) -> None:
        for i, line in enumerate(lines):
            canvas.drawString(60, HEIGHT - 60 - 18 * i, line)

    return draw


def image_page(canvas: Canvas) -> None:
    scan = Image.new("L", (300, 400), 200)
    canvas.drawImage(ImageReader(scan), 60, 200, width=300, height=400)


# ---------------------------------------------------------------------------------------------
# Unreadable input


def test_password_protected_pdf_is_an_encrypted_document() -> None:
    data = make_pdf(text_page(TITLE), encrypt=StandardEncryption("user-secret", ownerPassword="owner-secret"))
    with pytest.raises(EncryptedDocument) as raised:
        parse_document(data, "locked.pdf")
    assert raised.value.code == "PARSE-ENCRYPTED"


def test_owner_password_only_pdf_is_read() -> None:
    # Encrypted with an empty user password: every viewer opens it, so must we.
    data = make_pdf(text_page(TITLE, "一、总体情况"), encrypt=StandardEncryption("", ownerPassword="owner-secret"))
    report = parse_document(data, "restricted.pdf")
    assert report.title == TITLE
    assert report.year == 2024


def test_truncated_pdf_is_corrupt() -> None:
    data = (CORPUS / "huaian-gov-2024.pdf").read_bytes()
    with pytest.raises(CorruptDocument) as raised:
        parse_document(data[: len(data) // 2], "half.pdf")
    assert raised.value.code == "PARSE-CORRUPT"


def test_random_bytes_behind_a_pdf_header_are_corrupt() -> None:
    data = b"%PDF-1.7\n" + os.urandom(64 * 1024)
    with pytest.raises(CorruptDocument):
        parse_document(data, "noise.pdf")


def test_page_limit_is_enforced() -> None:
    data = make_pdf(*(text_page(f"第{n}页") for n in range(12)))
    with pytest.raises(DocumentTooLarge, match="12 pages"):
        parse_document(data, "long.pdf", limits=ParseLimits(max_pages=10))


# ---------------------------------------------------------------------------------------------
# Pages without text


def test_image_only_pdf_needs_ocr() -> None:
    layout = pdf.extract(make_pdf(image_page, image_page), DEFAULT_LIMITS)
    assert layout.lines == []
    assert layout.image_count == 2
    [diagnostic] = [d for d in layout.diagnostics if d.code == "PARSE-OCR-NEEDED"]
    assert diagnostic.level is DiagnosticLevel.ERROR
    assert "pages 1-2" in diagnostic.message
    assert "OCR" in diagnostic.message


def test_scanned_page_inside_a_text_pdf_is_a_warning() -> None:
    report = parse_document(make_pdf(text_page(TITLE), image_page, text_page("六、其他需要报告的事项")), "mixed.pdf")
    [diagnostic] = [d for d in report.diagnostics if d.code == "PARSE-OCR-NEEDED"]
    assert diagnostic.level is DiagnosticLevel.WARNING
    assert "page 2 " in diagnostic.message
    assert report.title == TITLE


# ---------------------------------------------------------------------------------------------
# Text


def test_lines_come_in_reading_order_with_pages() -> None:
    def bottom_drawn_first(canvas: Canvas) -> None:
        canvas.drawString(60, 500, "第二行")
        canvas.drawString(300, 700, "右边")
        canvas.drawString(60, 700, "第一行")

    layout = pdf.extract(make_pdf(bottom_drawn_first, text_page("第三行")), DEFAULT_LIMITS)
    assert [(ln.text, ln.page, ln.in_table) for ln in layout.lines] == [
        ("第一行 右边", 1, False),
        ("第二行", 1, False),
        ("第三行", 2, False),
    ]
    assert [ln.line_no for ln in layout.lines] == [1, 2, 3]


def test_fifty_pages_parse_in_bounded_time() -> None:
    body = ["我市坚持以政务公开促进依法行政，全面推进决策、执行、管理、服务、结果公开。"] * 40
    data = make_pdf(text_page(TITLE, *body), *[text_page(*body)] * 49)
    started = time.monotonic()
    report = parse_document(data, "fifty.pdf")
    assert time.monotonic() - started < 15  # a guard against runaway work, not a benchmark
    assert report.title == TITLE
    assert {ln.page for ln in pdf.extract(data, DEFAULT_LIMITS).lines} == set(range(1, 51))


# ---------------------------------------------------------------------------------------------
# Ruled tables

_RESULTS = "三、本年度办理结果"


def _table3_page(canvas: Canvas) -> None:
    """Table 三 in miniature: R01, R02, then R03/R04 under a merged label written downwards, one blank cell.

    (Each line of the label has two or more characters: pdfium reads no text from a one-character
    string in reportlab's STSong-Light.)
    """
    rows = [
        ["", "", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
        ["一、本年新收政府信息公开申请数量", "", "5", "1", "0", "0", "0", "0", "6"],
        ["二、上年结转政府信息公开申请数量", "", "1", "0", "0", "0", "0", "0", "1"],
        ["三、\n本年度\n办理结果", "（一）予以公开", "3", "1", "", "0", "0", "0", "4"],
        ["", "（二）部分公开（区分处理的，\n只计这一情形，不计其他情形）", "2", "0", "0", "0", "0", "0", "2"],
    ]
    table = Table(rows, colWidths=[40, 126, *[50] * 7], rowHeights=[20, 20, 20, 40, 40])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8),
                ("FONT", (0, 0), (-1, 0), FONT, 6),
                ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("SPAN", (0, 1), (1, 1)),
                ("SPAN", (0, 2), (1, 2)),
                ("SPAN", (0, 3), (0, 4)),
            ]
        )
    )
    canvas.drawString(40, HEIGHT - 50, TITLE)
    canvas.drawString(40, HEIGHT - 80, "三、收到和处理政府信息公开申请情况")
    _, height = table.wrapOn(canvas, 500, 600)
    table.drawOn(canvas, 30, HEIGHT - 100 - height)
    canvas.drawString(40, HEIGHT - 130 - height, "四、政府信息公开行政复议、行政诉讼情况")


def test_ruled_table_rows_are_grid_cells() -> None:
    layout = pdf.extract(make_pdf(_table3_page), DEFAULT_LIMITS)
    rows = [[f.text for f in ln.fragments] for ln in layout.lines if ln.in_table]
    assert all(ln.grid for ln in layout.lines if ln.in_table)
    # The vertical label is one merged cell, given in its first row; the wrapped label is joined.
    assert rows[3] == [_RESULTS, "（一）予以公开", "3", "1", "", "0", "0", "0", "4"]
    assert rows[4] == [
        "",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "2",
        "0",
        "0",
        "0",
        "0",
        "0",
        "2",
    ]


def test_blank_cell_stays_in_its_column() -> None:
    report = parse_document(make_pdf(_table3_page), "table3.pdf")
    row = report.table3.row("R03")
    assert row is not None and not row.missing
    assert [c.kind for c in row.cells] == [CellKind.NUMBER] * 2 + [CellKind.BLANK] + [CellKind.NUMBER] * 4
    assert [c.value for c in row.cells] == [3, 1, None, 0, 0, 0, 4]
    r04 = report.table3.row("R04")
    assert r04 is not None and [c.value for c in r04.cells] == [2, 0, 0, 0, 0, 0, 2]
    assert not [d for d in report.diagnostics if d.code == "PARSE-CELL-ALIGN"]


def test_borders_drawn_as_filled_bars_make_a_grid() -> None:
    # Word draws each border as a thin filled rectangle, not a stroked line.
    def bars(canvas: Canvas) -> None:
        xs, ys = [60, 260, 330, 400], [700, 680, 660]
        for x in xs:
            canvas.rect(x - 0.25, ys[-1], 0.5, ys[0] - ys[-1], stroke=0, fill=1)
        for y in ys:
            canvas.rect(xs[0], y - 0.25, xs[-1] - xs[0], 0.5, stroke=0, fill=1)
        canvas.drawString(64, 686, "行政许可")
        canvas.drawString(334, 686, "12")
        canvas.drawString(64, 666, "行政处罚")
        canvas.drawString(264, 666, "3")
        canvas.drawString(334, 666, "45")

    layout = pdf.extract(make_pdf(bars), DEFAULT_LIMITS)
    assert [([f.text for f in ln.fragments], ln.grid) for ln in layout.lines] == [
        (["行政许可", "", "12"], True),
        (["行政处罚", "3", "45"], True),
    ]


def test_lone_table_row_and_framed_text() -> None:
    # A table's last row alone at the top of a page is still a table row; a framed paragraph is not.
    def page(canvas: Canvas) -> None:
        canvas.rect(60, 740, 340, 20)
        canvas.line(260, 740, 260, 760)
        canvas.drawString(64, 746, "行政事业性收费")
        canvas.drawString(264, 746, "0.5")
        canvas.rect(60, 600, 340, 40)
        canvas.drawString(64, 616, "方框内的说明文字")

    layout = pdf.extract(make_pdf(page), DEFAULT_LIMITS)
    assert [([f.text for f in ln.fragments], ln.in_table) for ln in layout.lines] == [
        (["行政事业性收费", "0.5"], True),
        (["方框内的说明文字"], False),
    ]


def test_huge_ruled_grid_is_bounded_and_its_text_kept() -> None:
    # 240 × 240 crossing rules a page (57,600 boxes): a drawing, not a form; its text is read as prose.
    def grid(canvas: Canvas) -> None:
        canvas.drawString(60, HEIGHT - 40, TITLE)
        for i in range(240):
            canvas.line(40, 40 + 3 * i, 760, 40 + 3 * i)
            canvas.line(40 + 3 * i, 40, 40 + 3 * i, 760)
        canvas.drawString(100, 400, "网格中的文字")

    data = make_pdf(*[grid] * 20)
    started = time.monotonic()
    layout = pdf.extract(data, DEFAULT_LIMITS)
    assert time.monotonic() - started < 10  # a guard against runaway work (was ~1.4 s a page), not a benchmark
    assert [ln.text for ln in layout.lines[:2]] == [TITLE, "网格中的文字"]
    assert not any(ln.in_table for ln in layout.lines)
