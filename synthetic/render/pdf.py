"""A PDF as exported from Word: A4, STSong-Light, wrapped paragraphs, ruled tables, "- N -" footers.

Tables use reportlab SPAN styles for the template's merges. reportlab does not split a table
inside a row span, so table 三 moves whole to the next page when it does not fit; with
`page_break_in_table3` it is cut in the middle of its result rows (a group label cell split in two,
as in huaian-gov-2024.pdf) and continues on the next page. `invariant=1` keeps the bytes stable.
"""

from __future__ import annotations

from io import BytesIO

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render.document import Paragraph, blocks, split_title
from dwatch.demo.synthetic.render.grid import T3_HEADER_ROWS, Grid
from dwatch.demo.synthetic.render.options import RenderOptions
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus import Paragraph as PdfParagraph

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_MARGIN = 20 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_STYLES = {
    "title": ParagraphStyle("title", fontName=FONT, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=12),
    "heading": ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=22, firstLineIndent=26, spaceBefore=4),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=11, leading=19, firstLineIndent=22, wordWrap="CJK"),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=10, alignment=TA_CENTER, wordWrap="CJK"),
}


def render(report: SyntheticReport, options: RenderOptions) -> bytes:
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
        title=report.title,
        author=report.agency,
        invariant=1,
    )
    story: list[Flowable] = []
    for block in blocks(report, options):
        if isinstance(block, Paragraph):
            story += [PdfParagraph(_markup(line), _STYLES[block.role]) for line in _fit(block)]
        elif block.table_id == "table3" and options.page_break_in_table3:
            first, rest = block.split(T3_HEADER_ROWS + (len(block.rows) - T3_HEADER_ROWS) // 2)
            story += [_table(first), PageBreak(), _table(rest)]
        elif block.table_id == "table4":
            # Its header rows hold no figures; Word users keep this short table on one page.
            story.append(KeepTogether([_table(block)]))
        else:
            story.append(_table(block))
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def _fit(block: Paragraph) -> list[str]:
    """A title too wide for one line is broken by hand, as authors do, never wrapped mid-word."""
    style = _STYLES["title"]
    if block.role == "title" and pdfmetrics.stringWidth(block.text, FONT, style.fontSize) > _WIDTH:
        return split_title(block.text)
    return [block.text]


def _markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def _page_number(canvas: Canvas, document: SimpleDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 10)
    canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {document.page} -")
    canvas.restoreState()


def _table(grid: Grid) -> Table:
    data: list[list[object]] = [[""] * grid.columns for _ in grid.rows]
    # reportlab's table commands: name, from cell, to cell (column, row), arguments.
    commands: list[tuple[str, tuple[int, int], tuple[int, int], *tuple[object, ...]]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, "black"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 1),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1),
    ]
    for r, c, slot in grid.anchored():
        if slot.text:
            data[r][c] = PdfParagraph(_markup(slot.text), _STYLES["cell"])
        if slot.rowspan > 1 or slot.colspan > 1:
            commands.append(("SPAN", (c, r), (c + slot.colspan - 1, r + slot.rowspan - 1)))
    return Table(data, colWidths=[_WIDTH * w for w in grid.widths], style=TableStyle(commands), hAlign="CENTER")
