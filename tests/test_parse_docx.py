"""Word documents: the national template's merged grids, a filled report built here, hostile archives."""

from __future__ import annotations

import time
import zipfile
from io import BytesIO

import docx
import pytest
from corpus import CORPUS
from dwatch.reports.labels import MatchQuality
from dwatch.reports.numbers import CellKind
from dwatch.reports.parsers import parse_document
from dwatch.reports.parsers.docx import extract
from dwatch.reports.parsers.errors import CorruptDocument, DocumentTooLarge, ParseError, UnsupportedFormat
from dwatch.reports.parsers.limits import DEFAULT_LIMITS
from dwatch.reports.template import TABLE3

TEMPLATE = CORPUS / "template-2021.docx"


def test_template_has_all_sections_and_blank_template_rows() -> None:
    report = parse_document(TEMPLATE.read_bytes(), TEMPLATE.name)
    assert [s.section_id for s in report.sections if s.found] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    table3 = report.table3
    assert table3.found
    assert [r.row_id for r in table3.rows if not r.missing] == [r.row_id for r in TABLE3.rows]
    assert all(c.kind is CellKind.BLANK for r in table3.rows for c in r.cells)
    assert all(len(r.cells) == 7 for r in table3.rows)
    assert table3.extra_rows == []
    assert report.table2.found and not report.table2.extra_rows


@pytest.mark.parametrize("table_id", ["table2", "table3", "table4"])
def test_template_header_labels_are_exact(table_id: str) -> None:
    report = parse_document(TEMPLATE.read_bytes(), TEMPLATE.name)
    headers = report.table(table_id).headers
    assert headers
    assert [h.template for h in headers if h.quality is not MatchQuality.EXACT] == []


def test_template_merged_cells_become_empty_fragments() -> None:
    layout = extract(TEMPLATE.read_bytes(), DEFAULT_LIMITS)
    rows = [[f.text for f in ln.fragments] for ln in layout.lines if ln.in_table]
    second = next(r for r in rows if "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in r)
    assert second[0] == ""  # the continuation of 三、本年度办理结果 (vMerge)
    assert len(second) == 9  # gridSpan 2 of the label is one fragment
    header = next(r for r in rows if "社会公益组织" in r)
    assert header == ["", "", "商业\n企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他", ""]
    assert [ln.line_no for ln in layout.lines] == list(range(1, len(layout.lines) + 1))


# ---- A filled report built with python-docx ------------------------------------------------------

VALUES = {row.row_id: [i % 3, 0, 0, 0, 1, 0, i % 3 + 1] for i, row in enumerate(TABLE3.rows)}
BLANK = ("R07", 1)  # row, column index left empty


def _merge(table: docx.table.Table, top: int, left: int, bottom: int, right: int, text: str) -> None:
    cell = table.cell(top, left).merge(table.cell(bottom, right))
    cell.text = text


def _filled_report() -> bytes:
    document = docx.Document()
    document.add_paragraph("某某区教育局2023年政府信息公开工作年度报告")
    document.add_paragraph("一、总体情况")
    document.add_paragraph("全年共办理依申请公开事项若干件。")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    rows = TABLE3.rows
    table = document.add_table(rows=3 + len(rows), cols=10)
    _merge(table, 0, 0, 2, 2, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    _merge(table, 0, 3, 0, 9, "申请人情况")
    _merge(table, 1, 3, 2, 3, "自然人")
    _merge(table, 1, 4, 1, 8, "法人或其他组织")
    _merge(table, 1, 9, 2, 9, "总计")
    for col, label in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"], start=4):
        table.cell(2, col).text = label
    first = 3
    _merge(table, first + 2, 0, first + 23, 0, "三、本年度办理结果")
    groups = {
        "R05": ("（三）不予公开", 8),
        "R13": ("（四）无法提供", 3),
        "R16": ("（五）不予处理", 5),
        "R21": ("（六）其他处理", 3),
    }
    for offset, row in enumerate(rows):
        r = first + offset
        if row.group is None:
            _merge(table, r, 0, r, 2, row.label)
        elif row.group == "三、本年度办理结果":
            _merge(table, r, 1, r, 2, row.label)
        else:
            table.cell(r, 2).text = row.label
        if row.row_id in groups:
            label, span = groups[row.row_id]
            _merge(table, r, 1, r + span - 1, 1, label)
        for col, value in enumerate(VALUES[row.row_id]):
            if (row.row_id, col) != BLANK:
                table.cell(r, 3 + col).text = str(value)
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_filled_table3_with_vertical_merges_is_exact() -> None:
    report = parse_document(_filled_report(), "built.docx")
    assert report.title == "某某区教育局2023年政府信息公开工作年度报告"
    table3 = report.table3
    assert table3.extra_rows == []
    for row in table3.rows:
        assert not row.missing, row.row_id
        got = [c.value if c.kind is CellKind.NUMBER else c.raw for c in row.cells]
        want = [("" if (row.row_id, col) == BLANK else v) for col, v in enumerate(VALUES[row.row_id])]
        assert got == want, row.row_id
    assert table3.row("R07").cells[1].kind is CellKind.BLANK  # type: ignore[union-attr]
    assert all(h.quality is MatchQuality.EXACT for h in table3.headers)


# ---- Hostile and broken archives ----------------------------------------------------------------


def _archive(members: dict[str, bytes], bomb: tuple[str, int] | None = None) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if bomb:
            name, megabytes = bomb
            with archive.open(name, "w", force_zip64=True) as member:
                chunk = b"\0" * (1 << 20)
                for _ in range(megabytes):
                    member.write(chunk)
    return buffer.getvalue()


def _template_members() -> dict[str, bytes]:
    with zipfile.ZipFile(TEMPLATE) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


@pytest.mark.parametrize("megabytes", [200, 20], ids=["over-total-size", "over-compression-ratio"])
def test_zip_bomb_is_refused_quickly(megabytes: int) -> None:
    members = _template_members()
    del members["word/document.xml"]
    data = _archive(members, bomb=("word/document.xml", megabytes))
    assert len(data) < DEFAULT_LIMITS.max_bytes
    started = time.monotonic()
    with pytest.raises(DocumentTooLarge):
        parse_document(data, "bomb.docx")
    assert time.monotonic() - started < 2


def test_truncated_archive_is_a_typed_error() -> None:
    data = TEMPLATE.read_bytes()[:20_000]
    with pytest.raises((CorruptDocument, UnsupportedFormat)):
        parse_document(data, "truncated.docx")
    with pytest.raises(CorruptDocument):
        extract(data, DEFAULT_LIMITS)


def test_malformed_document_xml_is_corrupt() -> None:
    members = _template_members()
    members["word/document.xml"] = members["word/document.xml"][:5000]
    with pytest.raises(CorruptDocument):
        parse_document(_archive(members), "malformed.docx")


def test_damaged_compressed_member_is_corrupt() -> None:
    data = bytearray(TEMPLATE.read_bytes())
    with zipfile.ZipFile(TEMPLATE) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 100, start + 400):
        data[i] ^= 0x5A
    with pytest.raises(ParseError) as raised:
        parse_document(bytes(data), "damaged.docx")
    assert isinstance(raised.value, CorruptDocument)
