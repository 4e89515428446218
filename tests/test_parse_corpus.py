"""Parsing the corpus: sections, approximate counts, label deviations and artifacts, pasted PDF text.

Every cell, title, agency and year against the ground truth: tests/test_corpus_accuracy.py.
"""

from __future__ import annotations

import pytest
from corpus import CORPUS, REPORT_FILES, mismatches, truth
from dwatch.reports.parsers import parse_document


@pytest.mark.parametrize("name", REPORT_FILES)
def test_all_six_sections_found(name: str) -> None:
    report = parse_document((CORPUS / name).read_bytes(), name)
    assert [s.section_id for s in report.sections if s.found] == ["S1", "S2", "S3", "S4", "S5", "S6"]


def test_sub_items_reusing_top_numerals_do_not_open_sections() -> None:
    # huaihua numbers the sub-items of 总体情况 一、…五、; section 二 must start at its real heading.
    report = parse_document((CORPUS / "huaihua-jiaojing-2023.txt").read_bytes(), "huaihua-jiaojing-2023.txt")
    s1 = report.section("S1")
    assert s1 is not None
    assert "二、政府信息依申请公开工作" in s1.text
    assert "全年未收到依申请公开政府信息申请" in s1.text
    s2 = report.section("S2")
    assert s2 is not None and s2.heading.found == "二、主动公开政府信息情况"


def test_approximate_count_keeps_raw_text() -> None:
    report = parse_document((CORPUS / "huaihua-jiaojing-2023.txt").read_bytes(), "huaihua-jiaojing-2023.txt")
    row = report.table2.row("行政许可")
    assert row is not None
    cell = row.cells[0]
    assert (cell.kind.value, cell.raw, cell.value, cell.approx_value) == ("approx", "25.1万", None, 251000.0)


def test_label_deviation_is_kept_as_fuzzy_match() -> None:
    report = parse_document((CORPUS / "ganzhou-jkq-jiaojing-2023.txt").read_bytes(), "ganzhou-jkq-jiaojing-2023.txt")
    row = report.table3.row("R11")
    assert row is not None
    assert row.label.quality.value == "fuzzy"
    assert "案件" in (row.label.found or "")


def test_artifacts_recorded() -> None:
    report = parse_document((CORPUS / "ganzhou-jkq-jiaojing-2023.txt").read_bytes(), "ganzhou-jkq-jiaojing-2023.txt")
    kinds = {a.kind for a in report.artifacts}
    assert {"bookmark", "space-padding", "broken-label"} <= kinds
    assert all("[bookmark" not in s.text for s in report.sections)


@pytest.mark.parametrize("name", [n for n in REPORT_FILES if n.endswith(".pdf")])
def test_pdf_text_pasted_as_plain_text_parses_exactly(name: str) -> None:
    # Plain pasted text has no cell boundaries: the assembler must split rows into label and figures itself.
    import pypdfium2

    document = pypdfium2.PdfDocument(CORPUS / name)
    try:
        pasted = "\n".join(page.get_textpage().get_text_range() for page in document).replace("\r", "")
    finally:
        document.close()
    report = parse_document(pasted.encode("utf-8"), name + ".txt")
    assert report.source.media_type == "text/plain"
    assert mismatches(report, truth(name)) == []
