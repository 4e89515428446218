"""Unreadable input ends in a typed error or diagnostics, quickly, never a crash or a hang."""

from __future__ import annotations

import random
import time

import pytest
from dwatch.reports.model import DiagnosticLevel
from dwatch.reports.parsers import parse_document
from dwatch.reports.parsers.errors import DocumentTooLarge, EmptyDocument, ParseError, UnsupportedFormat
from dwatch.reports.parsers.limits import ParseLimits


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\n\n"])
def test_empty_documents_are_refused(data: bytes) -> None:
    with pytest.raises(EmptyDocument) as raised:
        parse_document(data, "empty.txt")
    assert raised.value.code == "PARSE-EMPTY"


def test_random_bytes_are_a_typed_error_or_a_report_with_diagnostics() -> None:
    rng = random.Random(7)
    for size in (1, 17, 4096, 1 << 20):
        data = rng.randbytes(size)
        started = time.monotonic()
        try:
            report = parse_document(data, "random.bin")
        except ParseError as exc:
            assert exc.code.startswith("PARSE-")
        else:
            assert not any(s.found for s in report.sections)
            assert report.diagnostics
        assert time.monotonic() - started < 30


def test_legacy_word_document_is_unsupported_with_advice() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    with pytest.raises(UnsupportedFormat, match="docx"):
        parse_document(ole, "report.doc")


def test_size_limit_is_enforced_before_parsing() -> None:
    with pytest.raises(DocumentTooLarge):
        parse_document(b"x" * 2048, "big.txt", limits=ParseLimits(max_bytes=1024))


def test_text_in_gbk_without_declaration_is_decoded() -> None:
    text = "某某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n全年未收到政府信息公开申请。\n"
    report = parse_document(text.encode("gbk"), "gbk.txt")
    assert report.title == "某某县人民政府2023年政府信息公开工作年度报告"
    assert report.year == 2023
    s1 = report.section("S1")
    assert s1 is not None and "未收到" in s1.text


def test_text_without_any_template_structure_is_diagnosed() -> None:
    report = parse_document("这是一份与年度报告无关的通知。\n请各单位按时参加会议。\n".encode(), "notice.txt")
    codes = {d.code for d in report.diagnostics}
    assert "PARSE-NO-SECTIONS" in codes
    assert not report.table3.found


def test_headings_without_tables_are_diagnosed() -> None:
    body = "\n".join(
        [
            "某某局2023年政府信息公开工作年度报告",
            "一、总体情况",
            "（一）主动公开。……",
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
            "五、存在的主要问题及改进情况",
            "六、其他需要报告的事项",
        ]
    )
    report = parse_document(body.encode(), "stub.txt")
    missing = [d for d in report.diagnostics if d.code == "PARSE-TABLE-MISSING"]
    assert len(missing) == 3
    assert all(d.level is DiagnosticLevel.WARNING for d in missing)


def test_two_hundred_megabytes_of_html_are_refused_before_parsing() -> None:
    data = b"<html><body>" + b"<p>\xe5\xb9\xb4\xe6\x8a\xa5</p>" * (200 * 2**20 // 14) + b"</body></html>"
    started = time.monotonic()
    with pytest.raises(DocumentTooLarge) as raised:
        parse_document(data, "huge.html")
    assert time.monotonic() - started < 1
    assert raised.value.code == "PARSE-TOO-LARGE"
    assert str(len(data)) in raised.value.message
