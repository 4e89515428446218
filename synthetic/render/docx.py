"""A Word document as agencies attach it: directly formatted paragraphs and template tables.

Tables are real Word tables with the template's merges (w:gridSpan across, w:vMerge down), made
with python-docx's `merge`. A cell's line breaks become separate paragraphs, as in the official
template ("商业" / "企业"). The zip is rewritten with fixed timestamps so the same report always
gives the same bytes.
"""

from __future__ import annotations

import zipfile
from datetime import datetime, time
from io import BytesIO

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render.document import Paragraph, blocks
from dwatch.demo.synthetic.render.grid import Grid
from dwatch.demo.synthetic.render.options import RenderOptions

_FONTS = {"title": ("方正小标宋简体", 18), "heading": ("黑体", 16), "body": ("仿宋_GB2312", 16)}
_TABLE_FONT = ("宋体", 9)
_TEXT_WIDTH_MM = 156  # A4 minus 27 mm margins
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def render(report: SyntheticReport, options: RenderOptions) -> bytes:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(27)
    stamp = datetime.combine(report.published, time(9, 0))
    props = document.core_properties
    props.title, props.author, props.last_modified_by = report.title, report.agency, report.agency
    props.created = props.modified = stamp
    props.revision = 1
    for block in blocks(report, options):
        if isinstance(block, Grid):
            _table(document, block)
        else:
            _paragraph(document, block)
    out = BytesIO()
    document.save(out)
    return _fixed_timestamps(out.getvalue())


def _font(run, name: str, size: int) -> None:  # type: ignore[no-untyped-def]
    run.font.size = Pt(size)
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document: docx.document.Document, block: Paragraph) -> None:
    paragraph = document.add_paragraph()
    if block.role == "title":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    run = paragraph.add_run(block.text)
    run.bold = block.role != "body"
    _font(run, *_FONTS[block.role])


def _table(document: docx.document.Document, grid: Grid) -> None:
    table: Table = document.add_table(rows=len(grid.rows), cols=grid.columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, grid.widths, strict=True):
        column.width = Mm(_TEXT_WIDTH_MM * width)
    rows = table._tbl.tr_lst
    # Cells are addressed by grid offset on the XML rows: `Table.cell` recomputes the whole grid per call.
    for r, c, slot in grid.anchored():
        if slot.rowspan > 1 or slot.colspan > 1:
            end = rows[r + slot.rowspan - 1].tc_at_grid_offset(c + slot.colspan - 1)
            rows[r].tc_at_grid_offset(c).merge(end)
    for r, c, slot in grid.anchored():
        cell = _Cell(rows[r].tc_at_grid_offset(c), table)
        for i, line in enumerate(slot.text.split("\n")):
            paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if line:
                _font(paragraph.add_run(line), *_TABLE_FONT)
    document.add_paragraph()  # Word keeps an empty paragraph between a table and what follows


def _fixed_timestamps(data: bytes) -> bytes:
    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
