"""The renderings look like real documents: corpus text layout, official merges, metadata, determinism."""

from __future__ import annotations

import io
import re

import docx
import pypdfium2
import pytest
from corpus import CORPUS
from docx.oxml.ns import qn
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, RenderOptions, render
from dwatch.demo.synthetic.render.options import Table2Cells
from dwatch.demo.synthetic.variants import approximate_table2, table3_2019
from dwatch.reports.parsers import pdf
from dwatch.reports.parsers.limits import DEFAULT_LIMITS


def _table3_header(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("\t（本列数据"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("\t一、本年新收"))
    return lines[start:end]


def test_text_table3_header_is_the_word_export_of_the_template() -> None:
    corpus = (CORPUS / "ganzhou-jkq-jiaojing-2023.txt").read_text(encoding="utf-8")
    ours = render(generate(1), Format.TEXT).decode("utf-8")
    assert _table3_header(ours) == _table3_header(corpus)


def test_text_result_rows_carry_merged_cells_as_empty_tab_lines() -> None:
    text = render(generate(1), Format.TEXT).decode("utf-8")
    assert "\t三、本年度办理结果\n\t（一）予以公开\n" in text
    assert "\n\t\n\t（三）不予公开\n\t1.属于国家秘密\n" in text
    assert "\n\t\n\t\n\t2.其他法律行政法规禁止公开\n" in text
    assert "\t行政复议\n\t行政诉讼\n\n" in text


def test_html_has_official_spans_and_article_metadata() -> None:
    page = render(generate(2), Format.HTML).decode("utf-8")
    assert re.search(r'<td rowspan="22"[^>]*><p>三、本年度办理结果', page)
    for group, span in (("（三）不予公开", 8), ("（四）无法提供", 3), ("（五）不予处理", 5), ("（六）其他处理", 3)):
        assert re.search(rf'<td rowspan="{span}"[^>]*><p>{group}</p>', page)
    assert re.search(r'<td colspan="7"[^>]*><p>申请人情况', page)
    assert re.search(r'<td colspan="5"[^>]*><p>行政复议', page) and re.search(
        r'<td colspan="10"[^>]*><p>行政诉讼', page
    )
    report = generate(2)
    assert f'<meta name="ArticleTitle" content="{report.title}">' in page
    assert re.search(rf'<meta name="PubDate" content="{report.published:%Y-%m-%d} \d\d:\d\d">', page)
    assert f"发布时间：{report.published:%Y-%m-%d}" in page and '<div id="zoom"' in page


def test_html_2019_table3_spans_twenty_rows() -> None:
    page = render(table3_2019(generate(2)), Format.HTML).decode("utf-8")
    assert re.search(r'<td rowspan="20"[^>]*><p>三、本年度办理结果', page)
    assert re.search(r'<td colspan="2"[^>]*><p>（六）其他处理', page)


def test_html_gbk_declares_gb2312() -> None:
    data = render(generate(4), Format.HTML_GBK)
    assert b"charset=gb2312" in data
    assert generate(4).title in data.decode("gb18030")


def test_docx_tables_have_real_merges() -> None:
    document = docx.Document(io.BytesIO(render(generate(1), Format.DOCX)))
    assert len(document.tables) == 3
    t3 = document.tables[1]._tbl
    first = t3.tr_lst[0].tc_lst[0]
    assert first.tcPr.find(qn("w:gridSpan")).get(qn("w:val")) == "3"
    assert first.tcPr.find(qn("w:vMerge")).get(qn("w:val")) == "restart"
    assert len(t3.tr_lst) == 28
    assert [p.text for p in document.paragraphs[:1]] == [generate(1).title]


def _page_texts(data: bytes) -> list[str]:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


def test_pdf_pages_fonts_and_footer() -> None:
    data = render(generate(1), Format.PDF)
    assert data.startswith(b"%PDF-") and b"STSong-Light" in data
    pages = _page_texts(data)
    assert len(pages) >= 2
    assert all(f"- {n} -" in text for n, text in enumerate(pages, start=1))


def test_pdf_table3_can_be_cut_across_pages() -> None:
    pages = _page_texts(render(generate(1), Format.PDF, RenderOptions(page_break_in_table3=True)))
    first = next(i for i, t in enumerate(pages) if "一、本年新收政府信息公开申请数量" in t)
    assert "（七）总计" in pages[first + 1] and "（七）总计" not in pages[first]


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_same_report_same_bytes(fmt: Format) -> None:
    options = RenderOptions(thousands_separators=True, page_break_in_table3=True)
    assert render(generate(9), fmt, options) == render(generate(9), fmt, options)


def test_options_change_cells() -> None:
    report = generate(1).model_copy(update={"table4": ["1234"] * 4 + ["4936"] + ["0"] * 10})
    text = render(report, Format.TEXT, RenderOptions(thousands_separators=True, fullwidth_digits=True)).decode()
    assert "\t１，２３４\n" in text and "\t４，９３６\n" in text


_LICENCE_ROW = {
    "merged": ["行政许可", "3.2万"],
    "unmerged": ["行政许可", "3.2万", "", ""],
    "value-last": ["行政许可", "", "", "3.2万"],
}


@pytest.mark.parametrize("layout", list(_LICENCE_ROW))
def test_table2_cell_layouts_are_real_cells(layout: Table2Cells) -> None:
    # The row's cells as each format holds them: one spanning cell, or four with the spare ones blank.
    report, options = approximate_table2(generate(3, year=2023)), RenderOptions(table2_cells=layout)
    want = _LICENCE_ROW[layout]
    text = render(report, Format.TEXT, options).decode()
    start = text.index("\t行政许可\n")
    assert text[start:].split("\n\n")[0].split("\n") == ["\t" + c for c in want]
    page = render(report, Format.HTML, options).decode()
    row = next(tr for tr in re.findall(r"<tr>(.*?)</tr>", page) if ">行政许可<" in tr)
    assert [c.replace("&nbsp;", "") for c in re.findall(r"<p>(.*?)</p>", row)] == want
    table = docx.Document(io.BytesIO(render(report, Format.DOCX, options))).tables[0]._tbl
    rows = [["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.tc_lst] for tr in table.tr_lst]
    assert next(row for row in rows if row[0] == "行政许可") == want
    lines = pdf.extract(render(report, Format.PDF, options), DEFAULT_LIMITS).lines
    assert next([f.text for f in ln.fragments] for ln in lines if ln.fragments[0].text == "行政许可") == want
